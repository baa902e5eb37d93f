// Row types of the service tables (migrations 0001-0099). JSON travels as text on both dialects, timestamps as
// ISO-8601 UTC text (sortable), so one code path reads and writes both SQLite and PostgreSQL.

export interface UsersTable {
  id: string;
  name: string;
  /** JSON array of Role. */
  roles: string;
  created_at: string;
  disabled_at: string | null;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  key_hash: string;
  /** First characters of the secret, to recognise a key in lists. */
  prefix: string;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
  expires_at: string | null;
  rate_limit_per_minute: number | null;
}

export type GovernedStatus = 'draft' | 'submitted' | 'approved' | 'rejected' | 'active' | 'retired';

export interface GovernedVersionsTable {
  id: string;
  kind: string;
  object_id: string;
  version: string;
  /** Order of creation within (kind, object_id). */
  seq: number;
  status: GovernedStatus;
  author: string;
  approver: string | null;
  /** JSON array of { by, at, action, text }. */
  comments: string;
  /** JSON of the object (for flows: the FlowDefinition). */
  body: string;
  /** The text as submitted (YAML or JSON), kept for analysts. */
  source: string | null;
  source_format: string;
  created_at: string;
  updated_at: string;
  /** 1 when loaded by the seed at start (system-approved). */
  seeded: number;
}

export interface GovernedActivationsTable {
  id: string;
  kind: string;
  object_id: string;
  version: string;
  previous_version: string | null;
  activated_by: string;
  activated_at: string;
  /** `activate`, `rollback` or `seed`. */
  reason: string;
}

export interface DecisionsTable {
  id: string;
  flow_id: string;
  flow_version: string;
  idempotency_key: string | null;
  /** SHA-256 of the canonical request, to tell a retry from a different request reusing a key. */
  request_hash: string;
  decision: string;
  /** JSON of the application with pii values encrypted. */
  input: string;
  /** JSON of { reasons, reasonDetails, outputs, creditLine, priceBand, arms, flags, outcomeNode }. */
  result: string;
  variables: string | null;
  trace: string | null;
  /** The `now` the engine evaluated with (replays use it). */
  evaluated_at: string;
  created_at: string;
  eval_micros: number;
  total_micros: number;
  caller_user_id: string;
  caller_key_id: string;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  actor_user_id: string;
  actor_key_id: string | null;
  action: string;
  object_kind: string;
  object_id: string;
  before: string | null;
  after: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface ServiceDatabase {
  users: UsersTable;
  api_keys: ApiKeysTable;
  governed_versions: GovernedVersionsTable;
  governed_activations: GovernedActivationsTable;
  decisions: DecisionsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}

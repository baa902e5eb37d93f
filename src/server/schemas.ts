// Request and response schemas (TypeBox). Fastify validates with them and @fastify/swagger turns them into the
// OpenAPI document, so the docs cannot drift from what is enforced.
import { Type, type TSchema } from '@sinclair/typebox';

export const ErrorDetailSchema = Type.Object(
  {
    path: Type.Optional(Type.String()),
    message: Type.String(),
    expected: Type.Optional(Type.String()),
    file: Type.Optional(Type.String()),
    line: Type.Optional(Type.Integer()),
    column: Type.Optional(Type.Integer()),
    node: Type.Optional(Type.String()),
    severity: Type.Optional(Type.Union([Type.Literal('error'), Type.Literal('warning')])),
  },
  { additionalProperties: true },
);

export const ErrorBodySchema = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable error code (VALIDATION, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, ...)' }),
    message: Type.String(),
    details: Type.Optional(Type.Array(ErrorDetailSchema)),
  }),
});

const ERROR_STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request; details list every problem by field path',
  401: 'Missing or unknown API key',
  403: 'The key\'s role does not allow this',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Body too large',
  422: 'The flow failed while evaluating this input',
  429: 'Rate limit exceeded',
};

/** Error responses for the OpenAPI document. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, { ...ErrorBodySchema, description: ERROR_STATUS_TEXT[s] ?? 'Error' }]));
}

export const AnyObject = Type.Record(Type.String(), Type.Unknown());
export const Outcome = Type.Union([Type.Literal('APPROVE'), Type.Literal('DECLINE'), Type.Literal('REVIEW')]);
export const Version = Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Integer()]);

export const ReasonDetailSchema = Type.Object(
  { code: Type.String(), action: Type.String(), message: Type.Optional(Type.String()), node: Type.String() },
  { additionalProperties: true },
);

const decisionCore = {
  id: Type.String(),
  flow: Type.String(),
  version: Type.String(),
  decision: Outcome,
  reasons: Type.Array(Type.String(), { description: 'Reason codes in policy order' }),
  outputs: AnyObject,
  creditLine: Type.Union([Type.Number(), Type.Null()]),
  priceBand: Type.Union([Type.String(), Type.Null()]),
  arms: Type.Record(Type.String(), Type.String(), { description: 'Split node id -> arm' }),
  flags: Type.Array(Type.String()),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
};

export const DecisionSummarySchema = Type.Object(decisionCore);

export const DecisionViewSchema = Type.Object({
  ...decisionCore,
  reasonDetails: Type.Array(ReasonDetailSchema),
  evaluatedAt: Type.String({ format: 'date-time', description: 'The instant the flow evaluated with (replays use it)' }),
  trace: Type.Optional(Type.Unknown({ description: 'Present with ?trace=true; personal data masked' })),
});

export const DecisionRecordSchema = Type.Object({
  ...decisionCore,
  reasonDetails: Type.Array(ReasonDetailSchema),
  evaluatedAt: Type.String({ format: 'date-time' }),
  application: Type.Unknown({ description: 'The input snapshot; personal data masked unless ?unmask=true by a role allowed to read it' }),
  variables: Type.Unknown(),
  trace: Type.Unknown(),
  timings: Type.Object({ evalMicros: Type.Integer(), totalMicros: Type.Integer() }),
  caller: Type.Object({ userId: Type.String(), keyId: Type.String() }),
  piiUnmasked: Type.Boolean(),
});

export const DecideBodySchema = Type.Object(
  {
    flow: Type.String({ minLength: 1, maxLength: 100, description: 'Flow id' }),
    version: Type.Optional(Version),
    application: Type.Object({}, { additionalProperties: true, description: 'The application, as the flow\'s inputs declare it' }),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Or the Idempotency-Key header' })),
  },
  { additionalProperties: false },
);

export const GovernedVersionSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  objectId: Type.String(),
  version: Type.String(),
  seq: Type.Integer(),
  status: Type.Union(['draft', 'submitted', 'approved', 'rejected', 'active', 'retired'].map((s) => Type.Literal(s))),
  author: Type.String(),
  approver: Type.Union([Type.String(), Type.Null()]),
  comments: Type.Array(Type.Object({ by: Type.String(), at: Type.String(), action: Type.String(), text: Type.String() })),
  body: Type.Optional(Type.Unknown()),
  source: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  sourceFormat: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  seeded: Type.Boolean(),
  problems: Type.Optional(Type.Array(ErrorDetailSchema)),
});

export const CommentBodySchema = Type.Object({ comment: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false });
export const OptionalCommentBodySchema = Type.Union([Type.Object({ comment: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }), Type.Null()]);

export const UserSchema = Type.Object({ id: Type.String(), name: Type.String(), roles: Type.Array(Type.String()), createdAt: Type.String(), disabledAt: Type.Union([Type.String(), Type.Null()]) });

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  rateLimitPerMinute: Type.Union([Type.Integer(), Type.Null()]),
});

export const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  at: Type.String(),
  actorUserId: Type.String(),
  actorKeyId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  objectKind: Type.String(),
  objectId: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
  prevHash: Type.String(),
  hash: Type.String(),
});

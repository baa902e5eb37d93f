// Investigation cases: a pure state machine. Every action takes the case, the actor and the time, checks the rules,
// and returns the new case with the event appended to its history (the audit trail of the case). No clock, no IO.
//
//   open --start--> investigating --resolve(disposition)--> resolved --reopen--> investigating
//
// SLA clocks run per priority: a response clock (opened -> investigation started) and a resolution clock
// (opened -> resolved). A case is breached when a clock passes its due time before the step happened.
import { MingjianError } from '../kernel/errors.ts';

export const CASE_SOURCES = ['review', 'ring', 'watchlist_hit', 'manual', 'early_warning'] as const;
export type CaseSource = (typeof CASE_SOURCES)[number];
export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type CasePriority = (typeof PRIORITIES)[number];
export type CaseState = 'open' | 'investigating' | 'resolved';
export const DISPOSITIONS = ['confirmed_fraud', 'false_positive', 'escalated'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export interface SlaPolicy {
  /** Minutes from opening to the start of the investigation, per priority. */
  responseMinutes: Record<CasePriority, number>;
  /** Minutes from opening to resolution, per priority. */
  resolutionMinutes: Record<CasePriority, number>;
}

export const DEFAULT_SLA: SlaPolicy = {
  responseMinutes: { critical: 15, high: 60, medium: 240, low: 1440 },
  resolutionMinutes: { critical: 240, high: 1440, medium: 4320, low: 10080 },
};

export interface CaseNote { at: string; by: string; text: string }
export type EvidenceKind = 'application' | 'graph_snapshot' | 'decision_trace' | 'watchlist_hit' | 'document';
export interface CaseEvidence { at: string; by: string; kind: EvidenceKind; ref: string; data?: unknown }
export interface CaseEvent { at: string; by: string; action: string; detail?: Record<string, unknown> }

export interface InvestigationCase {
  id: string;
  source: CaseSource;
  /** What opened it: a decision id, ring id, watchlist name, report id, loan id. */
  sourceRef: string | null;
  title: string;
  priority: CasePriority;
  state: CaseState;
  disposition: Disposition | null;
  applicationIds: string[];
  ringId: string | null;
  assignee: string | null;
  openedAt: string;
  startedAt: string | null;
  resolvedAt: string | null;
  responseDueAt: string;
  resolutionDueAt: string;
  resolution: { summary: string; escalatedTo?: string } | null;
  notes: CaseNote[];
  evidence: CaseEvidence[];
  history: CaseEvent[];
}

export interface OpenCaseInput {
  id: string;
  source: CaseSource;
  sourceRef?: string | null;
  title: string;
  priority: CasePriority;
  applicationIds?: string[];
  ringId?: string | null;
  assignee?: string | null;
}

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function conflict(c: InvestigationCase, action: string, why: string): MingjianError {
  return new MingjianError('CONFLICT', `case ${c.id}: cannot ${action}: ${why}`, [{ path: 'state', message: `case is ${c.state}` }]);
}

function invalid(path: string, message: string): MingjianError {
  return new MingjianError('VALIDATION', `${path}: ${message}`, [{ path, message }]);
}

function withEvent(c: InvestigationCase, patch: Partial<InvestigationCase>, by: string, nowMs: number, action: string, detail?: Record<string, unknown>): InvestigationCase {
  const ev: CaseEvent = { at: iso(nowMs), by, action };
  if (detail) ev.detail = detail;
  return { ...c, ...patch, history: [...c.history, ev] };
}

export function openCase(input: OpenCaseInput, by: string, nowMs: number, sla: SlaPolicy = DEFAULT_SLA): InvestigationCase {
  if (!(CASE_SOURCES as readonly string[]).includes(input.source)) throw invalid('source', `must be one of ${CASE_SOURCES.join(', ')}`);
  if (!(PRIORITIES as readonly string[]).includes(input.priority)) throw invalid('priority', `must be one of ${PRIORITIES.join(', ')}`);
  if (!input.title?.trim()) throw invalid('title', 'is required');
  const applicationIds = [...new Set(input.applicationIds ?? [])];
  if (applicationIds.length === 0 && !input.ringId && input.source !== 'manual' && input.source !== 'early_warning') {
    throw invalid('applicationIds', 'a case needs at least one application or a ring');
  }
  const c: InvestigationCase = {
    id: input.id,
    source: input.source,
    sourceRef: input.sourceRef ?? null,
    title: input.title.trim(),
    priority: input.priority,
    state: 'open',
    disposition: null,
    applicationIds,
    ringId: input.ringId ?? null,
    assignee: input.assignee ?? null,
    openedAt: iso(nowMs),
    startedAt: null,
    resolvedAt: null,
    responseDueAt: iso(nowMs + sla.responseMinutes[input.priority] * MINUTE),
    resolutionDueAt: iso(nowMs + sla.resolutionMinutes[input.priority] * MINUTE),
    resolution: null,
    notes: [],
    evidence: [],
    history: [],
  };
  return withEvent(c, {}, by, nowMs, 'opened', { source: c.source, sourceRef: c.sourceRef, priority: c.priority });
}

export function assignCase(c: InvestigationCase, investigator: string, by: string, nowMs: number): InvestigationCase {
  if (c.state === 'resolved') throw conflict(c, 'assign', 'it is resolved');
  if (!investigator.trim()) throw invalid('assignee', 'is required');
  return withEvent(c, { assignee: investigator }, by, nowMs, 'assigned', { from: c.assignee, to: investigator });
}

/** open -> investigating. An unassigned case is assigned to whoever starts it. */
export function startInvestigation(c: InvestigationCase, by: string, nowMs: number): InvestigationCase {
  if (c.state !== 'open') throw conflict(c, 'start the investigation', `only an open case can be started`);
  if (c.assignee && c.assignee !== by) throw conflict(c, 'start the investigation', `it is assigned to ${c.assignee}`);
  return withEvent(c, { state: 'investigating', startedAt: iso(nowMs), assignee: c.assignee ?? by }, by, nowMs, 'started');
}

/** investigating -> resolved with a disposition. Escalation names where it went. */
export function resolveCase(c: InvestigationCase, disposition: Disposition, summary: string, by: string, nowMs: number, escalatedTo?: string): InvestigationCase {
  if (c.state !== 'investigating') throw conflict(c, 'resolve', 'only a case under investigation can be resolved');
  if (!(DISPOSITIONS as readonly string[]).includes(disposition)) throw invalid('disposition', `must be one of ${DISPOSITIONS.join(', ')}`);
  if (!summary?.trim()) throw invalid('summary', 'a resolution summary is required');
  if (disposition === 'escalated' && !escalatedTo?.trim()) throw invalid('escalatedTo', 'an escalated case names who it went to');
  if (c.assignee && c.assignee !== by) throw conflict(c, 'resolve', `it is assigned to ${c.assignee}`);
  const resolution = disposition === 'escalated' ? { summary: summary.trim(), escalatedTo: escalatedTo!.trim() } : { summary: summary.trim() };
  return withEvent(c, { state: 'resolved', disposition, resolvedAt: iso(nowMs), resolution }, by, nowMs, 'resolved', { disposition });
}

/** resolved -> investigating, with a reason; the disposition is cleared (and its effects are for the caller to undo). */
export function reopenCase(c: InvestigationCase, reason: string, by: string, nowMs: number): InvestigationCase {
  if (c.state !== 'resolved') throw conflict(c, 'reopen', 'only a resolved case can be reopened');
  if (!reason?.trim()) throw invalid('reason', 'a reason is required to reopen a case');
  return withEvent(c, { state: 'investigating', disposition: null, resolvedAt: null, resolution: null, assignee: by }, by, nowMs, 'reopened', { reason, previousDisposition: c.disposition });
}

export function addNote(c: InvestigationCase, text: string, by: string, nowMs: number): InvestigationCase {
  if (!text?.trim()) throw invalid('text', 'a note needs text');
  const note = { at: iso(nowMs), by, text: text.trim() };
  return withEvent(c, { notes: [...c.notes, note] }, by, nowMs, 'note_added');
}

export function addEvidence(c: InvestigationCase, kind: EvidenceKind, ref: string, data: unknown, by: string, nowMs: number): InvestigationCase {
  if (c.state === 'resolved') throw conflict(c, 'add evidence', 'it is resolved (reopen it first)');
  if (!ref?.trim()) throw invalid('ref', 'evidence needs a reference');
  const ev: CaseEvidence = { at: iso(nowMs), by, kind, ref };
  if (data !== undefined) ev.data = data;
  return withEvent(c, { evidence: [...c.evidence, ev] }, by, nowMs, 'evidence_added', { kind, ref });
}

export function linkApplications(c: InvestigationCase, applicationIds: readonly string[], by: string, nowMs: number): InvestigationCase {
  if (c.state === 'resolved') throw conflict(c, 'link applications', 'it is resolved');
  const added = applicationIds.filter((a) => !c.applicationIds.includes(a));
  return withEvent(c, { applicationIds: [...c.applicationIds, ...added] }, by, nowMs, 'applications_linked', { added });
}

export function linkRing(c: InvestigationCase, ringId: string, by: string, nowMs: number): InvestigationCase {
  if (c.state === 'resolved') throw conflict(c, 'link a ring', 'it is resolved');
  if (c.ringId && c.ringId !== ringId) throw conflict(c, 'link a ring', `it already holds ring ${c.ringId}`);
  return withEvent(c, { ringId }, by, nowMs, 'ring_linked', { ringId });
}

/** Re-prioritising restarts nothing: due times are recomputed from the opening time under the new priority. */
export function changePriority(c: InvestigationCase, priority: CasePriority, by: string, nowMs: number, sla: SlaPolicy = DEFAULT_SLA): InvestigationCase {
  if (c.state === 'resolved') throw conflict(c, 'change priority', 'it is resolved');
  if (!(PRIORITIES as readonly string[]).includes(priority)) throw invalid('priority', `must be one of ${PRIORITIES.join(', ')}`);
  const opened = Date.parse(c.openedAt);
  return withEvent(c, {
    priority,
    responseDueAt: iso(opened + sla.responseMinutes[priority] * MINUTE),
    resolutionDueAt: iso(opened + sla.resolutionMinutes[priority] * MINUTE),
  }, by, nowMs, 'priority_changed', { from: c.priority, to: priority });
}

export interface SlaStatus {
  responseBreached: boolean;
  resolutionBreached: boolean;
  breached: boolean;
  /** Milliseconds to the next running clock's due time (negative when overdue); null when no clock runs. */
  remainingMs: number | null;
}

export function slaStatus(c: InvestigationCase, nowMs: number): SlaStatus {
  const responseDue = Date.parse(c.responseDueAt), resolutionDue = Date.parse(c.resolutionDueAt);
  const started = c.startedAt ? Date.parse(c.startedAt) : null;
  const resolved = c.resolvedAt ? Date.parse(c.resolvedAt) : null;
  const responseBreached = started === null ? nowMs > responseDue : started > responseDue;
  const resolutionBreached = resolved === null ? nowMs > resolutionDue : resolved > resolutionDue;
  let remainingMs: number | null = null;
  if (c.state === 'open') remainingMs = Math.min(responseDue, resolutionDue) - nowMs;
  else if (c.state === 'investigating') remainingMs = resolutionDue - nowMs;
  return { responseBreached, resolutionBreached, breached: responseBreached || resolutionBreached, remainingMs };
}

/** Work queue: unresolved cases, most urgent first (earliest running due time, then priority, then age). */
export function caseQueue(cases: readonly InvestigationCase[], nowMs: number): (InvestigationCase & { sla: SlaStatus })[] {
  return cases
    .filter((c) => c.state !== 'resolved')
    .map((c) => ({ ...c, sla: slaStatus(c, nowMs) }))
    .sort((a, b) => a.sla.remainingMs! - b.sla.remainingMs! || PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority) || (a.openedAt < b.openedAt ? -1 : 1));
}

/** Cases whose SLA is breached now (unresolved) — the input of alerting. */
export function breachedCases(cases: readonly InvestigationCase[], nowMs: number): InvestigationCase[] {
  return cases.filter((c) => c.state !== 'resolved' && slaStatus(c, nowMs).breached);
}

/** Priority of a case opened from a detected ring, from its score; null below the opening threshold. */
export function ringCasePriority(score: number, threshold = 60): CasePriority | null {
  if (score < threshold) return null;
  if (score >= 90) return 'critical';
  if (score >= 75) return 'high';
  return 'medium';
}

export interface ConfirmationEffects {
  /** Applications to flag as confirmed fraud (graph status, labels for model training and monitoring). */
  flagApplications: string[];
  /** Identifiers chosen by the investigator, proposed to watchlists through the governance flow. */
  watchlistProposals: { list: string; applicationId: string; role: string }[];
  labels: { applicationId: string; label: 'fraud' | 'not_fraud'; caseId: string; at: string }[];
}

/** What resolving a case sets in motion. Confirmed fraud flags and labels every linked application and proposes the
 * chosen identifiers; a false positive labels them not-fraud (useful negatives for training); escalation acts later. */
export function resolutionEffects(c: InvestigationCase, chosen: readonly { list: string; applicationId: string; role: string }[] = []): ConfirmationEffects {
  if (c.state !== 'resolved') throw conflict(c, 'compute resolution effects', 'it is not resolved');
  const at = c.resolvedAt!;
  for (const ch of chosen) if (!c.applicationIds.includes(ch.applicationId)) throw invalid('watchlistProposals', `application ${ch.applicationId} is not linked to case ${c.id}`);
  if (c.disposition === 'confirmed_fraud') {
    return {
      flagApplications: [...c.applicationIds],
      watchlistProposals: [...chosen],
      labels: c.applicationIds.map((applicationId) => ({ applicationId, label: 'fraud', caseId: c.id, at })),
    };
  }
  if (c.disposition === 'false_positive') {
    return { flagApplications: [], watchlistProposals: [], labels: c.applicationIds.map((applicationId) => ({ applicationId, label: 'not_fraud', caseId: c.id, at })) };
  }
  return { flagApplications: [], watchlistProposals: [], labels: [] };
}

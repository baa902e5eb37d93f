import { describe, expect, it } from 'vitest';
import {
  addEvidence, addNote, assignCase, breachedCases, caseQueue, changePriority, linkApplications, linkRing, openCase,
  reopenCase, resolutionEffects, resolveCase, ringCasePriority, slaStatus, startInvestigation,
} from './cases.ts';

const T0 = Date.UTC(2025, 5, 1, 9, 0, 0);
const MIN = 60_000;
const open = (id = 'c1', priority: 'critical' | 'high' | 'medium' | 'low' = 'high') =>
  openCase({ id, source: 'ring', sourceRef: 'ring-abc', title: 'Ring of 12 sharing 3 devices', priority, applicationIds: ['A1', 'A2', 'A2'], ringId: 'ring-abc' }, 'system', T0);

describe('case state rules', () => {
  it('walks open -> investigating -> resolved and records every action', () => {
    let c = open();
    expect(c).toMatchObject({ state: 'open', applicationIds: ['A1', 'A2'], responseDueAt: '2025-06-01T10:00:00.000Z', resolutionDueAt: '2025-06-02T09:00:00.000Z' });
    c = assignCase(c, 'ivy', 'lead', T0 + MIN);
    c = startInvestigation(c, 'ivy', T0 + 10 * MIN);
    c = addNote(c, 'Devices rotate among members', 'ivy', T0 + 11 * MIN);
    c = addEvidence(c, 'graph_snapshot', 'A1', { nodes: 14 }, 'ivy', T0 + 12 * MIN);
    c = linkApplications(c, ['A2', 'A3'], 'ivy', T0 + 13 * MIN);
    c = resolveCase(c, 'confirmed_fraud', 'Confirmed: collection card shared by all', 'ivy', T0 + 30 * MIN);
    expect(c).toMatchObject({ state: 'resolved', disposition: 'confirmed_fraud', applicationIds: ['A1', 'A2', 'A3'], startedAt: '2025-06-01T09:10:00.000Z' });
    expect(c.history.map((e) => e.action)).toEqual(['opened', 'assigned', 'started', 'note_added', 'evidence_added', 'applications_linked', 'resolved']);
    expect(c.history.every((e) => e.at && e.by)).toBe(true);
  });

  it('refuses transitions the states do not allow', () => {
    const c = open();
    expect(() => resolveCase(c, 'false_positive', 'x', 'ivy', T0)).toThrow(/cannot resolve: only a case under investigation/);
    const started = startInvestigation(c, 'ivy', T0);
    expect(() => startInvestigation(started, 'ivy', T0)).toThrow(/only an open case can be started/);
    const done = resolveCase(started, 'false_positive', 'shared office network', 'ivy', T0);
    expect(() => addEvidence(done, 'document', 'd', undefined, 'ivy', T0)).toThrow(/resolved/);
    expect(() => assignCase(done, 'bob', 'lead', T0)).toThrow(/resolved/);
    expect(() => resolveCase(done, 'confirmed_fraud', 'x', 'ivy', T0)).toThrow(/CONFLICT|cannot resolve/);
    expect(() => reopenCase(started, 'why', 'ivy', T0)).toThrow(/only a resolved case/);
    // Notes are always allowed: the record of a closed case can be annotated.
    expect(addNote(done, 'bank confirmed', 'ivy', T0).notes).toHaveLength(1);
  });

  it('enforces assignment, dispositions and required fields', () => {
    const assigned = assignCase(open(), 'ivy', 'lead', T0);
    expect(() => startInvestigation(assigned, 'bob', T0)).toThrow(/assigned to ivy/);
    const s = startInvestigation(assigned, 'ivy', T0);
    expect(() => resolveCase(s, 'confirmed_fraud', 'done', 'bob', T0)).toThrow(/assigned to ivy/);
    expect(() => resolveCase(s, 'escalated', 'needs legal', 'ivy', T0)).toThrow(/escalatedTo/);
    expect(resolveCase(s, 'escalated', 'needs legal', 'ivy', T0, 'legal-team').resolution).toEqual({ summary: 'needs legal', escalatedTo: 'legal-team' });
    expect(() => resolveCase(s, 'maybe' as never, 'x', 'ivy', T0)).toThrow(/disposition/);
    expect(() => resolveCase(s, 'false_positive', ' ', 'ivy', T0)).toThrow(/summary/);
    expect(() => openCase({ id: 'x', source: 'review', title: 't', priority: 'high' }, 's', T0)).toThrow(/at least one application or a ring/);
    expect(() => openCase({ id: 'x', source: 'gossip' as never, title: 't', priority: 'high', applicationIds: ['A'] }, 's', T0)).toThrow(/source/);
    // Unassigned cases go to whoever starts them; a manual report needs no application yet.
    const manual = openCase({ id: 'm', source: 'manual', title: 'Call from a bank', priority: 'low' }, 'ops', T0);
    expect(startInvestigation(manual, 'kim', T0).assignee).toBe('kim');
  });

  it('reopens with a reason, clearing the disposition', () => {
    const done = resolveCase(startInvestigation(open(), 'ivy', T0), 'false_positive', 'family', 'ivy', T0 + MIN);
    expect(() => reopenCase(done, '', 'ivy', T0)).toThrow(/reason/);
    const again = reopenCase(done, 'new evidence from bank', 'ivy', T0 + 2 * MIN);
    expect(again).toMatchObject({ state: 'investigating', disposition: null, resolution: null });
    expect(again.history.at(-1)).toMatchObject({ action: 'reopened', detail: { previousDisposition: 'false_positive' } });
  });

  it('holds one ring; linking another is refused', () => {
    const c = open();
    expect(linkRing(c, 'ring-abc', 'ivy', T0).ringId).toBe('ring-abc');
    expect(() => linkRing(c, 'ring-other', 'ivy', T0)).toThrow(/already holds ring ring-abc/);
  });
});

describe('SLA clocks', () => {
  it('breaches the response clock when nobody starts within the priority window', () => {
    const c = open('c1', 'high'); // response 60 min, resolution 24 h
    expect(slaStatus(c, T0 + 59 * MIN)).toMatchObject({ breached: false, remainingMs: MIN });
    expect(slaStatus(c, T0 + 61 * MIN)).toMatchObject({ responseBreached: true, resolutionBreached: false, breached: true, remainingMs: -MIN });
    // Starting late keeps the response breach on record.
    const late = startInvestigation(c, 'ivy', T0 + 90 * MIN);
    expect(slaStatus(late, T0 + 91 * MIN).responseBreached).toBe(true);
    const onTime = startInvestigation(c, 'ivy', T0 + 30 * MIN);
    expect(slaStatus(onTime, T0 + 2 * 60 * MIN)).toMatchObject({ breached: false, remainingMs: 22 * 60 * MIN });
  });

  it('breaches the resolution clock, and a resolved case stops its clocks', () => {
    const started = startInvestigation(open('c1', 'critical'), 'ivy', T0 + 5 * MIN); // resolution 4 h
    expect(slaStatus(started, T0 + 5 * 60 * MIN).resolutionBreached).toBe(true);
    const done = resolveCase(started, 'confirmed_fraud', 'ok', 'ivy', T0 + 3 * 60 * MIN);
    expect(slaStatus(done, T0 + 100 * 60 * MIN)).toEqual({ responseBreached: false, resolutionBreached: false, breached: false, remainingMs: null });
  });

  it('orders the queue by the nearest due time and lists breached cases', () => {
    const low = open('low', 'low');
    const high = open('high', 'high');
    const critical = openCase({ id: 'crit', source: 'watchlist_hit', sourceRef: 'fraud-devices', title: 'Device on watchlist', priority: 'critical', applicationIds: ['A9'] }, 'system', T0 + 30 * MIN);
    const resolved = resolveCase(startInvestigation(open('done', 'critical'), 'ivy', T0), 'false_positive', 'x', 'ivy', T0);
    const now = T0 + 40 * MIN;
    expect(caseQueue([low, high, critical, resolved], now).map((c) => c.id)).toEqual(['crit', 'high', 'low']);
    expect(breachedCases([low, high, critical, resolved], T0 + 50 * MIN).map((c) => c.id)).toEqual(['crit']);
    expect(breachedCases([low, high, critical], T0 + 65 * MIN).map((c) => c.id)).toEqual(['high', 'crit']);
  });

  it('recomputes due times from the opening time when the priority changes', () => {
    const c = changePriority(open('c1', 'low'), 'critical', 'lead', T0 + 10 * MIN);
    expect(c.responseDueAt).toBe('2025-06-01T09:15:00.000Z');
    expect(slaStatus(c, T0 + 16 * MIN).responseBreached).toBe(true);
  });
});

describe('case outcomes', () => {
  it('opens ring cases above a threshold with priority from the score', () => {
    expect(ringCasePriority(55)).toBeNull();
    expect(ringCasePriority(65)).toBe('medium');
    expect(ringCasePriority(80)).toBe('high');
    expect(ringCasePriority(95)).toBe('critical');
  });

  it('confirmed fraud flags and labels the applications and proposes chosen identifiers; false positives label negatives', () => {
    const s = startInvestigation(open(), 'ivy', T0);
    const fraud = resolveCase(s, 'confirmed_fraud', 'ok', 'ivy', T0 + MIN);
    const fx = resolutionEffects(fraud, [{ list: 'fraud-devices', applicationId: 'A1', role: 'deviceId' }]);
    expect(fx.flagApplications).toEqual(['A1', 'A2']);
    expect(fx.watchlistProposals).toEqual([{ list: 'fraud-devices', applicationId: 'A1', role: 'deviceId' }]);
    expect(fx.labels.map((l) => l.label)).toEqual(['fraud', 'fraud']);
    expect(() => resolutionEffects(fraud, [{ list: 'x', applicationId: 'Z', role: 'phone' }])).toThrow(/not linked/);
    const fp = resolutionEffects(resolveCase(s, 'false_positive', 'family', 'ivy', T0 + MIN));
    expect(fp).toEqual({ flagApplications: [], watchlistProposals: [], labels: [expect.objectContaining({ label: 'not_fraud', applicationId: 'A1' }), expect.objectContaining({ label: 'not_fraud', applicationId: 'A2' })] });
    expect(() => resolutionEffects(s)).toThrow(/not resolved/);
  });
});

import { describe, expect, it } from 'vitest';
import { compileFlow, parseFlowSource } from '../engine/index.ts';
import { parseDay } from './dates.ts';
import { evaluateEarlyWarning } from './early-warning.ts';
import { flowEarlyWarningRule } from './early-warning-flow.ts';
import { repay, runDay, type ServicingEvent } from './loan-account.ts';
import { disbursedLoan } from './test-support.ts';

const FLOW = `
id: servicing-early-warning
version: 1
inputs:
  eventType: { type: string }
  unpaid: { type: integer, required: false, default: 0 }
  partialStreak: { type: integer, required: false, default: 0 }
  dpd: { type: integer, required: false, default: 0 }
nodes:
  - id: rules
    type: ruleset
    hitPolicy: all
    rules:
      - { id: missed, when: 'eventType == "instalment_missed" && unpaid >= 10000', action: review, reason: EW01, message: Large instalment missed }
      - { id: streak, when: 'eventType == "payment" && partialStreak >= 2', action: review, reason: EW02, message: Partial payments in a row }
      - { id: deep, when: 'eventType == "state_changed" && dpd >= 30', action: decline, reason: EW03, message: 30 days past due }
    next: done
  - id: done
    type: outcome
`;

describe('early-warning rules as flows', () => {
  it('raises alerts from a compiled flow over servicing events', () => {
    const { definition, sourceMap } = parseFlowSource(FLOW, 'early-warning.yaml');
    const rule = flowEarlyWarningRule(compileFlow(definition, { sourceMap }));
    const acc = disbursedLoan({ termMonths: 6 });
    const events: ServicingEvent[] = [];
    const d = parseDay;
    events.push(...runDay(acc, d('2026-02-15'), { debitAvailable: 5_000 }).events); // partial deduction, streak 1
    events.push(...repay(acc, 1_000, d('2026-02-15')).events); // streak 2 -> EW02
    events.push(...runDay(acc, d('2026-02-16')).events); // instalment 1 missed with 11,xxx unpaid -> EW01
    const alerts = evaluateEarlyWarning(events, [rule]);
    expect(alerts.map((a) => [a.detail.reasons, a.severity, a.day])).toEqual([
      [['EW02'], 'medium', d('2026-02-15')],
      [['EW01'], 'medium', d('2026-02-16')],
    ]);
    expect(alerts[0]!.message).toBe('Partial payments in a row');
    // A small miss does not trip the rule.
    expect(rule.evaluate({ type: 'instalment_missed', loanId: 'L1', day: 1, seq: 1, unpaid: 50 })).toBeNull();
    expect(rule.evaluate({ type: 'state_changed', loanId: 'L1', day: 1, from: 'delinquent', to: 'delinquent', dpd: 31 })).toMatchObject({ severity: 'high' });
  });
});

// Early-warning rules written as decision flows: each servicing event is evaluated by a compiled flow whose inputs
// are the event's fields (`eventType`, `loanId`, `seq`, `unpaid`, `amount`, `partial`, `partialStreak`, `from`,
// `to`, `dpd`) and the loan's behaviour after it (the features of behaviour.ts, `behaviourScore`, `behaviourRating`);
// a REVIEW or DECLINE outcome raises an alert carrying the flow's reasons. Risk analysts change the
// rules by publishing a new flow version, not code.
import type { CompiledFlow } from '../engine/index.ts';
import type { EarlyWarningRule } from './early-warning.ts';
import type { ServicingEvent } from './loan-account.ts';

export function flowEarlyWarningRule(flow: CompiledFlow): EarlyWarningRule {
  const declared = new Set(Object.keys(flow.definition.inputs ?? {}));
  return {
    id: `flow:${flow.id}`,
    evaluate(event: ServicingEvent, context?: Readonly<Record<string, unknown>>) {
      const { type, ...fields } = event;
      // The loan's behaviour (features, behaviourScore, behaviourRating) beside the event's own fields, which win.
      const all: Record<string, unknown> = { ...context, eventType: type, ...fields };
      // Only the fields the flow declares: an event type without a field leaves it absent (null or its default).
      const input: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(all)) if (declared.has(k)) input[k] = v;
      const result = flow.evaluate(input, { now: event.day * 86_400_000 });
      if (!result.ok || (result.decision !== 'REVIEW' && result.decision !== 'DECLINE')) return null;
      return {
        loanId: event.loanId,
        day: event.day,
        rule: `flow:${flow.id}`,
        severity: result.decision === 'DECLINE' ? 'high' : 'medium',
        message: result.reasonDetails.map((r) => r.message ?? r.code).join('; ') || `flow ${flow.id} flagged the event`,
        detail: { flow: flow.id, version: flow.version, reasons: result.reasons, eventType: type },
      };
    },
  };
}

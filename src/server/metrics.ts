// Prometheus metrics, one registry per app (tests run several apps in one process).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { DecisionMetrics } from './services/decisions.ts';

export interface ServiceMetrics extends DecisionMetrics {
  readonly registry: Registry;
  httpError(code: string): void;
}

export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latency = new Histogram({
    name: 'mingjian_decision_duration_seconds',
    help: 'Time from request to committed decision record',
    labelNames: ['flow'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const decisions = new Counter({ name: 'mingjian_decisions_total', help: 'Decisions recorded', labelNames: ['flow', 'version', 'decision'], registers: [registry] });
  const failures = new Counter({ name: 'mingjian_decision_failures_total', help: 'Decision requests rejected by the engine (invalid input, evaluation error)', labelNames: ['flow', 'code'], registers: [registry] });
  const errors = new Counter({ name: 'mingjian_http_errors_total', help: 'Error responses by error code', labelNames: ['code'], registers: [registry] });
  const batches = new Histogram({
    name: 'mingjian_commit_batch_size',
    help: 'Decision records per group-commit transaction',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'mingjian_commit_duration_seconds',
    help: 'Duration of one group-commit transaction',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  const phases = new Histogram({
    name: 'mingjian_decision_phase_seconds',
    help: 'Time a decision spends in each phase: enrich (velocity, graph, external sources), evaluate, commit (its record), follow (velocity event and graph before the answer)',
    labelNames: ['phase'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  return {
    registry,
    phase(name, seconds) {
      phases.observe({ phase: name }, seconds);
    },
    decided(flow, version, decision, seconds) {
      latency.observe({ flow }, seconds);
      decisions.inc({ flow, version, decision });
    },
    failed(flow, code) {
      failures.inc({ flow, code });
    },
    batch(size, millis) {
      batches.observe(size);
      commitSeconds.observe(millis / 1000);
    },
    httpError(code) {
      errors.inc({ code });
    },
  };
}

// The running state of one aggregate over the events of a window, and the brute-force recount every store must equal.

import type { CompiledVelocity, VelocityAggregate, VelocityValue } from './velocity-definition.ts';
import type { VelocityEvent } from './velocity-event.ts';

/**
 * Accumulates events of a window. Sums are exact for integers (money in minor units, counts); for fractional values
 * the order of additions may differ between stores and the last bits with it.
 */
export class WindowAccumulator {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  earliest = Infinity;
  readonly distinct = new Set<string>();

  reset(): this {
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.earliest = Infinity;
    if (this.distinct.size) this.distinct.clear();
    return this;
  }

  add(time: number, value: number | string | null): void {
    this.count++;
    if (time < this.earliest) this.earliest = time;
    if (typeof value === 'number') {
      this.sum += value;
      if (value < this.min) this.min = value;
      if (value > this.max) this.max = value;
    } else if (typeof value === 'string') {
      this.distinct.add(value);
    }
  }

  /** The aggregate's value read at `at` (firstSeenAge is `at` minus the earliest event's time, in milliseconds). */
  result(aggregate: VelocityAggregate, at: number): VelocityValue {
    switch (aggregate) {
      case 'count':
        return this.count;
      case 'sum':
        return this.sum;
      case 'distinctCount':
        return this.distinct.size;
      case 'min':
        return this.count ? this.min : null;
      case 'max':
        return this.count ? this.max : null;
      case 'firstSeenAge':
        return this.count ? at - this.earliest : null;
    }
  }
}

/**
 * The definition of a velocity value, as a plain scan: the stored events of the same key with a time in
 * (at - window, at], plus the event being decided when the definition includes it. Slow and obviously right;
 * the stores are tested against it.
 */
export function recountVelocity(def: CompiledVelocity, stored: readonly VelocityEvent[], current: VelocityEvent): VelocityValue {
  const key = def.keyOf(current);
  if (key === undefined) return def.emptyValue;
  const at = current.time;
  const lo = at - def.windowMs;
  const acc = new WindowAccumulator();
  for (const e of stored) {
    if (e.time <= lo || e.time > at || def.keyOf(e) !== key) continue;
    const v = def.admit(e);
    if (v !== undefined) acc.add(e.time, v);
  }
  if (def.includeCurrent) {
    const v = def.admit(current);
    if (v !== undefined) acc.add(at, v);
  }
  return acc.result(def.aggregate, at);
}

// Repayment allocation: a payment settles what is due component by component in a configured order.
import { MingjianError } from '../kernel/errors.ts';

export const COMPONENTS = ['penalty', 'fee', 'interest', 'principal'] as const;
export type Component = (typeof COMPONENTS)[number];
export const DEFAULT_ALLOCATION_ORDER: readonly Component[] = ['penalty', 'fee', 'interest', 'principal'];

export type ComponentAmounts = Record<Component, number>;

export function validateAllocationOrder(order: readonly string[], path = 'allocationOrder'): Component[] {
  const ok = order.length === COMPONENTS.length && COMPONENTS.every((c) => order.includes(c));
  if (!ok) {
    throw new MingjianError('VALIDATION', 'allocation order must list each component once', [
      { path, message: `got [${order.join(', ')}]`, expected: `a permutation of ${COMPONENTS.join(', ')}` },
    ]);
  }
  return order as Component[];
}

export interface Allocation {
  applied: ComponentAmounts;
  /** What was left after everything due was settled. */
  remainder: number;
}

export function allocate(amount: number, due: ComponentAmounts, order: readonly Component[]): Allocation {
  const applied: ComponentAmounts = { penalty: 0, fee: 0, interest: 0, principal: 0 };
  let left = amount;
  for (const c of order) {
    const take = Math.min(left, Math.max(0, due[c]));
    applied[c] = take;
    left -= take;
  }
  return { applied, remainder: left };
}

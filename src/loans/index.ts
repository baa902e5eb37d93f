// Loans and servicing: offers, schedules, the per-loan ledger and its operations, and the columnar nightly batch.
export * from './allocation.ts';
export * from './behaviour.ts';
export * from './dates.ts';
export * from './delinquency.ts';
export * from './early-warning.ts';
export * from './early-warning-flow.ts';
export * from './ledger.ts';
export * from './loan-account.ts';
export * from './nightly-batch.ts';
export * from './offer.ts';
export * from './portfolio.ts';
export * from './portfolio-csv.ts';
export * from './portfolio-generator.ts';
export * from './schedule.ts';

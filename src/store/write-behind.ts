// Writes that follow a decision (identity-graph rows, the cases it opens, later velocity events) derive from the
// decision record, which committed before the answer. They need not each pay for a commit: they gather here and go
// out together in one transaction every few milliseconds, so SQLite spends one commit and one fsync on dozens of
// them. A crash loses at most the last gathering; the next start redoes it from the decision records.
import type { Kysely, Transaction } from 'kysely';
import { createCommitQueue } from './commit-queue.ts';

export type BehindWrite<DB> = (trx: Transaction<DB>) => Promise<void>;

export interface WriteBehind<DB> {
  /** Resolves when the write committed with its gathering; rejects with the gathering's error. */
  push(write: BehindWrite<DB>): Promise<void>;
  /** Resolves when everything pushed so far has settled. */
  drain(): Promise<void>;
  readonly pending: number;
}

export function createWriteBehind<DB>(db: Kysely<DB>, options: { delayMs?: number; maxBatch?: number } = {}): WriteBehind<DB> {
  const queue = createCommitQueue<BehindWrite<DB>, void>({
    // In push order, in one transaction: a failing write fails its whole gathering (each writer hears why).
    flush: async (writes) => {
      await db.transaction().execute(async (trx) => {
        for (const write of writes) await write(trx);
      });
      return writes.map(() => undefined);
    },
    delayMs: options.delayMs ?? 10,
    maxBatch: options.maxBatch ?? 1000,
    maxConcurrent: 1,
  });
  return {
    push: (write) => queue.push(write),
    drain: () => queue.drain(),
    get pending() {
      return queue.pending;
    },
  };
}

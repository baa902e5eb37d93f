// One interface, two stores (embedded and Redis) that must give the same answers as recountVelocity.

import type { Kysely } from 'kysely';
import type { VelocityValue } from './velocity-definition.ts';
import type { VelocityEvent } from './velocity-event.ts';

export interface VelocityStore {
  readonly kind: 'embedded' | 'redis';
  /**
   * Records events, idempotent by event id. Events may arrive out of order; one older than the store's retention
   * (longest window + allowed lateness behind the newest event) can no longer change any answer and is dropped.
   * Returns how many events were new.
   */
  ingest(events: readonly VelocityEvent[]): Promise<number>;
  /**
   * Values of the velocity variables for the event being decided, read at its time and grouped by its own keys; the
   * event itself counts when its definition says `includeCurrent`. Read before the decision, ingest after it.
   * `names` restricts the read to some definitions (default all).
   */
  read(event: VelocityEvent, names?: readonly string[]): Promise<Record<string, VelocityValue>>;
  /**
   * Makes the event of a decision still running count in every read from now on, as if it were stored, until the
   * returned release is called: when the event has been stored and counted, or its decision failed. Simultaneous
   * applications from one device then see each other as they would one after the other, rather than each reading
   * before the others commit (the burst a bot or a fraud ring sends). Definitions reading a field of `unknownFields`
   * (the outcome, not known yet) do not count the event until it is stored. Present on the embedded store, whose
   * reads are all in this process; several instances behind a load balancer (Redis) do not see each other's.
   */
  reserve?(event: VelocityEvent, unknownFields: readonly string[]): () => void;
  /** Present when the store persists its events in the service's own database (the embedded store). */
  readonly inTransaction?: VelocityInTransaction;
  close(): Promise<void>;
}

/**
 * Writing events in someone else's transaction: a decided application's event goes into the transaction that records
 * the decision, so it is exactly as durable as the decision and costs no commit (no fsync) of its own.
 */
export interface VelocityInTransaction {
  /**
   * Writes the events' rows in `trx` (a transaction on the store's database). Returns what to call once that
   * transaction committed: it counts the events that were new.
   */
  write(trx: Kysely<any>, events: readonly VelocityEvent[]): Promise<() => void>;
}

/** Default tolerance for late events: answers are exact for reads no older than this behind the newest event. */
export const DEFAULT_MAX_LATENESS_MS = 3_600_000;

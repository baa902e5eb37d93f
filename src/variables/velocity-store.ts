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
   * `read`, and in the same atomic step the event reserved: until the returned release is called (or the event is
   * ingested) every read counts it as if it were stored. A decision reserves its application this way, so
   * simultaneous applications from one device see each other as they would one after the other, rather than each
   * reading before the others committed (the burst a bot or a fraud ring sends). Definitions reading a field of
   * `unknownFields` (the outcome, not known yet) count the event only once it is stored. The embedded store reserves
   * in this process; Redis in a reserved set beside each sorted set, so instances see each other's running decisions.
   */
  readAndReserve?(event: VelocityEvent, names: readonly string[] | undefined, unknownFields: readonly string[]): Promise<{ values: Record<string, VelocityValue>; release: () => void }>;
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

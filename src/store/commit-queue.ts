// Group commit: concurrent writers hand their record to the queue and wait; the queue writes whatever has gathered in
// one transaction (after `delayMs`, or at once when `maxBatch` records wait, or when no more are on their way, or as
// soon as the previous commit ends) and resolves each writer only after that transaction committed. One fsync then
// covers many decisions.

export interface CommitQueueOptions<T, R> {
  /** Writes the batch in one transaction and returns one result per item, in order. */
  flush(items: T[]): Promise<R[]>;
  /** The longest a record waits for others to join its transaction. */
  delayMs: number;
  maxBatch: number;
  /**
   * Writers announce themselves (`announce()`) when they start the work that ends in a record. When no announced
   * writer is still on its way, waiting longer gathers nothing, so the batch goes at once: an idle service adds no
   * delay, a busy one fills its batches. Default (false): a batch always waits `delayMs`.
   */
  announced?: boolean;
  /** Transactions allowed at once (1 for a single-connection store; a few for a pool). */
  maxConcurrent: number;
  onBatch?(size: number, millis: number): void;
}

export interface CommitQueue<T, R> {
  push(item: T): Promise<R>;
  /** Resolves when everything pushed so far has been committed (or failed). */
  drain(): Promise<void>;
  /** A writer on its way (see `announced`): its record follows through the arrival's `push`, or it `withdraw`s. */
  announce(): Arrival<T, R>;
  /** Records pushed and not yet committed (waiting, or in a transaction being written). */
  readonly pending: number;
}

export interface Arrival<T, R> {
  push(item: T): Promise<R>;
  /** Nothing will come from this writer (it failed, or answered otherwise); a no-op after `push`. */
  withdraw(): void;
}

interface Waiting<T, R> {
  item: T;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export function createCommitQueue<T, R>(options: CommitQueueOptions<T, R>): CommitQueue<T, R> {
  let queue: Waiting<T, R>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let running = 0;
  let writing = 0;
  /** Announced writers that have neither pushed nor withdrawn. */
  let onTheirWay = 0;
  let idle: (() => void)[] = [];

  function schedule(): void {
    if (queue.length === 0 || running >= options.maxConcurrent) return;
    if (queue.length >= options.maxBatch) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      void flushOnce();
    } else if (options.announced && onTheirWay === 0) {
      // Nothing else is on its way that the writers know of; requests read in this same turn of the event loop may
      // still push, so the batch goes right after it (an idle service waits no time at all).
      immediate ??= setImmediate(() => {
        immediate = undefined;
        if (timer) clearTimeout(timer);
        timer = undefined;
        void flushOnce();
      });
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        void flushOnce();
      }, options.delayMs);
    }
  }

  async function flushOnce(): Promise<void> {
    if (queue.length === 0 || running >= options.maxConcurrent) return;
    const batch = queue.slice(0, options.maxBatch);
    queue = queue.slice(batch.length);
    running++;
    writing += batch.length;
    const started = performance.now();
    try {
      const results = await options.flush(batch.map((w) => w.item));
      options.onBatch?.(batch.length, performance.now() - started);
      batch.forEach((w, i) => w.resolve(results[i] as R));
    } catch (err) {
      batch.forEach((w) => w.reject(err));
    } finally {
      running--;
      writing -= batch.length;
    }
    // Whatever arrived while this batch was being written goes out now: the commit itself was the wait.
    if (queue.length > 0) void flushOnce();
    else if (running === 0) {
      const waiters = idle;
      idle = [];
      waiters.forEach((f) => f());
    }
    schedule();
  }

  function push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    });
  }

  return {
    push,
    announce() {
      onTheirWay++;
      let arrived = false;
      const arrive = () => {
        if (arrived) return false;
        arrived = true;
        onTheirWay--;
        return true;
      };
      return {
        push(item) {
          arrive();
          return push(item);
        },
        withdraw() {
          if (arrive()) schedule();
        },
      };
    },
    drain() {
      if (queue.length === 0 && running === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        if (timer) {
          clearTimeout(timer);
          timer = undefined;
        }
        void flushOnce();
      });
    },
    get pending() {
      return queue.length + writing;
    },
  };
}

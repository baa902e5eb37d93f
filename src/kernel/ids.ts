import { randomBytesPooled as randomBytes } from './random-pool.ts';

let lastMs = 0;
let counter = 0;

/**
 * Time-ordered ids (`<prefix>_` + 12 hex ms + 4 hex counter + 12 hex random): sorting by id sorts by creation time
 * within a process, which makes id-based cursors stable for paging.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    counter = (counter + 1) & 0xffff;
    if (counter === 0) lastMs += 1;
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    counter = 0;
  }
  return `${prefix}_${nowMs.toString(16).padStart(12, '0')}${counter.toString(16).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
}

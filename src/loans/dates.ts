// Servicing dates are whole days counted from 1970-01-01 (UTC), so the nightly batch can keep them in Int32Arrays
// and subtract them to get days past due. ISO strings appear only at the edges.
import { MingjianError } from '../kernel/errors.ts';

const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` into a day number; `field` names the input in the error. */
export function parseDay(iso: string, field = 'date'): number {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new MingjianError('VALIDATION', `${field} must be a date YYYY-MM-DD`, [{ path: field, message: `'${iso}' is not a date YYYY-MM-DD` }]);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new MingjianError('VALIDATION', `${field} is not a calendar date`, [{ path: field, message: `'${iso}' does not exist in the calendar` }]);
  }
  return t / MS_PER_DAY;
}

export function formatDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

/**
 * The day `months` calendar months after `day`, on the anchor day of the month (the disbursement's day),
 * clamped to the month's length: a loan disbursed on 31 January falls due on 28/29 February, then 31 March.
 */
export function addMonths(day: number, months: number, anchorDayOfMonth?: number): number {
  const d = new Date(day * MS_PER_DAY);
  const anchor = anchorDayOfMonth ?? d.getUTCDate();
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month0 = total - year * 12;
  return Date.UTC(year, month0, Math.min(anchor, daysInMonth(year, month0))) / MS_PER_DAY;
}

export function dayOfMonth(day: number): number {
  return new Date(day * MS_PER_DAY).getUTCDate();
}

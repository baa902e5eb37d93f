import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addMonths, formatDay, parseDay } from './dates.ts';
import { annuityPayment, generateSchedule, scheduleTotals } from './schedule.ts';

const d = parseDay;

describe('generateSchedule', () => {
  it('annuity: 1,000.00 over 3 months at 12% APR, worked by hand', () => {
    // r = 0.12 / 12 = 0.01. Payment = 100000 x 0.01 / (1 - 1.01^-3).
    // 1.01^3 = 1.030301; 1.01^-3 = 0.9705901479; 1 - that = 0.0294098521; 1000 / 0.0294098521 = 34002.21 -> 34002.
    // Line 1: interest 100000 x 0.01 = 1000;            principal 34002 - 1000 = 33002; balance 66998.
    // Line 2: interest 66998 x 0.01 = 669.98 -> 670;    principal 34002 - 670 = 33332;  balance 33666.
    // Line 3: interest 33666 x 0.01 = 336.66 -> 337;    principal = the rest 33666;     instalment 34003.
    // Principal 33002 + 33332 + 33666 = 100000 exactly; interest 1000 + 670 + 337 = 2007.
    const lines = generateSchedule({ principal: 100_000, termMonths: 3, apr: 0.12, method: 'annuity', startDay: d('2026-01-15') });
    expect(annuityPayment(100_000, 0.01, 3)).toBe(34_002);
    expect(lines.map((l) => [l.principal, l.interest, l.fee])).toEqual([[33_002, 1_000, 0], [33_332, 670, 0], [33_666, 337, 0]]);
    expect(lines.map((l) => formatDay(l.due))).toEqual(['2026-02-15', '2026-03-15', '2026-04-15']);
    expect(lines.map((l) => formatDay(l.start))).toEqual(['2026-01-15', '2026-02-15', '2026-03-15']);
    expect(scheduleTotals(lines)).toEqual({ principal: 100_000, interest: 2_007, fee: 0, total: 102_007 });
  });

  it('equal principal: 1,000.00 over 3 months at 12% APR with a 5.00 monthly fee, worked by hand', () => {
    // Principal 100000 / 3 = 33333 each, the last takes the remainder: 33333, 33333, 33334.
    // Interest: 100000 x 0.01 = 1000; 66667 x 0.01 = 666.67 -> 667; 33334 x 0.01 = 333.34 -> 333.
    // Instalments: 33333 + 1000 + 500 = 34833; 33333 + 667 + 500 = 34500; 33334 + 333 + 500 = 34167.
    const lines = generateSchedule({ principal: 100_000, termMonths: 3, apr: 0.12, method: 'equal-principal', startDay: d('2026-01-15'), monthlyFee: 500 });
    expect(lines.map((l) => [l.principal, l.interest, l.fee])).toEqual([[33_333, 1_000, 500], [33_333, 667, 500], [33_334, 333, 500]]);
    expect(lines.map((l) => l.principal + l.interest + l.fee)).toEqual([34_833, 34_500, 34_167]);
  });

  it('annuity: 12,000.00 over 12 months at 24% APR, first two lines by hand', () => {
    // r = 0.02. 1.02^12 = 1.268241795; 1.02^-12 = 0.788493; 1 - that = 0.211507;
    // 1200000 x 0.02 / 0.211507 = 24000 / 0.2115069706 = 113471.52 -> 113472.
    // Line 1: interest 24000; principal 89472; balance 1110528.
    // Line 2: interest 1110528 x 0.02 = 22210.56 -> 22211; principal 113472 - 22211 = 91261; balance 1019267.
    const lines = generateSchedule({ principal: 1_200_000, termMonths: 12, apr: 0.24, method: 'annuity', startDay: d('2026-03-01') });
    expect(lines[0]).toMatchObject({ principal: 89_472, interest: 24_000 });
    expect(lines[1]).toMatchObject({ principal: 91_261, interest: 22_211 });
    expect(lines.slice(0, 11).every((l) => l.principal + l.interest === 113_472)).toBe(true);
    expect(scheduleTotals(lines).principal).toBe(1_200_000);
  });

  it('zero APR splits the principal evenly, the last instalment taking the remainder', () => {
    const lines = generateSchedule({ principal: 1_000, termMonths: 3, apr: 0, method: 'annuity', startDay: d('2026-01-01') });
    // ceil(1000 / 3) = 334, 334, then the rest 332.
    expect(lines.map((l) => l.principal)).toEqual([334, 334, 332]);
    expect(lines.every((l) => l.interest === 0)).toBe(true);
  });

  it('charges a first period fraction on the first line only', () => {
    // 100000 x 0.01 x 0.5 = 500; then 66... full months.
    const lines = generateSchedule({ principal: 100_000, termMonths: 2, apr: 0.12, method: 'equal-principal', startDay: d('2026-01-15'), firstPeriodFraction: 0.5 });
    expect(lines.map((l) => l.interest)).toEqual([500, 500]);
  });

  it('due days keep the disbursement day of the month, clamped to short months', () => {
    const lines = generateSchedule({ principal: 400, termMonths: 4, apr: 0.1, method: 'annuity', startDay: d('2026-01-31') });
    expect(lines.map((l) => formatDay(l.due))).toEqual(['2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31']);
    expect(formatDay(addMonths(d('2028-01-31'), 1))).toBe('2028-02-29');
  });

  it('rejects bad input naming the field', () => {
    expect(() => generateSchedule({ principal: 10.5, termMonths: 0, apr: -1, method: 'annuity', startDay: 0 })).toThrowError(
      expect.objectContaining({ code: 'VALIDATION', details: expect.arrayContaining([expect.objectContaining({ path: 'principal' }), expect.objectContaining({ path: 'termMonths' }), expect.objectContaining({ path: 'apr' })]) }),
    );
    expect(() => parseDay('2026-02-30')).toThrowError(expect.objectContaining({ code: 'VALIDATION' }));
  });

  it('principal always sums exactly and no line is negative (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000_000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.constantFrom('annuity' as const, 'equal-principal' as const),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (principal, n, apr, method, fraction) => {
          const lines = generateSchedule({ principal, termMonths: n, apr, method, startDay: d('2026-05-20'), firstPeriodFraction: fraction });
          expect(lines).toHaveLength(n);
          expect(scheduleTotals(lines).principal).toBe(principal);
          for (const l of lines) {
            expect(Number.isSafeInteger(l.principal) && l.principal >= 0).toBe(true);
            expect(Number.isSafeInteger(l.interest) && l.interest >= 0).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

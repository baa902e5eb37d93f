// Demo data for routing: 71 funding partners shaped like a Chinese facilitation platform's panel (national
// joint-stock banks, consumer finance companies, city and rural commercial banks limited to their home provinces,
// trusts and microloan companies) and batches of booked loans. Deterministic for a given seed.
import { seededRandom } from '../kernel/seeded-random.ts';
import { accepts, type Funder, type Rating, type RoutingLoan } from './model.ts';

export { seededRandom };

// Province codes with population in millions (weights for where borrowers live).
const PROVINCES: [string, string, number][] = [
  ['GD', 'Guangdong', 126], ['SD', 'Shandong', 102], ['HA', 'Henan', 99], ['JS', 'Jiangsu', 85], ['SC', 'Sichuan', 84],
  ['HE', 'Hebei', 75], ['HN', 'Hunan', 66], ['ZJ', 'Zhejiang', 65], ['AH', 'Anhui', 61], ['HB', 'Hubei', 58],
  ['GX', 'Guangxi', 50], ['YN', 'Yunnan', 47], ['JX', 'Jiangxi', 45], ['LN', 'Liaoning', 43], ['FJ', 'Fujian', 42],
  ['SN', 'Shaanxi', 40], ['GZ', 'Guizhou', 39], ['SX', 'Shanxi', 35], ['CQ', 'Chongqing', 32], ['HL', 'Heilongjiang', 31],
  ['XJ', 'Xinjiang', 26], ['SH', 'Shanghai', 25], ['GS', 'Gansu', 25], ['NM', 'Inner Mongolia', 24], ['JL', 'Jilin', 24],
  ['BJ', 'Beijing', 22], ['TJ', 'Tianjin', 14], ['HI', 'Hainan', 10], ['NX', 'Ningxia', 7], ['QH', 'Qinghai', 6], ['XZ', 'Tibet', 4],
];
export const DEMO_REGIONS = PROVINCES.map((p) => p[0]);
export const DEMO_PRODUCTS = ['cash', 'consumer', 'sme'] as const;

const RATING_WEIGHTS: [Rating, number, number, number][] = [
  // rating, share of loans, APR range
  ['A', 0.15, 0.072, 0.1], ['B', 0.25, 0.1, 0.14], ['C', 0.3, 0.14, 0.18], ['D', 0.2, 0.18, 0.21], ['E', 0.1, 0.21, 0.24],
];

function pickWeighted<T>(rnd: () => number, items: readonly T[], weight: (t: T) => number): T {
  let total = 0;
  for (const it of items) total += weight(it);
  let x = rnd() * total;
  for (const it of items) {
    x -= weight(it);
    if (x < 0) return it;
  }
  return items[items.length - 1]!;
}

function normal(rnd: () => number): number {
  const u = Math.max(rnd(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

/** A batch of booked loans in arrival order. */
export function demoLoans(opts: { seed: number; count: number; idPrefix?: string }): RoutingLoan[] {
  const rnd = seededRandom(opts.seed);
  const loans: RoutingLoan[] = [];
  const prefix = opts.idPrefix ?? 'L';
  for (let i = 0; i < opts.count; i++) {
    const product = pickWeighted(rnd, ['cash', 'consumer', 'sme'] as const, (p) => (p === 'cash' ? 55 : p === 'consumer' ? 35 : 10));
    const [rating, , lo, hi] = pickWeighted(rnd, RATING_WEIGHTS, (r) => r[1]);
    const median = product === 'sme' ? 30000 : product === 'cash' ? 3000 : 2000; // yuan
    const sigma = product === 'sme' ? 0.7 : 0.8;
    const yuan = Math.min(200000, Math.max(500, Math.round((median * Math.exp(sigma * normal(rnd))) / 100) * 100));
    const terms = product === 'sme' ? [6, 12, 24, 36] : product === 'cash' ? [3, 6, 12, 12, 24] : [3, 6, 9, 12, 18, 24];
    const termMonths = terms[Math.floor(rnd() * terms.length)]!;
    const apr = Math.round((lo + (hi - lo) * rnd()) * 10000) / 10000;
    const region = pickWeighted(rnd, PROVINCES, (p) => p[2])[0];
    loans.push({ loanId: `${prefix}${String(i + 1).padStart(7, '0')}`, amount: yuan * 100, rating, termMonths, apr, region, product });
  }
  return loans;
}

/** Mean amount of demo loans in minor units, estimated once from a large sample (used to size quotas). */
function demoMeanAmount(sample: RoutingLoan[]): number {
  let s = 0;
  for (const l of sample) s += l.amount;
  return s / sample.length;
}

interface FunderTemplate {
  kind: string;
  count: number;
  capacityShare: number;
  regions: (rnd: () => number, k: number) => string[];
  products: (rnd: () => number) => string[];
  terms: number[][];
  minRatings: Rating[];
  share: [number, number];
  cost: [number, number];
  floorShare: [number, number];
}

const ANY = () => ['*'];

const TEMPLATES: FunderTemplate[] = [
  { kind: 'National Joint-stock Bank', count: 10, capacityShare: 0.33, regions: ANY, products: (r) => (r() < 0.5 ? ['*'] : ['cash', 'consumer']),
    terms: [[3, 6, 9, 12, 18, 24, 36], [3, 6, 12, 24], [6, 12, 24, 36]], minRatings: ['B', 'C', 'C'], share: [0, 0.05], cost: [0.03, 0.045], floorShare: [0.3, 0.6] },
  { kind: 'Consumer Finance Co.', count: 6, capacityShare: 0.2, regions: ANY, products: () => ['cash', 'consumer'],
    terms: [[3, 6, 9, 12, 18, 24, 36], [3, 6, 12, 24]], minRatings: ['D', 'E'], share: [0.25, 0.4], cost: [0.055, 0.075], floorShare: [0.2, 0.5] },
  { kind: 'City Commercial Bank', count: 28, capacityShare: 0.2, regions: (r, k) => cityRegions(r, k), products: (r) => (r() < 0.3 ? ['*'] : r() < 0.6 ? ['cash', 'consumer'] : ['consumer', 'sme']),
    terms: [[3, 6, 12, 24], [6, 12, 24, 36], [3, 6, 9, 12]], minRatings: ['C', 'D'], share: [0.05, 0.15], cost: [0.04, 0.06], floorShare: [0, 0.3] },
  { kind: 'Rural Commercial Bank', count: 17, capacityShare: 0.08, regions: (_r, k) => [PROVINCES[k % PROVINCES.length]![0]], products: () => ['*'],
    terms: [[3, 6, 12], [6, 12, 24]], minRatings: ['C', 'D'], share: [0.1, 0.2], cost: [0.05, 0.07], floorShare: [0, 0.2] },
  { kind: 'Trust Co.', count: 5, capacityShare: 0.1, regions: ANY, products: ANY,
    terms: [[6, 12, 24, 36]], minRatings: ['E'], share: [0.4, 0.5], cost: [0.08, 0.1], floorShare: [0, 0.3] },
  { kind: 'Microloan Co.', count: 5, capacityShare: 0.07, regions: ANY, products: () => ['cash'],
    terms: [[3, 6, 12]], minRatings: ['E'], share: [0.5, 0.6], cost: [0.09, 0.11], floorShare: [0, 0.3] },
];

function cityRegions(rnd: () => number, k: number): string[] {
  // Regional banks lend in their home province, some also in one or two neighbours they are licensed for.
  const home = PROVINCES[k % 20]![0];
  const extra = Math.floor(rnd() * 3);
  const set = new Set([home]);
  for (let e = 0; e < extra; e++) set.add(PROVINCES[Math.floor(rnd() * PROVINCES.length)]![0]);
  return [...set];
}

function homeName(regions: string[]): string {
  return PROVINCES.find((p) => p[0] === regions[0])?.[1] ?? '';
}

/**
 * The 71 demo funders, with daily quotas sized for a batch of `batchLoans` demo loans: total ceilings about
 * `capacityRatio` of the batch volume (so routing must choose), floors set well inside what each funder can be
 * offered so the demo is feasible.
 */
export function demoFunders(opts: { seed: number; batchLoans: number; capacityRatio?: number }): Funder[] {
  const rnd = seededRandom(opts.seed ^ 0x5f3759df);
  const sample = demoLoans({ seed: 7919, count: 20000 });
  const volume = demoMeanAmount(sample) * opts.batchLoans;
  const ratio = opts.capacityRatio ?? 0.8;
  const funders: Funder[] = [];
  let id = 1;
  for (const t of TEMPLATES) {
    const weights = Array.from({ length: t.count }, () => 0.5 + rnd());
    const wsum = weights.reduce((a, b) => a + b, 0);
    for (let k = 0; k < t.count; k++) {
      const regions = t.regions(rnd, k);
      const f: Funder = {
        funderId: `F${String(id++).padStart(2, '0')}`,
        name: regions[0] === '*' ? `${t.kind} ${k + 1}` : `${homeName(regions)} ${t.kind}${t.kind.startsWith('Rural') ? '' : ` ${k + 1}`}`,
        dailyCeiling: 0,
        dailyFloor: 0,
        terms: t.terms[k % t.terms.length]!,
        minRating: t.minRatings[k % t.minRatings.length]!,
        maxHighRiskShare: round(t.share[0] + (t.share[1] - t.share[0]) * rnd(), 3),
        regions,
        products: t.products(rnd),
        costOfFunds: round(t.cost[0] + (t.cost[1] - t.cost[0]) * rnd(), 4),
      };
      // Cap each funder at what the market can offer it, so regional quotas stay in proportion to regional demand.
      let eligibleShare = 0;
      let total = 0;
      for (const l of sample) {
        total += l.amount;
        if (accepts(f, l)) eligibleShare += l.amount;
      }
      eligibleShare /= total;
      const wanted = volume * ratio * t.capacityShare * (weights[k]! / wsum);
      const ceiling = Math.min(wanted, volume * eligibleShare * 0.6);
      f.dailyCeiling = roundQuota(ceiling);
      const floorShare = t.floorShare[0] + (t.floorShare[1] - t.floorShare[0]) * rnd();
      f.dailyFloor = roundQuota(Math.min(ceiling * floorShare, volume * eligibleShare * 0.1));
      funders.push(f);
    }
  }
  return funders;
}

function round(x: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

/** Quotas are set in whole hundreds of yuan (10,000 minor units). */
function roundQuota(x: number): number {
  return Math.max(0, Math.floor(x / 10000) * 10000);
}

// A deterministic demo portfolio of consumer-loan applications (examples/flows/consumer-loan.yaml) over a recent
// period: honest applicants (some re-applying within the hour, some sharing office networks) and one planted fraud
// ring of 8 people rotating two devices, one collection card and each other's phones as emergency contacts.
// Pure: the same seed and end time give the same applications. All identities are synthetic (valid check digits).
import { seededRandom } from '../kernel/seeded-random.ts';

export interface DemoApplication {
  /** Epoch milliseconds the application arrives (ascending). */
  at: number;
  application: Record<string, unknown>;
  /** Part of the planted ring (ground truth for the demo, never sent to the flow). */
  ring: boolean;
}

export interface DemoOptions {
  seed?: number;
  /** Honest applications (re-applications included). */
  honest?: number;
  days?: number;
}

const REGIONS: [string, string][] = [
  ['110101', 'BJ'], ['310104', 'SH'], ['440305', 'GD'], ['330106', 'ZJ'], ['320102', 'JS'], ['370102', 'SD'], ['510104', 'SC'],
  ['420102', 'HB'], ['430102', 'HN'], ['350102', 'FJ'], ['340102', 'AH'], ['500103', 'CQ'], ['120101', 'TJ'], ['610102', 'SN'],
];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '艳', '勇', '军', '杰', '娟', '涛', '明', '超', '霞', '平', '刚'];
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** The ISO 7064 MOD 11-2 check character of a PRC resident ID number's first 17 digits. */
export function idNumberCheckDigit(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * weights[i]!;
  return '10X98765432'[sum % 11]!;
}

export function demoPortfolio(endMs: number, options: DemoOptions = {}): DemoApplication[] {
  const rnd = seededRandom(options.seed ?? 20261128);
  const honest = options.honest ?? 320;
  const days = options.days ?? 14;
  const start = endMs - days * DAY_MS;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join('');
  const hex = (n: number) => Array.from({ length: n }, () => int(0, 15).toString(16)).join('');
  const officeIps = Array.from({ length: 12 }, () => `${int(58, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`);
  let serial = 0;

  function person(atMs: number) {
    const [region, province] = rnd() < 0.93 ? pick(REGIONS) : ['150102', 'NM'];
    const birth = new Date(atMs - int(21, 58) * 365.25 * DAY_MS - int(0, 364) * DAY_MS);
    const ymd = birth.toISOString().slice(0, 10);
    const first17 = region + ymd.replaceAll('-', '') + digits(3);
    const income = int(25, 300) * 10_000;
    const employment = rnd() < 0.9 ? pick(['employed', 'employed', 'employed', 'self_employed']) : pick(['student', 'retired', 'unemployed']);
    return {
      applicantId: `C-D${String(++serial).padStart(5, '0')}`,
      fullName: pick(SURNAMES) + pick(GIVEN) + (rnd() < 0.5 ? pick(GIVEN) : ''),
      idNumber: first17 + idNumberCheckDigit(first17),
      phone: `1${int(3, 9)}${digits(9)}`,
      birthDate: ymd,
      deviceId: `dev-${hex(10)}`,
      ip: rnd() < 0.3 ? pick(officeIps) : `${int(58, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
      province,
      bankCard: `6222${digits(12)}`,
      contactPhones: [`1${int(3, 9)}${digits(9)}`],
      monthlyIncome: income,
      monthlyDebtPayments: Math.round(income * rnd() * rnd() * 0.5),
      employmentStatus: employment,
      employmentMonths: int(0, 180),
      residencyMonths: int(1, 240),
      existingCustomer: rnd() < 0.25,
      previousLoansRepaid: rnd() < 0.25 ? int(1, 5) : 0,
    };
  }

  function application(p: ReturnType<typeof person>, n: number) {
    return {
      applicationId: `CL-D${String(n).padStart(5, '0')}`,
      ...p,
      // Mostly one to three months' income, the odd stretch.
      requestedAmount: Math.min(5_000_000, Math.max(100_000, Math.round((p.monthlyIncome * (0.5 + rnd() * (rnd() < 0.85 ? 2.5 : 8))) / 10_000) * 10_000)),
      requestedTermMonths: pick([6, 12, 12, 12, 18, 24, 24]),
      idVerified: rnd() > 0.02,
      livenessScore: Math.round((rnd() < 0.06 ? 0.45 + rnd() * 0.3 : 0.8 + rnd() * 0.2) * 100) / 100,
      phoneNameMatch: rnd() > 0.05,
      bankCardVerified: rnd() > 0.02,
    };
  }

  const out: DemoApplication[] = [];
  let n = 0;
  for (let i = 0; i < honest; ) {
    const at = start + Math.floor(rnd() * (days * DAY_MS - 2 * 60 * MINUTE_MS));
    const p = person(at);
    out.push({ at, application: application(p, ++n), ring: false });
    i++;
    // Some people try again within the hour (a smaller amount, the same phone and device); a few twice more.
    if (rnd() < 0.08 && i < honest) {
      const tries = rnd() < 0.25 ? 2 : 1;
      for (let t = 1; t <= tries && i < honest; t++, i++) out.push({ at: at + t * int(5, 25) * MINUTE_MS, application: application(p, ++n), ring: false });
    }
  }

  // The ring: 8 synthetic people within one evening, two phones' worth of devices passed around, one card.
  const ringStart = start + (days - 3) * DAY_MS + 19 * 60 * MINUTE_MS;
  const devices = [`dev-${hex(10)}`, `dev-${hex(10)}`];
  const card = `6217${digits(12)}`;
  const ip = `${int(58, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const members = Array.from({ length: 8 }, () => person(ringStart));
  members.forEach((m, k) => {
    const a = application({ ...m, deviceId: devices[k % 2]!, bankCard: card, ip, contactPhones: [members[(k + 7) % 8]!.phone] }, ++n);
    out.push({ at: ringStart + k * 35 * MINUTE_MS, application: a, ring: true });
  });
  return out.sort((a, b) => a.at - b.at || String(a.application.applicationId).localeCompare(String(b.application.applicationId)));
}

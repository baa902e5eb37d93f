// Synthetic application population for testing and benchmarking fraud detection, deterministic from a seed.
//
// Honest applicants mostly have identifiers of their own, and share some the way real people do: households share
// an address and list each other as emergency contacts (sometimes a home IP or a tablet), colleagues apply from the
// office IP and name the same employer, mobile users sit behind carrier-grade NAT IPs shared by thousands, people
// re-apply with the same identity, second-hand phones carry a device id to a stranger, and two applicants sometimes
// name the same contact. Planted rings (5 to 50 applications) show what organised fraud shows: a few devices rotated
// among members, one to three collection bank cards, emergency contacts pointing at other members, phones bought
// in sequential blocks, one or two operating IPs, often a fake employer or address, all within days.
import type { ApplicationRecord } from './application-record.ts';

export interface PopulationOptions {
  n: number;
  seed?: number;
  /** Share of applications that belong to planted rings. Default 0.01. */
  ringShare?: number;
  /** First application time (ms). Default 2025-01-01T00:00:00Z. */
  startMs?: number;
  /** Days the population spans. Default 365. */
  days?: number;
}

export interface PlantedRing {
  id: string;
  members: string[];
}

export interface Population {
  truth: { seed: number; n: number; rings: PlantedRing[] };
  records(): Generator<ApplicationRecord>;
}

/** sfc32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed, b = 0x243f6a88 + seed, c = 0xb7e15162 ^ (seed << 7), d = 1;
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

const DAY_MS = 86_400_000;
const SLOT_HONEST = 0, SLOT_RING = 1, SLOT_HOUSEHOLD = 2;
const CITIES = ['Beijing', 'Shanghai', 'Guangzhou', 'Shenzhen', 'Chengdu', 'Hangzhou', 'Wuhan', 'Xian', 'Nanjing', 'Chongqing', 'Tianjin', 'Suzhou'];
const STREETS = ['Jianguo', 'Zhongshan', 'Renmin', 'Jiefang', 'Heping', 'Xinhua', 'Changan', 'Nanjing', 'Huaihai', 'Yanan', 'Beijing', 'Dongfeng'];
const DOMAINS = ['qq.com', '163.com', '126.com', 'gmail.com', 'sina.com', 'outlook.com', 'foxmail.com'];
const SURNAMES = ['wang', 'li', 'zhang', 'liu', 'chen', 'yang', 'huang', 'zhao', 'wu', 'zhou', 'xu', 'sun', 'ma', 'zhu', 'hu', 'guo'];

interface Person {
  phone: string;
  deviceId: string;
  idNumber: string;
  bankCard: string;
  email: string | null;
  address: string;
  employer: number;
  homeIp: string;
}

export function generatePopulation(opts: PopulationOptions): Population {
  const n = opts.n;
  const seed = opts.seed ?? 42;
  const ringShare = opts.ringShare ?? 0.01;
  const startMs = opts.startMs ?? Date.UTC(2025, 0, 1);
  const days = opts.days ?? 365;
  const plan = rng(seed);
  const slotMs = (days * DAY_MS) / n;
  const pad = String(n).length;
  const appId = (slot: number): string => 'APP' + String(slot).padStart(pad, '0');

  // Plan which slots (applications, in time order) belong to rings and households.
  const slotKind = new Uint8Array(n);
  const slotGroup = new Int32Array(n).fill(-1);
  const slotMember = new Int16Array(n);
  const rings: { members: number[]; devices: number; cards: number; ips: number; fakeAddress: boolean; fakeEmployer: boolean; contactRate: number }[] = [];
  let ringApps = 0;
  const target = Math.round(n * ringShare);
  const findFree = (s: number): number => {
    for (let k = 0; k < n; k++) { const t = (s + k) % n; if (slotKind[t] === SLOT_HONEST && slotGroup[t] === -1) return t; }
    return -1;
  };
  while (ringApps < target && n >= 50) {
    const size = Math.min(50, 5 + Math.floor(46 * plan() ** 2));
    const windowSlots = Math.max(size, Math.round(((1 + plan() * 13) * DAY_MS) / slotMs));
    const start = Math.floor(plan() * Math.max(1, n - windowSlots));
    const members: number[] = [];
    for (let i = 0; i < size; i++) {
      const s = findFree(start + Math.floor(plan() * windowSlots));
      if (s < 0) break;
      slotKind[s] = SLOT_RING; slotGroup[s] = rings.length; slotMember[s] = i;
      members.push(s);
    }
    members.sort((a, b) => a - b);
    rings.push({
      members,
      devices: Math.max(1, Math.round(size / (3 + plan() * 5))),
      cards: 1 + Math.floor(plan() * 3),
      ips: 1 + Math.floor(plan() * 2),
      fakeAddress: plan() < 0.4,
      fakeEmployer: plan() < 0.5,
      contactRate: 0.5 + plan() * 0.4,
    });
    ringApps += members.length;
  }
  // Households: ~8% of applications, 2-4 applicants spread over the year.
  const households: number[][] = [];
  let householdApps = 0;
  while (householdApps < n * 0.08 && n >= 20) {
    const size = 2 + Math.floor(plan() * 3);
    const members: number[] = [];
    for (let i = 0; i < size; i++) {
      const s = findFree(Math.floor(plan() * n));
      if (s < 0) break;
      slotKind[s] = SLOT_HOUSEHOLD; slotGroup[s] = households.length; slotMember[s] = i;
      members.push(s);
    }
    households.push(members);
    householdApps += members.length;
  }

  const truth = { seed, n, rings: rings.map((r, i) => ({ id: `planted-${i}`, members: r.members.map(appId) })) };

  function* records(): Generator<ApplicationRecord> {
    const r = rng(seed ^ 0x5bd1e995);
    const digits = (k: number): string => { let s = ''; for (let i = 0; i < k; i++) s += Math.floor(r() * 10); return s; };
    const hex = (k: number): string => { let s = ''; for (let i = 0; i < k; i++) s += Math.floor(r() * 16).toString(16); return s; };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const phone = (): string => '1' + pick(['3', '5', '7', '8', '9']) + digits(9);
    const idNumber = (): string => {
      const body = pick(['110105', '310104', '440106', '440305', '510107', '330106', '420102', '610113']) +
        String(1960 + Math.floor(r() * 45)) + String(1 + Math.floor(r() * 12)).padStart(2, '0') + String(1 + Math.floor(r() * 28)).padStart(2, '0') + digits(3);
      // ISO 7064 MOD 11-2 check character, as on a real resident ID.
      const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
      let sum = 0;
      for (let i = 0; i < 17; i++) sum += Number(body[i]) * w[i]!;
      return body + '10X98765432'[sum % 11]!;
    };
    const card = (): string => '62' + pick(['2202', '2848', '2700', '1700', '2588']) + digits(10 + Math.floor(r() * 3));
    const address = (): string => `${1 + Math.floor(r() * 999)} ${pick(STREETS)} Road, Unit ${1 + Math.floor(r() * 30)}-${100 + Math.floor(r() * 2900)}, ${pick(CITIES)}`;
    const email = (): string | null => (r() < 0.3 ? null : `${pick(SURNAMES)}${pick(SURNAMES)}${digits(4)}@${pick(DOMAINS)}`);
    const ip = (): string => `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
    // Employers by a Zipf-like law: a few large ones and a long tail; each has an office IP.
    const employerCount = Math.max(10, Math.floor(n / 20));
    const employer = (): number => Math.min(employerCount - 1, Math.floor(employerCount ** r()) - 1);
    const employerName = (k: number): string => `Employer ${k} Co Ltd`;
    const officeIp = (k: number): string => `${100 + (k % 20)}.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
    const natCount = Math.max(5, Math.floor(n / 4000));
    const natIp = (): string => { const k = Math.floor(r() * natCount); return `117.${136 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`; };
    const newPerson = (): Person => ({ phone: phone(), deviceId: hex(32), idNumber: idNumber(), bankCard: card(), email: email(), address: address(), employer: employer(), homeIp: ip() });

    const recent: Person[] = [];
    const households_: (Person[] | undefined)[] = [];
    const ringState: ({ devices: string[]; cards: string[]; ips: string[]; phones: string[]; address: string; employer: string; emailDomain: string } | undefined)[] = [];

    for (let slot = 0; slot < n; slot++) {
      const appliedAt = new Date(startMs + Math.floor(slot * slotMs + r() * slotMs)).toISOString();
      const kind = slotKind[slot];
      let rec: ApplicationRecord;
      if (kind === SLOT_RING) {
        const g = slotGroup[slot]!, ring = rings[g]!;
        let st = ringState[g];
        if (!st) {
          const base = Number('1' + pick(['7', '8']) + digits(9)) - ring.members.length;
          st = ringState[g] = {
            devices: Array.from({ length: ring.devices }, () => hex(32)),
            cards: Array.from({ length: ring.cards }, card),
            ips: Array.from({ length: ring.ips }, ip),
            phones: ring.members.map((_, i) => String(base + i)),
            address: address(),
            employer: `${pick(STREETS)} Trading Co Ltd`,
            emailDomain: pick(DOMAINS),
          };
        }
        const i = slotMember[slot]!;
        const useDevice = r() < 0.85, useCard = r() < 0.6;
        const contacts: string[] = [];
        if (r() < ring.contactRate) contacts.push(st.phones[Math.floor(r() * st.phones.length)]!);
        if (r() < 0.1) contacts.push(recent.length ? recent[Math.floor(r() * recent.length)]!.phone : phone()); // a real relative
        while (contacts.length < 2) contacts.push(phone());
        rec = {
          applicationId: appId(slot),
          phone: st.phones[i]!,
          // Every member touches the ring's devices or cards: that is how the operation runs.
          deviceId: useDevice || !useCard ? st.devices[Math.floor(r() * st.devices.length)]! : hex(32),
          ip: r() < 0.6 ? st.ips[Math.floor(r() * st.ips.length)]! : natIp(),
          idNumber: idNumber(),
          bankCard: useCard ? st.cards[Math.floor(r() * st.cards.length)]! : card(),
          email: `${pick(SURNAMES)}${digits(6)}@${st.emailDomain}`,
          address: ring.fakeAddress && r() < 0.5 ? st.address : address(),
          employer: ring.fakeEmployer && r() < 0.8 ? st.employer : employerName(employer()),
          contactPhones: contacts,
          appliedAt,
        };
      } else {
        let p: Person;
        const contacts: string[] = [];
        let ipAddr: string;
        if (kind === SLOT_HOUSEHOLD) {
          const g = slotGroup[slot]!;
          let hh = households_[g];
          if (!hh) {
            const first = newPerson();
            const sharedTablet = r() < 0.05;
            const sharedIp = r() < 0.2;
            hh = households_[g] = households[g]!.map((_, i) => {
              if (i === 0) return first;
              const q = newPerson();
              q.address = first.address;
              if (sharedTablet) q.deviceId = first.deviceId;
              if (sharedIp) q.homeIp = first.homeIp;
              return q;
            });
          }
          p = hh[slotMember[slot]!]!;
          for (const q of hh) if (q !== p && contacts.length < 2) contacts.push(q.phone);
          ipAddr = r() < 0.5 ? p.homeIp : natIp();
        } else if (recent.length > 100 && r() < 0.03) {
          p = recent[Math.floor(r() * recent.length)]!; // the same person applies again
          ipAddr = r() < 0.5 ? p.homeIp : natIp();
        } else {
          p = newPerson();
          if (r() < 0.005 && recent.length > 0) p.deviceId = recent[Math.floor(r() * recent.length)]!.deviceId; // second-hand phone
          const u = r();
          ipAddr = u < 0.35 ? natIp() : u < 0.5 ? officeIp(p.employer) : p.homeIp;
        }
        if (contacts.length === 0 && r() < 0.02 && recent.length > 0) contacts.push(recent[Math.floor(r() * recent.length)]!.phone);
        const nContacts = 1 + Math.floor(r() * 3);
        while (contacts.length < nContacts) contacts.push(phone());
        rec = {
          applicationId: appId(slot),
          phone: p.phone,
          deviceId: p.deviceId,
          ip: ipAddr,
          idNumber: p.idNumber,
          bankCard: p.bankCard,
          email: p.email,
          address: p.address,
          employer: r() < 0.1 ? null : employerName(p.employer),
          contactPhones: contacts,
          appliedAt,
        };
        if (recent.length < 5000) recent.push(p); else recent[Math.floor(r() * 5000)] = p;
      }
      yield rec;
    }
  }

  return { truth, records };
}

/** Member-level recall and precision of detected rings against planted ones. */
export function scoreDetection(planted: readonly PlantedRing[], detectedMembers: Iterable<string>): { recall: number; precision: number; plantedMembers: number; detectedMembers: number; truePositives: number } {
  const plantedSet = new Set<string>();
  for (const r of planted) for (const m of r.members) plantedSet.add(m);
  const detected = new Set(detectedMembers);
  let tp = 0;
  for (const m of detected) if (plantedSet.has(m)) tp++;
  return {
    recall: plantedSet.size ? tp / plantedSet.size : 1,
    precision: detected.size ? tp / detected.size : 1,
    plantedMembers: plantedSet.size,
    detectedMembers: detected.size,
    truePositives: tp,
  };
}

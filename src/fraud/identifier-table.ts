// Interning of hashed identifiers: 64-bit keyed hash -> dense int id, in an open-addressing table over typed arrays.
// A JS Map with string keys costs ~100 bytes per entry; at ~8 million identifiers per million applications this
// table needs ~20 bytes per entry and no per-entry objects for the garbage collector to trace.

export class IdentifierTable {
  /** Slot -> id + 1 (0 = empty). Capacity is a power of two kept at least twice the count. */
  private slots: Int32Array;
  private mask: number;
  hi: Int32Array;
  lo: Int32Array;
  kind: Uint8Array;
  count = 0;

  constructor(expected = 1024) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    const n = Math.max(512, expected);
    this.hi = new Int32Array(n);
    this.lo = new Int32Array(n);
    this.kind = new Uint8Array(n);
  }

  private slotOf(hi: number, lo: number): number {
    // The key is already a cryptographic hash: its low bits are uniformly distributed.
    let s = lo & this.mask;
    const slots = this.slots;
    while (true) {
      const v = slots[s]!;
      if (v === 0) return s;
      const id = v - 1;
      if (this.lo[id] === lo && this.hi[id] === hi) return s;
      s = (s + 1) & this.mask;
    }
  }

  /** Id of the identifier, or -1 when it was never seen. */
  find(hi: number, lo: number): number {
    return this.slots[this.slotOf(hi, lo)]! - 1;
  }

  /** Id of the identifier, adding it when new. */
  intern(hi: number, lo: number, kind: number): number {
    let s = this.slotOf(hi, lo);
    const v = this.slots[s]!;
    if (v !== 0) return v - 1;
    const id = this.count++;
    if (id >= this.hi.length) this.growIds();
    this.hi[id] = hi;
    this.lo[id] = lo;
    this.kind[id] = kind;
    if (this.count * 2 > this.slots.length) {
      this.rehash();
      s = this.slotOf(hi, lo);
    }
    this.slots[s] = id + 1;
    return id;
  }

  /** 64-bit key as 16 hex characters: how an identifier is shown in ring output without revealing its value. */
  keyHex(id: number): string {
    return (this.hi[id]! >>> 0).toString(16).padStart(8, '0') + (this.lo[id]! >>> 0).toString(16).padStart(8, '0');
  }

  private growIds(): void {
    const n = this.hi.length * 2;
    const hi = new Int32Array(n); hi.set(this.hi); this.hi = hi;
    const lo = new Int32Array(n); lo.set(this.lo); this.lo = lo;
    const kind = new Uint8Array(n); kind.set(this.kind); this.kind = kind;
  }

  private rehash(): void {
    const cap = this.slots.length * 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    // The id being inserted is not in the slots yet: the caller places it after the rehash.
    for (let id = 0; id < this.count - 1; id++) this.slots[this.slotOf(this.hi[id]!, this.lo[id]!)] = id + 1;
  }
}

// Structural diff of two JSON documents, for comparing versions of a governed object. Arrays whose items all carry an
// `id` (flow nodes, rules) are matched by id, so inserting a node shows as one addition rather than a cascade of changes.

export interface DiffEntry {
  path: string;
  op: 'add' | 'remove' | 'change';
  before?: unknown;
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasIds = (a: unknown[]): a is { id: string }[] => a.length > 0 && a.every((x) => isObject(x) && typeof x.id === 'string');

export function diffJson(before: unknown, after: unknown, path = ''): DiffEntry[] {
  if (Object.is(before, after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    if (hasIds(before) && hasIds(after)) {
      const out: DiffEntry[] = [];
      const b = new Map(before.map((x) => [x.id, x]));
      const a = new Map(after.map((x) => [x.id, x]));
      for (const [id, item] of b) if (!a.has(id)) out.push({ path: `${path}[id=${id}]`, op: 'remove', before: item });
      for (const [id, item] of a) {
        const old = b.get(id);
        if (old === undefined) out.push({ path: `${path}[id=${id}]`, op: 'add', after: item });
        else out.push(...diffJson(old, item, `${path}[id=${id}]`));
      }
      const orderB = before.map((x) => x.id).filter((id) => a.has(id));
      const orderA = after.map((x) => x.id).filter((id) => b.has(id));
      if (orderB.join('\u0000') !== orderA.join('\u0000')) out.push({ path: `${path}(order)`, op: 'change', before: orderB, after: orderA });
      return out;
    }
    const out: DiffEntry[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      if (i >= after.length) out.push({ path: `${path}[${i}]`, op: 'remove', before: before[i] });
      else if (i >= before.length) out.push({ path: `${path}[${i}]`, op: 'add', after: after[i] });
      else out.push(...diffJson(before[i], after[i], `${path}[${i}]`));
    }
    return out;
  }
  if (isObject(before) && isObject(after)) {
    const out: DiffEntry[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const p = path ? `${path}.${key}` : key;
      if (!(key in after)) out.push({ path: p, op: 'remove', before: before[key] });
      else if (!(key in before)) out.push({ path: p, op: 'add', after: after[key] });
      else out.push(...diffJson(before[key], after[key], p));
    }
    return out;
  }
  return [{ path: path || '(root)', op: 'change', before, after }];
}

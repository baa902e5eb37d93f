// Static types of the CEL dialect the engine compiles. `nullable` marks values that may be null (optional inputs
// without a default, outputs no earlier node set); the checker refuses to use them in operators until they are
// narrowed by `has(x)`, `x != null` or replaced by `orDefault(x, d)`.

export type Type =
  | { k: 'int' | 'double' | 'string' | 'bool' | 'null' | 'dyn' | 'date' | 'timestamp'; nullable?: boolean }
  | { k: 'list'; elem: Type; nullable?: boolean }
  | { k: 'map'; key: Type; val: Type; nullable?: boolean }
  | { k: 'object'; fields: Record<string, Type>; nullable?: boolean };

export const T = {
  int: { k: 'int' } as Type,
  double: { k: 'double' } as Type,
  string: { k: 'string' } as Type,
  bool: { k: 'bool' } as Type,
  null: { k: 'null' } as Type,
  dyn: { k: 'dyn' } as Type,
  date: { k: 'date' } as Type,
  timestamp: { k: 'timestamp' } as Type,
  list: (elem: Type): Type => ({ k: 'list', elem }),
  map: (key: Type, val: Type): Type => ({ k: 'map', key, val }),
};

export function nullable(t: Type, yes = true): Type {
  if (t.k === 'null' || t.k === 'dyn') return t;
  if ((t.nullable ?? false) === yes) return t;
  return { ...t, nullable: yes } as Type;
}

export function typeName(t: Type): string {
  let s: string;
  switch (t.k) {
    case 'list': s = `list(${typeName(t.elem)})`; break;
    case 'map': s = `map(${typeName(t.key)}, ${typeName(t.val)})`; break;
    case 'object': s = 'object'; break;
    default: s = t.k;
  }
  return t.nullable ? `${s}?` : s;
}

export function isNumeric(t: Type): boolean {
  return t.k === 'int' || t.k === 'double';
}

/** Structural equality, ignoring nullability. */
export function sameType(a: Type, b: Type): boolean {
  if (a.k !== b.k) return false;
  if (a.k === 'list' && b.k === 'list') return sameType(a.elem, b.elem);
  if (a.k === 'map' && b.k === 'map') return sameType(a.key, b.key) && sameType(a.val, b.val);
  if (a.k === 'object' && b.k === 'object') {
    const ka = Object.keys(a.fields), kb = Object.keys(b.fields);
    return ka.length === kb.length && ka.every((k) => b.fields[k] !== undefined && sameType(a.fields[k]!, b.fields[k]!));
  }
  return true;
}

/** Whether a value of type `from` may be used where `to` is expected (dyn accepts and gives anything). */
export function assignable(from: Type, to: Type): boolean {
  if (to.k === 'dyn' || from.k === 'dyn') return true;
  if (from.k === 'null') return to.nullable === true;
  if (from.nullable && !to.nullable) return false;
  if (from.k === 'list' && to.k === 'list') return assignable(from.elem, to.elem);
  return sameType(from, to);
}

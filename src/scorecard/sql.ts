// SQL export: one CASE expression per attribute, summed with the base points, in the order the scorer checks
// (missing, special values, bins, other). Names are quoted identifiers and values literals, never raw text.

import { MISSING_TEXT } from '../kernel/missing-values.ts';
import type { ScorecardModel } from './types.ts';

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function literal(v: string | number): string {
  return typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`;
}

function numberLiteral(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`cannot write ${v} in SQL`);
  return String(v);
}

/** One CASE expression giving the points of each attribute. */
export function attributeCases(model: ScorecardModel): { name: string; sql: string }[] {
  return model.attributes.map((a) => {
    const col = quoteIdentifier(a.value);
    const whens: string[] = [];
    // Text columns read as text; numeric ones compare as numbers (a warehouse column typed text would need a CAST).
    // Missing as the scorer reads it: NULL, and for text columns the missing text ('', 'NA', ...) as well.
    const missingText = MISSING_TEXT.map((t) => literal(t)).join(', ');
    whens.push(a.type === 'numeric' ? `WHEN ${col} IS NULL THEN ${a.missing.points}` : `WHEN ${col} IS NULL OR LOWER(TRIM(${col})) IN (${missingText}) THEN ${a.missing.points}`);
    for (const s of a.special) {
      const vals = s.values.map((v) => (a.type === 'numeric' ? numberLiteral(Number(v)) : literal(String(v))));
      whens.push(`WHEN ${col} IN (${vals.join(', ')}) THEN ${s.points}`);
    }
    for (const b of a.bins) {
      if (b.values) {
        whens.push(`WHEN ${col} IN (${b.values.map((v) => literal(String(v))).join(', ')}) THEN ${b.points}`);
        continue;
      }
      const conds: string[] = [];
      if (b.min !== undefined) conds.push(`${col} >= ${numberLiteral(b.min)}`);
      if (b.max !== undefined) conds.push(`${col} < ${numberLiteral(b.max)}`);
      whens.push(`WHEN ${conds.length ? conds.join(' AND ') : 'TRUE'} THEN ${b.points}`);
    }
    return { name: a.name, sql: `CASE\n    ${whens.join('\n    ')}\n    ELSE ${a.other.points}\n  END` };
  });
}

/** A SELECT scoring every row of `table`: the key columns, the points per attribute and the total. */
export function scorecardToSql(model: ScorecardModel, options: { table?: string; keyColumns?: string[] } = {}): string {
  const table = options.table ?? 'applications';
  const cases = attributeCases(model);
  const keys = (options.keyColumns ?? []).map(quoteIdentifier);
  const pointCols = cases.map((c) => `  ${c.sql} AS ${quoteIdentifier(`points_${c.name}`)}`);
  const total = `  ${model.basePoints}\n  + ${cases.map((c) => `(${c.sql})`).join('\n  + ')} AS ${quoteIdentifier('score')}`;
  const header = `-- Scorecard '${model.name.replace(/\n/g, ' ')}' exported by Mingjian: base points ${model.basePoints}, ${model.attributes.length} attributes.\n`;
  const fromTable = table.split('.').map(quoteIdentifier).join('.');
  return `${header}SELECT\n${[...keys.map((k) => `  ${k}`), ...pointCols, total].join(',\n')}\nFROM ${fromTable};\n`;
}

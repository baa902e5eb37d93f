// Reading scorecard.json back: a structural check with a path for every problem, so a hand-edited or truncated file
// fails loudly instead of scoring wrongly.

import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import type { ScorecardModel } from './types.ts';

export function parseModel(text: string, file = 'scorecard.json'): ScorecardModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MingjianError('VALIDATION', `${file}: not valid JSON: ${(err as Error).message}`);
  }
  const problems: ErrorDetail[] = [];
  const need = (ok: boolean, path: string, message: string) => {
    if (!ok) problems.push({ file, path, message });
  };
  const m = doc as Partial<ScorecardModel>;
  need(!!m && typeof m === 'object', '', 'expected an object');
  if (problems.length) throw new MingjianError('VALIDATION', `${file}: not a scorecard`, problems);
  need(m.format === 'mingjian.scorecard', 'format', "expected 'mingjian.scorecard'");
  need(m.formatVersion === 1, 'formatVersion', 'expected 1');
  need(Number.isInteger(m.basePoints), 'basePoints', 'expected an integer');
  need(!!m.scaling && typeof m.scaling.factor === 'number' && typeof m.scaling.offset === 'number', 'scaling', 'expected factor and offset');
  need(!!m.scoreRange && typeof m.scoreRange.min === 'number' && typeof m.scoreRange.max === 'number', 'scoreRange', 'expected min and max');
  need(Array.isArray(m.attributes) && m.attributes.length > 0, 'attributes', 'expected a non-empty list');
  const isPoints = (x: unknown) => typeof x === 'number' && Number.isInteger(x);
  (Array.isArray(m.attributes) ? m.attributes : []).forEach((a, i) => {
    const p = `attributes[${i}]`;
    need(typeof a?.name === 'string' && typeof a?.value === 'string', p, 'expected name and value');
    need(a?.type === 'numeric' || a?.type === 'categorical', `${p}.type`, "expected 'numeric' or 'categorical'");
    need(Array.isArray(a?.bins) && a.bins.length > 0, `${p}.bins`, 'expected a non-empty list');
    (Array.isArray(a?.bins) ? a.bins : []).forEach((b, j) => {
      need(isPoints(b?.points), `${p}.bins[${j}].points`, 'expected integer points');
      if (a.type === 'categorical') need(Array.isArray(b?.values), `${p}.bins[${j}].values`, 'expected the category list');
      else need((b?.min === undefined || typeof b.min === 'number') && (b?.max === undefined || typeof b.max === 'number'), `${p}.bins[${j}]`, 'expected numeric min/max');
    });
    need(Array.isArray(a?.special), `${p}.special`, 'expected a list');
    (Array.isArray(a?.special) ? a.special : []).forEach((s, j) => need(isPoints(s?.points) && Array.isArray(s?.values), `${p}.special[${j}]`, 'expected values and integer points'));
    need(isPoints(a?.missing?.points), `${p}.missing.points`, 'expected integer points');
    need(isPoints(a?.other?.points), `${p}.other.points`, 'expected integer points');
    need(typeof a?.reasonCode === 'string', `${p}.reasonCode`, 'expected a string');
  });
  need(Array.isArray(m.monitoring?.scoreBins), 'monitoring.scoreBins', 'expected a list');
  if (problems.length) throw new MingjianError('VALIDATION', `${file}: not a valid scorecard model`, problems);
  return m as ScorecardModel;
}

// report.html: one self-contained page (inline CSS and SVG, no scripts, no external assets) a credit committee can
// read offline: summary metrics, scaling, variable selection, coefficients, binning tables with WOE charts, ROC,
// KS, gains, score distribution, bad rate by score band and calibration.

import type { SetMetrics } from './metrics.ts';
import { rocCurve } from './metrics.ts';
import type { TrainResult } from './train.ts';
import type { VariableBinning } from './types.ts';

const h = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '-');
const COLORS: Record<string, string> = { train: '#1f77b4', test: '#d62728', oot: '#2ca02c', good: '#2ca02c', bad: '#d62728' };

interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

/** A line chart with axes; x and y ranges are fixed when given. */
function lineChart(title: string, series: Series[], opts: { xLabel: string; yLabel: string; xRange?: [number, number]; yRange?: [number, number]; diagonal?: boolean }): string {
  const W = 420;
  const H = 300;
  const m = { l: 50, r: 12, t: 28, b: 40 };
  const all = series.flatMap((s) => s.points);
  const [x0, x1] = opts.xRange ?? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = opts.yRange ?? [Math.min(0, ...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${h(title)}">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${h(title)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`);
  for (let k = 0; k <= 4; k++) {
    const xv = x0 + ((x1 - x0) * k) / 4;
    const yv = y0 + ((y1 - y0) * k) / 4;
    parts.push(`<text x="${sx(xv)}" y="${H - m.b + 14}" text-anchor="middle" font-size="10">${h(Number(xv.toPrecision(3)))}</text>`);
    parts.push(`<text x="${m.l - 4}" y="${sy(yv) + 3}" text-anchor="end" font-size="10">${h(Number(yv.toPrecision(3)))}</text>`);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${sy(yv)}" y2="${sy(yv)}" stroke="#eee"/>`);
  }
  parts.push(`<text x="${(W + m.l) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${h(opts.xLabel)}</text>`);
  parts.push(`<text x="12" y="${(H - m.b + m.t) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${(H - m.b + m.t) / 2})">${h(opts.yLabel)}</text>`);
  if (opts.diagonal) parts.push(`<line x1="${sx(x0)}" y1="${sy(y0)}" x2="${sx(x1)}" y2="${sy(y1)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  series.forEach((s, i) => {
    const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
    parts.push(`<rect x="${m.l + 8}" y="${m.t + 8 + i * 15}" width="10" height="3" fill="${s.color}"/><text x="${m.l + 22}" y="${m.t + 13 + i * 15}" font-size="10">${h(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Bars with labels; values may be negative (WOE). */
function barChart(title: string, labels: string[], values: number[], opts: { color?: (v: number) => string; width?: number } = {}): string {
  const W = opts.width ?? 420;
  const rowH = 18;
  const labelW = 150;
  const H = 30 + labels.length * rowH + 10;
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const sx = (v: number) => labelW + ((v - lo) / (hi - lo || 1)) * (W - labelW - 50);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${h(title)}">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="12" font-weight="bold">${h(title)}</text>`);
  labels.forEach((label, i) => {
    const y = 26 + i * rowH;
    const v = values[i]!;
    const a = sx(Math.min(0, v));
    const b = sx(Math.max(0, v));
    const short = label.length > 24 ? `${label.slice(0, 23)}…` : label;
    parts.push(`<text x="${labelW - 4}" y="${y + 12}" text-anchor="end" font-size="10">${h(short)}</text>`);
    parts.push(`<rect x="${a.toFixed(1)}" y="${y + 2}" width="${Math.max(0.5, b - a).toFixed(1)}" height="${rowH - 5}" fill="${opts.color ? opts.color(v) : '#1f77b4'}"/>`);
    parts.push(`<text x="${(b + 3).toFixed(1)}" y="${y + 12}" font-size="9">${h(Number(v.toPrecision(3)))}</text>`);
  });
  parts.push(`<line x1="${sx(0)}" x2="${sx(0)}" y1="24" y2="${H - 8}" stroke="#666"/>`);
  parts.push('</svg>');
  return parts.join('');
}

function table(headers: string[], rows: (string | number)[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${headers.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${h(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function thin<T>(points: T[], max = 300): T[] {
  if (points.length <= max) return points;
  const step = points.length / max;
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(points[Math.floor(k * step)]!);
  out.push(points[points.length - 1]!);
  return out;
}

function binningSection(b: VariableBinning, attr: TrainResult['model']['attributes'][number] | undefined): string {
  const points = (i: number) => {
    if (!attr) return '';
    const bin = b.bins[i]!;
    if (bin.kind === 'missing') return String(attr.missing.points);
    if (bin.kind === 'special') return String(attr.special.find((s) => s.label === bin.label)?.points ?? '');
    return String(attr.bins.find((x) => x.label === bin.label)?.points ?? '');
  };
  const rows = b.bins.map((bin, i) => [bin.label, bin.kind, bin.count, pct(bin.share), bin.bad, pct(bin.badRate), f4(bin.woe), f4(bin.iv), points(i)]);
  rows.push(['total', '', b.bins.reduce((s, x) => s + x.count, 0), '', b.bins.reduce((s, x) => s + x.bad, 0), '', '', f4(b.iv), '']);
  const shown = b.bins.filter((x) => x.count > 0);
  return `<section class="var"><h3>${h(b.name)} <small>${h(b.type)}, IV ${f3(b.iv)}, trend ${h(b.trend)}${attr ? ', in the scorecard' : ''}</small></h3>
<div class="row">${table(['bin', 'kind', 'count', 'share', 'bads', 'bad rate', 'WOE', 'IV', 'points'], rows)}
${barChart(`WOE per bin: ${b.name}`, shown.map((x) => x.label), shown.map((x) => x.woe), { color: (v) => (v >= 0 ? COLORS.good! : COLORS.bad!) })}</div></section>`;
}

export function renderReport(result: TrainResult, title?: string): string {
  const { model, metrics } = result;
  const sets = Object.entries(metrics).filter((e): e is [string, SetMetrics] => !!e[1]);
  const s: string[] = [];
  s.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${h(title ?? `Scorecard ${model.name}`)}</title><style>
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0;font-size:12px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td:first-child{text-align:left}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:32px}
.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}small{color:#666;font-weight:normal}.warn{color:#a15c00}
section.var{border-top:1px solid #eee;margin-top:12px}</style></head><body>`);
  s.push(`<h1>${h(title ?? `Scorecard ${model.name}`)}</h1>`);
  s.push(`<p>Target <b>${h(model.target.column)}</b>, bad = <b>${h(model.target.bad)}</b> (training bad rate ${pct(model.target.trainBadRate)}). Split: ${h(model.metadata.split)}. Rows: ${model.metadata.rows} (train ${model.metadata.trainRows}, test ${model.metadata.testRows}, out-of-time ${model.metadata.ootRows}). Data fingerprint sha256 <code>${h(model.metadata.fingerprint.digest)}</code>${model.metadata.createdAt ? `, trained ${h(model.metadata.createdAt)}` : ''}.</p>`);

  s.push('<h2>Performance</h2>');
  s.push(table(['set', 'rows', 'bads', 'bad rate', 'AUC', 'Gini', 'KS', 'KS at score', 'Brier'], sets.map(([k, m]) => [k, m.rows, m.bads, pct(m.badRate), f4(m.auc), f4(m.gini), f4(m.ks), m.ksScore, f4(m.calibration.brier)])));
  const roc = sets.map(([k]) => {
    const sc = result.scores.filter((x) => x.set === k);
    const pts = rocCurve(sc.map((x) => x.score), sc.map((x) => (x.bad ? 1 : 0)));
    return { name: `${k} (AUC ${f3(metrics[k as 'train']!.auc)})`, color: COLORS[k] ?? '#555', points: thin(pts).map((p) => [p.fpr, p.tpr] as [number, number]) };
  });
  const main = (metrics.test ? 'test' : 'train') as 'test' | 'train';
  const mainScores = result.scores.filter((x) => x.set === main);
  const rocMain = rocCurve(mainScores.map((x) => x.score), mainScores.map((x) => (x.bad ? 1 : 0))).slice(1);
  const ksChart = lineChart(`KS (${main}): ${f3(metrics[main]!.ks)}`, [
    { name: 'cumulative bads', color: COLORS.bad!, points: thin(rocMain).map((p) => [p.score, p.tpr]) },
    { name: 'cumulative goods', color: COLORS.good!, points: thin(rocMain).map((p) => [p.score, p.fpr]) },
  ], { xLabel: 'score', yLabel: 'cumulative share', yRange: [0, 1] });
  const gains = lineChart('Gains (cumulative bads captured)', sets.map(([k, m]) => ({ name: k, color: COLORS[k] ?? '#555', points: [[0, 0] as [number, number], ...m.gains.map((g) => [g.cumCount / m.rows, g.cumBadCapture] as [number, number])] })), {
    xLabel: 'share of applicants, riskiest first', yLabel: 'share of bads', xRange: [0, 1], yRange: [0, 1], diagonal: true,
  });
  // Score distribution: goods and bads of the main set in the score bands.
  const bands = metrics[main]!.scoreBands;
  const dist = lineChart(`Score distribution (${main})`, [
    { name: 'goods', color: COLORS.good!, points: bands.map((b) => [(b.min + b.max) / 2, b.count - b.bad]) },
    { name: 'bads', color: COLORS.bad!, points: bands.map((b) => [(b.min + b.max) / 2, b.bad]) },
  ], { xLabel: 'score', yLabel: 'applicants' });
  s.push(`<div class="row">${lineChart('ROC', roc, { xLabel: 'goods flagged (FPR)', yLabel: 'bads flagged (TPR)', xRange: [0, 1], yRange: [0, 1], diagonal: true })}${ksChart}${gains}${dist}</div>`);

  for (const [k, m] of sets) {
    s.push(`<h3>Gains and lift by decile: ${h(k)}</h3>`);
    s.push(table(['decile', 'score from', 'score to', 'count', 'bads', 'bad rate', 'cum. bads captured', 'lift', 'cum. lift'], m.gains.map((g) => [g.decile, g.minScore, g.maxScore, g.count, g.bad, pct(g.badRate), pct(g.cumBadCapture), g.lift.toFixed(2), g.cumLift.toFixed(2)])));
    s.push(`<h3>Bad rate by score band: ${h(k)}</h3>`);
    s.push(table(['score from', 'score to', 'count', 'share', 'bads', 'bad rate'], m.scoreBands.filter((b) => b.count > 0).map((b) => [b.min, b.max, b.count, pct(b.share), b.bad, pct(b.badRate)])));
    s.push(`<h3>Calibration: ${h(k)} <small>Brier ${f4(m.calibration.brier)}, Hosmer-Lemeshow ${m.calibration.hosmerLemeshow.toFixed(2)}</small></h3>`);
    s.push(table(['group', 'count', 'predicted bad rate', 'observed bad rate'], m.calibration.rows.map((r) => [r.group, r.count, pct(r.predicted), pct(r.observed)])));
  }

  s.push('<h2>Scaling</h2>');
  s.push(`<p>${model.scaling.baseScore} points at good:bad odds ${model.scaling.baseOdds}:1, ${model.scaling.pdo} points to double the odds (factor ${model.scaling.factor.toFixed(4)}, offset ${model.scaling.offset.toFixed(4)}). Base points ${model.basePoints}; scores range from ${model.scoreRange.min} to ${model.scoreRange.max} (rating 0 to 100).</p>`);
  s.push('<h2>Model</h2>');
  s.push(table(['attribute', 'IV', 'coefficient', 'std. error', 'p-value', 'reason code'], [
    ['(intercept)', '', f4(model.intercept), '', '', ''],
    ...model.attributes.map((a) => [a.name, f3(a.iv), f4(a.coefficient), f4(a.stdError), a.pValue < 1e-4 ? '<0.0001' : f4(a.pValue), a.reasonCode]),
  ]));
  s.push(`<p>L2 ${model.regression.l2}; ${model.regression.iterations} IRLS iterations${model.regression.converged ? '' : ' (not converged)'}; log-likelihood ${model.regression.logLikelihood.toFixed(2)}, AIC ${model.regression.aic.toFixed(1)}, BIC ${model.regression.bic.toFixed(1)}.</p>`);
  s.push('<h2>Variables</h2>');
  s.push(table(['variable', 'type', 'IV', 'bins', 'selected', 'note'], [...model.variables].sort((a, b) => b.iv - a.iv).map((v) => [v.name, v.type, f3(v.iv), v.bins, v.selected ? 'yes' : 'no', v.note ?? ''])));
  s.push('<h2>Profile</h2>');
  s.push(table(['column', 'type', 'missing', 'distinct', 'special values', 'min', 'max'], result.profile.map((p) => [p.name, p.type, pct(p.missingRate), p.distinct, Object.entries(p.special).filter(([, c]) => c > 0).map(([v, c]) => `${v}: ${c}`).join(', '), p.min ?? '', p.max ?? ''])));
  if (model.warnings.length) {
    s.push('<h2>Warnings</h2><ul>');
    for (const w of model.warnings) s.push(`<li class="warn">${h(w)}</li>`);
    s.push('</ul>');
  }
  s.push('<h2>Binning</h2>');
  const attrs = new Map(model.attributes.map((a) => [a.name, a]));
  const ordered = [...result.binning].sort((a, b) => Number(attrs.has(b.name)) - Number(attrs.has(a.name)) || b.iv - a.iv);
  for (const b of ordered) s.push(binningSection(b, attrs.get(b.name)));
  s.push('</body></html>');
  return s.join('\n');
}

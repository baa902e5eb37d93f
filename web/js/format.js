// Pure helpers of the console: no DOM, no fetch, so test/service/console.test.ts imports them directly.

/** Digits after the decimal point by ISO currency; the API sends money as integer minor units. */
const MINOR_DIGITS = { CNY: 2, USD: 2, EUR: 2, HKD: 2, JPY: 0, KRW: 0 };

/**
 * 1500000 -> "15,000.00" (with `currency`: "CNY 15,000.00"). Integer arithmetic only: minor units are never divided
 * as floating point, so no amount is rounded on its way to the screen. Anything that is not a safe integer is shown
 * as it is, marked, rather than guessed at.
 */
export function formatMinor(minor, currency) {
  if (minor === null || minor === undefined) return '—';
  if (typeof minor !== 'number' || !Number.isSafeInteger(minor)) return `${String(minor)} (not minor units)`;
  const digits = MINOR_DIGITS[currency ?? 'CNY'] ?? 2;
  const negative = minor < 0;
  const abs = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = abs.slice(0, abs.length - digits) || '0';
  const fraction = digits ? '.' + abs.slice(abs.length - digits) : '';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const amount = `${negative ? '-' : ''}${grouped}${fraction}`;
  return currency ? `${currency} ${amount}` : amount;
}

/** 0.169 -> "16.9%". */
export function formatPercent(ratio, digits = 1) {
  if (typeof ratio !== 'number' || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
}

/** ISO timestamp -> "2026-11-28 10:52:58" in UTC (the audit log and SLAs are in UTC). */
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace('T', '\u00a0').replace(/\.\d+Z$/, '').replace('Z', '');
}

/** 5400000 -> "1h 30m"; 90000 -> "1m 30s"; negative durations are shown by their size (the caller says "overdue"). */
export function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  let s = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  if (days) return `${days}d ${hours}h`;
  if (hours) return `${hours}h ${minutes}m`;
  if (minutes) return `${minutes}m ${s}s`;
  return `${s}s`;
}

/**
 * The SLA clock of a case as of `now` (ms): which deadline runs (response until someone starts the case, then
 * resolution), how long is left, and whether it is breached. Counted from the due dates, so the clock keeps running
 * between refreshes; the server's `sla.breached` flags are honoured too.
 */
export function slaClock(kase, now) {
  if (kase.state === 'resolved' || kase.resolvedAt) return { phase: 'resolved', remainingMs: null, breached: Boolean(kase.sla?.breached), label: 'resolved' };
  const phase = kase.startedAt ? 'resolution' : 'response';
  const due = phase === 'response' ? kase.responseDueAt : kase.resolutionDueAt;
  const dueMs = due ? Date.parse(due) : NaN;
  if (Number.isNaN(dueMs)) return { phase, remainingMs: null, breached: Boolean(kase.sla?.breached), label: 'no SLA' };
  const remainingMs = dueMs - now;
  const breached = remainingMs < 0 || Boolean(kase.sla?.breached);
  const label = remainingMs < 0 ? `${phase} overdue ${formatDuration(remainingMs)}` : `${phase} in ${formatDuration(remainingMs)}`;
  return { phase, remainingMs, breached, label };
}

/** Order of case priorities, most urgent first. */
export const PRIORITIES = ['critical', 'high', 'medium', 'low'];

/** A value as short readable text: strings as they are, numbers rounded for reading, the rest as compact JSON. */
export function formatValue(value) {
  if (value === null || value === undefined) return '∅';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

function pairs(record) {
  return Object.entries(record ?? {}).map(([k, v]) => `${k} = ${formatValue(v)}`).join(', ');
}

/**
 * A decision trace as rows of a table, in evaluation order, one row per node and one indented row per thing inside
 * it (rules that fired, table rows hit, scorecard attributes, outputs); a subflow's steps nest one level deeper.
 * Row: { depth, node, type, what, detail, micros }.
 */
export function flattenTrace(trace, depth = 0) {
  const rows = [];
  for (const step of trace?.steps ?? []) {
    const head = { depth, node: step.node, type: step.type, what: summarizeStep(step), detail: '', micros: step.micros ?? null };
    rows.push(head);
    const child = (what, detail) => rows.push({ depth: depth + 1, node: step.node, type: '', what, detail, micros: null });
    for (const rule of step.rules ?? []) child(`rule ${rule.id}${rule.reason && rule.reason !== rule.id ? ` (${rule.reason})` : ''} → ${rule.action}`, pairs(rule.values));
    for (const row of step.rows ?? []) child(`row ${row.id ?? '#' + (row.index + 1)}`, pairs(row.outputs));
    for (const attr of step.attributes ?? []) child(`${attr.name} = ${formatValue(attr.value)}`, `bin ${attr.bin}: ${attr.points} points`);
    if (step.outputs && Object.keys(step.outputs).length && step.type !== 'decision-table') child('outputs', pairs(step.outputs));
    if (step.subflow) {
      child(`subflow ${step.subflow.flow} v${step.subflow.version} → ${step.subflow.decision}`, '');
      rows.push(...flattenTrace(step.subflow.trace, depth + 2));
    }
  }
  return rows;
}

function summarizeStep(step) {
  switch (step.type) {
    case 'ruleset': {
      const n = step.rules?.length ?? 0;
      return n ? `${n} rule${n === 1 ? '' : 's'} fired` : 'no rule fired';
    }
    case 'decision-table': {
      const n = step.rows?.length ?? 0;
      return n ? `${n} row${n === 1 ? '' : 's'} hit → ${pairs(step.outputs)}` : 'no row hit';
    }
    case 'scorecard':
      return `score ${formatValue(step.score)}`;
    case 'model':
      return step.score !== undefined ? `score ${formatValue(step.score)}` : 'model';
    case 'split':
      return `arm ${step.arm ?? '?'}`;
    case 'switch':
      return `branch ${step.branch ?? '?'}`;
    case 'subflow':
      return step.subflow ? `${step.subflow.flow} → ${step.subflow.decision}` : 'subflow';
    case 'outcome':
      return 'outcome';
    default:
      return step.type ?? '';
  }
}

/**
 * Validation problems grouped by 1-based line, for marking the lines of a pasted document. Problems without a line
 * are under key 0 (they apply to the whole document).
 */
export function problemsByLine(problems) {
  const byLine = new Map();
  for (const p of problems ?? []) {
    const line = Number.isInteger(p.line) && p.line > 0 ? p.line : 0;
    if (!byLine.has(line)) byLine.set(line, []);
    byLine.get(line).push(p);
  }
  return byLine;
}

/** "4:14 inputs.x.type: has a value that is not allowed (expected one of ...)" — like the CLI's formatDetail. */
export function formatProblem(p) {
  const where = [p.line, p.column].filter((x) => x !== undefined && x !== null).join(':');
  const parts = [where, p.node ? `node '${p.node}'` : '', p.path ?? ''].filter(Boolean);
  const expected = p.expected ? ` (expected ${p.expected})` : '';
  return `${parts.length ? parts.join(' ') + ': ' : ''}${p.severity === 'warning' ? 'warning: ' : ''}${p.message}${expected}`;
}

/** Character offset of a 1-based line and column in `text` (to put the caret on a problem). */
export function offsetOf(text, line, column = 1) {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

/**
 * Positions for drawing a graph neighbourhood: the root application in the centre, the other applications on rings
 * by hop, each identifier at the centre of the applications it links (pushed outward a little so it does not sit on
 * the root); identifiers that link only one of the shown applications are left out (the tables list them). Answers { nodes: [{ id, kind, x, y, ... }], edges: [{ from, to, role }] } in a width x height box.
 */
export function layoutNeighbourhood(graph, width = 760, height = 560) {
  const cx = width / 2;
  const cy = height / 2;
  const radius = Math.min(width, height) / 2 - 40;
  const apps = graph?.applications ?? [];
  const maxHop = Math.max(1, ...apps.map((a) => a.hop ?? 0));
  const byHop = new Map();
  for (const a of apps) {
    const hop = a.id === graph.root ? 0 : Math.max(1, a.hop ?? 1);
    if (!byHop.has(hop)) byHop.set(hop, []);
    byHop.get(hop).push(a);
  }
  const position = new Map();
  const nodes = [];
  for (const [hop, list] of [...byHop.entries()].sort((a, b) => a[0] - b[0])) {
    list.forEach((a, i) => {
      const r = hop === 0 ? 0 : (radius * hop) / maxHop;
      const angle = (2 * Math.PI * i) / list.length - Math.PI / 2 + hop * 0.3;
      const p = { x: cx + r * Math.cos(angle), y: cy + r * Math.sin(angle) };
      position.set(a.id, p);
      nodes.push({ id: a.id, kind: 'application', status: a.status, hop, root: hop === 0, ...p });
    });
  }
  const edges = (graph?.links ?? graph?.edges ?? []).filter((e) => position.has(e.application));
  const linked = new Map();
  for (const e of edges) {
    if (!linked.has(e.identifier)) linked.set(e.identifier, []);
    linked.get(e.identifier).push(position.get(e.application));
  }
  for (const ident of graph?.identifiers ?? []) {
    const ps = linked.get(ident.key) ?? [];
    // Drawn only when it ties two shown applications together; the rest would sit on their one application.
    if (ps.length < 2) continue;
    let x = ps.reduce((s, p) => s + p.x, 0) / ps.length;
    let y = ps.reduce((s, p) => s + p.y, 0) / ps.length;
    // An identifier shared by apps all around the root averages to the centre: nudge it off by a stable angle.
    const dx = x - cx;
    const dy = y - cy;
    const dist = Math.hypot(dx, dy);
    const minDist = radius / (maxHop * 2.5);
    if (dist < minDist) {
      const angle = (hashString(ident.key) % 360) * (Math.PI / 180);
      x = cx + minDist * Math.cos(angle);
      y = cy + minDist * Math.sin(angle);
    }
    position.set(ident.key, { x, y });
    nodes.push({ id: ident.key, kind: ident.kind, identifier: true, applications: ident.applications, hub: Boolean(ident.hub), x, y });
  }
  return { nodes, edges: edges.filter((e) => position.has(e.identifier)).map((e) => ({ from: e.application, to: e.identifier, role: e.role })), width, height };
}

function hashString(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}

/** `datetime-local` input value (local time, no zone) -> ISO instant, or undefined when empty. */
export function localInputToIso(value) {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

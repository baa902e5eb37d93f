// Decisions: the decision records, newest first, filtered by flow, outcome and time and paged by cursor; one record
// with its (masked) inputs, variables, outputs, reasons and trace; replay on the recorded flow version.
import { call } from '../api.js';
import { actionButton, badge, cursorPager, field, h, json, kv, link, load, section, select, table } from '../dom.js';
import { flattenTrace, formatMinor, formatTime, formatValue, localInputToIso } from '../format.js';

export function decisionsScreen(view, ctx) {
  if (ctx.segments[0]) return decisionDetail(view, ctx, ctx.segments[0]);
  return decisionList(view, ctx);
}

function decisionList(view, ctx) {
  const q = ctx.query;
  const flowInput = h('input', { name: 'flow', value: q.get('flow') ?? '', placeholder: 'any flow', list: 'flow-ids', size: 16 });
  const flowIds = h('datalist', { id: 'flow-ids' });
  const decisionSelect = select('decision', [['', 'any'], 'APPROVE', 'DECLINE', 'REVIEW'], q.get('decision') ?? '');
  const fromInput = h('input', { type: 'datetime-local', name: 'from', value: q.get('from') ?? '' });
  const toInput = h('input', { type: 'datetime-local', name: 'to', value: q.get('to') ?? '' });
  const limitSelect = select('limit', ['25', '50', '100', '200'], q.get('limit') ?? '50');
  const results = h('div');
  if (ctx.can('objects:read')) {
    call('flows.list').then((r) => flowIds.append(...r.items.map((f) => h('option', { value: f.objectId })))).catch(() => undefined);
  }

  const filters = h(
    'form',
    { class: 'filters' },
    field('Flow', flowInput),
    flowIds,
    field('Decision', decisionSelect),
    field('From (local time)', fromInput),
    field('To (local time)', toInput),
    field('Page size', limitSelect),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('decisions', { flow: flowInput.value.trim(), decision: decisionSelect.value, from: fromInput.value, to: toInput.value, limit: limitSelect.value });
  });

  // Cursor paging: the server answers nextCursor; earlier cursors are kept so "Previous" can go back.
  const pager = cursorPager(() => show());
  const show = () =>
    load(
      results,
      () =>
        call('decisions.list', {
          query: { flow: q.get('flow'), decision: q.get('decision'), from: localInputToIso(q.get('from')), to: localInputToIso(q.get('to')), limit: q.get('limit') ?? '50', cursor: pager.cursor() },
        }),
      (r) => {
        return [
          table(
            [
              { label: 'Time (UTC)', value: (d) => formatTime(d.createdAt) },
              { label: 'Decision id', class: 'id', value: (d) => link(`#/decisions/${encodeURIComponent(d.id)}`, d.id) },
              { label: 'Flow', value: (d) => `${d.flow} v${d.version}` },
              { label: 'Decision', value: (d) => badge(d.decision) },
              { label: 'Credit line', class: 'num', value: (d) => formatMinor(d.creditLine) },
              { label: 'Price band', value: (d) => d.priceBand ?? '—' },
              { label: 'Reasons', value: (d) => d.reasons.join(', ') || '—' },
              { label: 'Arms', value: (d) => Object.entries(d.arms ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ') || '—' },
            ],
            r.items,
            { onRow: (d) => ctx.navigate(`decisions/${encodeURIComponent(d.id)}`), empty: 'No decision matches these filters.' },
          ),
          pager.bar(r.nextCursor, `${r.items.length} shown`),
        ];
      },
    );
  view.append(section('Decisions', filters, results));
  show();
}

function decisionDetail(view, ctx, id) {
  view.append(h('div', { class: 'crumbs' }, link('#/decisions', '← Decisions'), ` / ${id}`));
  const body = h('div');
  view.append(body);
  load(body, () => call('decisions.get', { params: { id } }), (d) => renderDecision(d, ctx));
}

function renderDecision(d, ctx) {
  const replayOut = h('div');
  const actions = h('div', { class: 'actions' });
  if (ctx.can('decisions:replay')) {
    actions.append(
      actionButton('Replay on the recorded version', () => call('decisions.replay', { params: { id: d.id } }), {
        out: replayOut,
        done: (r, out) => out.append(renderReplay(r)),
      }),
    );
  }
  if (ctx.can('fraud:investigate')) actions.append(h('a', { href: `#/fraud/graph/${encodeURIComponent(d.id)}` }, 'Identity graph of this application →'));

  const summary = section(
    `Decision ${d.id}`,
    kv([
      ['Decision', badge(d.decision)],
      ['Flow', ctx.can('objects:read') ? link(`#/governance/flows/${encodeURIComponent(d.flow)}/v/${encodeURIComponent(d.version)}`, `${d.flow} v${d.version}`) : `${d.flow} v${d.version}`],
      ['Credit line', formatMinor(d.creditLine)],
      ['Price band', d.priceBand ?? '—'],
      ['Champion/challenger', Object.entries(d.arms ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ') || '—'],
      ['Flags', (d.flags ?? []).join(', ') || '—'],
      ['Idempotency key', d.idempotencyKey ?? '—'],
      ['Decided at (UTC)', formatTime(d.createdAt)],
      ['Evaluated as of', formatTime(d.evaluatedAt)],
      ['Timings', d.timings ? `${d.timings.evalMicros} µs evaluation, ${d.timings.totalMicros} µs total` : '—'],
      ['Decided by', d.caller ? `${d.caller.userId} (key ${d.caller.keyId})` : '—'],
      ['Personal data', d.piiUnmasked ? 'unmasked' : 'masked'],
    ]),
    actions,
    replayOut,
  );

  const reasons = section(
    'Reasons',
    table(
      [
        { label: 'Code', value: (r) => h('code', {}, r.code) },
        { label: 'Action', value: (r) => badge(r.action) },
        { label: 'Node', value: (r) => r.node },
        { label: 'Message', value: (r) => r.message ?? '' },
      ],
      d.reasonDetails ?? d.reasons.map((code) => ({ code, action: '', node: '' })),
      { empty: 'No reason: the flow approved without a rule firing.' },
    ),
  );

  const outputs = section('Outputs', valueTable(d.outputs));
  const inputs = section('Inputs (as recorded; personal data masked)', valueTable(d.application));
  const variables = section('Variables', valueTable(d.variables));
  const trace = section('Trace', d.trace ? traceTable(d.trace) : h('p', { class: 'empty' }, 'No trace was stored for this decision (DECISION_TRACE_STORE=requested).'));
  return [summary, h('div', { class: 'columns' }, h('div', {}, reasons, outputs, variables), h('div', {}, inputs)), trace];
}

function valueTable(record) {
  const rows = Object.entries(record ?? {}).map(([name, value]) => ({ name, value }));
  return table(
    [
      { label: 'Name', value: (r) => h('code', {}, r.name) },
      { label: 'Value', value: (r) => formatValue(r.value) },
    ],
    rows,
  );
}

export function traceTable(trace) {
  const rows = flattenTrace(trace);
  return [
    h('p', { class: 'empty' }, `${trace.steps?.length ?? 0} nodes evaluated in ${Math.round((trace.totalMicros ?? 0) * 10) / 10} µs, in this order:`),
    table(
      [
        { label: 'Node / item', class: 'what', value: (r) => (r.type ? h('span', {}, h('code', {}, r.node), ' ', badge(r.type, 'type'), ' ', r.what) : r.what) },
        { label: 'Detail', value: (r) => r.detail },
        { label: 'µs', class: 'num', value: (r) => (r.micros === null ? '' : (Math.round(r.micros * 10) / 10).toString()) },
      ],
      rows,
      { class: 'trace', rowClass: (r) => `depth-${Math.min(r.depth, 4)}` },
    ),
  ];
}

function renderReplay(r) {
  const box = h('div', { class: r.identical ? 'success' : 'notice' });
  box.append(h('strong', {}, r.identical ? `Replayed on ${r.flow} v${r.version}: identical to the recorded decision.` : `Replayed on ${r.flow} v${r.version}: ${r.differences.length} difference(s).`));
  if (!r.identical) {
    box.append(
      table(
        [
          { label: 'Path', value: (x) => h('code', {}, x.path) },
          { label: 'Change', value: (x) => x.op },
          { label: 'Recorded', value: (x) => formatValue(x.before) },
          { label: 'Replayed', value: (x) => formatValue(x.after) },
        ],
        r.differences,
      ),
    );
    const raw = h('details', {}, h('summary', {}, 'Recorded and replayed results'), h('div', { class: 'columns' }, json(r.recorded), json(r.replayed)));
    box.append(raw);
  }
  return box;
}

// Fraud: the case queue with live SLA clocks, a case with notes, evidence, linked applications and its actions, the
// rings of the last detection run, the identity-graph neighbourhood of an application (SVG and table; identifiers are
// hashes), and the watchlists (read-only here; changes go through the governed change-set API).
import { call } from '../api.js';
import { actionButton, badge, clear, errorBox, field, h, json, kv, link, load, s, section, select, table } from '../dom.js';
import { formatTime, formatValue, layoutNeighbourhood, PRIORITIES, slaClock } from '../format.js';

const TABS = [
  { path: 'cases', label: 'Case queue', perm: 'fraud:investigate' },
  { path: 'rings', label: 'Rings', perm: 'fraud:investigate' },
  { path: 'graph', label: 'Identity graph', perm: 'fraud:investigate' },
  { path: 'watchlists', label: 'Watchlists', perm: 'watchlists:read' },
];
const DISPOSITIONS = ['confirmed_fraud', 'false_positive', 'escalated'];

export function fraudScreen(view, ctx) {
  const tabs = TABS.filter((t) => ctx.can(t.perm));
  const [tab, id] = ctx.segments;
  const current = tabs.find((t) => t.path === tab);
  if (!current) return ctx.navigate(`fraud/${tabs[0].path}`);
  view.append(h('nav', { class: 'subnav' }, tabs.map((t) => h('a', { href: `#/fraud/${t.path}`, class: t === current ? 'active' : undefined }, t.label))));
  switch (current.path) {
    case 'cases':
      return id ? caseDetail(view, ctx, id) : caseQueue(view, ctx);
    case 'rings':
      return id ? ringDetail(view, ctx, id) : ringList(view, ctx);
    case 'graph':
      return graphView(view, ctx, id);
    default:
      return id ? watchlistDetail(view, ctx, id) : watchlistList(view, ctx);
  }
}

/** A live SLA cell: ticks every second until the screen is left (the returned stop function clears the timer). */
function slaCells() {
  const cells = [];
  const tick = () => {
    const now = Date.now();
    for (const { el, kase } of cells) {
      const clock = slaClock(kase, now);
      el.textContent = clock.label;
      el.className = clock.breached ? 'sla breached' : 'sla';
    }
  };
  const timer = setInterval(tick, 1000);
  return {
    cell(kase) {
      const el = h('span', { class: 'sla' });
      cells.push({ el, kase });
      const clock = slaClock(kase, Date.now());
      el.textContent = clock.label;
      if (clock.breached) el.className = 'sla breached';
      return el;
    },
    stop: () => clearInterval(timer),
  };
}

function caseQueue(view, ctx) {
  const q = ctx.query;
  const assignee = h('input', { name: 'assignee', value: q.get('assignee') ?? '', placeholder: 'anyone', size: 14 });
  const breached = select('breached', [['', 'all'], ['true', 'breached only'], ['false', 'within SLA']], q.get('breached') ?? '');
  const mine = h('button', { type: 'button' }, 'Mine');
  mine.addEventListener('click', () => ctx.navigate('fraud/cases', { assignee: ctx.me.userName }));
  const filters = h('form', { class: 'filters' }, field('Assignee', assignee), field('SLA', breached), h('button', { type: 'submit', class: 'primary' }, 'Filter'), mine);
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('fraud/cases', { assignee: assignee.value.trim(), breached: breached.value });
  });
  const body = h('div');
  view.append(section('Open cases, most urgent first', filters, body));
  const clocks = slaCells();
  load(body, () => call('cases.list', { query: { assignee: q.get('assignee'), breached: q.get('breached'), limit: 500 } }), (r) =>
    table(
      [
        { label: 'Priority', value: (c) => badge(c.priority) },
        { label: 'SLA', value: (c) => clocks.cell(c) },
        { label: 'Title', value: (c) => link(`#/fraud/cases/${encodeURIComponent(c.id)}`, c.title) },
        { label: 'Source', value: (c) => c.source },
        { label: 'State', value: (c) => badge(c.state) },
        { label: 'Assignee', value: (c) => c.assignee ?? '—' },
        { label: 'Apps', class: 'num', value: (c) => String(c.applicationIds.length) },
        { label: 'Opened (UTC)', value: (c) => formatTime(c.openedAt) },
      ],
      r.items,
      { onRow: (c) => ctx.navigate(`fraud/cases/${encodeURIComponent(c.id)}`), rowClass: (c) => (c.sla?.breached ? 'breached' : undefined), empty: 'No open case.' },
    ),
  );
  return clocks.stop;
}

function caseDetail(view, ctx, id) {
  view.append(h('div', { class: 'crumbs' }, link('#/fraud/cases', '← Case queue'), ` / ${id}`));
  const body = h('div');
  view.append(body);
  let clocks = slaCells();
  const reload = () => {
    clocks.stop();
    clocks = slaCells();
    return load(body, () => call('cases.get', { params: { id } }), (c) => renderCase(c, ctx, clocks, reload));
  };
  reload();
  return () => clocks.stop();
}

function renderCase(c, ctx, clocks, reload) {
  const act = (body) => call('cases.act', { params: { id: c.id }, body });
  const info = section(
    c.title,
    kv([
      ['Case', c.id],
      ['State', [badge(c.state), c.disposition ? [' ', badge(c.disposition)] : null]],
      ['Priority', badge(c.priority)],
      ['SLA', clocks.cell(c)],
      ['Response due (UTC)', `${formatTime(c.responseDueAt)}${c.sla?.responseBreached ? ' — breached' : ''}`],
      ['Resolution due (UTC)', `${formatTime(c.resolutionDueAt)}${c.sla?.resolutionBreached ? ' — breached' : ''}`],
      ['Source', `${c.source}${c.sourceRef ? ` (${c.sourceRef})` : ''}`],
      ['Assignee', c.assignee ?? '—'],
      ['Ring', c.ringId ? link(`#/fraud/rings/${encodeURIComponent(c.ringId)}`, c.ringId) : '—'],
      ['Opened (UTC)', formatTime(c.openedAt)],
      ['Started (UTC)', formatTime(c.startedAt)],
      ['Resolved (UTC)', formatTime(c.resolvedAt)],
      ['Resolution', c.resolution ? formatValue(c.resolution.summary ?? c.resolution) : '—'],
    ]),
  );

  const actions = section('Actions', caseActions(c, ctx, act, reload));

  const apps = section(
    `Linked applications (${c.applicationIds.length})`,
    table(
      [
        { label: 'Application / decision', class: 'id', value: (a) => (ctx.can('decisions:read') ? link(`#/decisions/${encodeURIComponent(a)}`, a) : a) },
        { label: '', value: (a) => link(`#/fraud/graph/${encodeURIComponent(a)}`, 'graph') },
      ],
      c.applicationIds,
      { empty: 'No application linked.' },
    ),
  );
  const notes = section(
    'Notes',
    table(
      [
        { label: 'At (UTC)', value: (n) => formatTime(n.at) },
        { label: 'By', value: (n) => n.by },
        { label: 'Note', value: (n) => n.text },
      ],
      c.notes,
      { empty: 'No note yet.' },
    ),
  );
  const evidence = section(
    'Evidence',
    table(
      [
        { label: 'At (UTC)', value: (e) => formatTime(e.at) },
        { label: 'By', value: (e) => e.by },
        { label: 'Kind', value: (e) => e.kind },
        { label: 'Reference', value: (e) => e.ref },
        { label: 'Data', value: (e) => (e.data === undefined ? '' : h('details', {}, h('summary', {}, 'show'), json(e.data))) },
      ],
      c.evidence,
      { empty: 'No evidence yet.' },
    ),
  );
  const history = section(
    'History',
    table(
      [
        { label: 'At (UTC)', value: (e) => formatTime(e.at) },
        { label: 'By', value: (e) => e.by },
        { label: 'Action', value: (e) => e.action },
        { label: 'Detail', value: (e) => (e.detail ? Object.entries(e.detail).map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ') : '') },
      ],
      c.history,
    ),
  );
  return [h('div', { class: 'columns' }, h('div', {}, info, apps), h('div', {}, actions, notes)), evidence, history];
}

function caseActions(c, ctx, act, reload) {
  const out = h('div');
  const done = () => reload();
  const forms = [];
  // Each form shows the API's answer to it right under it.
  const form = (title, controls, bodyOf, submitLabel = title) => {
    const formOut = h('div');
    const f = h('form', { class: 'action-form' }, h('strong', {}, title), controls, h('button', { type: 'submit', class: 'primary' }, submitLabel));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(out);
      clear(formOut);
      try {
        await act(bodyOf());
        done();
      } catch (err) {
        formOut.append(errorBox(err));
      }
    });
    forms.push(f, formOut);
  };
  const buttons = h('div', { class: 'actions' });
  if (c.state === 'open') buttons.append(actionButton('Start investigation', () => act({ action: 'start' }), { out, done }));
  if (c.state !== 'resolved' && c.assignee !== ctx.me.userName) buttons.append(actionButton('Assign to me', () => act({ action: 'assign', assignee: ctx.me.userName }), { out, done, class: '' }));

  const note = h('textarea', { placeholder: 'What you found, what you did', required: true });
  form('Add a note', field('Note', note), () => ({ action: 'note', text: note.value }), 'Add note');

  if (c.state !== 'resolved') {
    const assignee = h('input', { value: c.assignee ?? '', size: 14, required: true });
    form('Assign', field('Assignee (user name)', assignee), () => ({ action: 'assign', assignee: assignee.value.trim() }));
    const priority = select('priority', PRIORITIES, c.priority);
    form('Priority', field('Priority', priority), () => ({ action: 'priority', priority: priority.value }), 'Set priority');
    const linkIds = h('input', { placeholder: 'dec_…, dec_…', size: 30 });
    form('Link applications', field('Application ids (comma separated)', linkIds), () => ({ action: 'link', applicationIds: linkIds.value.split(',').map((x) => x.trim()).filter(Boolean) }), 'Link');
    const disposition = select('disposition', DISPOSITIONS, 'false_positive');
    const summary = h('textarea', { placeholder: 'Why: what the evidence shows', required: true });
    form('Resolve', [field('Disposition', disposition), field('Summary', summary)], () => ({ action: 'resolve', disposition: disposition.value, summary: summary.value }));
  } else {
    const reason = h('textarea', { placeholder: 'Why the case is reopened', required: true });
    form('Reopen', field('Reason', reason), () => ({ action: 'reopen', reason: reason.value }));
  }
  return [buttons, out, forms];
}

function ringList(view, ctx) {
  const body = h('div');
  const out = h('div');
  const head = h('div', { class: 'actions' }, actionButton('Run ring detection now', () => call('rings.detect', { body: {} }), {
    out,
    done: (r) => {
      const rings = Array.isArray(r.rings) ? r.rings.length : 0;
      const opened = Array.isArray(r.casesOpened) ? r.casesOpened.length : 0;
      out.append(h('div', { class: 'success' }, `Detection finished: ${rings} ring(s) found, ${opened} new case(s) opened.`));
      showRings();
    },
  }));
  view.append(section('Rings of the last detection run', head, out, body));
  const showRings = () =>
    load(body, () => call('rings.list', { query: { limit: 200 } }), (r) =>
      table(
        [
          { label: 'Ring', class: 'id', value: (x) => link(`#/fraud/rings/${encodeURIComponent(x.id)}`, x.id) },
          { label: 'Score', class: 'num', value: (x) => String(x.score) },
          { label: 'Applications', class: 'num', value: (x) => String(x.size) },
          { label: 'Detected (UTC)', value: (x) => formatTime(x.detectedAt) },
        ],
        r.items,
        { onRow: (x) => ctx.navigate(`fraud/rings/${encodeURIComponent(x.id)}`), empty: 'No ring found in the last run.' },
      ),
    );
  showRings();
}

function ringDetail(view, ctx, id) {
  view.append(h('div', { class: 'crumbs' }, link('#/fraud/rings', '← Rings'), ` / ${id}`));
  const body = h('div');
  view.append(body);
  load(body, () => call('rings.get', { params: { id } }), (r) => [
    section(
      `Ring ${r.id}`,
      kv([
        ['Score', String(r.score)],
        ['Detected (UTC)', formatTime(r.detectedAt)],
        ...Object.entries(r.factors ?? {}).map(([k, v]) => [k, formatValue(v)]),
      ]),
    ),
    h(
      'div',
      { class: 'columns' },
      section(
        `Members (${r.members.length})`,
        table(
          [
            { label: 'Application', class: 'id', value: (m) => (ctx.can('decisions:read') ? link(`#/decisions/${encodeURIComponent(m)}`, m) : m) },
            { label: '', value: (m) => link(`#/fraud/graph/${encodeURIComponent(m)}`, 'graph') },
          ],
          r.members,
        ),
      ),
      section(
        'Tying identifiers (hashes)',
        table(
          [
            { label: 'Kind', value: (l) => l.kind },
            { label: 'Key', class: 'id', value: (l) => l.key },
            { label: 'Members sharing it', class: 'num', value: (l) => String(l.members) },
          ],
          r.links,
        ),
      ),
    ),
  ]);
}

function graphView(view, ctx, applicationId) {
  const appInput = h('input', { name: 'applicationId', value: applicationId ?? '', placeholder: 'dec_… (application id)', size: 36 });
  const hops = select('hops', ['1', '2', '3'], ctx.query.get('hops') ?? '2');
  const limit = select('limit', ['50', '100', '200', '500'], ctx.query.get('limit') ?? '100');
  const form = h('form', { class: 'filters' }, field('Application', appInput), field('Hops', hops), field('Max applications', limit), h('button', { type: 'submit', class: 'primary' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (appInput.value.trim()) ctx.navigate(`fraud/graph/${encodeURIComponent(appInput.value.trim())}`, { hops: hops.value, limit: limit.value });
  });
  const body = h('div');
  view.append(section('Identity graph neighbourhood', h('p', { class: 'empty' }, 'Applications linked through shared identifiers (phone, device, IP, ID number, bank card …). Identifiers are shown as hashes: the graph never stores the values.'), form, body));
  if (!applicationId) return;
  load(
    body,
    async () => {
      const [graph, backtrack] = await Promise.all([
        call('graph.neighbourhood', { params: { applicationId }, query: { hops: hops.value, limit: limit.value } }),
        call('graph.backtrack', { params: { applicationId } }).catch(() => null),
      ]);
      return { graph, backtrack };
    },
    ({ graph, backtrack }) => [
      graph.truncated ? h('div', { class: 'notice' }, 'The neighbourhood was cut at the limit; raise it to see more.') : null,
      graphSvg(graph, ctx),
      h('div', { class: 'columns' },
        h('div', {}, h('h3', {}, `Applications (${graph.applications.length})`), table(
          [
            { label: 'Application', class: 'id', value: (a) => link(`#/fraud/graph/${encodeURIComponent(a.id)}`, a.id) },
            { label: 'Hop', class: 'num', value: (a) => String(a.hop) },
            { label: 'Status', value: (a) => badge(a.status) },
            { label: 'Applied (UTC)', value: (a) => formatTime(a.appliedAt) },
            { label: '', value: (a) => (ctx.can('decisions:read') ? link(`#/decisions/${encodeURIComponent(a.id)}`, 'decision') : '') },
          ],
          graph.applications,
        )),
        h('div', {}, h('h3', {}, `Identifiers (${graph.identifiers.length})`), table(
          [
            { label: 'Kind', value: (i) => i.kind },
            { label: 'Hash', class: 'id', value: (i) => i.key },
            { label: 'Applications', class: 'num', value: (i) => String(i.applications) },
            { label: 'Hub', value: (i) => (i.hub ? 'yes (not followed)' : '') },
          ],
          graph.identifiers,
        )),
      ),
      backtrack?.cases?.length ? h('div', {}, h('h3', {}, 'Cases this application is in'), table(
        [{ label: 'Case', class: 'id', value: (c) => link(`#/fraud/cases/${encodeURIComponent(c.id)}`, c.title ?? c.id) }, { label: 'State', value: (c) => (c.state ? badge(c.state) : '') }],
        backtrack.cases,
      )) : null,
    ],
  );
}

function graphSvg(graph, ctx) {
  const layout = layoutNeighbourhood(graph);
  const pos = new Map(layout.nodes.map((n) => [n.id, n]));
  const svg = s('svg', { class: 'graph', viewBox: `0 0 ${layout.width} ${layout.height}`, role: 'img', 'aria-label': `Identity graph around ${graph.root}` });
  for (const e of layout.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    svg.append(s('line', { x1: a.x.toFixed(1), y1: a.y.toFixed(1), x2: b.x.toFixed(1), y2: b.y.toFixed(1) }, s('title', {}, `${e.from} —${e.role}→ ${e.to}`)));
  }
  for (const n of layout.nodes.filter((x) => x.identifier)) {
    svg.append(s('rect', { class: ['ident', n.hub ? 'hub' : null], x: (n.x - 5).toFixed(1), y: (n.y - 5).toFixed(1), width: 10, height: 10 }, s('title', {}, `${n.kind} ${n.id}: ${n.applications} application(s)`)));
    svg.append(s('text', { x: (n.x + 7).toFixed(1), y: (n.y + 3).toFixed(1) }, n.kind));
  }
  for (const n of layout.nodes.filter((x) => !x.identifier)) {
    const circle = s('circle', { class: ['app', n.root ? 'root' : null, n.status], cx: n.x.toFixed(1), cy: n.y.toFixed(1), r: n.root ? 11 : 8 }, s('title', {}, `${n.id} (${n.status}, hop ${n.hop})`));
    circle.addEventListener('click', () => ctx.navigate(`fraud/graph/${encodeURIComponent(n.id)}`));
    svg.append(circle);
    svg.append(s('text', { x: (n.x + 12).toFixed(1), y: (n.y + 4).toFixed(1) }, `…${n.id.slice(-6)}`));
  }
  const legend = h('div', { class: 'legend' }, h('span', {}, h('span', { class: 'dot root' }), 'this application'), h('span', {}, h('span', { class: 'dot' }), 'application'), h('span', {}, h('span', { class: 'dot declined' }), 'declined / fraud'), h('span', {}, h('span', { class: 'sq' }), 'shared identifier (hash)'), 'Click an application to centre on it.');
  return h('div', {}, legend, svg);
}

function watchlistList(view, ctx) {
  const body = h('div');
  view.append(section('Watchlists', h('p', { class: 'empty' }, 'Read-only here: entries are stored as hashes with masked previews; changes are proposed and approved through the change-set API (maker-checker).'), body));
  load(body, () => call('watchlists.list').catch(tolerate404({ items: [] })), (r) =>
    table(
      [
        { label: 'Name', value: (w) => link(`#/fraud/watchlists/${encodeURIComponent(w.name)}`, w.name) },
        { label: 'Identifier kind', value: (w) => w.kind },
        { label: 'Entries', class: 'num', value: (w) => formatValue(w.entries) },
        { label: 'Description', value: (w) => w.description ?? '' },
      ],
      r.items ?? [],
      { onRow: (w) => ctx.navigate(`fraud/watchlists/${encodeURIComponent(w.name)}`), empty: 'No watchlist.' },
    ),
  );
}

/** The watchlist API is changing: a 404 means "not there (yet)", not a failure of the screen. */
function tolerate404(fallback) {
  return (err) => {
    if (err.status === 404) return fallback;
    throw err;
  };
}

function watchlistDetail(view, ctx, name) {
  view.append(h('div', { class: 'crumbs' }, link('#/fraud/watchlists', '← Watchlists'), ` / ${name}`));
  const body = h('div');
  view.append(body);
  load(
    body,
    async () => {
      const [list, changes] = await Promise.all([call('watchlists.get', { params: { name } }), call('watchlists.changes', { params: { name } }).catch(tolerate404(null))]);
      return { list, changes };
    },
    ({ list, changes }) => {
      const entries = Array.isArray(list.entries) ? list.entries : [];
      const columns = entries.length ? Object.keys(entries[0]).map((k) => ({ label: k, value: (e) => formatValue(e[k]) })) : [];
      const pending = changes?.items ?? [];
      return [
        section(`Watchlist ${list.name}`, kv([['Identifier kind', list.kind], ['Description', list.description ?? '—'], ['Live entries', String(entries.length)]]), table(columns, entries, { empty: 'No live entry.' })),
        changes
          ? section(
              'Change sets waiting for approval',
              table(
                [
                  { label: 'Change set', class: 'id', value: (c) => c.id },
                  { label: 'Status', value: (c) => badge(c.status) },
                  { label: 'Operation', value: (c) => c.operation },
                  { label: 'Entries', class: 'num', value: (c) => `+${c.entries} / −${c.removals}` },
                  { label: 'Reason', value: (c) => c.reason },
                  { label: 'Proposed by', value: (c) => `${c.proposedBy}, ${formatTime(c.proposedAt)}` },
                ],
                pending,
                { empty: 'Nothing waiting.' },
              ),
            )
          : null,
      ];
    },
  );
}

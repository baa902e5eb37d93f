// Variables: the catalog (inputs, velocity counts, external sources, derived values) filtered by source, tag and
// owner, and for one variable its definition and lineage: which flows, versions and nodes use it, directly or
// through other variables.
import { call } from '../api.js';
import { badge, field, h, json, kv, link, load, section, select, table } from '../dom.js';
import { formatValue } from '../format.js';

export function variablesScreen(view, ctx) {
  if (ctx.segments[0]) return variableDetail(view, ctx, ctx.segments[0]);
  const q = ctx.query;
  const source = select('source', [['', 'any'], 'input', 'derived', 'velocity', 'graph', 'external', 'model'], q.get('source') ?? '');
  const tag = h('input', { name: 'tag', value: q.get('tag') ?? '', size: 12 });
  const owner = h('input', { name: 'owner', value: q.get('owner') ?? '', size: 14 });
  const unused = h('input', { type: 'checkbox', name: 'unused' });
  unused.checked = q.get('unused') === 'true';
  const form = h('form', { class: 'filters' }, field('Source', source), field('Tag', tag), field('Owner', owner), field('Unused only', unused), h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('variables', { source: source.value, tag: tag.value.trim(), owner: owner.value.trim(), unused: unused.checked ? 'true' : '' });
  });
  const body = h('div');
  view.append(section('Variable catalog', form, body));
  load(body, () => call('variables.list', { query: { source: q.get('source'), tag: q.get('tag'), owner: q.get('owner'), unused: q.get('unused') } }), (r) =>
    table(
      [
        { label: 'Name', value: (v) => link(`#/variables/${encodeURIComponent(v.name)}`, v.name) },
        { label: 'Type', value: (v) => v.type },
        { label: 'Source', value: (v) => [badge(v.source, 'type'), v.externalSource ? ` ${v.externalSource}` : ''] },
        { label: 'Owner', value: (v) => v.owner ?? '' },
        { label: 'Tags', value: (v) => (v.tags ?? []).join(', ') },
        { label: 'PII', value: (v) => (v.pii ? badge('PII', 'review') : '') },
        { label: 'Description', value: (v) => v.description ?? '' },
      ],
      r.items,
      { onRow: (v) => ctx.navigate(`variables/${encodeURIComponent(v.name)}`), empty: 'No variable matches.' },
    ),
  );
}

function variableDetail(view, ctx, name) {
  view.append(h('div', { class: 'crumbs' }, link('#/variables', '← Variables'), ` / ${name}`));
  const body = h('div');
  view.append(body);
  load(
    body,
    async () => {
      const [variable, usage] = await Promise.all([call('variables.get', { params: { name } }), call('variables.usage', { params: { name } })]);
      return { variable, usage };
    },
    ({ variable, usage }) => {
      const { name: _n, description, velocity, ...rest } = variable;
      return [
        section(`Variable ${variable.name}`, h('p', {}, description ?? ''), kv(Object.entries(rest).map(([k, v]) => [k, formatValue(v)])), velocity ? [h('h3', {}, 'Velocity definition'), json(velocity)] : null),
        section(
          'Used by (lineage)',
          table(
            [
              { label: 'Flow', value: (u) => (ctx.can('objects:read') ? link(`#/governance/flows/${encodeURIComponent(u.flow)}/v/${encodeURIComponent(u.version)}`, `${u.flow} v${u.version}`) : `${u.flow} v${u.version}`) },
              { label: 'How', value: (u) => (u.direct ? 'directly' : 'through other variables') },
              { label: 'Via', value: (u) => (u.via ?? []).map((x) => [link(`#/variables/${encodeURIComponent(x)}`, x), ' ']) },
              { label: 'Nodes', value: (u) => (u.nodes ?? []).join(', ') },
            ],
            usage.usage ?? [],
            { empty: 'No flow uses this variable.' },
          ),
        ),
      ];
    },
  );
}

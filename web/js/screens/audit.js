// The audit log (auditors and admins): every change to users, keys, flows, models, watchlists, cases and loans, with
// who and when, in sequence order and filterable; and a check of its hash chain.
import { call } from '../api.js';
import { actionButton, cursorPager, field, h, json, load, section, table } from '../dom.js';
import { formatTime } from '../format.js';

export function auditScreen(view, ctx) {
  const q = ctx.query;
  const inputs = {
    action: h('input', { name: 'action', value: q.get('action') ?? '', placeholder: 'e.g. flow.approve', size: 16 }),
    objectKind: h('input', { name: 'objectKind', value: q.get('objectKind') ?? '', placeholder: 'e.g. flow', size: 12 }),
    objectId: h('input', { name: 'objectId', value: q.get('objectId') ?? '', size: 20 }),
    actor: h('input', { name: 'actor', value: q.get('actor') ?? '', placeholder: 'user id', size: 16 }),
    after: h('input', { name: 'after', type: 'number', min: 0, value: q.get('after') ?? '', placeholder: '0', size: 8 }),
  };
  const form = h(
    'form',
    { class: 'filters' },
    field('Action', inputs.action),
    field('Object kind', inputs.objectKind),
    field('Object id', inputs.objectId),
    field('Actor', inputs.actor),
    field('After sequence no.', inputs.after),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('audit', Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()])));
  });
  const verifyOut = h('div');
  const verify = actionButton('Verify the hash chain', () => call('audit.verify'), {
    out: verifyOut,
    class: '',
    done: (r, out) =>
      out.append(
        r.ok
          ? h('div', { class: 'success' }, `The chain is intact: ${r.entries} entries, head at #${r.headSeq}.`)
          : h('div', { class: 'error' }, h('strong', {}, 'The chain is broken. '), JSON.stringify(r)),
      ),
  });
  const body = h('div');
  view.append(section('Audit log', h('div', { class: 'actions' }, verify), verifyOut, form, body));

  const filters = { action: q.get('action'), objectKind: q.get('objectKind'), objectId: q.get('objectId'), actor: q.get('actor') };
  const pager = cursorPager(() => show(), q.get('after') || undefined);
  const show = () =>
    load(body, () => call('audit.list', { query: { ...filters, after: pager.cursor(), limit: 100 } }), (r) => {
      return [
        table(
          [
            { label: '#', class: 'num', value: (e) => String(e.seq) },
            { label: 'At (UTC)', value: (e) => formatTime(e.at) },
            { label: 'Actor', value: (e) => `${e.actorUserId}${e.actorKeyId ? ` (${e.actorKeyId})` : ''}` },
            { label: 'Action', value: (e) => h('code', {}, e.action) },
            { label: 'Object', value: (e) => `${e.objectKind} ${e.objectId}` },
            { label: 'Before / after', value: (e) => (e.before === null && e.after === null ? '' : h('details', {}, h('summary', {}, 'show'), e.before !== null ? [h('small', {}, 'before'), json(e.before)] : null, e.after !== null ? [h('small', {}, 'after'), json(e.after)] : null)) },
          ],
          r.items,
          { empty: 'No audit entry matches.' },
        ),
        pager.bar(r.nextAfter, `${r.items.length} entries`),
      ];
    });
  show();
}

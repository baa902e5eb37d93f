// Flows and models under governance: objects and their versions with status, a version's document, the diff of two
// versions, a new draft from pasted YAML (problems shown on their lines), and the maker-checker life cycle: submit,
// approve or reject with a comment, activate, roll back. The server enforces who may do what (and that the approver
// is not the author); the console only hides what the user's roles cannot do.
import { call, GOVERNED_KINDS } from '../api.js';
import { badge, clear, errorBox, field, h, link, load, section, select, table } from '../dom.js';
import { formatProblem, formatTime, formatValue, offsetOf, problemsByLine } from '../format.js';

const LABEL = { flows: 'Flows', models: 'Models' };
const SINGULAR = { flows: 'flow', models: 'model' };

export function governanceScreen(view, ctx) {
  const [kind = 'flows', id, sub, version] = ctx.segments;
  if (!GOVERNED_KINDS.includes(kind)) return ctx.navigate('governance/flows');
  view.append(h('nav', { class: 'subnav' }, GOVERNED_KINDS.map((k) => h('a', { href: `#/governance/${k}`, class: k === kind ? 'active' : undefined }, LABEL[k]))));
  if (!id) return objectList(view, ctx, kind);
  if (id === 'new' && !sub) return newDraft(view, ctx, kind);
  if (sub === 'v' && version) return versionView(view, ctx, kind, id, version);
  if (sub === 'diff') return diffView(view, ctx, kind, id);
  return objectView(view, ctx, kind, id);
}

function objectList(view, ctx, kind) {
  const body = h('div');
  const head = h('div', { class: 'actions' });
  if (ctx.can('objects:edit')) head.append(h('a', { href: `#/governance/${kind}/new` }, `+ New ${SINGULAR[kind]} draft from YAML`));
  view.append(section(LABEL[kind], head, body));
  load(body, () => call(`${kind}.list`), (r) =>
    table(
      [
        { label: 'Id', value: (o) => link(`#/governance/${kind}/${encodeURIComponent(o.objectId)}`, o.objectId) },
        { label: 'Active version', value: (o) => o.activeVersion ?? '—' },
        { label: 'Latest version', value: (o) => o.latestVersion },
        { label: 'Latest status', value: (o) => badge(o.latestStatus) },
        { label: 'Versions', class: 'num', value: (o) => String(o.versions) },
      ],
      r.items,
      { onRow: (o) => ctx.navigate(`governance/${kind}/${encodeURIComponent(o.objectId)}`), empty: `No ${kind} yet.` },
    ),
  );
}

function crumbs(kind, id, rest) {
  return h('div', { class: 'crumbs' }, link(`#/governance/${kind}`, `← ${LABEL[kind]}`), id ? [' / ', link(`#/governance/${kind}/${encodeURIComponent(id)}`, id)] : null, rest ? ` / ${rest}` : null);
}

function objectView(view, ctx, kind, id) {
  view.append(crumbs(kind, id));
  const body = h('div');
  view.append(body);
  const reload = () => load(body, () => call(`${kind}.get`, { params: { id } }), (o) => renderObject(o, ctx, kind, reload));
  reload();
}

function renderObject(o, ctx, kind, reload) {
  const versions = [...o.versions].sort((a, b) => b.seq - a.seq);
  const versionTable = table(
    [
      { label: 'Version', value: (v) => link(`#/governance/${kind}/${encodeURIComponent(o.objectId)}/v/${encodeURIComponent(v.version)}`, v.version) },
      { label: 'Status', value: (v) => [badge(v.status), v.version === o.activeVersion ? ' ' : null, v.version === o.activeVersion ? badge('current') : null] },
      { label: 'Author', value: (v) => v.author },
      { label: 'Approver', value: (v) => v.approver ?? '—' },
      { label: 'Updated (UTC)', value: (v) => formatTime(v.updatedAt) },
      { label: 'Last comment', value: (v) => lastComment(v) },
      { label: 'Actions', value: (v) => versionActions(ctx, kind, o, v, reload) },
    ],
    versions,
  );

  const activations = table(
    [
      { label: 'Activated (UTC)', value: (a) => formatTime(a.activatedAt) },
      { label: 'Version', value: (a) => a.version },
      { label: 'Replaced', value: (a) => a.previousVersion ?? '—' },
      { label: 'By', value: (a) => a.activatedBy },
      { label: 'Reason', value: (a) => a.reason ?? '' },
    ],
    [...(o.activations ?? [])].sort((a, b) => String(b.activatedAt).localeCompare(String(a.activatedAt))),
    { empty: 'Never activated.' },
  );

  const fromSel = select('from', versions.map((v) => v.version), versions[1]?.version ?? versions[0]?.version);
  const toSel = select('to', versions.map((v) => v.version), versions[0]?.version);
  const diffForm = h('form', { class: 'filters' }, field('From', fromSel), field('To', toSel), h('button', { type: 'submit' }, 'Diff'));
  diffForm.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate(`governance/${kind}/${encodeURIComponent(o.objectId)}/diff`, { from: fromSel.value, to: toSel.value });
  });

  const head = h('div', { class: 'actions' });
  if (ctx.can('objects:edit') && versions[0]) head.append(h('a', { href: `#/governance/${kind}/new?from=${encodeURIComponent(o.objectId)}&version=${encodeURIComponent(versions[0].version)}` }, `+ New draft from v${versions[0].version}`));
  return [
    section(`${SINGULAR[kind]} ${o.objectId}`, h('p', {}, 'Active version: ', o.activeVersion ? h('strong', {}, o.activeVersion) : 'none'), head, versionTable),
    versions.length > 1 ? section('Compare two versions', diffForm) : null,
    section('Activation history', activations),
  ];
}

function lastComment(v) {
  const c = v.comments?.[v.comments.length - 1];
  return c ? `${c.action} by ${c.by}: ${c.text ?? ''}` : '';
}

/**
 * The buttons a version's status allows and the user's permissions grant. Each opens a small form for the comment
 * that goes into the version's history: required to approve or reject, optional otherwise.
 */
function versionActions(ctx, kind, o, v, reload) {
  const cell = h('div', { class: 'actions' });
  const out = h('div');
  const action = (label, name, options = {}) => {
    const button = h('button', { type: 'button', class: options.class ?? 'primary' }, label);
    button.addEventListener('click', () => {
      clear(out);
      const comment = h('textarea', { placeholder: options.commentRequired ? 'Comment (required)' : 'Comment (optional)', required: options.commentRequired });
      const err = h('div');
      const form = h(
        'form',
        { class: 'action-form' },
        options.warning ? h('div', { class: 'notice' }, options.warning) : null,
        field(`${label} v${v.version}: comment`, comment),
        h('button', { type: 'submit', class: 'primary' }, label),
        h('button', { type: 'button', onclick: () => clear(out) }, 'Cancel'),
      );
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clear(err);
        const text = comment.value.trim();
        const body = { ...(options.body ?? {}), ...(text || options.commentRequired ? { comment: comment.value } : {}) };
        try {
          await call(`${kind}.${name}`, { params: { id: o.objectId, version: v.version }, body });
          reload();
        } catch (error) {
          err.append(errorBox(error));
        }
      });
      out.append(form, err);
      comment.focus();
    });
    cell.append(button);
  };
  if (v.status === 'draft' && ctx.can('objects:edit')) action('Submit', 'submit');
  if (v.status === 'submitted' && ctx.can('objects:approve')) {
    action('Approve', 'approve', { commentRequired: true });
    action('Reject', 'reject', { commentRequired: true, class: 'danger' });
  }
  if (v.status === 'approved' && ctx.can('objects:activate')) {
    action('Activate', 'activate', { warning: `New decisions will use ${o.objectId} v${v.version}${o.activeVersion ? ` instead of v${o.activeVersion}` : ''}.` });
  }
  const wasActive = (o.activations ?? []).some((a) => a.version === v.version);
  if (v.status === 'retired' && wasActive && o.activeVersion && ctx.can('objects:activate')) {
    action('Roll back to this', 'rollback', { class: 'danger', body: { version: v.version }, warning: `Re-activates ${o.objectId} v${v.version} in place of v${o.activeVersion}.` });
  }
  return [cell, out];
}

function versionView(view, ctx, kind, id, version) {
  view.append(crumbs(kind, id, `v${version}`));
  const body = h('div');
  view.append(body);
  const reload = () =>
    load(
      body,
      async () => {
        const [v, o] = await Promise.all([call(`${kind}.version`, { params: { id, version } }), call(`${kind}.get`, { params: { id } })]);
        return { v, o };
      },
      ({ v, o }) => {
        const text = v.source ?? JSON.stringify(v.body, null, 2);
        const head = h('div', { class: 'actions' });
        if (ctx.can('objects:edit')) head.append(h('a', { href: `#/governance/${kind}/new?from=${encodeURIComponent(id)}&version=${encodeURIComponent(version)}` }, '+ New draft from this version'));
        return [
          section(
            `${SINGULAR[kind]} ${id} v${v.version}`,
            h('p', {}, badge(v.status), ` by ${v.author}`, v.approver ? `, approved by ${v.approver}` : '', `, ${formatTime(v.createdAt)} UTC`, v.seeded ? ' (seeded at start)' : ''),
            versionActions(ctx, kind, o, o.versions.find((x) => x.version === v.version) ?? v, reload),
            head,
            v.problems?.length ? h('div', {}, h('h3', {}, 'Problems'), problemList(v.problems)) : null,
            v.comments?.length ? h('div', {}, h('h3', {}, 'Comments'), table([
              { label: 'At (UTC)', value: (c) => formatTime(c.at) },
              { label: 'By', value: (c) => c.by },
              { label: 'Action', value: (c) => c.action },
              { label: 'Comment', value: (c) => c.text ?? '' },
            ], v.comments)) : null,
          ),
          section(`Document (${v.source ? v.sourceFormat : 'JSON'})`, sourceLines(text, v.problems)),
        ];
      },
    );
  reload();
}

/** The document with line numbers; lines with problems are marked and carry the problem as a tooltip. */
function sourceLines(text, problems) {
  const marks = problemsByLine(problems);
  return h(
    'div',
    { class: 'source-lines' },
    text.split('\n').map((line, i) => {
      const at = marks.get(i + 1);
      return h('div', { class: ['line', at ? 'problem' : null], title: at ? at.map(formatProblem).join('\n') : undefined }, h('span', { class: 'no' }, String(i + 1)), h('span', {}, line || ' '));
    }),
  );
}

function problemList(problems, onPick) {
  return h(
    'ul',
    { class: 'problems' },
    problems.map((p) => {
      const li = h('li', { class: p.severity === 'warning' ? 'sev-warning' : 'sev-error' }, formatProblem(p));
      if (onPick && p.line) li.addEventListener('click', () => onPick(p));
      return li;
    }),
  );
}

function diffView(view, ctx, kind, id) {
  const from = ctx.query.get('from');
  const to = ctx.query.get('to');
  view.append(crumbs(kind, id, `diff v${from} → v${to}`));
  const body = h('div');
  view.append(section(`Changes from v${from} to v${to}`, body));
  load(body, () => call(`${kind}.diff`, { params: { id }, query: { from, to } }), (r) =>
    table(
      [
        { label: 'Path', value: (c) => h('code', {}, c.path) },
        { label: 'Change', value: (c) => h('span', { class: `op-${c.op}` }, c.op) },
        { label: `v${r.from}`, value: (c) => ('before' in c ? h('pre', { class: 'json' }, formatValue(c.before)) : '') },
        { label: `v${r.to}`, value: (c) => ('after' in c ? h('pre', { class: 'json' }, formatValue(c.after)) : '') },
      ],
      r.changes,
      { class: 'diff', empty: 'The two versions are the same.' },
    ),
  );
}

function newDraft(view, ctx, kind) {
  view.append(crumbs(kind, null, 'new draft'));
  const editor = h('textarea', { class: 'yaml', spellcheck: 'false', placeholder: `Paste the ${SINGULAR[kind]} document (YAML or JSON) here` });
  const out = h('div');
  const preview = h('div');
  const fromId = ctx.query.get('from');
  const fromVersion = ctx.query.get('version');
  if (fromId && fromVersion) {
    call(`${kind}.version`, { params: { id: fromId, version: fromVersion } })
      .then((v) => {
        editor.value = v.source ?? JSON.stringify(v.body, null, 2);
      })
      .catch((err) => out.append(errorBox(err)));
  }
  const contentType = () => (/^\s*[{[]/.test(editor.value) ? 'application/json' : 'application/yaml');
  const pick = (p) => {
    editor.focus();
    const at = offsetOf(editor.value, p.line, p.column ?? 1);
    editor.setSelectionRange(at, at);
  };
  const showProblems = (problems, okText) => {
    clear(preview);
    if (!problems.length) {
      out.append(h('div', { class: 'success' }, okText));
      return;
    }
    const errors = problems.filter((p) => p.severity !== 'warning').length;
    out.append(h('div', { class: errors ? 'error' : 'notice' }, h('strong', {}, `${errors} error(s), ${problems.length - errors} warning(s) — click one to put the cursor on it:`), problemList(problems, pick)));
    preview.append(section('Where', sourceLines(editor.value, problems)));
  };
  const validate = h('button', { type: 'button' }, 'Validate');
  validate.addEventListener('click', async () => {
    clear(out);
    try {
      const r = await call(`${kind}.validate`, { body: editor.value, contentType: contentType() });
      showProblems(r.problems, 'Valid: no problem found.');
    } catch (err) {
      out.append(errorBox(err));
    }
  });
  const create = h('button', { type: 'button', class: 'primary' }, 'Create draft');
  create.addEventListener('click', async () => {
    clear(out);
    try {
      const v = await call(`${kind}.create`, { body: editor.value, contentType: contentType() });
      const target = `#/governance/${kind}/${encodeURIComponent(v.objectId)}/v/${encodeURIComponent(v.version)}`;
      out.append(h('div', { class: 'success' }, `Draft ${v.objectId} v${v.version} created. `, link(target, 'Open it →')));
      showProblems(v.problems ?? [], 'It has no problem: it can be submitted for approval.');
    } catch (err) {
      out.append(errorBox(err));
      if (err.details?.some((d) => d.line)) preview.append(section('Where', sourceLines(editor.value, err.details)));
    }
  });
  view.append(
    section(
      `New ${SINGULAR[kind]} draft`,
      h('p', {}, 'The document names its id and version. Validation problems are listed with line and column; a draft with problems is kept but cannot be submitted.'),
      editor,
      h('div', { class: 'actions' }, validate, create),
      out,
    ),
    preview,
  );
}

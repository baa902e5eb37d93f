// Building the page without innerHTML: every piece of data from the API becomes a text node, so nothing it contains
// can run as markup (and the CSP forbids inline script and style besides).
import { formatProblem } from './format.js';

/** h('a', { href: '#/x', class: 'y', onclick: fn }, 'text', child, [more]) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, attrs);
  append(el, children);
  return el;
}

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** The API's error as the user should read it: its message, then each detail with field, line and column. */
export function errorBox(err) {
  const details = err?.details ?? [];
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('strong', {}, err?.code && err.code !== 'NETWORK' ? `${err.code}: ` : '', err?.message ?? String(err)),
    details.length ? h('ul', {}, details.map((d) => h('li', {}, formatProblem(d)))) : null,
  );
}

/** A table: columns [{ label, value: (row) => Node|string, class? }]; `onRow` makes rows clickable. */
export function table(columns, rows, options = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, options.empty ?? 'Nothing to show.');
  return h(
    'table',
    { class: ['grid', options.class] },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.label)))),
    h(
      'tbody',
      {},
      rows.map((row) => {
        const tr = h('tr', { class: options.rowClass?.(row) }, columns.map((c) => h('td', { class: c.class }, c.value(row))));
        if (options.onRow) {
          tr.classList.add('clickable');
          tr.tabIndex = 0;
          tr.addEventListener('click', (e) => {
            if (!(e.target instanceof HTMLAnchorElement) && !(e.target instanceof HTMLButtonElement)) options.onRow(row);
          });
          tr.addEventListener('keydown', (e) => {
            if (e.key === 'Enter') options.onRow(row);
          });
        }
        return tr;
      }),
    ),
  );
}

/** A definition list of [label, value] pairs (values may be nodes). */
export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

export function json(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

export function badge(text, kind) {
  return h('span', { class: ['badge', kind ?? String(text).toLowerCase()] }, text);
}

export function link(href, text) {
  return h('a', { href }, text);
}

export function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

/**
 * A button that runs an async action: disabled while it runs, the API's error shown in `out` (or beside it), and
 * `done(result)` called on success.
 */
export function actionButton(label, run, options = {}) {
  const out = options.out ?? h('div', { class: 'action-out' });
  const button = h('button', { type: 'button', class: options.class ?? 'primary' }, label);
  button.addEventListener('click', async () => {
    if (options.confirm && !window.confirm(options.confirm)) return;
    button.disabled = true;
    clear(out);
    try {
      const result = await run();
      options.done?.(result, out);
    } catch (err) {
      out.append(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return options.out ? button : h('span', { class: 'action' }, button, out);
}

/** Runs `load` and puts what `render` makes of its answer into `container`; shows a loading line and API errors. */
export async function load(container, loadFn, render) {
  clear(container).append(h('p', { class: 'loading' }, 'Loading…'));
  try {
    const data = await loadFn();
    clear(container);
    append(container, [render(data)]);
  } catch (err) {
    clear(container).append(errorBox(err));
  }
}

/** A labelled form field. */
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', {}, label), control, hint ? h('small', {}, hint) : null);
}

export function select(name, options, value) {
  return h('select', { name }, options.map((o) => {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    const opt = h('option', { value: v }, text);
    if (v === value) opt.selected = true;
    return opt;
  }));
}

/**
 * Cursor paging for a list screen: `cursor()` is the cursor of the page shown; `bar(nextCursor, label)` records the
 * next page's cursor and returns the Previous / Next bar, whose buttons call `show` again on the other page.
 */
export function cursorPager(show, first = undefined) {
  const cursors = [first];
  let page = 0;
  const button = (text, disabled, step) => {
    const b = h('button', { type: 'button', disabled }, text);
    b.addEventListener('click', () => {
      page += step;
      show();
    });
    return b;
  };
  return {
    cursor: () => cursors[page],
    bar(nextCursor, label) {
      const more = nextCursor !== null && nextCursor !== undefined && nextCursor !== '';
      if (more) cursors[page + 1] = nextCursor;
      return h('div', { class: 'pager' }, button('← Previous', page === 0, -1), `page ${page + 1} · ${label}`, button('Next →', !more, 1));
    },
  };
}

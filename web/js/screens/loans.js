// Loans: the loans newest first, filtered by state, funder and DPD bucket and paged by cursor; one loan (clicked in
// the list, or opened by id) with its state, DPD bucket, amounts due, repayment schedule, ledger transactions, relief
// requests and early-warning cases; and the funding partners with the volume committed to each on a day.
import { call } from '../api.js';
import { badge, cursorPager, field, h, kv, link, load, section, select, table } from '../dom.js';
import { formatMinor, formatPercent, formatTime, formatValue } from '../format.js';

// The API's values (GET /v1/loans validates them; an unknown one is a 400 naming the field).
const STATES = ['booked', 'routed', 'disbursed', 'current', 'delinquent', 'repaid', 'charged_off'];
const BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'];

export function loansScreen(view, ctx) {
  const tabs = [ctx.can('decisions:read') ? { path: 'loan', label: 'Loans' } : null, ctx.can('funding:read') ? { path: 'funders', label: 'Funders' } : null].filter(Boolean);
  const [tab, id] = ctx.segments;
  const current = tabs.find((t) => t.path === tab);
  if (!current) return ctx.navigate(`loans/${tabs[0].path}`);
  view.append(h('nav', { class: 'subnav' }, tabs.map((t) => h('a', { href: `#/loans/${t.path}`, class: t === current ? 'active' : undefined }, t.label))));
  if (current.path === 'funders') return fundersView(view, ctx);
  if (id) return loanView(view, ctx, id);
  return loanList(view, ctx);
}

function loanList(view, ctx) {
  const q = ctx.query;
  const stateSelect = select('state', [['', 'any'], ...STATES], q.get('state') ?? '');
  const bucketSelect = select('bucket', [['', 'any'], ...BUCKETS], q.get('bucket') ?? '');
  const funderInput = h('input', { name: 'funderId', value: q.get('funderId') ?? '', placeholder: 'any funder', list: 'funder-ids', size: 10 });
  const funderIds = h('datalist', { id: 'funder-ids' });
  const limitSelect = select('limit', ['25', '50', '100', '200'], q.get('limit') ?? '50');
  if (ctx.can('funding:read')) {
    call('funders.list').then((r) => funderIds.append(...r.items.map((f) => h('option', { value: f.funderId }, f.name ?? '')))).catch(() => undefined);
  }
  const filters = h(
    'form',
    { class: 'filters' },
    field('State', stateSelect),
    field('DPD bucket', bucketSelect),
    field('Funder', funderInput),
    funderIds,
    field('Page size', limitSelect),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('loans/loan', { state: stateSelect.value, bucket: bucketSelect.value, funderId: funderInput.value.trim(), limit: limitSelect.value });
  });

  const idInput = h('input', { name: 'loanId', placeholder: 'loan id', size: 36 });
  const open = h('form', { class: 'filters' }, field('Loan id', idInput), h('button', { type: 'submit' }, 'Open'));
  open.addEventListener('submit', (e) => {
    e.preventDefault();
    if (idInput.value.trim()) ctx.navigate(`loans/loan/${encodeURIComponent(idInput.value.trim())}`);
  });

  // Cursor paging: the server answers nextCursor; earlier cursors are kept so "Previous" can go back.
  const results = h('div');
  const pager = cursorPager(() => show());
  const show = () =>
    load(
      results,
      () => call('loans.list', { query: { state: q.get('state'), bucket: q.get('bucket'), funderId: q.get('funderId'), limit: q.get('limit') ?? '50', cursor: pager.cursor() } }),
      (r) => {
        return [
          table(
            [
              { label: 'Loan', class: 'id', value: (l) => link(`#/loans/loan/${encodeURIComponent(l.loanId)}`, l.loanId) },
              { label: 'State', value: (l) => badge(l.state) },
              { label: 'DPD', class: 'num', value: (l) => String(l.dpd) },
              { label: 'Bucket', value: (l) => badge(l.bucket, l.dpd > 0 ? 'review' : 'ok') },
              { label: 'Funder', value: (l) => l.funderId ?? '—' },
              { label: 'Principal outstanding', class: 'num', value: (l) => formatMinor(l.principalOutstanding, l.currency) },
              { label: 'Updated (UTC)', class: 'nowrap', value: (l) => formatTime(l.updatedAt) },
            ],
            r.items,
            { onRow: (l) => ctx.navigate(`loans/loan/${encodeURIComponent(l.loanId)}`), empty: 'No loan matches these filters.' },
          ),
          pager.bar(r.nextCursor, `${r.items.length} shown`),
        ];
      },
    );
  view.append(
    section(
      'Loans',
      filters,
      results,
      open,
      ctx.can('fraud:investigate') ? h('p', { class: 'empty' }, 'Loans needing attention open early-warning cases: see ', link('#/fraud/cases', 'the case queue'), ' (source early_warning).') : null,
    ),
  );
  show();
}

function loanView(view, ctx, loanId) {
  view.append(h('div', { class: 'crumbs' }, link('#/loans/loan', '← Loans'), ` / ${loanId}`));
  const body = h('div');
  view.append(body);
  load(
    body,
    async () => {
      const [loan, txs] = await Promise.all([call('loans.get', { params: { loanId } }), call('loans.transactions', { params: { loanId } })]);
      return { loan, txs: txs.items };
    },
    ({ loan, txs }) => renderLoan(loan, txs, ctx),
  );
}

function renderLoan(loan, txs, ctx) {
  const cur = loan.currency;
  const due = loan.due ?? {};
  const summary = section(
    `Loan ${loan.loanId}`,
    kv([
      ['State', badge(loan.state)],
      ['DPD bucket', [badge(loan.bucket, loan.dpd > 0 ? 'review' : 'ok'), ` ${loan.dpd} day(s) past due`]],
      ['Principal', formatMinor(loan.principal, cur)],
      ['Principal outstanding', formatMinor(loan.principalOutstanding, cur)],
      ['APR', formatPercent(loan.apr, 2)],
      ['Funder', loan.funderId ?? '—'],
      ['Disbursed on', loan.disbursedOn ?? '—'],
      ['Due now', `${formatMinor(due.total, cur)} (principal ${formatMinor(due.principal)}, interest ${formatMinor(due.interest)}, fee ${formatMinor(due.fee)}, penalty ${formatMinor(due.penalty)})`],
      ['Next instalment', loan.nextInstalment ? `#${loan.nextInstalment.seq} on ${loan.nextInstalment.due}: ${formatMinor(loan.nextInstalment.principal + loan.nextInstalment.interest + loan.nextInstalment.fee, cur)}` : '—'],
      ['Overpayment', formatMinor(loan.overpayment, cur)],
      ['Ledger reconciled', loan.reconciled === false ? badge('NO', 'decline') : 'yes'],
    ]),
  );
  const schedule = section(
    'Schedule',
    table(
      [
        { label: '#', class: 'num', value: (l) => String(l.seq) },
        { label: 'Due', class: 'nowrap', value: (l) => l.due },
        { label: 'Principal', class: 'num', value: (l) => formatMinor(l.principal) },
        { label: 'Interest', class: 'num', value: (l) => formatMinor(l.interest) },
        { label: 'Fee', class: 'num', value: (l) => formatMinor(l.fee) },
        { label: 'Instalment', class: 'num', value: (l) => formatMinor(l.principal + l.interest + l.fee) },
        { label: 'Billed', value: (l) => (l.billed ? 'yes' : '') },
      ],
      loan.schedule ?? [],
      { empty: 'No schedule yet: the schedule starts when the loan is disbursed.' },
    ),
  );
  const ledger = section(
    'Ledger transactions (oldest first)',
    table(
      [
        { label: 'Date', class: 'nowrap', value: (t) => t.date ?? String(t.day) },
        { label: 'Transaction', class: 'id', value: (t) => t.txId },
        { label: 'Kind', value: (t) => [t.kind, t.reversedBy ? h('small', {}, ` (reversed by ${t.reversedBy})`) : null, t.reverses ? h('small', {}, ` (reverses ${t.reverses})`) : null] },
        { label: 'Entries (debit + / credit −)', value: (t) => h('div', {}, (t.entries ?? []).map((e) => h('div', { class: 'mono' }, `${e.account}: ${formatMinor(e.amount)}`))) },
        { label: 'State after', value: (t) => t.stateTo ?? '' },
        { label: 'Memo', value: (t) => (t.memo ? Object.entries(t.memo).map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ') : '') },
      ],
      txs,
    ),
  );
  const relief = section(
    'Relief requests',
    table(
      [
        { label: 'Request', class: 'id', value: (r) => r.requestId },
        { label: 'Kind', value: (r) => r.kind },
        { label: 'Status', value: (r) => badge(r.status) },
        { label: 'Parameters', value: (r) => Object.entries(r.params ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ') },
        { label: 'Requested by', value: (r) => r.requestedBy },
        { label: 'Decided by', value: (r) => r.decidedBy ?? '—' },
        { label: 'Reason', value: (r) => r.reason },
      ],
      loan.reliefRequests ?? [],
      { empty: 'No relief request.' },
    ),
  );
  const cases = section(
    'Early-warning cases',
    table(
      [
        { label: 'Date', class: 'nowrap', value: (c) => c.date },
        { label: 'Case', class: 'id', value: (c) => (ctx.can('fraud:investigate') && c.caseId ? link(`#/fraud/cases/${encodeURIComponent(c.caseId)}`, c.caseId) : c.caseId ?? '') },
        { label: 'Rule', value: (c) => c.rule },
        { label: 'Severity', value: (c) => badge(c.severity) },
        { label: 'Status', value: (c) => badge(c.status) },
        { label: 'Message', value: (c) => c.message },
      ],
      loan.cases ?? [],
      { empty: 'No early-warning case.' },
    ),
  );
  return [h('div', { class: 'columns' }, summary, schedule), cases, relief, ledger];
}

function fundersView(view, ctx) {
  const date = h('input', { type: 'date', name: 'date', value: ctx.query.get('date') ?? new Date().toISOString().slice(0, 10) });
  const form = h('form', { class: 'filters' }, field('Usage on', date), h('button', { type: 'submit', class: 'primary' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('loans/funders', { date: date.value });
  });
  const body = h('div');
  view.append(section('Funding partners', form, body));
  load(
    body,
    async () => {
      const [funders, usage] = await Promise.all([call('funders.list'), call('funders.usage', { query: { date: date.value } })]);
      return { funders: funders.items, usage };
    },
    ({ funders, usage }) => [
      h('p', {}, `Committed on ${usage.day}: ${formatMinor(usage.total)} in total.`),
      table(
        [
          { label: 'Funder', value: (f) => `${f.funderId} ${f.name ?? ''}` },
          { label: 'Committed', class: 'num', value: (f) => formatMinor(usage.volume?.[f.funderId] ?? 0) },
          { label: 'Daily ceiling', class: 'num', value: (f) => formatMinor(f.dailyCeiling) },
          { label: 'Used', class: 'num', value: (f) => (f.dailyCeiling ? formatPercent((usage.volume?.[f.funderId] ?? 0) / f.dailyCeiling) : '—') },
          { label: 'Daily floor', class: 'num', value: (f) => formatMinor(f.dailyFloor) },
          { label: 'High-risk', class: 'num', value: (f) => `${formatMinor(usage.highRiskVolume?.[f.funderId] ?? 0)} (max ${formatPercent(f.maxHighRiskShare)})` },
          { label: 'Min rating', value: (f) => f.minRating ?? '—' },
          { label: 'Terms', value: (f) => (f.terms ?? []).join(', ') },
          { label: 'Products', value: (f) => (f.products ?? []).join(', ') },
          { label: 'Regions', value: (f) => (f.regions ?? []).join(', ') },
          { label: 'Cost of funds', class: 'num', value: (f) => formatPercent(f.costOfFunds, 2) },
        ],
        funders,
      ),
    ],
  );
}

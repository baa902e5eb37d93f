// Double-entry ledger of one loan. Every posting is a transaction whose entries sum to zero (debits positive,
// credits negative); an account's balance is the sum of its entries, kept incrementally and re-derivable at any
// time by `reconcileLedger`. Nothing is ever edited or deleted: a mistake is undone by a counter-entry.

/** The accounts of one loan. Receivables are debit balances; income, funding and memo offsets credit balances. */
export const ACCOUNTS = [
  'commitment', // memo: amount promised to the borrower at booking, not yet assigned to a funder
  'commitment_offset', // memo contra of the commitments
  'funder_commitment', // memo: amount a funder has agreed to fund, not yet disbursed
  'principal_not_due', // principal lent, not yet billed
  'principal_due', // billed principal not yet paid (overdue once its due day has passed)
  'interest_due',
  'fee_due',
  'penalty_due',
  'disbursement_clearing', // money paid out to the borrower (credit)
  'collections', // money received from the borrower (debit)
  'overpayment', // received beyond what was owed, held for the borrower (credit)
  'interest_income',
  'fee_income',
  'penalty_income',
  'relief_expense', // fees and penalties waived under hardship relief
  'write_off_expense',
] as const;
export type LedgerAccount = (typeof ACCOUNTS)[number];

export interface LedgerEntry {
  account: LedgerAccount;
  /** Signed minor units: positive debit, negative credit. */
  amount: number;
}

export type TransactionKind =
  | 'booked'
  | 'routed'
  | 'disbursed'
  | 'billed'
  | 'penalty_accrued'
  | 'repayment'
  | 'auto_deduction'
  | 'prepayment'
  | 'waiver'
  | 'deferral'
  | 'restructure'
  | 'charge_off'
  | 'state_change'
  | 'reversal';

export interface LedgerTransaction {
  txId: string;
  loanId: string;
  kind: TransactionKind;
  day: number;
  entries: LedgerEntry[];
  /** Loan state after this transaction, when the transaction moved it. */
  stateTo?: string;
  /** The transaction this one reverses (kind 'reversal'). */
  reverses?: string;
  /** Set on a transaction once it has been reversed. */
  reversedBy?: string;
  memo?: Record<string, unknown>;
}

export type Balances = Record<LedgerAccount, number>;

export function emptyBalances(): Balances {
  const b = {} as Balances;
  for (const a of ACCOUNTS) b[a] = 0;
  return b;
}

/** Builds entries from debit/credit pairs, dropping zero amounts. */
export function entries(debits: Partial<Record<LedgerAccount, number>>, credits: Partial<Record<LedgerAccount, number>>): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const [account, amount] of Object.entries(debits)) if (amount) out.push({ account: account as LedgerAccount, amount });
  for (const [account, amount] of Object.entries(credits)) if (amount) out.push({ account: account as LedgerAccount, amount: -amount });
  return out;
}

export function isBalanced(tx: Pick<LedgerTransaction, 'entries'>): boolean {
  let sum = 0;
  for (const e of tx.entries) {
    if (!Number.isSafeInteger(e.amount)) return false;
    sum += e.amount;
  }
  return sum === 0;
}

export function applyEntries(balances: Balances, list: readonly LedgerEntry[]): void {
  for (const e of list) balances[e.account] += e.amount;
}

/** The counter-entry of a transaction: the same accounts, every amount negated. */
export function counterEntries(tx: LedgerTransaction): LedgerEntry[] {
  return tx.entries.map((e) => ({ account: e.account, amount: -e.amount }));
}

export interface LedgerProblem {
  txId?: string;
  account?: LedgerAccount;
  message: string;
}

/** Re-derives every balance from the transactions and lists each disagreement and each unbalanced transaction. */
export function reconcileLedger(transactions: readonly LedgerTransaction[], balances: Balances): LedgerProblem[] {
  const problems: LedgerProblem[] = [];
  const derived = emptyBalances();
  for (const tx of transactions) {
    if (!isBalanced(tx)) problems.push({ txId: tx.txId, message: 'entries do not sum to zero' });
    applyEntries(derived, tx.entries);
  }
  for (const a of ACCOUNTS) {
    if (derived[a] !== balances[a]) problems.push({ account: a, message: `balance ${balances[a]} but transactions sum to ${derived[a]}` });
  }
  let total = 0;
  for (const a of ACCOUNTS) total += balances[a];
  if (total !== 0) problems.push({ message: `trial balance is off by ${total}` });
  return problems;
}

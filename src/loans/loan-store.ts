// What the loan service needs from storage. The database implementation is src/store/loans-store.ts.
import type { EarlyWarningAlert } from './early-warning.ts';
import type { LedgerTransaction } from './ledger.ts';
import type { LoanAccount, LoanState } from './loan-account.ts';
import type { Offer } from './offer.ts';

export interface StoredAccount {
  account: LoanAccount;
  version: number;
}

export interface LoanCase extends EarlyWarningAlert {
  caseId: string;
  status: 'open' | 'closed';
}

export interface LoanAuditInput {
  actorUserId: string;
  actorKeyId?: string | null;
  action: string;
  objectId: string;
  after?: unknown;
}

/** One unit of work, committed atomically: the account, its new transactions, and what goes with them. */
export interface LoanChange {
  account: LoanAccount;
  /** null when the account is new. */
  expectedVersion: number | null;
  newTransactions: LedgerTransaction[];
  offer?: Offer;
  cases?: Omit<LoanCase, 'caseId' | 'status'>[];
  audit?: LoanAuditInput[];
}

/** A page of the loan list: newest first, each filter optional. */
export interface LoanListQuery {
  state?: LoanState;
  funderId?: string;
  /** Inclusive bounds on days past due (a delinquency bucket is one such range). */
  minDpd?: number;
  maxDpd?: number;
  /** Only loans with ids below this one: the last id of the previous page (ids sort by creation time). */
  beforeId?: string;
  limit: number;
}

/** A listed account: its document without the ledger transactions, and when it last changed (ISO). */
export interface ListedAccount {
  account: Omit<LoanAccount, 'transactions'>;
  updatedAt: string;
}

export interface LoanStore {
  insertOffer(offer: Offer, decisionId: string | null): Promise<void>;
  getOffer(offerId: string): Promise<Offer | undefined>;
  /** Another offer on the same decision that was already accepted, if any. */
  acceptedSibling(offerId: string): Promise<string | undefined>;
  getAccount(loanId: string): Promise<StoredAccount | undefined>;
  /** Fails with CONFLICT when the account changed since it was read. */
  commit(change: LoanChange): Promise<void>;
  /** Loans the nightly run must process (disbursed, current, delinquent). */
  listServicedLoanIds(): Promise<string[]>;
  /** Loans matching the query, newest first, at most `limit`. */
  listAccounts(q: LoanListQuery): Promise<ListedAccount[]>;
  listCases(loanId: string): Promise<LoanCase[]>;
}

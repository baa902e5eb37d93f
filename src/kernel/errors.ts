// Every user-facing failure is a MingjianError with a code. The server maps codes to HTTP statuses in one table
// (src/server/errors.ts); the CLI maps them to exit codes in src/cli/main.ts.

export type ErrorCode =
  | 'USAGE'               // bad command-line usage
  | 'VALIDATION'          // a request, file or input failed validation; details list each problem
  | 'FLOW_INVALID'        // a flow failed to compile; details list each problem
  | 'INPUT_INVALID'       // an application did not match the flow's declared inputs
  | 'EVAL_ERROR'          // an expression failed at run time (e.g. integer division by zero)
  | 'NOT_FOUND'
  | 'CONFLICT'            // state does not allow the action (e.g. activating an unapproved version)
  | 'FORBIDDEN'           // authenticated but the role does not allow it
  | 'UNAUTHORIZED'        // no or unknown credentials
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'         // a dependency (database, external source) is down
  | 'INTERNAL';

/** One problem, located as precisely as the source allows. */
export interface ErrorDetail {
  /** JSON-pointer-like path of the offending field, e.g. `nodes[2].rules[0].when` or `application.age`. */
  path?: string;
  message: string;
  /** What was expected, when it helps (a type, a range, a list of names). */
  expected?: string;
  file?: string;
  line?: number;
  column?: number;
  node?: string;
  /** Warnings do not fail compilation. */
  severity?: 'error' | 'warning';
}

export class MingjianError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  constructor(code: ErrorCode, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'MingjianError';
    this.code = code;
    this.details = details;
  }
}

/** Formats a detail the way compilers do: `file:line:col: node: path: message (expected ...)`. */
export function formatDetail(d: ErrorDetail): string {
  const where = [d.file, d.line, d.column].filter((x) => x !== undefined).join(':');
  const parts = [where, d.node ? `node '${d.node}'` : '', d.path ?? ''].filter(Boolean);
  const exp = d.expected ? ` (expected ${d.expected})` : '';
  return `${parts.length ? parts.join(': ') + ': ' : ''}${d.severity === 'warning' ? 'warning: ' : ''}${d.message}${exp}`;
}

// Every call the console makes to the Mingjian API goes through this module, and every path it calls is in ENDPOINTS
// below, written as in /openapi.json. test/service/console.test.ts checks each entry against the server's OpenAPI
// document, so the console cannot drift from the API.

/** The governed kinds the Governance screen works on (the generic governance routes of src/server/routes/governance.ts). */
export const GOVERNED_KINDS = ['flows', 'models'];

function governed(kind) {
  return {
    [`${kind}.list`]: ['GET', `/v1/${kind}`],
    [`${kind}.create`]: ['POST', `/v1/${kind}`],
    [`${kind}.validate`]: ['POST', `/v1/${kind}/validate`],
    [`${kind}.get`]: ['GET', `/v1/${kind}/{id}`],
    [`${kind}.version`]: ['GET', `/v1/${kind}/{id}/versions/{version}`],
    [`${kind}.diff`]: ['GET', `/v1/${kind}/{id}/diff`],
    [`${kind}.submit`]: ['POST', `/v1/${kind}/{id}/versions/{version}/submit`],
    [`${kind}.approve`]: ['POST', `/v1/${kind}/{id}/versions/{version}/approve`],
    [`${kind}.reject`]: ['POST', `/v1/${kind}/{id}/versions/{version}/reject`],
    [`${kind}.activate`]: ['POST', `/v1/${kind}/{id}/versions/{version}/activate`],
    [`${kind}.rollback`]: ['POST', `/v1/${kind}/{id}/rollback`],
  };
}

/** name -> [method, path template]. */
export const ENDPOINTS = Object.freeze({
  whoami: ['GET', '/v1/whoami'],

  'decisions.list': ['GET', '/v1/decisions'],
  'decisions.get': ['GET', '/v1/decisions/{id}'],
  'decisions.replay': ['POST', '/v1/decisions/{id}/replay'],

  ...Object.assign({}, ...GOVERNED_KINDS.map(governed)),

  'cases.list': ['GET', '/v1/cases'],
  'cases.get': ['GET', '/v1/cases/{id}'],
  'cases.act': ['POST', '/v1/cases/{id}/actions'],
  'rings.list': ['GET', '/v1/rings'],
  'rings.get': ['GET', '/v1/rings/{id}'],
  'rings.detect': ['POST', '/v1/rings/detect'],
  'graph.neighbourhood': ['GET', '/v1/graph/{applicationId}'],
  'graph.backtrack': ['GET', '/v1/graph/{applicationId}/backtrack'],
  'watchlists.list': ['GET', '/v1/watchlists'],
  'watchlists.get': ['GET', '/v1/watchlists/{name}'],
  'watchlists.changes': ['GET', '/v1/watchlists/{name}/changes'],

  'loans.list': ['GET', '/v1/loans'],
  'loans.get': ['GET', '/v1/loans/{loanId}'],
  'loans.transactions': ['GET', '/v1/loans/{loanId}/transactions'],
  'funders.list': ['GET', '/v1/funders'],
  'funders.usage': ['GET', '/v1/funders/usage'],

  'variables.list': ['GET', '/v1/variables'],
  'variables.get': ['GET', '/v1/variables/{name}'],
  'variables.usage': ['GET', '/v1/variables/{name}/usage'],

  'audit.list': ['GET', '/v1/audit'],
  'audit.verify': ['GET', '/v1/audit/verify'],
});

/** The API's own error, with its code, message and field details ({ path, message, line, column, ... }). */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details ?? [];
  }
}

/** `/v1/flows/{id}` + { id: 'a b' } -> `/v1/flows/a%20b`; a missing parameter is a programming error. */
export function expandPath(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    const value = params[name];
    if (value === undefined || value === null || value === '') throw new Error(`path parameter '${name}' is missing for ${template}`);
    return encodeURIComponent(String(value));
  });
}

/** Query string of the defined, non-empty values. */
export function queryString(query = {}) {
  const pairs = Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return pairs.length ? '?' + new URLSearchParams(pairs.map(([k, v]) => [k, String(v)])).toString() : '';
}

const KEY_STORAGE = 'mingjian.apiKey';

/** The API key lives in sessionStorage: gone when the tab closes, never in a cookie or localStorage. */
export const session = {
  get key() {
    return globalThis.sessionStorage?.getItem(KEY_STORAGE) ?? null;
  },
  set key(value) {
    if (value) globalThis.sessionStorage.setItem(KEY_STORAGE, value);
    else globalThis.sessionStorage.removeItem(KEY_STORAGE);
  },
};

/** Listeners for 401 answers (the key was revoked or expired): the app signs out. */
const unauthorizedListeners = new Set();
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

/**
 * Calls an endpoint by name. `options.params` fill the path, `options.query` the query string, `options.body` is
 * sent as JSON (or as text when `options.contentType` is given, e.g. application/yaml). Answers the parsed body;
 * throws ApiError with the API's message and details on any non-2xx answer.
 */
export async function call(name, options = {}) {
  const endpoint = ENDPOINTS[name];
  if (!endpoint) throw new Error(`unknown endpoint '${name}'`);
  const [method, template] = endpoint;
  const headers = { accept: 'application/json' };
  const key = options.key ?? session.key;
  if (key) headers.authorization = `Bearer ${key}`;
  let body;
  if (options.body !== undefined) {
    if (options.contentType) {
      headers['content-type'] = options.contentType;
      body = String(options.body);
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
  }
  const url = expandPath(template, options.params) + queryString(options.query);
  let res;
  try {
    res = await fetch(url, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the server did not answer (${err?.message ?? err})`);
  }
  const text = await res.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    const error = parsed && typeof parsed === 'object' ? parsed.error : undefined;
    const apiError = error
      ? new ApiError(res.status, error.code, error.message, error.details)
      : new ApiError(res.status, 'HTTP_' + res.status, `${method} ${url} answered ${res.status} ${res.statusText}`);
    if (res.status === 401 && !options.key) for (const listener of unauthorizedListeners) listener(apiError);
    throw apiError;
  }
  return parsed;
}

// External data sources (credit bureau, identity verification, telecom): declared in configuration, called over
// HTTP with a timeout, retries with backoff, a circuit breaker and a TTL cache; on failure their variables take a
// fallback value and a reason code the flow can read, so the flow decides what missing bureau data means.

import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { LRUCache } from 'lru-cache';
import { Agent, request, type Dispatcher } from 'undici';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { readPath } from './velocity-event.ts';

const NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

export const ExternalSourceSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    method: Type.Union([Type.Literal('GET'), Type.Literal('POST')]),
    /** `{{input.applicant.idNumber}}` placeholders are filled from the application (URL-encoded). */
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    /** Header templates; `{{secret.NAME}}` reads the environment variable NAME once, when the source is created. */
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** JSON body template: a string leaf that is exactly `{{input.x}}` keeps the value's type; others interpolate. */
    body: Type.Optional(Type.Unknown()),
    /** Variable name -> dotted path in the JSON response. A path absent from the response gives null. */
    response: Type.Record(Type.String({ pattern: NAME }), Type.String({ minLength: 1 })),
    /** Variable set to `OK` or the failure's reason code (default `<name>Status`). */
    statusVariable: Type.Optional(Type.String({ pattern: NAME })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
    retries: Type.Optional(Type.Object({
      count: Type.Integer({ minimum: 0, maximum: 5 }),
      backoffMs: Type.Integer({ minimum: 0, maximum: 10_000 }),
      maxBackoffMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
    }, { additionalProperties: false })),
    circuitBreaker: Type.Optional(Type.Object({
      /** Consecutive failed calls that open the circuit. */
      failureThreshold: Type.Integer({ minimum: 1, maximum: 1000 }),
      /** How long the circuit stays open before one trial call is let through. */
      openMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
    }, { additionalProperties: false })),
    cache: Type.Optional(Type.Object({
      ttlMs: Type.Integer({ minimum: 1, maximum: 30 * 86_400_000 }),
      maxEntries: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    }, { additionalProperties: false })),
    /** Values the variables take when the source fails (variables not listed read null). */
    fallback: Type.Optional(Type.Record(Type.String({ pattern: NAME }), Type.Unknown())),
  },
  { additionalProperties: false },
);

export type ExternalSourceConfig = Static<typeof ExternalSourceSchema>;

/** Reason codes a failed source gives its status variable. */
export type SourceFailureReason =
  | 'SOURCE_TIMEOUT'
  | 'SOURCE_HTTP_ERROR' // a non-2xx status after the retries
  | 'SOURCE_NETWORK_ERROR'
  | 'SOURCE_BAD_RESPONSE' // not JSON, or not an object
  | 'SOURCE_CIRCUIT_OPEN'
  | 'SOURCE_INPUT_MISSING'; // a placeholder's input field is absent

export interface SourceOutcome {
  source: string;
  status: 'OK' | SourceFailureReason;
  values: Record<string, unknown>;
  fromCache: boolean;
  attempts: number;
  /** HTTP status of the last attempt, when one answered. */
  httpStatus?: number;
  millis: number;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSource = ajv.compile(ExternalSourceSchema);

function ajvDetails(errors: ErrorObject[] | null | undefined, prefix: string): ErrorDetail[] {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
    return { path: prefix + e.instancePath.replace(/\//g, '.'), message: `${e.message ?? 'invalid'}${extra}` };
  });
}

const PLACEHOLDER = /\{\{\s*(input|secret)\.([A-Za-z0-9_.]+)\s*\}\}/g;

/** Validates source declarations; secrets are checked against `env` (names only; values never appear in errors). */
export function validateExternalSources(input: unknown, env: Readonly<Record<string, string | undefined>>, prefix = 'sources'): ExternalSourceConfig[] {
  if (!Array.isArray(input)) throw new MingjianError('VALIDATION', 'external sources must be a list', [{ path: prefix, message: 'must be a list of sources' }]);
  const problems: ErrorDetail[] = [];
  const names = new Set<string>();
  input.forEach((raw, i) => {
    const p = `${prefix}[${i}]`;
    if (!validateSource(raw)) {
      problems.push(...ajvDetails(validateSource.errors, p));
      return;
    }
    const s = raw as ExternalSourceConfig;
    if (names.has(s.name)) problems.push({ path: `${p}.name`, message: `duplicate source '${s.name}'` });
    names.add(s.name);
    for (const [h, template] of Object.entries(s.headers ?? {})) {
      for (const m of template.matchAll(PLACEHOLDER)) {
        if (m[1] === 'secret' && !env[m[2]!]) problems.push({ path: `${p}.headers.${h}`, message: `environment variable '${m[2]}' is not set` });
      }
    }
    for (const m of s.url.matchAll(PLACEHOLDER)) {
      if (m[1] === 'secret') problems.push({ path: `${p}.url`, message: 'secrets belong in headers, not in the URL (URLs get logged)' });
    }
    try {
      new URL(s.url.replace(PLACEHOLDER, 'x'));
    } catch {
      problems.push({ path: `${p}.url`, message: `not a valid URL template: '${s.url}'` });
    }
    for (const name of Object.keys(s.fallback ?? {})) {
      if (!(name in s.response)) problems.push({ path: `${p}.fallback.${name}`, message: `'${name}' is not one of the source's response variables` });
    }
  });
  if (problems.length) throw new MingjianError('VALIDATION', `invalid external sources (${problems.length} problem${problems.length > 1 ? 's' : ''})`, problems);
  return input as ExternalSourceConfig[];
}

class InputMissing extends Error {}

function fill(template: string, input: unknown, secrets: Readonly<Record<string, string | undefined>>, encode: (s: string) => string): string {
  return template.replace(PLACEHOLDER, (_m, kind: string, path: string) => {
    if (kind === 'secret') return secrets[path] ?? '';
    const v = readPath(input, path.split('.'));
    if (v === undefined || v === null) throw new InputMissing(path);
    return encode(typeof v === 'string' ? v : JSON.stringify(v));
  });
}

function fillBody(template: unknown, input: unknown): unknown {
  if (typeof template === 'string') {
    const whole = /^\{\{\s*input\.([A-Za-z0-9_.]+)\s*\}\}$/.exec(template);
    if (whole) {
      const v = readPath(input, whole[1]!.split('.'));
      if (v === undefined) throw new InputMissing(whole[1]!);
      return v;
    }
    return fill(template, input, {}, (s) => s);
  }
  if (Array.isArray(template)) return template.map((t) => fillBody(t, input));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillBody(v, input)]));
  return template;
}

/** Closed -> open after N consecutive failures -> one trial call after `openMs` -> closed on success, open on failure. */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;

  constructor(
    private readonly failureThreshold: number,
    private readonly openMs: number,
    private readonly now: () => number,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.openMs ? 'half-open' : 'open';
  }

  /** Whether a call may go out now (in half-open, only one trial at a time). */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.openedAt !== null || this.failures >= this.failureThreshold) this.openedAt = this.now();
  }
}

export interface ExternalSourceOptions {
  /** Environment the secrets are read from (the config module passes process.env). */
  env: Readonly<Record<string, string | undefined>>;
  /** Clock for the circuit breaker (default Date.now). */
  now?: () => number;
  /** Waits between retries (tests may shorten it). */
  sleep?: (ms: number) => Promise<void>;
  /** Connection pool the calls go through (default: one of the source's own, with keep-alive). */
  dispatcher?: Dispatcher;
}

const DEFAULT_TIMEOUT_MS = 2000;

/** One declared source, ready to call. */
export class ExternalSource {
  readonly name: string;
  readonly statusVariable: string;
  readonly breaker: CircuitBreaker | null;
  private readonly cache: LRUCache<string, Record<string, unknown>> | null;
  private readonly inflight = new Map<string, Promise<SourceOutcome>>();
  private readonly secrets: Record<string, string | undefined>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly dispatcher: Dispatcher;

  constructor(readonly config: ExternalSourceConfig, options: ExternalSourceOptions) {
    this.name = config.name;
    this.statusVariable = config.statusVariable ?? `${config.name}Status`;
    const now = options.now ?? Date.now;
    this.breaker = config.circuitBreaker ? new CircuitBreaker(config.circuitBreaker.failureThreshold, config.circuitBreaker.openMs, now) : null;
    this.cache = config.cache ? new LRUCache({ max: config.cache.maxEntries ?? 100_000, ttl: config.cache.ttlMs, ttlResolution: 0, perf: { now } }) : null;
    // Only the secrets the headers name are kept.
    this.secrets = {};
    for (const template of Object.values(config.headers ?? {})) {
      for (const m of template.matchAll(PLACEHOLDER)) if (m[1] === 'secret') this.secrets[m[2]!] = options.env[m[2]!];
    }
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000 });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** The variables this source fills, its status variable included. */
  variables(): string[] {
    return [...Object.keys(this.config.response), this.statusVariable];
  }

  private failed(reason: SourceFailureReason, started: number, attempts: number, httpStatus?: number): SourceOutcome {
    const values: Record<string, unknown> = {};
    for (const name of Object.keys(this.config.response)) values[name] = this.config.fallback?.[name] ?? null;
    values[this.statusVariable] = reason;
    return { source: this.name, status: reason, values, fromCache: false, attempts, ...(httpStatus !== undefined ? { httpStatus } : {}), millis: performance.now() - started };
  }

  /** Calls the source for one application. Never throws: failures come back as fallback values with a reason code. */
  async fetch(input: unknown): Promise<SourceOutcome> {
    const started = performance.now();
    let url: string;
    let body: string | undefined;
    try {
      url = fill(this.config.url, input, {}, encodeURIComponent);
      body = this.config.body !== undefined ? JSON.stringify(fillBody(this.config.body, input)) : undefined;
    } catch (err) {
      if (err instanceof InputMissing) return this.failed('SOURCE_INPUT_MISSING', started, 0);
      throw err;
    }
    // The cache key is the request itself, so it changes exactly when the inputs the request uses change.
    const key = `${this.config.method} ${url}\n${body ?? ''}`;
    const cached = this.cache?.get(key);
    if (cached) return { source: this.name, status: 'OK', values: { ...cached }, fromCache: true, attempts: 0, millis: performance.now() - started };
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const call = this.call(url, body, key, started).finally(() => this.inflight.delete(key));
    this.inflight.set(key, call);
    return call;
  }

  private async call(url: string, body: string | undefined, key: string, started: number): Promise<SourceOutcome> {
    if (this.breaker && !this.breaker.tryAcquire()) return this.failed('SOURCE_CIRCUIT_OPEN', started, 0);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (const [h, template] of Object.entries(this.config.headers ?? {})) headers[h] = fill(template, {}, this.secrets, (s) => s);
    const retries = this.config.retries ?? { count: 0, backoffMs: 0 };
    let attempts = 0;
    let reason: SourceFailureReason = 'SOURCE_NETWORK_ERROR';
    let httpStatus: number | undefined;
    for (;;) {
      attempts++;
      httpStatus = undefined;
      let retryable = true;
      // A controller and a timer cleared on the way out: AbortSignal.timeout() costs about 8 us a call here, this 0.5.
      const timeout = new AbortController();
      const signal = timeout.signal;
      const timer = setTimeout(() => timeout.abort(), this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      try {
        // undici's request() rather than fetch(): the same HTTP/1.1 keep-alive pool without the WHATWG streams
        // fetch builds around every body, which cost about half a millisecond of CPU per decision.
        const res = await request(url, { method: this.config.method, headers, body: body ?? null, signal, dispatcher: this.dispatcher });
        httpStatus = res.statusCode;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          let json: unknown;
          try {
            json = await res.body.json();
          } catch {
            json = undefined;
          }
          if (json === null || typeof json !== 'object' || Array.isArray(json)) {
            reason = 'SOURCE_BAD_RESPONSE';
            retryable = false;
          } else {
            const values: Record<string, unknown> = {};
            for (const [name, path] of Object.entries(this.config.response)) values[name] = readPath(json, path.split('.')) ?? null;
            values[this.statusVariable] = 'OK';
            this.breaker?.success();
            this.cache?.set(key, values);
            return { source: this.name, status: 'OK', values: { ...values }, fromCache: false, attempts, httpStatus, millis: performance.now() - started };
          }
        } else {
          await res.body.dump();
          reason = 'SOURCE_HTTP_ERROR';
          // Client errors will not get better by asking again; 408 and 429 may.
          retryable = res.statusCode >= 500 || res.statusCode === 408 || res.statusCode === 429;
        }
      } catch {
        reason = signal.aborted ? 'SOURCE_TIMEOUT' : 'SOURCE_NETWORK_ERROR';
      } finally {
        clearTimeout(timer);
      }
      if (!retryable || attempts > retries.count) break;
      const delay = Math.min(retries.maxBackoffMs ?? 5000, retries.backoffMs * 2 ** (attempts - 1));
      if (delay > 0) await this.sleep(delay);
    }
    this.breaker?.failure();
    return this.failed(reason, started, attempts, httpStatus);
  }
}

export interface ExternalFetchResult {
  /** Every variable of the sources fetched, fallbacks and status variables included. The decision record keeps these. */
  values: Record<string, unknown>;
  outcomes: SourceOutcome[];
}

/** The declared sources of a deployment. */
export class ExternalSources {
  private readonly sources = new Map<string, ExternalSource>();

  constructor(configs: unknown, options: ExternalSourceOptions) {
    for (const c of validateExternalSources(configs, options.env)) this.sources.set(c.name, new ExternalSource(c, options));
  }

  names(): string[] {
    return [...this.sources.keys()];
  }

  get(name: string): ExternalSource | undefined {
    return this.sources.get(name);
  }

  /**
   * Fetches the named sources (those a flow needs, per lineage) in parallel, once each, for one decision.
   * Unknown names are a configuration error.
   */
  /** Closes the sources' connection pools. */
  async close(): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => s.close()));
  }

  async fetchForDecision(names: readonly string[], input: unknown): Promise<ExternalFetchResult> {
    const unknown = names.filter((n) => !this.sources.has(n));
    if (unknown.length) throw new MingjianError('VALIDATION', `unknown external source${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, unknown.map((n) => ({ path: 'sources', message: `unknown source '${n}'` })));
    const outcomes = await Promise.all([...new Set(names)].map((n) => this.sources.get(n)!.fetch(input)));
    const values: Record<string, unknown> = {};
    for (const o of outcomes) Object.assign(values, o.values);
    return { values, outcomes };
  }
}

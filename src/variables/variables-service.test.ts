// The decision path end to end below the HTTP API: the example consumer-loan flow, its variables configuration,
// the embedded velocity store and the simulated bureau and identity service called over real HTTP.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFlow, parseFlowSource, type CompiledFlow } from '../engine/index.ts';
import { MingjianError } from '../kernel/errors.ts';
import { EmbeddedVelocityStore } from './embedded-velocity-store.ts';
import { ExternalSources } from './external-source.ts';
import { handleSimulatedSource } from './simulated-sources.ts';
import { openSqlite } from './test-support.ts';
import { loadVariablesConfigFile, type VariablesConfig } from './variables-config.ts';
import { VariablesService } from './variables-service.ts';

const FLOW_FILE = new URL('../../examples/flows/consumer-loan.yaml', import.meta.url);
const APPLICATIONS = new URL('../../examples/applications/consumer-loan.jsonl', import.meta.url);
const CONFIG_FILE = new URL('./examples/consumer-loan.variables.yaml', import.meta.url).pathname;
const T0 = Date.UTC(2026, 5, 1, 9);

let server: Server;
let calls = 0;
let db: Kysely<any>;
let config: VariablesConfig;
let flow: CompiledFlow;
let store: EmbeddedVelocityStore;
let service: VariablesService;

beforeAll(async () => {
  server = createServer((req, res) => {
    calls++;
    if (!handleSimulatedSource(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  config = loadVariablesConfigFile(CONFIG_FILE, { env: {}, selfBaseUrl: base });
  flow = compileFlow(parseFlowSource(readFileSync(FLOW_FILE, 'utf8')).definition);
  db = await openSqlite();
  store = await EmbeddedVelocityStore.open({ db, definitions: config.velocity });
  service = new VariablesService({
    catalog: config.catalog,
    velocityDefinitions: config.velocity,
    velocity: store,
    sources: new ExternalSources(config.sources, { env: {} }),
    personalFields: config.personalFields,
    hashKey: Buffer.alloc(32, 7),
    now: () => T0 + 86_400_000,
  });
});
afterAll(async () => {
  await db?.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

const applications = readFileSync(APPLICATIONS, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const externalFields = ['bureauStatus', 'bureauScore', 'bureauInquiries6m', 'bureauDelinquencies12m'];

async function decide(application: Record<string, unknown>, id: string, time: number) {
  const own = Object.fromEntries(Object.entries(application).filter(([k]) => !externalFields.includes(k)));
  const deps = { flow: flow.id, version: flow.version, dependencies: flow.dependencies };
  const enriched = await service.enrich(deps, own, { id, time });
  const result = flow.evaluate({ ...own, ...enriched.values }, { now: time, watchlist: () => false });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  await service.recordDecision(own, { id, time, outcome: result.decision });
  return { enriched, result };
}

describe('variables on the decision path', () => {
  it('fills the flow with velocity and simulated bureau values, then counts the application', async () => {
    const app = applications[0]!;
    const first = await decide(app, 'd-1', T0);
    expect(first.enriched.velocity).toEqual({ deviceApps1h: 1, deviceDistinctIds24h: 1, ipApps24h: 1 });
    expect(first.enriched.external.map((o) => [o.source, o.status])).toEqual([['creditBureau', 'OK']]);
    expect(first.enriched.values.bureauReason).toBe('OK');
    expect(['ok', 'no_record']).toContain(first.enriched.values.bureauStatus);
    expect(calls).toBe(1); // only the bureau: the flow reads nothing of the identity source

    // Same device, another identity, 10 minutes later; then a third identity 2 hours later.
    const second = await decide({ ...app, idNumber: '440301199512120021', fullName: '李娜' }, 'd-2', T0 + 600_000);
    expect(second.enriched.velocity).toEqual({ deviceApps1h: 2, deviceDistinctIds24h: 2, ipApps24h: 2 });
    const third = await decide({ ...app, idNumber: '32010219880101003X', fullName: '张伟' }, 'd-3', T0 + 2 * 3_600_000);
    expect(third.enriched.velocity).toEqual({ deviceApps1h: 1, deviceDistinctIds24h: 3, ipApps24h: 3 });
    expect(third.result.reasons).toContain('FR05'); // 3 identities on one device in 24 hours
  });

  it('stores only the fields velocity reads, with personal ones keyed-hashed', async () => {
    const rows = await db.selectFrom('velocity_events').select(['id', 'fields']).where('id', '=', 'd-1').execute();
    const fields = JSON.parse(rows[0]!.fields) as Record<string, unknown>;
    expect(Object.keys(fields).sort()).toEqual(['decision', 'deviceId', 'idNumber', 'ip']);
    expect(fields.idNumber).not.toBe(applications[0]!.idNumber);
    expect(JSON.stringify(fields)).not.toContain('王小明');
  });

  it('accepts other events, refusing ones from the future with the field named', async () => {
    expect(await service.ingestEvents([{ id: 'login-1', type: 'login', time: T0, fields: { deviceId: 'x' } }])).toEqual({ received: 1, recorded: 1 });
    await expect(service.ingestEvents([{ id: 'f', type: 'login', time: T0 + 3 * 86_400_000, fields: {} }])).rejects.toMatchObject({ code: 'VALIDATION', details: [{ path: 'events[0].time' }] });
    try {
      await service.ingestEvents([{ id: '', type: 'login', time: -1, fields: {}, extra: 1 }]);
      expect.unreachable();
    } catch (err) {
      expect([...new Set((err as MingjianError).details!.map((d) => d.path))].sort()).toEqual(['events[0]', 'events[0].id', 'events[0].time']);
    }
  });

  it('answers lineage questions about the example flow', () => {
    const deps = { flow: flow.id, version: flow.version, dependencies: flow.dependencies };
    expect(service.usage('deviceApps1h', [deps])).toEqual([{ flow: 'consumer-loan', version: 1, direct: true, via: [], nodes: expect.any(Array) }]);
    expect(service.unused([deps]).map((v) => v.name)).toEqual(expect.arrayContaining(['idDeclines30d', 'idValid', 'bureauReason']));
    expect(() => service.get('nope')).toThrow(/no variable 'nope'/);
  });
});

import { describe, expect, it } from 'vitest';
import { MingjianError } from '../kernel/errors.ts';
import { loadCatalog } from './catalog.ts';
import { externalSourcesNeeded, unusedVariables, variableUsage, variablesNeeded, type FlowVersionDependencies } from './lineage.ts';
import { compileVelocities } from './velocity-definition.ts';

const base = { owner: 'risk-team', description: 'd' };
const CATALOG = [
  { ...base, name: 'age', type: 'integer', source: 'input', tags: ['applicant'] },
  { ...base, name: 'deviceId', type: 'string', source: 'input', pii: false },
  { ...base, name: 'appsPerDevice1h', type: 'integer', source: 'velocity', default: 0, velocity: { name: 'appsPerDevice1h', aggregate: 'count', groupBy: 'deviceId', window: '1h' } },
  { ...base, name: 'bureau', type: 'object', source: 'external', externalSource: 'creditBureau' },
  { ...base, name: 'idCheck', type: 'object', source: 'external', externalSource: 'identityVerification' },
  { ...base, name: 'debtToIncome', type: 'number', source: 'derived', expr: 'bureau.debt / income', dependsOn: ['bureau', 'income'] },
  { ...base, name: 'income', type: 'integer', source: 'input' },
  { ...base, name: 'riskScore', type: 'number', source: 'model', dependsOn: ['debtToIncome', 'appsPerDevice1h'] },
  { ...base, name: 'legacyFlag', type: 'boolean', source: 'input' },
];

function flow(flowId: string, version: number, byNode: Record<string, string[]>, subflows: { flow: string; version?: number }[] = []): FlowVersionDependencies {
  const names = [...new Set(Object.values(byNode).flat())];
  return { flow: flowId, version, dependencies: { inputs: names, variables: [], lists: [], watchlists: [], subflows, byNode } };
}

describe('variable catalog', () => {
  it('loads a valid catalog and lists its velocity definitions', () => {
    const catalog = loadCatalog(CATALOG, { externalSources: ['creditBureau', 'identityVerification'] });
    expect(catalog.get('age')?.source).toBe('input');
    expect(compileVelocities(catalog.velocityDefinitions()).map((d) => d.name)).toEqual(['appsPerDevice1h']);
  });

  it('reports every problem with its path', () => {
    const bad = [
      { ...base, name: 'a', type: 'integer', source: 'velocity' },
      { ...base, name: 'b', type: 'number', source: 'derived', dependsOn: ['c', 'nope'] },
      { ...base, name: 'c', type: 'number', source: 'derived', dependsOn: ['b'] },
      { ...base, name: 'd', type: 'text', source: 'input' },
      { ...base, name: 'e', type: 'object', source: 'external', externalSource: 'unknownSource' },
      { ...base, name: 'f', type: 'integer', source: 'velocity', velocity: { name: 'f', aggregate: 'sum', groupBy: 'deviceId', window: '100d' } },
    ];
    try {
      loadCatalog(bad, { externalSources: ['creditBureau'] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MingjianError);
      const details = (err as MingjianError).details!.map((d) => `${d.path}: ${d.message}`);
      expect(details).toEqual(expect.arrayContaining([
        'variables[0].velocity: a velocity variable needs its velocity definition',
        "variables[1].dependsOn[1]: unknown variable 'nope'",
        "variables[4].externalSource: unknown external source 'unknownSource'",
        "variables[5].velocity.field: aggregate 'sum' needs a field",
        "variables[5].velocity.window: window '100d' is out of range",
      ]));
      expect(details.some((d) => d.startsWith('variables[3].type'))).toBe(true);
      expect(details.some((d) => d.includes('dependency cycle: b -> c -> b'))).toBe(true);
    }
  });
});

describe('lineage', () => {
  const catalog = loadCatalog(CATALOG);
  const loan = flow('consumer-loan', 3, { age_rules: ['age'], fraud: ['appsPerDevice1h', 'deviceId'], score: ['riskScore'] }, [{ flow: 'kyc', version: 1 }]);
  const kyc = flow('kyc', 1, { identity: ['idCheck.match'] });
  const old = flow('consumer-loan', 2, { rules: ['age', 'legacyFlag'] });
  const resolve = (id: string, version?: string | number) => [kyc].find((f) => f.flow === id && (version === undefined || f.version === version));

  it('lists what a flow needs, transitively through derived variables and sub-flows', () => {
    const needed = variablesNeeded(loan, catalog, resolve);
    expect(needed.map((v) => v.name)).toEqual(['age', 'appsPerDevice1h', 'bureau', 'debtToIncome', 'deviceId', 'idCheck', 'income', 'riskScore']);
    expect(needed.find((v) => v.name === 'bureau')).toEqual({ name: 'bureau', source: 'external', direct: false, via: ['riskScore'], nodes: [] });
    expect(needed.find((v) => v.name === 'idCheck')).toMatchObject({ direct: true, nodes: ['kyc@1/identity'] });
    expect(needed.find((v) => v.name === 'appsPerDevice1h')).toMatchObject({ direct: true, via: ['riskScore'], nodes: ['fraud'] });
    expect(externalSourcesNeeded(loan, catalog, resolve)).toEqual(['creditBureau', 'identityVerification']);
    expect(externalSourcesNeeded(old, catalog, resolve)).toEqual([]);
  });

  it('counts the key and field of a velocity variable as what it is computed from', () => {
    const fraudOnly = flow('fraud', 1, { f: ['appsPerDevice1h'] });
    expect(variablesNeeded(fraudOnly, catalog)).toEqual([
      { name: 'appsPerDevice1h', source: 'velocity', direct: true, via: [], nodes: ['f'] },
      { name: 'deviceId', source: 'input', direct: false, via: ['appsPerDevice1h'], nodes: [] },
    ]);
  });

  it('tells which flows, versions and nodes use a variable, and which variables nothing uses', () => {
    expect(variableUsage('age', [loan, old], catalog, resolve)).toEqual([
      { flow: 'consumer-loan', version: 3, direct: true, via: [], nodes: ['age_rules'] },
      { flow: 'consumer-loan', version: 2, direct: true, via: [], nodes: ['rules'] },
    ]);
    expect(variableUsage('income', [loan, old], catalog, resolve)).toEqual([{ flow: 'consumer-loan', version: 3, direct: false, via: ['riskScore'], nodes: [] }]);
    expect(unusedVariables([loan], catalog, resolve).map((v) => v.name)).toEqual(['legacyFlag']);
    expect(unusedVariables([loan, old], catalog, resolve)).toEqual([]);
  });
});

// The variables configuration file: the catalog plus the external sources, in one YAML/JSON document.
//   sources:   - simulated: creditBureau            (a built-in SIMULATED source, served by this Mingjian)
//              - { name, method, url, ... }          (a real provider, see ExternalSourceSchema)
//   variables: - { name, type, source, owner, ... } (see CatalogVariableSchema)

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { MingjianError } from '../kernel/errors.ts';
import { loadCatalog, type VariableCatalog } from './catalog.ts';
import { validateExternalSources, type ExternalSourceConfig } from './external-source.ts';
import { simulatedSourceConfigs } from './simulated-sources.ts';
import { compileVelocities, type CompiledVelocity } from './velocity-definition.ts';

export interface VariablesConfig {
  catalog: VariableCatalog;
  sources: ExternalSourceConfig[];
  velocity: CompiledVelocity[];
  /** Event fields stored keyed-hashed: the catalog's input variables marked pii. */
  personalFields: string[];
}

export interface LoadVariablesOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Where this Mingjian serves the simulated sources, e.g. http://127.0.0.1:8080. */
  selfBaseUrl: string;
}

/** Validates a parsed configuration document; every problem is reported with its path. */
export function loadVariablesConfig(doc: unknown, options: LoadVariablesOptions): VariablesConfig {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new MingjianError('VALIDATION', 'the variables configuration must be an object with `variables` and `sources`', [{ path: '(root)', message: 'must be an object' }]);
  const { sources: rawSources = [], variables = [], ...rest } = doc as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length) throw new MingjianError('VALIDATION', 'unknown keys in the variables configuration', extra.map((k) => ({ path: k, message: `unknown key '${k}'`, expected: 'sources, variables' })));
  if (!Array.isArray(rawSources)) throw new MingjianError('VALIDATION', 'sources must be a list', [{ path: 'sources', message: 'must be a list' }]);
  const simulated = simulatedSourceConfigs(options.selfBaseUrl);
  const sourceList = rawSources.map((s, i) => {
    if (s && typeof s === 'object' && 'simulated' in s) {
      const found = simulated.find((c) => c.name === (s as { simulated: unknown }).simulated);
      if (!found) throw new MingjianError('VALIDATION', 'unknown simulated source', [{ path: `sources[${i}].simulated`, message: `unknown simulated source '${String((s as { simulated: unknown }).simulated)}'`, expected: simulated.map((c) => c.name).join(', ') }]);
      return found;
    }
    return s;
  });
  const sources = validateExternalSources(sourceList, options.env);
  const catalog = loadCatalog(variables, { externalSources: sources.map((s) => s.name) });
  const velocity = compileVelocities(catalog.velocityDefinitions());
  const personalFields = [...catalog.variables.values()].filter((v) => v.pii && v.source === 'input').map((v) => v.name);
  return { catalog, sources, velocity, personalFields };
}

export function loadVariablesConfigFile(file: string, options: LoadVariablesOptions): VariablesConfig {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MingjianError('VALIDATION', `cannot read ${file}: ${(err as Error).message}`, [{ path: file, message: (err as Error).message }]);
  }
  return loadVariablesConfig(doc, options);
}

// Reading flow files for the CLI: YAML/JSON from disk, sub-flows resolved from the same folder as `<id>.yaml`
// (or .yml / .json), errors reported with file, line and column.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { checkFlow, compileFlow, parseFlowSource, type CompiledFlow, type FlowDefinition } from '../engine/index.ts';
import { expandScorecardSources } from '../scorecard/index.ts';

/** Scorecard sources are paths relative to the flow file. */
function expandSources(def: FlowDefinition, dir: string): FlowDefinition {
  return expandScorecardSources(def, (source) => readFileSync(isAbsolute(source) ? source : join(dir, source), 'utf8'));
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new MingjianError('NOT_FOUND', `cannot read flow file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function siblingFlow(dir: string, id: string): string | undefined {
  for (const ext of ['.yaml', '.yml', '.json']) {
    const p = join(dir, id + ext);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Compiles a flow file and, recursively, the sub-flows it calls. Throws FLOW_INVALID with every problem. */
export function loadFlowFile(path: string, cache = new Map<string, CompiledFlow>(), chain: string[] = []): CompiledFlow {
  const text = readText(path);
  const { definition, sourceMap } = parseFlowSource(text, path);
  const dir = dirname(path);
  return compileFlow(expandSources(definition, dir), {
    sourceMap,
    file: path,
    resolveFlow: (id) => resolveSibling(dir, id, cache, [...chain, path]),
  });
}

function resolveSibling(dir: string, id: string, cache: Map<string, CompiledFlow>, chain: string[]): CompiledFlow | undefined {
  const cached = cache.get(id);
  if (cached) return cached;
  const p = siblingFlow(dir, id);
  if (!p || chain.includes(p)) return undefined;
  const flow = loadFlowFile(p, cache, chain);
  cache.set(id, flow);
  return flow;
}

/** Every problem (errors and warnings) in a flow file, without throwing for flow errors. */
export function checkFlowFile(path: string): ErrorDetail[] {
  const text = readText(path);
  let parsed;
  try {
    parsed = parseFlowSource(text, path);
  } catch (e) {
    if (e instanceof MingjianError && e.details) return e.details;
    throw e;
  }
  const dir = dirname(path);
  const cache = new Map<string, CompiledFlow>();
  let definition: FlowDefinition;
  try {
    definition = expandSources(parsed.definition, dir);
  } catch (e) {
    if (e instanceof MingjianError && e.details) return e.details;
    throw e;
  }
  return checkFlow(definition, {
    sourceMap: parsed.sourceMap,
    file: path,
    resolveFlow: (id) => {
      try {
        return resolveSibling(dir, id, cache, [path]);
      } catch {
        return undefined;
      }
    },
  });
}

// The variable catalog: every variable a flow may read by name, with its type, owner, source kind and default.
// Loaded from configuration (YAML/JSON), validated once, then read-only.

import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { MingjianError, type ErrorDetail } from '../kernel/errors.ts';
import { validateVelocityDefinitions, VelocityDefinitionSchema, type VelocityDefinition } from './velocity-definition.ts';

export const VARIABLE_SOURCE_KINDS = ['input', 'derived', 'velocity', 'graph', 'external', 'model'] as const;
export type VariableSourceKind = (typeof VARIABLE_SOURCE_KINDS)[number];

export const VARIABLE_TYPES = ['number', 'integer', 'string', 'boolean', 'date', 'timestamp', 'list', 'object', 'any'] as const;

const NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

export const CatalogVariableSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME, maxLength: 100 }),
    type: Type.Union(VARIABLE_TYPES.map((t) => Type.Literal(t))),
    description: Type.String({ minLength: 1, maxLength: 2000 }),
    owner: Type.String({ minLength: 1, maxLength: 200 }),
    source: Type.Union(VARIABLE_SOURCE_KINDS.map((k) => Type.Literal(k))),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { uniqueItems: true })),
    /** Value used when the variable is missing for a decision. */
    default: Type.Optional(Type.Unknown()),
    /** Derived, model and graph variables: the catalog variables they are computed from. */
    dependsOn: Type.Optional(Type.Array(Type.String({ pattern: NAME }), { uniqueItems: true })),
    /** Derived variables: the expression (CEL) computing them; kept for documentation and lineage. */
    expr: Type.Optional(Type.String({ maxLength: 10_000 })),
    /** Velocity variables: the aggregate (its `name` must equal the variable's). */
    velocity: Type.Optional(VelocityDefinitionSchema),
    /** External variables: the source that fills them (see external-source.ts). */
    externalSource: Type.Optional(Type.String({ pattern: NAME })),
    /** Personal data: never logged, keyed-hashed where only equality is needed. */
    pii: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type CatalogVariable = Static<typeof CatalogVariableSchema> & { velocity?: VelocityDefinition };

export interface VariableCatalog {
  variables: ReadonlyMap<string, CatalogVariable>;
  get(name: string): CatalogVariable | undefined;
  /** Velocity definitions of the catalog's velocity variables, in catalog order. */
  velocityDefinitions(): VelocityDefinition[];
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateVariable = ajv.compile(CatalogVariableSchema);

function ajvDetails(errors: ErrorObject[] | null | undefined, prefix: string): ErrorDetail[] {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
    const allowed = e.keyword === 'const' ? ` (${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)})` : '';
    return { path: prefix + e.instancePath.replace(/\//g, '.'), message: `${e.message ?? 'invalid'}${extra}${allowed}` };
  });
}

/** Finds dependency cycles among derived variables; returns each cycle as a list of names. */
function findCycles(vars: ReadonlyMap<string, CatalogVariable>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (name: string) => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      cycles.push([...stack.slice(stack.indexOf(name)), name]);
      return;
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of vars.get(name)?.dependsOn ?? []) if (vars.has(dep)) visit(dep);
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of vars.keys()) visit(name);
  return cycles;
}

/** Validates a catalog (a list of variables) and throws one VALIDATION error listing every problem. */
export function loadCatalog(input: unknown, options: { externalSources?: readonly string[] } = {}): VariableCatalog {
  const prefix = 'variables';
  if (!Array.isArray(input)) throw new MingjianError('VALIDATION', 'the variable catalog must be a list', [{ path: prefix, message: 'must be a list of variables' }]);
  const problems: ErrorDetail[] = [];
  const vars = new Map<string, CatalogVariable>();
  input.forEach((raw, i) => {
    const p = `${prefix}[${i}]`;
    if (!validateVariable(raw)) {
      problems.push(...ajvDetails(validateVariable.errors, p));
      return;
    }
    const v = raw as CatalogVariable;
    if (vars.has(v.name)) problems.push({ path: `${p}.name`, message: `duplicate variable '${v.name}'` });
    vars.set(v.name, v);
    if (v.source === 'velocity') {
      if (!v.velocity) problems.push({ path: `${p}.velocity`, message: 'a velocity variable needs its velocity definition' });
      else {
        if (v.velocity.name !== v.name) problems.push({ path: `${p}.velocity.name`, message: `must equal the variable name '${v.name}'` });
        try {
          validateVelocityDefinitions([v.velocity], `${p}.velocity`);
        } catch (err) {
          problems.push(...((err as MingjianError).details ?? []).map((d) => ({ ...d, path: d.path?.replace(`${p}.velocity[0]`, `${p}.velocity`) })));
        }
      }
    } else if (v.velocity) problems.push({ path: `${p}.velocity`, message: `only velocity variables take a velocity definition (source is '${v.source}')` });
    if (v.source === 'external') {
      if (!v.externalSource) problems.push({ path: `${p}.externalSource`, message: 'an external variable needs the name of its source' });
      else if (options.externalSources && !options.externalSources.includes(v.externalSource)) {
        problems.push({ path: `${p}.externalSource`, message: `unknown external source '${v.externalSource}'`, expected: options.externalSources.join(', ') || 'a declared source' });
      }
    } else if (v.externalSource) problems.push({ path: `${p}.externalSource`, message: `only external variables take a source (source is '${v.source}')` });
    if (v.source === 'derived' && !v.dependsOn?.length) problems.push({ path: `${p}.dependsOn`, message: 'a derived variable must list the variables it is computed from' });
  });
  input.forEach((raw, i) => {
    const v = raw as CatalogVariable;
    (v?.dependsOn ?? []).forEach((dep, j) => {
      if (!vars.has(dep)) problems.push({ path: `${prefix}[${i}].dependsOn[${j}]`, message: `unknown variable '${dep}'` });
      if (dep === v.name) problems.push({ path: `${prefix}[${i}].dependsOn[${j}]`, message: 'a variable cannot depend on itself' });
    });
  });
  for (const cycle of findCycles(vars)) {
    if (cycle.length > 2) problems.push({ path: prefix, message: `dependency cycle: ${cycle.join(' -> ')}` });
  }
  if (problems.length) throw new MingjianError('VALIDATION', `invalid variable catalog (${problems.length} problem${problems.length > 1 ? 's' : ''})`, problems);
  const frozen = new Map([...vars].map(([k, v]) => [k, Object.freeze(v)]));
  return {
    variables: frozen,
    get: (name) => frozen.get(name),
    velocityDefinitions: () => [...frozen.values()].filter((v) => v.source === 'velocity').map((v) => v.velocity!),
  };
}

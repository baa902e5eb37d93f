import { readFileSync } from 'node:fs';
import { MingjianError } from '../../kernel/errors.ts';
import { compareProfiles, profileRecords } from '../../variables/data-quality.ts';
import type { FlowVersionDependencies } from '../../variables/lineage.ts';
import { externalSourcesNeeded, unusedVariables, variableUsage, variablesNeeded } from '../../variables/lineage.ts';
import { loadVariablesConfigFile, type VariablesConfig } from '../../variables/variables-config.ts';
import { parseCliArgs, type CliCommand } from '../command.ts';
import { loadFlowFile } from '../flow-files.ts';

const USAGE = `Usage: mingjian variables <sub-command> CONFIG [options]

CONFIG is a variables file (catalog + external sources), e.g. src/variables/examples/consumer-loan.variables.yaml.

  check CONFIG                        validate the catalog, velocity definitions and sources (secrets must be set)
  list CONFIG [--source K] [--tag T]  list variables (K: input, derived, velocity, graph, external, model)
  show CONFIG NAME                    one variable in full
  needs CONFIG --flow FILE            the catalog variables and external sources a flow needs, transitively
  usage CONFIG NAME --flow FILE...    which flows and nodes use a variable, directly or through others
  unused CONFIG --flow FILE...        catalog variables no given flow needs
  quality RECORDS.jsonl [--names a,b] [--baseline BASE.jsonl]
                                      missing rate, distribution and top values per variable from recorded
                                      decision values (one JSON object per line; a \`variables\` member is used
                                      when present); with --baseline, the change from that period (PSI)

Options: --json (machine-readable output), --base-url URL (where this Mingjian serves the simulated sources,
default http://127.0.0.1:8080).`;

function flowDeps(files: readonly string[]): FlowVersionDependencies[] {
  const cache = new Map();
  return files.map((f) => {
    const compiled = loadFlowFile(f, cache);
    return { flow: compiled.id, version: compiled.version, dependencies: compiled.dependencies };
  });
}

function readJsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => ({ l: l.trim(), i }))
    .filter(({ l }) => l)
    .map(({ l, i }) => {
      let rec: unknown;
      try {
        rec = JSON.parse(l);
      } catch (err) {
        throw new MingjianError('VALIDATION', `${file}:${i + 1}: not JSON`, [{ path: `${file}:${i + 1}`, message: (err as Error).message }]);
      }
      const r = rec as Record<string, unknown>;
      return r.variables && typeof r.variables === 'object' ? (r.variables as Record<string, unknown>) : r;
    });
}

function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}

export const command: CliCommand = {
  summary: 'Variable catalog, lineage, velocity and external sources; data quality of recorded values',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values: o, positionals } = parseCliArgs(
      rest,
      {
        json: { type: 'boolean' },
        source: { type: 'string' },
        tag: { type: 'string' },
        flow: { type: 'string', multiple: true },
        names: { type: 'string' },
        baseline: { type: 'string' },
        'base-url': { type: 'string' },
      },
      true,
    );
    const json = o.json ?? false;
    const load = (): VariablesConfig => {
      if (!positionals[0]) throw new MingjianError('USAGE', `variables ${sub}: missing CONFIG file`);
      // The CLI is an edge: it hands the environment in so header secrets can be checked.
      return loadVariablesConfigFile(positionals[0], { env: process.env, selfBaseUrl: o['base-url'] ?? 'http://127.0.0.1:8080' });
    };
    const flows = () => {
      if (!o.flow?.length) throw new MingjianError('USAGE', `variables ${sub}: give at least one --flow FILE`);
      return flowDeps(o.flow);
    };
    switch (sub) {
      case 'check': {
        const c = load();
        const bySource: Record<string, number> = {};
        for (const v of c.catalog.variables.values()) bySource[v.source] = (bySource[v.source] ?? 0) + 1;
        print(json, { valid: true, variables: c.catalog.variables.size, bySource, velocity: c.velocity.length, sources: c.sources.map((s) => s.name) }, () =>
          `${positionals[0]}: valid -- ${c.catalog.variables.size} variables (${Object.entries(bySource).map(([k, n]) => `${n} ${k}`).join(', ')}), sources: ${c.sources.map((s) => s.name).join(', ') || 'none'}`);
        return 0;
      }
      case 'list': {
        const c = load();
        const list = [...c.catalog.variables.values()].filter((v) => (!o.source || v.source === o.source) && (!o.tag || (v.tags ?? []).includes(o.tag)));
        print(json, list, () => list.map((v) => `${v.name.padEnd(26)} ${v.type.padEnd(8)} ${v.source.padEnd(9)} ${v.owner.padEnd(14)} ${v.description}`).join('\n'));
        return 0;
      }
      case 'show': {
        const c = load();
        const v = c.catalog.get(positionals[1] ?? '');
        if (!v) throw new MingjianError('NOT_FOUND', `no variable '${positionals[1] ?? ''}' in ${positionals[0]}`);
        print(true, v, () => '');
        return 0;
      }
      case 'needs': {
        const c = load();
        const [f] = flows();
        const needed = variablesNeeded(f!, c.catalog);
        const sources = externalSourcesNeeded(f!, c.catalog);
        print(json, { flow: f!.flow, version: f!.version, variables: needed, sources }, () =>
          [...needed.map((v) => `${v.name.padEnd(26)} ${v.source.padEnd(9)} ${v.direct ? `read by ${v.nodes.join(', ') || 'the flow'}` : ''}${v.via.length ? ` needed by ${v.via.join(', ')}` : ''}`), `external sources: ${sources.join(', ') || 'none'}`].join('\n'));
        return 0;
      }
      case 'usage': {
        const c = load();
        const name = positionals[1];
        if (!name || !c.catalog.get(name)) throw new MingjianError('NOT_FOUND', `no variable '${name ?? ''}' in ${positionals[0]}`);
        const usage = variableUsage(name, flows(), c.catalog);
        print(json, usage, () => (usage.length ? usage.map((u) => `${u.flow}@${u.version}: ${u.direct ? `nodes ${u.nodes.join(', ') || '(flow level)'}` : ''}${u.via.length ? ` via ${u.via.join(', ')}` : ''}`).join('\n') : `${name}: used by none of the given flows`));
        return 0;
      }
      case 'unused': {
        const c = load();
        const unused = unusedVariables(flows(), c.catalog);
        print(json, unused.map((v) => v.name), () => (unused.length ? unused.map((v) => `${v.name.padEnd(26)} ${v.source.padEnd(9)} ${v.owner}`).join('\n') : 'every variable is used'));
        return 0;
      }
      case 'quality': {
        if (!positionals[0]) throw new MingjianError('USAGE', 'variables quality: missing RECORDS.jsonl');
        const records = readJsonl(positionals[0]);
        const names = o.names?.split(',').map((s) => s.trim()).filter(Boolean);
        const profiles = profileRecords(records, names);
        if (o.baseline) {
          const base = readJsonl(o.baseline);
          const keys = names ?? Object.keys(profiles);
          const changes = Object.fromEntries(keys.map((k) => [k, compareProfiles(base.map((r) => r[k]), records.map((r) => r[k]))]));
          print(json, { profiles, changes }, () => keys.map((k) => `${k.padEnd(26)} missing ${(profiles[k]!.missingRate * 100).toFixed(1)}% (${changes[k]!.missingRateChange >= 0 ? '+' : ''}${(changes[k]!.missingRateChange * 100).toFixed(1)} pts)  PSI ${changes[k]!.psi.toFixed(3)}`).join('\n'));
          return 0;
        }
        print(json, profiles, () => Object.entries(profiles).map(([k, p]) => `${k.padEnd(26)} n=${p.count} missing ${(p.missingRate * 100).toFixed(1)}%${p.numeric ? ` min ${p.numeric.min} p50 ${p.numeric.quantiles.p50} max ${p.numeric.max}` : ''} top ${p.topValues.slice(0, 3).map((t) => `${t.value} (${(t.share * 100).toFixed(0)}%)`).join(', ')}`).join('\n'));
        return 0;
      }
      default:
        throw new MingjianError('USAGE', sub ? `variables: unknown sub-command '${sub}'` : 'variables: give a sub-command (check, list, show, needs, usage, unused, quality)');
    }
  },
};

// `mingjian import-jdm FILE -o FLOW`: GoRules JDM decision graph -> Mingjian flow (YAML, or JSON when FLOW ends in .json).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { stringify } from 'yaml';
import { importJdm, type JdmDocument } from '../../engine/import-jdm.ts';
import { formatDetail, MingjianError } from '../../kernel/errors.ts';
import { parseCliArgs, type CliCommand } from '../command.ts';

const usage = `Usage: mingjian import-jdm FILE [-o FLOW] [--id ID] [--flow-version V] [--sample APP.json]

Converts a GoRules JDM decision graph (JSON) into a Mingjian flow that gives the same outputs.

  FILE                 the JDM document (*.jdm.json / *.json)
  -o, --output FLOW    where to write the flow (YAML; JSON when it ends in .json); default stdout
  --id ID              flow id (default: the file name without .jdm.json)
  --flow-version V     flow version (default 1)
  --sample APP.json    one application (JSON): gives the input types and keeps fields the graph never reads valid

Converts input/output nodes, expression nodes, decision tables (hit policy first or collect) and switch nodes
(hit policy first). Fails, naming the node, on function, custom, decision and HTTP nodes, on ZEN functions with no
CEL counterpart (dates, string case, rounding, ...), and on collect tables other than reason rows or summed points.
Warnings (what is not carried over exactly) go to stderr. See docs/import-jdm.md.`;

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MingjianError('VALIDATION', `cannot read ${what} ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MingjianError('VALIDATION', `${what} ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export const command: CliCommand = {
  summary: 'Convert a GoRules JDM decision graph into a Mingjian flow',
  usage,
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, {
      output: { type: 'string', short: 'o' },
      id: { type: 'string' },
      'flow-version': { type: 'string' },
      sample: { type: 'string' },
    }, true);
    if (positionals.length !== 1) throw new MingjianError('USAGE', 'expected exactly one JDM file');
    const file = positionals[0]!;
    const doc = readJson(file, 'JDM file') as JdmDocument;
    const sample = values.sample ? readJson(values.sample, 'sample application') : undefined;
    if (sample !== undefined && (typeof sample !== 'object' || sample === null || Array.isArray(sample))) {
      throw new MingjianError('VALIDATION', `sample application ${values.sample} must be one JSON object`);
    }
    const version = values['flow-version'];
    const { flow, warnings } = importJdm(doc, {
      id: values.id ?? basename(file).replace(/(\.jdm)?\.json$/i, ''),
      version: version === undefined ? 1 : /^\d+$/.test(version) ? Number(version) : version,
      ...(sample ? { sample: sample as Record<string, unknown> } : {}),
    });
    for (const w of warnings) process.stderr.write(`mingjian import-jdm: ${formatDetail({ ...w, file })}\n`);
    const out = values.output;
    const text = out && extname(out).toLowerCase() === '.json'
      ? `${JSON.stringify(flow, null, 2)}\n`
      : `# Imported from ${basename(file)} by \`mingjian import-jdm\`.\n${stringify(flow, { lineWidth: 0 })}`;
    if (out) writeFileSync(out, text);
    else process.stdout.write(text);
    return 0;
  },
};

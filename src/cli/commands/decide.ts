import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MingjianError } from '../../kernel/errors.ts';
import type { DecisionResult, EvaluateOptions } from '../../engine/index.ts';
import { parseCliArgs, type CliCommand } from '../command.ts';
import { loadFlowFile } from '../flow-files.ts';

export const command: CliCommand = {
  summary: 'Decide applications with a flow (one JSON object or JSON Lines in, one JSON decision per line out)',
  usage: `Usage: mingjian decide --flow FLOW --input FILE [--trace] [--as-of ISO-TIME] [--variables] [--watchlists FILE]

FILE holds one JSON application, or one per line (JSON Lines); '-' reads standard input.
Each decision is printed as one JSON line: decision, reasons (codes in policy order), creditLine, priceBand
and the flow's named outputs (under "outputs" and, for convenience, at the top level when the name is free).
--watchlists gives the lists for inWatchlist() as JSON {"list-name": ["value", ...]}; without it every
list is empty (the service uses its governed watchlists instead).
--as-of fixes the decision time for date functions (default: now); --trace adds the full trace.
An application that fails validation prints {"error": ...} naming each field; the exit code is then 1.`,
  async run(argv) {
    const { values } = parseCliArgs(argv, {
      flow: { type: 'string' },
      input: { type: 'string' },
      trace: { type: 'boolean' },
      variables: { type: 'boolean' },
      'as-of': { type: 'string' },
      watchlists: { type: 'string' },
    });
    if (!values.flow || !values.input) throw new MingjianError('USAGE', '--flow and --input are required');
    const flow = loadFlowFile(values.flow);
    const opts: EvaluateOptions = {};
    if (values.trace) opts.trace = true;
    if (values.variables) opts.variables = true;
    if (values['as-of']) {
      if (Number.isNaN(Date.parse(values['as-of']))) throw new MingjianError('USAGE', `--as-of '${values['as-of']}' is not an ISO date or timestamp`);
      opts.now = values['as-of'];
    } else {
      opts.now = Date.now(); // one instant for the whole batch, so a file decides consistently
    }
    opts.watchlist = watchlistLookup(values.watchlists, flow.dependencies.watchlists);
    const stream = values.input === '-' ? process.stdin : createReadStream(values.input);
    const failedOpen = new Promise<never>((_, reject) => stream.on('error', (e: NodeJS.ErrnoException) => reject(new MingjianError('NOT_FOUND', `cannot read ${values.input}: ${e.code ?? e.message}`))));
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    const out: string[] = [];
    const flush = () => { if (out.length) { process.stdout.write(out.join('')); out.length = 0; } };
    let failures = 0;
    let lineNo = 0;
    let buffered = '';
    let sawObjectStart = false;
    const decideText = (text: string, where: string) => {
      let app: unknown;
      try {
        app = JSON.parse(text);
      } catch (e) {
        failures++;
        out.push(JSON.stringify({ error: { code: 'VALIDATION', message: `${where}: not valid JSON (${(e as Error).message})` } }) + '\n');
        return;
      }
      const r = flow.evaluate(app, opts);
      if (!r.ok) failures++;
      out.push(JSON.stringify(present(r)) + '\n');
      if (out.length >= 512) flush();
    };
    const reading = (async () => {
      for await (const line of lines) {
        lineNo++;
        // A single pretty-printed JSON document spans lines: collect it whole.
        if (lineNo === 1 && line.trim() === '{') sawObjectStart = true;
        if (sawObjectStart) { buffered += line + '\n'; continue; }
        if (line.trim() === '') continue;
        decideText(line, `line ${lineNo}`);
      }
      if (sawObjectStart) decideText(buffered, values.input!);
    })();
    await Promise.race([reading, failedOpen]);
    flush();
    return failures ? 1 : 0;
  },
};

function watchlistLookup(file: string | undefined, used: string[]): (list: string, value: unknown) => boolean {
  const lists = new Map<string, Set<unknown>>();
  if (file) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new MingjianError('VALIDATION', `--watchlists ${file}: ${(e as Error).message}`);
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new MingjianError('VALIDATION', `--watchlists ${file}: expected an object of lists`);
    for (const [name, values] of Object.entries(data)) {
      if (!Array.isArray(values)) throw new MingjianError('VALIDATION', `--watchlists ${file}: list '${name}' must be an array`);
      lists.set(name, new Set(values));
    }
  } else if (used.length) {
    process.stderr.write(`mingjian decide: no --watchlists given; ${used.join(', ')} read as empty\n`);
  }
  return (list, value) => lists.get(list)?.has(value) ?? false;
}

function present(r: DecisionResult): Record<string, unknown> {
  if (!r.ok) return { flow: r.flow, version: r.version, error: r.error };
  const o: Record<string, unknown> = {
    flow: r.flow,
    version: r.version,
    decision: r.decision,
    reasons: r.reasons,
    creditLine: r.creditLine,
    priceBand: r.priceBand,
  };
  for (const [k, v] of Object.entries(r.outputs)) if (!(k in o)) o[k] = v;
  o.outputs = r.outputs;
  if (Object.keys(r.arms).length) o.arms = r.arms;
  if (r.flags.length) o.flags = r.flags;
  if (r.variables) o.variables = r.variables;
  if (r.trace) o.trace = r.trace;
  return o;
}

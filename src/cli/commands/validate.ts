import { formatDetail, MingjianError, type ErrorDetail } from '../../kernel/errors.ts';
import { parseCliArgs, type CliCommand } from '../command.ts';
import { checkFlowFile } from '../flow-files.ts';

export const command: CliCommand = {
  summary: 'Check decision flow files; report every error with file, line and column',
  usage: `Usage: mingjian validate FLOW... [--json]

Checks each flow (YAML or JSON) completely: structure, names, types of every expression, the node graph
(unknown targets, cycles, unreachable nodes), decision tables (gaps and overlaps where the hit policy
needs uniqueness) and scorecard bins. Sub-flows are looked up beside the file as <id>.yaml.
Exit 0 when every flow is valid (warnings allowed), 1 otherwise.`,
  async run(argv) {
    const { values, positionals } = parseCliArgs(argv, { json: { type: 'boolean' } }, true);
    if (positionals.length === 0) {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    let failed = false;
    const report: Record<string, unknown> = {};
    for (const file of positionals) {
      let problems: ErrorDetail[];
      try {
        // In file order, as an editor shows them.
        problems = checkFlowFile(file).sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
      } catch (e) {
        // A file that cannot be read is its own error; the other files are still checked.
        if (!(e instanceof MingjianError)) throw e;
        problems = [{ path: '(file)', message: e.message, file }];
      }
      const errors = problems.filter((p) => p.severity !== 'warning');
      if (errors.length) failed = true;
      if (values.json) {
        report[file] = { valid: errors.length === 0, problems };
        continue;
      }
      for (const p of problems) process.stderr.write(`${formatDetail({ ...p, file: p.file ?? file })}\n`);
      process.stdout.write(errors.length ? `${file}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n` : `${file}: valid\n`);
    }
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return failed ? 1 : 0;
  },
};

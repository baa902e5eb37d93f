// CLI entry. Each command lives in src/cli/commands/<name>.ts and exports `command: CliCommand`;
// commands are found by file name so capabilities can add theirs without editing a central list.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MingjianError, formatDetail } from '../kernel/errors.ts';
import type { CliCommand } from './command.ts';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function loadCommand(name: string): Promise<CliCommand | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return undefined;
  const mod = (await import(join(commandsDir, `${name}.ts`))) as { command: CliCommand };
  return mod.command;
}

async function usage(): Promise<string> {
  const lines = ['Usage: mingjian <command> [options]', '', 'Commands:'];
  for (const name of commandNames()) {
    const cmd = await loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(14)} ${cmd.summary}`);
  }
  lines.push('', 'Run `mingjian <command> --help` for the options of one command.');
  return lines.join('\n');
}

/** Runs the CLI and returns the exit code (0 ok, 1 invalid input or failed check, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await usage()) + '\n');
    return name ? 0 : 2;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    process.stderr.write(`mingjian: unknown command '${name}'\n\n${await usage()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof MingjianError) {
      process.stderr.write(`mingjian ${name}: ${err.message}\n`);
      for (const d of err.details ?? []) process.stderr.write(`  ${formatDetail(d)}\n`);
      return err.code === 'USAGE' ? 2 : 1;
    }
    throw err;
  }
}

import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MingjianError } from '../kernel/errors.ts';

export interface CliCommand {
  /** One line shown in `mingjian --help`. */
  summary: string;
  /** Full usage text shown by `mingjian <command> --help`. */
  usage: string;
  /** Returns the process exit code. Throw MingjianError for user-facing failures. */
  run(argv: string[]): Promise<number>;
}

/** node:util parseArgs with usage errors turned into MingjianError('USAGE'), so every command reports them alike. */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new MingjianError('USAGE', (err as Error).message);
  }
}

/** Reads a file named on the command line; a missing or unreadable file is a VALIDATION error naming it. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new MingjianError('VALIDATION', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, [{ file, message: 'cannot read file' }]);
  }
}

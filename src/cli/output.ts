// How the CLI talks: progress lines on a TTY, one ready line, errors as cause + fix.

import { FlagError } from '../server/config.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Printer {
  progress(msg: string): void;
  line(msg: string): void;
}

export function printer(opts: { quiet?: boolean; json?: boolean }): Printer {
  const tty = !!process.stderr.isTTY;
  return {
    progress: (msg) => {
      if (!opts.quiet && tty) process.stderr.write(`  ${msg}\n`);
    },
    line: (msg) => {
      if (!opts.quiet) process.stdout.write(`${msg}\n`);
    },
  };
}

/** Expected failures print one or two lines; anything else also prints its stack. */
export function reportError(e: unknown): number {
  const err = e as Error & { hint?: string; exitCode?: number };
  const expected = ['CliError', 'EtcdError', 'FixtureError', 'FlagError'].includes(err?.name) || /already in use/.test(err?.message ?? '');
  process.stderr.write(`kapi-env: ${err?.message ?? String(e)}\n`);
  if (err?.hint) process.stderr.write(`  fix: ${err.hint}\n`);
  if (!expected && err?.stack) process.stderr.write(`${err.stack.split('\n').slice(1).join('\n')}\n`);
  if (e instanceof FlagError) return 2;
  return err?.exitCode ?? 1;
}

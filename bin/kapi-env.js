#!/usr/bin/env node
// Runs the CLI from its bundle (dist/cli-bundle, made by `npm run build`) when that is at least
// as new as the compiled modules it is made from, else from the modules themselves (after a
// bare `tsc`, the bundle would be stale).
import { readFileSync, statSync } from 'node:fs';

// `kapi-env --version` alone: printed as the CLI prints it, without loading the CLI (two megabytes with the server).
const versionOnly = process.argv.length === 3 && process.argv[2] === '--version';
if (versionOnly) process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);

const mtime = (p) => {
  try {
    return statSync(new URL(p, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
if (!versionOnly) {
  const entry = mtime('../dist/cli-bundle/main.js') >= mtime('../dist/cli/main.js') ? '../dist/cli-bundle/main.js' : '../dist/cli/main.js';
  const { main } = await import(entry);
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

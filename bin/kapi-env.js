#!/usr/bin/env node
// Runs the CLI from its bundle (dist/cli-bundle, made by `npm run build`) when that is at least
// as new as the compiled modules it is made from, else from the modules themselves (after a
// bare `tsc`, the bundle would be stale).
import { statSync } from 'node:fs';

const mtime = (p) => {
  try {
    return statSync(new URL(p, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const entry = mtime('../dist/cli-bundle/main.js') >= mtime('../dist/cli/main.js') ? '../dist/cli-bundle/main.js' : '../dist/cli/main.js';
const { main } = await import(entry);

main(process.argv).then((code) => {
  process.exitCode = code;
});

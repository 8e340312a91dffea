#!/usr/bin/env node
// Runs the CLI from its bundle (dist/cli-bundle, made by `npm run build`) when that is at least
// as new as the compiled modules it is made from, else from the modules themselves (after a
// bare `tsc`, the bundle would be stale).
//
// CommonJS (bin/package.json), as the bundle and the two modules it requires first are: a start from
// the bundle loads no ES module, so Node does not start its ES module loader (about a tenth of a cold
// `kapi-env up --storage memory`).
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const dist = path.join(__dirname, '..', 'dist');
const args = process.argv.slice(2);
const mtime = (p) => {
  try {
    return statSync(path.join(dist, p)).mtimeMs;
  } catch {
    return -1;
  }
};
const run = ({ main }) =>
  main(process.argv).then((code) => {
    process.exitCode = code;
  });

if (args.length === 1 && args[0] === '--version') {
  // Printed as the CLI prints it, without loading the CLI (two megabytes with the server).
  process.stdout.write(`${JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version}\n`);
} else if (mtime('cli-bundle/main.cjs') >= mtime('cli/main.js')) {
  const bundle = () => require('../dist/cli-bundle/loader.cjs').loadBundle(pathToFileURL(path.join(dist, 'cli-bundle/main.cjs')));
  // `up` launching a native etcd spawns it first, to start while the CLI loads (prelaunch decides; a
  // memory start skips even that).
  if (args[0] === 'up' && !args.some((a) => a === 'memory' || a === '--storage=memory'))
    require('../dist/cli-bundle/prelaunch.cjs')
      .prelaunch(args)
      .then(() => run(bundle()));
  else run(bundle());
} else {
  import(pathToFileURL(path.join(dist, 'cli/main.js')).href).then(run);
}

// The kapi-env command line: up, down, status, env, serve.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { reportError } from './output.js';
import type { UpFlags } from './up.js';

// Each command's module (and the server, storage clients and models behind it)
// is loaded only when that command runs: `--help`, `--version`, `down` and
// `status` start as fast as Node itself.

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function buildProgram(): Command {
  const program = new Command('kapi-env')
    .description('A real, throwaway Kubernetes API server for tests.')
    .version(packageVersion(), '--version', 'print the kapi-env version')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('up')
    .description('start etcd and the API server, write a kubeconfig, load fixtures; stop on SIGINT/SIGTERM')
    .option('--kubeconfig <path>', 'where to write the admin kubeconfig', '.kapi-env/kubeconfig')
    .addOption(
      new Option('--storage <kind>', 'auto: native etcd if found, else a container if Docker answers, else memory')
        .choices(['auto', 'etcd', 'container', 'memory'])
        .default('auto'),
    )
    .option('--etcd-bin <path>', 'etcd binary (default: $KAPI_ETCD_BIN, $KUBEBUILDER_ASSETS/etcd, PATH)')
    .option('--etcd-image <image>', 'etcd image for --storage container')
    .option('--etcd-servers <urls>', 'use an existing etcd (comma-separated URLs); start none')
    .option('--etcd-cafile <path>', 'CA for --etcd-servers')
    .option('--etcd-certfile <path>', 'client certificate for --etcd-servers')
    .option('--etcd-keyfile <path>', 'client key for --etcd-servers')
    .option('--crds <path>', 'CRD file or directory (repeatable)', collect, [])
    .option('--manifests <path>', 'objects to create after the CRDs (repeatable)', collect, [])
    .option('--port <n>', 'API server port (default: random free port)')
    .option('--apiserver-arg <flag=value>', 'kube-apiserver flag for the server (repeatable)', collect, [])
    .option('--detach', 'return once ready and keep running in the background')
    .option('--state-dir <dir>', 'state for --detach, down, status', '.kapi-env')
    .option('--json', 'print the ready information as one JSON object')
    .option('--quiet', 'print nothing but errors')
    .action(async (flags: UpFlags) => {
      process.exitCode = await (await import('./up.js')).runUp(flags);
    });

  program
    .command('down')
    .description('stop a detached environment')
    .option('--state-dir <dir>', 'state directory', '.kapi-env')
    .option('--json', 'machine-readable output')
    .action(async (flags: { stateDir: string; json?: boolean }) => {
      process.exitCode = await (await import('./state.js')).runDown(flags);
    });

  program
    .command('status')
    .description('show whether a detached environment is running')
    .option('--state-dir <dir>', 'state directory', '.kapi-env')
    .option('--json', 'machine-readable output')
    .action(async (flags: { stateDir: string; json?: boolean }) => {
      process.exitCode = await (await import('./state.js')).runStatus(flags);
    });

  program
    .command('env')
    .description('print `export KUBECONFIG=...` for eval')
    .option('--state-dir <dir>', 'state directory', '.kapi-env')
    .option('--kubeconfig <path>', 'kubeconfig path when no environment is recorded', '.kapi-env/kubeconfig')
    .action(async (flags: { stateDir: string; kubeconfig: string }) => {
      process.exitCode = await (await import('./state.js')).runEnv(flags);
    });

  program
    .command('serve')
    .description('run the API server alone, with kube-apiserver flags (--etcd-servers, --secure-port, --tls-cert-file, ...)')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[flags...]')
    .action(async (args: string[]) => {
      process.exitCode = await (await import('./serve.js')).runServe(args);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    return reportError(e);
  }
}

// The kapi-env command line: up, down, status, env, user, rbac, serve.

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
    .option('--webhooks <path>', 'webhook configuration manifests, file or directory (repeatable; kubebuilder config/webhook)', collect, [])
    .option('--webhook-port <n>', 'the port the local webhook server listens on (default: a free port)')
    .option('--crds-error-if-missing <bool>', "a missing --crds/--manifests path is an error (envtest's ErrorIfPathMissing)", 'true')
    .option('--crd-wait-timeout <duration>', 'how long CRDs may take to be Established and discoverable', '30s')
    .option('--crd-poll-interval <duration>', 'how often to check whether CRDs are Established', '5ms')
    .option('--kube-version <version>', 'the Kubernetes version /version advertises (a 1.32 release, e.g. v1.32.3)')
    .option(
      '--log [level]',
      "the server's request log on stderr (2: one line per request; default $KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT)",
    )
    .option('--port <n>', "API server port (default: random free port); with --servers, the load balancer's")
    .option('--servers <n>', 'API servers on one etcd behind a local TCP round-robin load balancer (etcd storage only)', '1')
    .option('--apiserver-arg <flag=value>', 'kube-apiserver flag for the server (repeatable)', collect, [])
    .option(
      '--controllers <list>',
      'kube-controller-manager controllers to run in process: namespace, garbagecollector, serviceaccount, root-ca-cert-publisher, deployment, replicaset, daemonset, statefulset, job, endpointslice, endpoint, all',
    )
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
    .command('clock')
    .description("print the controllers' clock of a running environment, or move it forward (CronJob schedules come due)")
    .option('--state-dir <dir>', 'state directory', '.kapi-env')
    .option('--kubeconfig <path>', 'a kubeconfig kapi-env wrote, when no environment is recorded')
    .option('--advance <duration>', 'move the clock forward by a duration (90s, 1h30m)')
    .option('--set <time>', 'move the clock forward to an RFC 3339 time')
    .option('--json', 'print the clock as JSON')
    .action(async (flags: import('./clock.js').ClockFlags) => {
      process.exitCode = await (await import('./clock.js')).runClock(flags);
    });

  program
    .command('journal')
    .description("print the requests a running environment's server handled (its request journal)")
    .option('--state-dir <dir>', 'state directory', '.kapi-env')
    .option('--kubeconfig <path>', 'a kubeconfig kapi-env wrote, when no environment is recorded')
    .option('-f, --follow', 'keep printing requests as they are handled')
    .option('--verb <verb>', 'only this verb (get, list, watch, create, update, patch, delete)')
    .option('--resource <resource>', 'only this resource (pods, deployments.apps, deployments/status)')
    .option('--namespace <ns>', 'only this namespace')
    .option('--user <name>', 'only this user')
    .option('--json', 'one JSON object per request')
    .action(async (flags: import('./journal.js').JournalFlags) => {
      process.exitCode = await (await import('./journal.js')).runJournal(flags);
    });

  program
    .command('rbac')
    .description('RBAC helpers for a running environment')
    .command('report')
    .description('print the minimal Roles/ClusterRole (YAML) allowing exactly what a user was authorized or refused so far')
    .requiredOption('--user <name>', 'the user (as authenticated: a certificate CN, system:serviceaccount:NS:NAME...)')
    .option('--allowed-only', 'leave out what was refused')
    .option('--name <name>', "the roles' name (default <user>-minimal)")
    .option('--json', 'every decision recorded, as JSON, instead of the roles')
    .option('--state-dir <dir>', 'state directory', '.kapi-env')
    .option('--kubeconfig <path>', 'a kubeconfig kapi-env wrote, when no environment is recorded')
    .action(async (flags: import('./rbac.js').RbacReportFlags) => {
      process.exitCode = await (await import('./rbac.js')).runRbacReport(flags);
    });

  const user = program
    .command('user')
    .description('identities for a running environment: users with client certificates, service account tokens');
  user
    .command('add')
    .description('write a kubeconfig for a new user, its client certificate signed by the cluster CA (what it may do is what RBAC grants)')
    .argument('<name>', 'the user name (the certificate CN)')
    .option('--group <group>', 'a group (certificate O; repeatable)', collect, [])
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default <state-dir>/users/NAME.kubeconfig)')
    .option('--state-dir <dir>', 'state directory', '.kapi-env')
    .action(async (name: string, flags: import('./user.js').UserAddFlags) => {
      process.exitCode = await (await import('./user.js')).runUserAdd(name, flags);
    });
  user
    .command('token')
    .description("print a service account's token (TokenRequest, as kubectl create token)")
    .argument('<namespace/name>', 'the service account')
    .option('--audience <aud>', 'an audience of the token (repeatable; default the API audiences)', collect, [])
    .option('--duration <duration>', 'requested lifetime (default 1h; at least 10m)')
    .option('--state-dir <dir>', 'state directory', '.kapi-env')
    .action(async (ref: string, flags: import('./user.js').UserTokenFlags) => {
      process.exitCode = await (await import('./user.js')).runUserToken(ref, flags);
    });

  for (const [op, description] of [
    ['reset', 'return a running environment to its state right after start (fixtures included); watches end with 410'],
    ['snapshot', "record a running environment's state; prints an id for restore"],
    ['restore', 'return a running environment to a snapshot'],
  ] as const) {
    const cmd = program.command(op).description(description);
    if (op === 'restore') cmd.argument('<id>', 'the id `kapi-env snapshot` printed');
    cmd
      .option('--state-dir <dir>', 'state directory', '.kapi-env')
      .option('--json', 'machine-readable output')
      .action(async (...args: unknown[]) => {
        const id = op === 'restore' ? (args[0] as string) : undefined;
        const flags = args[op === 'restore' ? 1 : 0] as import('./control.js').ControlFlags;
        process.exitCode = await (await import('./control.js')).runControl(op, flags, id);
      });
  }

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

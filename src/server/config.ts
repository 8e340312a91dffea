// ServerConfig and kube-apiserver's flags (cmd/kube-apiserver/app/options), for
// the flags that exist here: one parser and one mapping to ServerConfig, used by
// `kapi-env serve`, `kapi-env up --apiserver-arg` and startEnv({ apiserverArgs }).

import { readFile } from 'node:fs/promises';
import { ALL_ORDERED_PLUGINS, admissionFlagErrors, DEFAULT_ON_PLUGINS } from './admission/plugins/names.js';
import type { AdmissionConfig } from './admission-setup.js';
import type { ProxyClientConfig } from './aggregator/index.js';
import type { KubeObject } from './api/types.js';
import { AUDIT_FLAG_HELP, type AuditFlags, applyAuditFlag, auditConfigFromFlags } from './audit/flags.js';
import type { AuditConfig } from './audit/index.js';
import { AUTHN_BOOL_FLAGS, AUTHN_FLAG_HELP, applyAuthnFlag, validateAuthnFlags } from './authn/flags.js';
import type { AuthenticationConfig } from './authn/setup.js';
import type { AuthorizationConfig } from './authorization.js';
import { DEFAULT_AUTHORIZATION_MODES, validateAuthorizationModes } from './authz/modes.js';
import { CONTROLLERS, type ControllerName, parseControllers } from './controllers/names.js';
import type { NodeSimulation } from './controllers/nodes.js';
import { formatRequestLog, type RequestLogSink } from './filters/request-log.js';
import { parseBool } from './http/query.js';
import { parsePortRange, parseServiceCIDRs } from './registry/resources/allocator.js';
import type { EtcdTls } from './storage/factory.js';
import type { Storage } from './storage/interface.js';

/** The objects a post-start hook's rows created, by row (`group/resource`), as they were stored. */
export type BootstrapRecord = Record<string, KubeObject[]>;

/**
 * What an earlier start of this same server made of its bootstrap objects (ServerConfig.bootstrapSeed), by part
 * (`name`: the namespaces, the system objects, a post-start hook's), as they were once the part's controllers had
 * settled (the ClusterRole aggregation): the harness keeps it between starts, keyed by the server's build, the
 * part and `inputs` (a digest of the rows and their objects as given). Given only for a store that starts empty.
 */
export interface BootstrapSeed {
  load(name: string, inputs: string): Promise<BootstrapRecord | undefined>;
  /** Called once the part's objects are all created and its controllers have settled; keeping them may wait. */
  save(name: string, inputs: string, record: BootstrapRecord): void;
}

export interface ServerConfig {
  /** The authentication flags (--anonymous-auth, --token-auth-file, --service-account-*, --oidc-*...), read at start. */
  authentication?: AuthenticationConfig;
  /** --authorization-mode and the Webhook mode's flags; default Node,RBAC. */
  authorization?: AuthorizationConfig;
  /** --enable-admission-plugins, --disable-admission-plugins, --admission-control-config-file. */
  admission?: AdmissionConfig;
  storage: Storage;
  tls: { certPem: string; keyPem: string; clientCaPem: string };
  bindAddress: string;
  /** 0 = a random free port. */
  port: number;
  /** Serve lists at resourceVersion=0 and watches from an in-process cache (--watch-cache). */
  watchCache: boolean;
  /** Compact storage history every this many ms (--etcd-compaction-interval); 0 disables. */
  compactionIntervalMs: number;
  /** Advertised in /api serverAddressByClientCIDRs; defaults to bind address:port. */
  advertiseAddress?: string;
  /** Bookmark interval for watches (kube: about a minute). */
  bookmarkIntervalMs?: number;
  /** Events each resource's watch cache keeps for resuming watches (--default-watch-cache-size). */
  watchCacheSize?: number;
  /** Watches without timeoutSeconds end after a random time in [t, 2t) seconds (--min-request-timeout). */
  minRequestTimeoutS?: number;
  /** Non-long-running requests answer 504 Timeout after this many ms (--request-timeout, default 60000); 0 disables. */
  requestTimeoutMs?: number;
  /** --max-requests-inflight (default 400) and --max-mutating-requests-inflight (default 200); 0 = unlimited. */
  maxRequestsInFlight?: number;
  maxMutatingRequestsInFlight?: number;
  /** On close: serve normally this long first, /readyz failing (--shutdown-delay-duration; default 0). */
  shutdownDelayMs?: number;
  /** On close: keep listening while in-flight requests drain, refusing new ones with 429 (--shutdown-send-retry-after). */
  shutdownSendRetryAfter?: boolean;
  /** Service ClusterIPs are allocated from this CIDR, or two of different families (--service-cluster-ip-range). */
  serviceClusterIPRange?: string;
  /** NodePorts are allocated from this range (--service-node-port-range). */
  serviceNodePortRange?: string;
  /** Called once per answered request (kube's httplog at -v=2); `--v=2` writes the lines to stderr. */
  requestLog?: RequestLogSink;
  /**
   * What an earlier start of this server made of the RBAC bootstrap policy, to store as it was made instead of
   * making it again (bootstrap.ts). Only for a store that starts empty; the harness gives it (env/start-seed.ts).
   */
  bootstrapSeed?: BootstrapSeed;
  /** The Kubernetes version /version advertises, one the server implements (1.32.x); default v1.32.0. */
  kubeVersion?: string;
  /** kube-controller-manager controllers run in process (--controllers); none by default, as envtest. */
  controllers?: ControllerName[];
  /** The cluster CA the root CA publisher puts in each namespace's `kube-root-ca.crt`; default the client CA. */
  rootCaPem?: string;
  /** Serve /debug/kapi/faults to admins (--enable-fault-injection). */
  faultInjection?: boolean;
  /** Requests the request journal keeps (--request-journal-size, default 10000); 0 disables it. */
  requestJournalSize?: number;
  /**
   * Simulated Ready nodes and their pods' stages (--nodes, --simulated-pod-start-delay, --simulated-job-pod-duration,
   * --simulated-pod-failure-rate, --simulated-pod-unready-rate, --simulated-crash-loop-backoff).
   */
  simulation?: Partial<NodeSimulation>;
  /** The controllers' clock stands at this time (epoch ms) until advanced (--simulated-clock); the wall clock if unset. */
  simulatedClock?: number;
  /** Audit logging: --audit-policy-file (or a policy in code), the log and webhook backends, more sinks. */
  audit?: AuditConfig;
  /** The aggregator's client certificate to extension API servers: --proxy-client-cert-file/--proxy-client-key-file, or PEMs. */
  proxyClient?: ProxyClientConfig;
  /**
   * This server's identity Lease and the `kubernetes` endpoints (controllers/apiserver-leases.ts):
   * --identity-lease-duration-seconds, --identity-lease-renew-interval-seconds (here in ms), --endpoint-reconciler-ttl.
   */
  apiserverLease?: { leaseDurationSeconds?: number; renewIntervalMs?: number; endpointTTLMs?: number };
  /**
   * The opt-in controllers run while this server holds the kube-system/kube-controller-manager Lease
   * (--leader-elect, --leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period); false: always.
   */
  leaderElection?: false | { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Record kube-apiserver's metrics and serve /metrics (default true); false records nothing (not a kube flag). */
  metrics?: boolean;
}

/** envtest's --service-cluster-ip-range; kube-apiserver's own default is 10.0.0.0/24 as well. */
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';
export const DEFAULT_SERVICE_NODE_PORT_RANGE = '30000-32767';

export interface ServeFlags {
  authentication: AuthenticationConfig;
  /** --authorization-mode, in order. */
  authorizationModes: string[];
  authorizationWebhookConfigFile?: string;
  authorizationWebhookVersion?: 'v1' | 'v1beta1';
  authorizationWebhookCacheAuthorizedTTLMs?: number;
  authorizationWebhookCacheUnauthorizedTTLMs?: number;
  etcdServers: string[];
  etcdPrefix: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  securePort: number;
  bindAddress: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  watchCache: boolean;
  watchCacheSize?: number;
  minRequestTimeoutS?: number;
  requestTimeoutMs?: number;
  maxRequestsInFlight?: number;
  maxMutatingRequestsInFlight?: number;
  /** Accepted; enforcement stays the max-in-flight limit. */
  enablePriorityAndFairness?: boolean;
  shutdownDelayMs?: number;
  shutdownSendRetryAfter?: boolean;
  etcdCompactionIntervalMs: number;
  /** `memory` when --etcd-servers is empty and --storage-backend=memory. */
  storageBackend: 'etcd3' | 'memory';
  serviceClusterIPRange: string;
  serviceNodePortRange: string;
  /** klog's -v: 2 and above log one line per request. */
  verbosity: number;
  controllers: ControllerName[];
  faultInjection: boolean;
  requestJournalSize?: number;
  /** --nodes and --simulated-*. */
  simulation: Partial<NodeSimulation>;
  simulatedClock?: number;
  enableAdmissionPlugins: string[];
  disableAdmissionPlugins: string[];
  admissionControlConfigFile?: string;
  /** --audit-policy-file, --audit-log-*, --audit-webhook-*. */
  audit?: AuditFlags;
  proxyClientCertFile?: string;
  proxyClientKeyFile?: string;
  identityLeaseDurationSeconds?: number;
  identityLeaseRenewIntervalSeconds?: number;
  endpointReconcilerTTLMs?: number;
  leaderElect: boolean;
  leaderElectLeaseDurationMs?: number;
  leaderElectRenewDeadlineMs?: number;
  leaderElectRetryPeriodMs?: number;
}

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** Go's time.ParseDuration: a signed sequence of decimal numbers with units (300ms, -1.5h, 2h45m, 0); returns ms. */
export function parseDuration(s: string): number {
  const m = /^([+-]?)(.*)$/s.exec(s)!;
  const body = m[2];
  if (body === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/gy;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, '\u03bcs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (let x = re.exec(body); x; x = re.exec(body)) {
    total += Number(x[1]) * unitMs[x[2]];
    consumed = re.lastIndex;
  }
  // Go refuses what does not fit an int64 of nanoseconds.
  if (consumed !== body.length || body.length === 0 || total > 9_223_372_036_854) throw new FlagError(`invalid duration "${s}"`);
  return m[1] === '-' ? -total : total;
}

function parseBoolFlag(name: string, v: string): boolean {
  const b = parseBool(v);
  if (b !== undefined) return b;
  throw new FlagError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

const ADMISSION_PLUGINS = [...ALL_ORDERED_PLUGINS].sort().join(', ');
const ADMISSION_DEFAULTS = ALL_ORDERED_PLUGINS.filter((n) => DEFAULT_ON_PLUGINS.has(n)).join(', ');

/** pflag's StringSlice: comma-separated values; a repeated flag adds to the list. */
function stringSlice(current: string[], value: string, first: boolean): string[] {
  const items = value === '' ? [] : value.split(',').map((v) => v.trim());
  return first ? items : [...current, ...items];
}

export const SERVE_FLAGS: Record<string, string> = {
  'authorization-mode':
    'Ordered list of plug-ins to do authorization on secure port. Comma-delimited list of: AlwaysAllow,AlwaysDeny,ABAC,Webhook,RBAC,Node. (default Node,RBAC)',
  'authorization-webhook-config-file':
    "File with webhook configuration in kubeconfig format, used with --authorization-mode=Webhook. The API server will query the remote service to determine access on the API server's secure port.",
  'authorization-webhook-version':
    'The API version of the authorization.k8s.io SubjectAccessReview to send to and expect from the webhook. (default "v1")',
  'authorization-webhook-cache-authorized-ttl': "The duration to cache 'authorized' responses from the webhook authorizer. (default 5m0s)",
  'authorization-webhook-cache-unauthorized-ttl':
    "The duration to cache 'unauthorized' responses from the webhook authorizer. (default 30s)",
  'etcd-servers': 'List of etcd servers to connect with (scheme://ip:port), comma separated.',
  'etcd-prefix': 'The prefix to prepend to all resource paths in etcd. (default "/registry")',
  'etcd-cafile': 'SSL Certificate Authority file used to secure etcd communication.',
  'etcd-certfile': 'SSL certification file used to secure etcd communication.',
  'etcd-keyfile': 'SSL key file used to secure etcd communication.',
  'etcd-compaction-interval':
    'The interval of compaction requests. If 0, the compaction request from apiserver is disabled. (default 5m0s)',
  'secure-port': 'The port on which to serve HTTPS with authentication and authorization. (default 6443; 0 picks a free port)',
  'bind-address': 'The IP address on which to listen for the --secure-port port. (default 0.0.0.0)',
  'tls-cert-file': 'File containing the default x509 Certificate for HTTPS.',
  'tls-private-key-file': 'File containing the default x509 private key matching --tls-cert-file.',
  'client-ca-file':
    'If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate.',
  'watch-cache': 'Enable watch caching in the apiserver (default true)',
  'default-watch-cache-size':
    'Default watch cache size: events kept per resource for resuming watches. If zero, watch cache will be disabled for resources that do not have a default watch size set. (default 10000)',
  'min-request-timeout':
    'An optional field indicating the minimum number of seconds a handler must keep a request open before timing it out. Currently only honored by the watch request handler, which picks a randomized value above this number as the connection timeout, to spread out load. (default 1800)',
  'request-timeout':
    'An optional field indicating the duration a handler must keep a request open before timing it out. This is the default request timeout for requests but may be overridden by flags such as --min-request-timeout for specific types of requests. (default 1m0s)',
  'max-requests-inflight':
    "This and --max-mutating-requests-inflight are summed to determine the server's total concurrency limit (which must be positive) if --enable-priority-and-fairness is true. Otherwise, this flag limits the maximum number of non-mutating requests in flight, or a zero value disables the limit completely. (default 400; here always the max-in-flight limit)",
  'max-mutating-requests-inflight':
    "This and --max-requests-inflight are summed to determine the server's total concurrency limit (which must be positive) if --enable-priority-and-fairness is true. Otherwise, this flag limits the maximum number of mutating requests in flight, or a zero value disables the limit completely. (default 200; here always the max-in-flight limit)",
  'enable-priority-and-fairness':
    'If true, replace the max-in-flight handler with an enhanced one that queues and dispatches with priority and fairness (default true; accepted, the max-in-flight limit is what is enforced here)',
  'shutdown-delay-duration':
    'Time to delay the termination. During that time the server keeps serving requests normally. The endpoints /healthz and /livez will return success, but /readyz immediately returns failure. Graceful termination starts after this delay has elapsed. This can be used to allow load balancer to stop sending traffic to this server.',
  'shutdown-send-retry-after':
    "If true the HTTP Server will continue listening until all non long running request(s) in flight have been drained, during this window all incoming requests will be rejected with a status code 429 and a 'Retry-After' response header, in addition 'Connection: close' response header is set in order to tear down the TCP connection when idle.",
  'storage-backend': "The storage backend for persistence. Options: 'etcd3' (default), 'memory' (embedded, no etcd).",
  'service-cluster-ip-range':
    'A CIDR notation IP range from which to assign service cluster IPs. This must not overlap with any IP ranges assigned to nodes or pods. Max of two dual-stack CIDRs is allowed. (default 10.0.0.0/24)',
  'service-node-port-range':
    "A port range to reserve for services with NodePort visibility. Example: '30000-32767'. Inclusive at both ends of the range. (default 30000-32767)",
  v: 'number for the log level verbosity (2: one line per request with verb, URI, user, status and latency, on stderr)',
  controllers: `kube-controller-manager controllers to run in process. '*' or 'all' enables all, 'foo' enables the controller named 'foo', '-foo' disables it. Controllers: ${Object.entries(
    CONTROLLERS,
  )
    .map(([name, alias]) => `${name} (${alias})`)
    .join(', ')}. (default none)`,
  'enable-fault-injection': 'Serve /debug/kapi/faults (system:masters only) to inject errors, latency and watch drops. (default false)',
  'request-journal-size':
    'Requests kept in the request journal (/debug/kapi/requests, system:masters only); 0 disables it. (default 10000)',
  nodes:
    'Simulated Ready nodes (kapi-node-1...) whose pods are scheduled and moved Pending -> Running (Job pods -> Succeeded); no container runs. (default 1 with a workload controller: deployment, replicaset, daemonset, statefulset, job; else 0)',
  'simulated-pod-start-delay': 'How long a scheduled pod on a simulated node stays Pending before it runs. (default 0s)',
  'simulated-job-pod-duration': "How long a Job's pod runs on a simulated node before it succeeds. (default 0s)",
  'simulated-pod-failure-rate':
    "The share (0-1) of pods on simulated nodes whose containers fail: restartPolicy Never pods end Failed, others crash-loop (CrashLoopBackOff, not Ready); a pod's kapi-env.io/simulate annotation (fail, unready, ok) decides instead. (default 0)",
  'simulated-pod-unready-rate': 'The share (0-1) of the other pods on simulated nodes that run with containers never Ready. (default 0)',
  'simulated-crash-loop-backoff': "A crash-looping container's first restart back-off, doubled per restart up to 5m. (default 10s)",
  'simulated-clock':
    "Start the controllers' clock (CronJob schedules) at this time, 'now' or RFC 3339, standing still until advanced (env.clock.advance). (default the wall clock)",
  'enable-admission-plugins': `admission plugins that should be enabled in addition to default enabled ones (${ADMISSION_DEFAULTS}). Comma-delimited list of admission plugins: ${ADMISSION_PLUGINS}. The order of plugins in this flag does not matter.`,
  'disable-admission-plugins': `admission plugins that should be disabled although they are in the default enabled plugins list (${ADMISSION_DEFAULTS}). Comma-delimited list of admission plugins: ${ADMISSION_PLUGINS}. The order of plugins in this flag does not matter.`,
  'admission-control-config-file': 'File with admission control configuration.',
  'proxy-client-cert-file':
    "Client certificate used to prove the identity of the aggregator or kube-apiserver when it must call out during a request. This includes proxying requests to a user api-server and calling out to webhook admission plugins. It is expected that this cert includes a signature from the CA in the --requestheader-client-ca-file flag. That CA is published in the 'extension-apiserver-authentication' configmap in the kube-system namespace. Components receiving calls from kube-aggregator should use that CA to perform their half of the mutual TLS verification. (default: a front-proxy-client certificate from the environment's CA)",
  'proxy-client-key-file':
    'Private key for the client certificate used to prove the identity of the aggregator or kube-apiserver when it must call out during a request. This includes proxying requests to a user api-server and calling out to webhook admission plugins.',
  'identity-lease-duration-seconds': 'The duration of kube-apiserver lease in seconds, must be a positive number. (default 3600)',
  'identity-lease-renew-interval-seconds':
    'The interval of kube-apiserver renewing its lease in seconds, must be a positive number. The kubernetes endpoints are reconciled at the same interval. (default 10)',
  'endpoint-reconciler-ttl':
    "How long a server stays in the kubernetes Service's endpoints after its lease was last renewed (kube's master lease TTL). (default 15s)",
  'leader-elect':
    "Run the --controllers only while holding the kube-system/kube-controller-manager Lease, as kube-controller-manager's leader election, so several servers on one etcd run them once. (default true)",
  'leader-elect-lease-duration':
    'The duration that non-leader candidates will wait after observing a leadership renewal until attempting to acquire leadership of a led but unrenewed leader slot. This is effectively the maximum duration that a leader can be stopped before it is replaced by another candidate. This is only applicable if leader election is enabled. (default 15s)',
  'leader-elect-renew-deadline':
    'The interval between attempts by the acting master to renew a leadership slot before it stops leading. This must be less than the lease duration. This is only applicable if leader election is enabled. (default 10s)',
  'leader-elect-retry-period':
    'The duration the clients should wait between attempting acquisition and renewal of a leadership. This is only applicable if leader election is enabled. (default 2s)',
  ...AUDIT_FLAG_HELP,
  ...AUTHN_FLAG_HELP,
};

export interface ParseOptions {
  /** Defaults that differ from kube-apiserver's (an environment binds 127.0.0.1 on a free port). */
  defaults?: Partial<ServeFlags>;
  /**
   * Each element is one whole flag, `--name=value` or `name=value` (a bare boolean flag means true):
   * how `--apiserver-arg` and `apiserverArgs` pass them, one flag per argument.
   */
  inlineValues?: boolean;
}

/**
 * Parses `--name=value` / `--name value` flags with kube-apiserver's names.
 * An unknown flag is an error naming it, as pflag reports it.
 */
export function parseServeFlags(argv: string[], opts: ParseOptions = {}): ServeFlags {
  const out: ServeFlags = {
    authorizationModes: [...DEFAULT_AUTHORIZATION_MODES],
    etcdServers: [],
    etcdPrefix: '/registry',
    securePort: 6443,
    bindAddress: '0.0.0.0',
    watchCache: true,
    etcdCompactionIntervalMs: 5 * 60_000,
    storageBackend: 'etcd3',
    serviceClusterIPRange: DEFAULT_SERVICE_CLUSTER_IP_RANGE,
    serviceNodePortRange: DEFAULT_SERVICE_NODE_PORT_RANGE,
    verbosity: 0,
    controllers: [],
    faultInjection: false,
    simulation: {},
    authentication: {},
    enableAdmissionPlugins: [],
    disableAdmissionPlugins: [],
    leaderElect: true,
    ...opts.defaults,
  };
  /** StringSlice flags given so far: the first occurrence replaces the default, later ones add. */
  const seenSlices = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const given = opts.inlineValues && !argv[i].startsWith('-') ? `--${argv[i]}` : argv[i];
    // -v is klog's one shorthand (`-v=2`, `-v 2`).
    const arg = /^-v(=|$)/.test(given) ? `-${given}` : given;
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument "${arg}"`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!(name in SERVE_FLAGS)) throw new FlagError(`unknown flag: --${name}`);
    if (value === undefined) {
      if (
        (name === 'watch-cache' ||
          name === 'leader-elect' ||
          name === 'enable-fault-injection' ||
          name === 'enable-priority-and-fairness' ||
          name === 'shutdown-send-retry-after' ||
          AUTHN_BOOL_FLAGS.has(name)) &&
        (opts.inlineValues || argv[i + 1] === undefined || argv[i + 1].startsWith('--'))
      )
        value = 'true';
      else if (opts.inlineValues) throw new FlagError(`flag needs an argument: --${name}`);
      else {
        value = argv[++i];
        if (value === undefined) throw new FlagError(`flag needs an argument: --${name}`);
      }
    }
    switch (name) {
      case 'authorization-mode':
        // pflag's StringSlice: comma separated, each value as given.
        out.authorizationModes = value === '' ? [] : value.split(',');
        break;
      case 'authorization-webhook-config-file':
        out.authorizationWebhookConfigFile = value;
        break;
      case 'authorization-webhook-version':
        if (value !== 'v1' && value !== 'v1beta1')
          throw new FlagError(`invalid authorization version: ${JSON.stringify(value)} (v1 and v1beta1 are supported)`);
        out.authorizationWebhookVersion = value;
        break;
      case 'authorization-webhook-cache-authorized-ttl':
        out.authorizationWebhookCacheAuthorizedTTLMs = parseDuration(value);
        break;
      case 'authorization-webhook-cache-unauthorized-ttl':
        out.authorizationWebhookCacheUnauthorizedTTLMs = parseDuration(value);
        break;
      case 'etcd-servers':
        out.etcdServers = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case 'etcd-prefix':
        out.etcdPrefix = value;
        break;
      case 'etcd-cafile':
        out.etcdCafile = value;
        break;
      case 'etcd-certfile':
        out.etcdCertfile = value;
        break;
      case 'etcd-keyfile':
        out.etcdKeyfile = value;
        break;
      case 'etcd-compaction-interval':
        out.etcdCompactionIntervalMs = parseDuration(value);
        break;
      case 'secure-port': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new FlagError(`invalid argument "${value}" for "--secure-port" flag`);
        out.securePort = n;
        break;
      }
      case 'bind-address':
        out.bindAddress = value;
        break;
      case 'tls-cert-file':
        out.tlsCertFile = value;
        break;
      case 'tls-private-key-file':
        out.tlsPrivateKeyFile = value;
        break;
      case 'client-ca-file':
        out.clientCaFile = value;
        break;
      case 'watch-cache':
        out.watchCache = parseBoolFlag(name, value);
        break;
      case 'default-watch-cache-size': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) throw new FlagError(`invalid argument "${value}" for "--default-watch-cache-size" flag`);
        if (n === 0) out.watchCache = false;
        else out.watchCacheSize = n;
        break;
      }
      case 'min-request-timeout': {
        const n = Number(value);
        if (!Number.isInteger(n) || n <= 0) throw new FlagError(`invalid argument "${value}" for "--min-request-timeout" flag`);
        out.minRequestTimeoutS = n;
        break;
      }
      case 'request-timeout':
        out.requestTimeoutMs = parseDuration(value);
        if (out.requestTimeoutMs < 0) throw new FlagError('--request-timeout can not be negative value');
        break;
      case 'max-requests-inflight':
      case 'max-mutating-requests-inflight': {
        // pflag's IntVar, then ServerRunOptions.Validate.
        if (!/^[+-]?\d+$/.test(value))
          throw new FlagError(`invalid argument "${value}" for "--${name}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
        const n = Number(value);
        if (n < 0) throw new FlagError(`--${name} can not be negative value`);
        if (name === 'max-requests-inflight') out.maxRequestsInFlight = n;
        else out.maxMutatingRequestsInFlight = n;
        break;
      }
      case 'enable-priority-and-fairness':
        out.enablePriorityAndFairness = parseBoolFlag(name, value);
        break;
      case 'shutdown-delay-duration':
        out.shutdownDelayMs = parseDuration(value);
        if (out.shutdownDelayMs < 0) throw new FlagError('--shutdown-delay-duration can not be negative value');
        break;
      case 'shutdown-send-retry-after':
        out.shutdownSendRetryAfter = parseBoolFlag(name, value);
        break;
      case 'storage-backend':
        if (value !== 'etcd3' && value !== 'memory')
          throw new FlagError(`invalid argument "${value}" for "--storage-backend" flag: must be etcd3 or memory`);
        out.storageBackend = value;
        break;
      case 'service-cluster-ip-range': {
        const cidrs = parseServiceCIDRs(value);
        if (typeof cidrs === 'string') throw new FlagError(`--service-cluster-ip-range: ${cidrs}`);
        out.serviceClusterIPRange = value;
        break;
      }
      case 'service-node-port-range':
        if (!parsePortRange(value))
          throw new FlagError(
            `invalid argument "${value}" for "--service-node-port-range" flag: couldn't parse "${value}" as a port range`,
          );
        out.serviceNodePortRange = value;
        break;
      case 'v': {
        const n = Number(value);
        if (!/^\d+$/.test(value) || n > 2 ** 31)
          throw new FlagError(`invalid argument "${value}" for "-v, --v" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
        out.verbosity = n;
        break;
      }
      case 'controllers': {
        const enabled = parseControllers(value.split(','));
        if (typeof enabled === 'string') throw new FlagError(enabled);
        out.controllers = enabled;
        break;
      }
      case 'enable-fault-injection':
        out.faultInjection = parseBoolFlag(name, value);
        break;
      case 'enable-admission-plugins':
        out.enableAdmissionPlugins = stringSlice(out.enableAdmissionPlugins, value, !seenSlices.has(name));
        seenSlices.add(name);
        break;
      case 'disable-admission-plugins':
        out.disableAdmissionPlugins = stringSlice(out.disableAdmissionPlugins, value, !seenSlices.has(name));
        seenSlices.add(name);
        break;
      case 'admission-control-config-file':
        out.admissionControlConfigFile = value;
        break;
      case 'proxy-client-cert-file':
        out.proxyClientCertFile = value;
        break;
      case 'proxy-client-key-file':
        out.proxyClientKeyFile = value;
        break;
      case 'nodes': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 1000) throw new FlagError(`invalid argument "${value}" for "--nodes" flag`);
        out.simulation.nodes = n;
        break;
      }
      case 'simulated-pod-start-delay':
      case 'simulated-job-pod-duration': {
        const ms = parseDuration(value);
        if (ms < 0) throw new FlagError(`--${name} can not be negative value`);
        if (name === 'simulated-pod-start-delay') out.simulation.podStartDelayMs = ms;
        else out.simulation.jobPodDurationMs = ms;
        break;
      }
      case 'simulated-pod-failure-rate':
      case 'simulated-pod-unready-rate': {
        const r = Number(value);
        if (value.trim() === '' || !(r >= 0 && r <= 1))
          throw new FlagError(`invalid argument "${value}" for "--${name}" flag: want a number from 0 to 1`);
        if (name === 'simulated-pod-failure-rate') out.simulation.podFailureRate = r;
        else out.simulation.podUnreadyRate = r;
        break;
      }
      case 'simulated-crash-loop-backoff': {
        const ms = parseDuration(value);
        if (ms <= 0) throw new FlagError(`--${name} must be positive`);
        out.simulation.crashLoopBackOffMs = ms;
        break;
      }
      case 'simulated-clock': {
        const t = value === 'now' ? Date.now() : Date.parse(value);
        if (Number.isNaN(t))
          throw new FlagError(`invalid argument "${value}" for "--simulated-clock" flag: want 'now' or an RFC 3339 time`);
        out.simulatedClock = t;
        break;
      }
      case 'identity-lease-duration-seconds':
      case 'identity-lease-renew-interval-seconds': {
        const n = Number(value);
        if (!/^-?\d+$/.test(value))
          throw new FlagError(`invalid argument "${value}" for "--${name}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
        // kube's validateAPIServerIdentity.
        if (n <= 0) throw new FlagError(`--${name} should be a positive number, but value '${n}' provided`);
        if (name === 'identity-lease-duration-seconds') out.identityLeaseDurationSeconds = n;
        else out.identityLeaseRenewIntervalSeconds = n;
        break;
      }
      case 'endpoint-reconciler-ttl': {
        const ms = parseDuration(value);
        if (ms <= 0) throw new FlagError(`--${name} must be positive`);
        out.endpointReconcilerTTLMs = ms;
        break;
      }
      case 'leader-elect':
        out.leaderElect = parseBoolFlag(name, value);
        break;
      case 'leader-elect-lease-duration':
      case 'leader-elect-renew-deadline':
      case 'leader-elect-retry-period': {
        const ms = parseDuration(value);
        if (ms <= 0) throw new FlagError(`--${name} must be positive`);
        if (name === 'leader-elect-lease-duration') out.leaderElectLeaseDurationMs = ms;
        else if (name === 'leader-elect-renew-deadline') out.leaderElectRenewDeadlineMs = ms;
        else out.leaderElectRetryPeriodMs = ms;
        break;
      }
      case 'request-journal-size': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) throw new FlagError(`invalid argument "${value}" for "--request-journal-size" flag`);
        out.requestJournalSize = n;
        break;
      }
      default:
        if (name in AUDIT_FLAG_HELP) {
          const refused = applyAuditFlag((out.audit ??= {}), name, value, parseDuration);
          if (refused) throw new FlagError(refused);
        } else if (name in AUTHN_FLAG_HELP) {
          const refused = applyAuthnFlag(out.authentication, name, value, parseBool);
          if (refused) throw new FlagError(refused);
        }
    }
  }
  const admissionErrors = admissionFlagErrors(out.enableAdmissionPlugins, out.disableAdmissionPlugins);
  if (admissionErrors.length) throw new FlagError(admissionErrors.length === 1 ? admissionErrors[0] : `[${admissionErrors.join(', ')}]`);
  const authnInvalid = validateAuthnFlags(out.authentication);
  if (authnInvalid) throw new FlagError(authnInvalid);
  const authzErrors = validateAuthorizationModes(out.authorizationModes, out.authorizationWebhookConfigFile);
  if (authzErrors.length) throw new FlagError(authzErrors.length === 1 ? authzErrors[0] : `[${authzErrors.join(', ')}]`);
  // client-go's leaderelection.NewLeaderElector checks, as kube-controller-manager reports them.
  const leaseMs = out.leaderElectLeaseDurationMs ?? 15_000;
  const renewMs = out.leaderElectRenewDeadlineMs ?? 10_000;
  const retryMs = out.leaderElectRetryPeriodMs ?? 2_000;
  if (out.leaderElect && leaseMs <= renewMs) throw new FlagError('leaseDuration must be greater than renewDeadline');
  if (out.leaderElect && renewMs <= retryMs * 1.2) throw new FlagError('renewDeadline must be greater than retryPeriod*JitterFactor');
  if (!!out.tlsCertFile !== !!out.tlsPrivateKeyFile)
    throw new FlagError('--tls-cert-file and --tls-private-key-file must be given together');
  if (!!out.proxyClientCertFile !== !!out.proxyClientKeyFile)
    throw new FlagError('--proxy-client-cert-file and --proxy-client-key-file must be given together');
  return out;
}

/** `kapi-env serve --help`: the flags above, as kube-apiserver prints its own. */
export function serveUsage(): string {
  const lines = Object.entries(SERVE_FLAGS).map(([name, help]) => `      --${name}\n            ${help}`);
  return `Usage: kapi-env serve [flags]\n\nkube-apiserver flags served here:\n${lines.join('\n')}\n`;
}

/** What the flags' files hold: the serving certificate (chain) and key, the client CA, etcd's client TLS. */
export interface FlagFiles {
  serving?: { certPem: string; keyPem: string };
  clientCaPem?: string;
  etcdTls?: EtcdTls;
}

/** Reads the files the flags name (--tls-cert-file/--tls-private-key-file, --client-ca-file, --etcd-cafile/certfile/keyfile). */
export async function readFlagFiles(flags: ServeFlags): Promise<FlagFiles> {
  // A file that cannot be read is the flag's fault: one line naming both.
  const read = async (name: string, file: string | undefined): Promise<Buffer | undefined> => {
    if (!file) return undefined;
    try {
      return await readFile(file);
    } catch (e) {
      throw new FlagError(
        `--${name}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `open ${file}: no such file or directory` : (e as Error).message}`,
      );
    }
  };
  const [cert, key, clientCa, ca, etcdCert, etcdKey] = await Promise.all([
    read('tls-cert-file', flags.tlsCertFile),
    read('tls-private-key-file', flags.tlsPrivateKeyFile),
    read('client-ca-file', flags.clientCaFile),
    read('etcd-cafile', flags.etcdCafile),
    read('etcd-certfile', flags.etcdCertfile),
    read('etcd-keyfile', flags.etcdKeyfile),
  ]);
  const out: FlagFiles = {};
  if (cert && key) out.serving = { certPem: cert.toString('utf8'), keyPem: key.toString('utf8') };
  if (clientCa) out.clientCaPem = clientCa.toString('utf8');
  if (ca || etcdCert || etcdKey) out.etcdTls = { ca, cert: etcdCert, key: etcdKey };
  return out;
}

/** The ServerConfig the flags describe; storage, certificates and what no flag sets come from the caller. */
export function serverConfigFromFlags(
  flags: ServeFlags,
  base: Pick<ServerConfig, 'storage' | 'tls'> & Pick<ServerConfig, 'bookmarkIntervalMs' | 'advertiseAddress' | 'rootCaPem'>,
): ServerConfig {
  return {
    ...base,
    authorization: {
      modes: flags.authorizationModes,
      webhook: flags.authorizationWebhookConfigFile
        ? {
            configFile: flags.authorizationWebhookConfigFile,
            version: flags.authorizationWebhookVersion,
            authorizedTTLMs: flags.authorizationWebhookCacheAuthorizedTTLMs,
            unauthorizedTTLMs: flags.authorizationWebhookCacheUnauthorizedTTLMs,
          }
        : undefined,
    },
    bindAddress: flags.bindAddress,
    port: flags.securePort,
    watchCache: flags.watchCache,
    watchCacheSize: flags.watchCacheSize,
    minRequestTimeoutS: flags.minRequestTimeoutS,
    requestTimeoutMs: flags.requestTimeoutMs,
    maxRequestsInFlight: flags.maxRequestsInFlight,
    maxMutatingRequestsInFlight: flags.maxMutatingRequestsInFlight,
    shutdownDelayMs: flags.shutdownDelayMs,
    shutdownSendRetryAfter: flags.shutdownSendRetryAfter,
    compactionIntervalMs: flags.etcdCompactionIntervalMs,
    serviceClusterIPRange: flags.serviceClusterIPRange,
    serviceNodePortRange: flags.serviceNodePortRange,
    requestLog: flags.verbosity >= 2 ? (e) => process.stderr.write(`${formatRequestLog(e)}\n`) : undefined,
    controllers: flags.controllers,
    faultInjection: flags.faultInjection,
    requestJournalSize: flags.requestJournalSize,
    simulation: { ...flags.simulation },
    simulatedClock: flags.simulatedClock,
    audit: auditConfigFromFlags(flags.audit),
    proxyClient:
      flags.proxyClientCertFile && flags.proxyClientKeyFile
        ? { certFile: flags.proxyClientCertFile, keyFile: flags.proxyClientKeyFile }
        : undefined,
    apiserverLease: {
      leaseDurationSeconds: flags.identityLeaseDurationSeconds,
      renewIntervalMs: flags.identityLeaseRenewIntervalSeconds === undefined ? undefined : flags.identityLeaseRenewIntervalSeconds * 1000,
      endpointTTLMs: flags.endpointReconcilerTTLMs,
    },
    leaderElection: flags.leaderElect
      ? {
          leaseDurationMs: flags.leaderElectLeaseDurationMs,
          renewDeadlineMs: flags.leaderElectRenewDeadlineMs,
          retryPeriodMs: flags.leaderElectRetryPeriodMs,
        }
      : false,
    authentication: flags.authentication,
    admission: {
      enable: flags.enableAdmissionPlugins,
      disable: flags.disableAdmissionPlugins,
      configFile: flags.admissionControlConfigFile,
    },
  };
}

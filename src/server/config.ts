// ServerConfig and kube-apiserver's flags (cmd/kube-apiserver/app/options), for
// the flags that exist here: one parser and one mapping to ServerConfig, used by
// `kapi-env serve`, `kapi-env up --apiserver-arg` and startEnv({ apiserverArgs }).

import { readFile } from 'node:fs/promises';
import { parseBool } from './http/query.js';
import { parsePortRange, parseServiceCIDRs } from './registry/resources/allocator.js';
import type { EtcdTls } from './storage/factory.js';
import type { Storage } from './storage/interface.js';

export interface ServerConfig {
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
  /** Service ClusterIPs are allocated from this CIDR, or two of different families (--service-cluster-ip-range). */
  serviceClusterIPRange?: string;
  /** NodePorts are allocated from this range (--service-node-port-range). */
  serviceNodePortRange?: string;
}

/** envtest's --service-cluster-ip-range; kube-apiserver's own default is 10.0.0.0/24 as well. */
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';
export const DEFAULT_SERVICE_NODE_PORT_RANGE = '30000-32767';

export interface ServeFlags {
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
  etcdCompactionIntervalMs: number;
  /** `memory` when --etcd-servers is empty and --storage-backend=memory. */
  storageBackend: 'etcd3' | 'memory';
  serviceClusterIPRange: string;
  serviceNodePortRange: string;
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

export const SERVE_FLAGS: Record<string, string> = {
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
  'storage-backend': "The storage backend for persistence. Options: 'etcd3' (default), 'memory' (embedded, no etcd).",
  'service-cluster-ip-range':
    'A CIDR notation IP range from which to assign service cluster IPs. This must not overlap with any IP ranges assigned to nodes or pods. Max of two dual-stack CIDRs is allowed. (default 10.0.0.0/24)',
  'service-node-port-range':
    "A port range to reserve for services with NodePort visibility. Example: '30000-32767'. Inclusive at both ends of the range. (default 30000-32767)",
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
    etcdServers: [],
    etcdPrefix: '/registry',
    securePort: 6443,
    bindAddress: '0.0.0.0',
    watchCache: true,
    etcdCompactionIntervalMs: 5 * 60_000,
    storageBackend: 'etcd3',
    serviceClusterIPRange: DEFAULT_SERVICE_CLUSTER_IP_RANGE,
    serviceNodePortRange: DEFAULT_SERVICE_NODE_PORT_RANGE,
    ...opts.defaults,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = opts.inlineValues && !argv[i].startsWith('-') ? `--${argv[i]}` : argv[i];
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
      if (name === 'watch-cache' && (opts.inlineValues || argv[i + 1] === undefined || argv[i + 1].startsWith('--'))) value = 'true';
      else if (opts.inlineValues) throw new FlagError(`flag needs an argument: --${name}`);
      else {
        value = argv[++i];
        if (value === undefined) throw new FlagError(`flag needs an argument: --${name}`);
      }
    }
    switch (name) {
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
    }
  }
  if (!!out.tlsCertFile !== !!out.tlsPrivateKeyFile)
    throw new FlagError('--tls-cert-file and --tls-private-key-file must be given together');
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
  base: Pick<ServerConfig, 'storage' | 'tls'> & Pick<ServerConfig, 'bookmarkIntervalMs' | 'advertiseAddress'>,
): ServerConfig {
  return {
    ...base,
    bindAddress: flags.bindAddress,
    port: flags.securePort,
    watchCache: flags.watchCache,
    watchCacheSize: flags.watchCacheSize,
    minRequestTimeoutS: flags.minRequestTimeoutS,
    requestTimeoutMs: flags.requestTimeoutMs,
    compactionIntervalMs: flags.etcdCompactionIntervalMs,
    serviceClusterIPRange: flags.serviceClusterIPRange,
    serviceNodePortRange: flags.serviceNodePortRange,
  };
}

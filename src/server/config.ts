// ServerConfig and kube-apiserver's flags for `kapi-env serve`
// (cmd/kube-apiserver/app/options), for the flags that exist here.

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
}

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

function parseBool(name: string, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
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
};

/**
 * Parses `--name=value` / `--name value` flags with kube-apiserver's names.
 * An unknown flag is an error naming it, as pflag reports it.
 */
export function parseServeFlags(argv: string[]): ServeFlags {
  const out: ServeFlags = {
    etcdServers: [],
    etcdPrefix: '/registry',
    securePort: 6443,
    bindAddress: '0.0.0.0',
    watchCache: true,
    etcdCompactionIntervalMs: 5 * 60_000,
    storageBackend: 'etcd3',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
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
      if (name === 'watch-cache' && (argv[i + 1] === undefined || argv[i + 1].startsWith('--'))) value = 'true';
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
        out.watchCache = parseBool(name, value);
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
    }
  }
  return out;
}

// /healthz, /livez, /readyz with kube-apiserver's check list output
// (k8s.io/apiserver/pkg/server/healthz).

export interface HealthCheck {
  name: string;
  check(): Promise<boolean>;
  /** A /readyz check only (kube's `shutdown`), left out of /healthz and /livez. */
  readyzOnly?: boolean;
}

export interface HealthResult {
  code: number;
  body: string;
}

/** `path` is /healthz, /livez or /readyz, optionally with /<check>. */
export async function runHealth(path: string, query: URLSearchParams, checks: HealthCheck[]): Promise<HealthResult | undefined> {
  const m = /^\/(healthz|livez|readyz)(?:\/([^/]+))?\/?$/.exec(path);
  if (!m) return undefined;
  const kind = m[1];
  const only = m[2];
  if (kind !== 'readyz') checks = checks.filter((c) => !c.readyzOnly);
  if (only) {
    const c = checks.find((x) => x.name === only);
    if (!c) return undefined;
    const ok = await c.check().catch(() => false);
    return ok ? { code: 200, body: 'ok' } : { code: 500, body: `internal server error: ${only} check failed` };
  }
  const excluded = new Set(query.getAll('exclude'));
  const verbose = query.has('verbose');
  const lines: string[] = [];
  let failed = false;
  for (const c of checks) {
    if (excluded.has(c.name)) {
      lines.push(`[+]${c.name} excluded: ok`);
      continue;
    }
    const ok = await c.check().catch(() => false);
    if (!ok) failed = true;
    lines.push(ok ? `[+]${c.name} ok` : `[-]${c.name} failed: reason withheld`);
  }
  if (failed) return { code: 500, body: `${lines.join('\n')}\n${kind} check failed\n` };
  if (!verbose) return { code: 200, body: 'ok' };
  return { code: 200, body: `${lines.join('\n')}\n${kind} check passed\n` };
}

/** The Kubernetes minor this server implements; --kube-version may pick its patch release. */
export const KUBE_MINOR = '1.32';

/** `1.32`, `v1.32.3`... as `v1.32.N`; undefined for a version this server does not implement. */
export function parseKubeVersion(v: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v.trim());
  if (!m || `${m[1]}.${m[2]}` !== KUBE_MINOR) return undefined;
  return `v${m[1]}.${m[2]}.${m[3] ?? '0'}`;
}

/**
 * /version. gitVersion carries build metadata, not a pre-release tag (`v1.32.0+kapi-env`, as k3s writes
 * `v1.32.0+k3s1`): semver constraints such as `>=1.32.0` accept it, and kubectl's version skew check reads it.
 */
export function versionInfo(kubeVersion = `v${KUBE_MINOR}.0`): typeof VERSION_INFO {
  return { ...VERSION_INFO, gitVersion: `${kubeVersion}+kapi-env` };
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+kapi-env',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

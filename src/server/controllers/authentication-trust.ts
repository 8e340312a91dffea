// kube-apiserver's cluster authentication trust controller
// (pkg/controlplane/controller/clusterauthenticationtrust): kube-system's
// `extension-apiserver-authentication` ConfigMap tells extension API servers which
// client CA to trust and how a front proxy passes the user (the requestheader-*
// keys, lists as JSON). What is there already (another server's) is kept and
// combined with this server's: CA bundles without duplicates, lists in order.

import type { RequestHeaderConfig } from '../api/front-proxy.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceRouter } from '../endpoints/router.js';
import type { RequestContext } from '../registry/strategy.js';

const NAMESPACE = 'kube-system';
const NAME = 'extension-apiserver-authentication';

const SYSTEM_CTX = (): RequestContext => ({
  user: { username: 'system:apiserver', groups: ['system:masters'] },
  dryRun: false,
  warnings: [],
  namespace: NAMESPACE,
});

/** The server's client CA and front-proxy configuration. */
export interface AuthenticationTrust {
  clientCaPem?: string;
  requestHeader?: RequestHeaderConfig;
}

const certBlocks = (pem: string | undefined): string[] =>
  pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((b) => b.replace(/\r/g, '')) ?? [];

function combinedCAs(existing: string | undefined, ours: string | undefined): string | undefined {
  const all = [...new Set([...certBlocks(existing), ...certBlocks(ours)])];
  return all.length ? `${all.join('\n')}\n` : undefined;
}

function combinedList(existing: string | undefined, ours: string[]): string {
  let prior: string[] = [];
  try {
    const v: unknown = existing ? JSON.parse(existing) : [];
    if (Array.isArray(v)) prior = v.filter((x): x is string => typeof x === 'string');
  } catch {
    // An unreadable value is replaced by this server's.
  }
  return JSON.stringify([...new Set([...prior, ...ours])]);
}

/** The ConfigMap's data: this server's trust combined with what `existing` holds (kube's getConfigMapDataFor). */
export function authenticationTrustData(existing: Record<string, string>, t: AuthenticationTrust): Record<string, string> {
  const data: Record<string, string> = {};
  const clientCa = combinedCAs(existing['client-ca-file'], t.clientCaPem);
  if (clientCa) data['client-ca-file'] = clientCa;
  const rhCa = combinedCAs(existing['requestheader-client-ca-file'], t.requestHeader?.caPem);
  if (!rhCa) return data;
  const rh = t.requestHeader;
  data['requestheader-username-headers'] = combinedList(existing['requestheader-username-headers'], rh?.usernameHeaders ?? []);
  // kube 1.32 writes the UID headers only with RemoteRequestHeaderUID on; here, when some are configured.
  if (rh?.uidHeaders.length || existing['requestheader-uid-headers'])
    data['requestheader-uid-headers'] = combinedList(existing['requestheader-uid-headers'], rh?.uidHeaders ?? []);
  data['requestheader-group-headers'] = combinedList(existing['requestheader-group-headers'], rh?.groupHeaders ?? []);
  data['requestheader-extra-headers-prefix'] = combinedList(existing['requestheader-extra-headers-prefix'], rh?.extraHeaderPrefixes ?? []);
  data['requestheader-client-ca-file'] = rhCa;
  data['requestheader-allowed-names'] = combinedList(existing['requestheader-allowed-names'], rh?.allowedNames ?? []);
  return data;
}

/** Writes the ConfigMap once the server serves (created, or its data combined and updated). */
export async function publishAuthenticationTrust(router: ResourceRouter, t: AuthenticationTrust): Promise<void> {
  const served = router.get('', 'v1', 'configmaps');
  if (!served || (!certBlocks(t.clientCaPem).length && !t.requestHeader)) return;
  await served.store.update(
    SYSTEM_CTX(),
    NAME,
    (cur) => {
      const existing = (cur?.data ?? {}) as Record<string, string>;
      const metadata = cur?.metadata ?? { name: NAME, namespace: NAMESPACE };
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: authenticationTrustData(existing, t) } as KubeObject;
    },
    { forceAllowCreate: true },
  );
}

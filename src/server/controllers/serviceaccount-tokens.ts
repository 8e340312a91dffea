// The legacy service-account token controller (kube-controller-manager's
// tokens controller, pkg/controller/serviceaccount/tokens_controller.go):
// a Secret of type kubernetes.io/service-account-token naming a ServiceAccount
// in its `kubernetes.io/service-account.name` annotation gets `data.token` (a
// legacy JWT signed with the service-account key), `data.ca.crt` and
// `data.namespace`, and the ServiceAccount's uid in its
// `kubernetes.io/service-account.uid` annotation.

import { StatusError } from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import type { ResourceRouter } from '../endpoints/router.js';
import type { RequestContext } from '../registry/strategy.js';
import { Reconciler } from './reconciler.js';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const UID_ANNOTATION = 'kubernetes.io/service-account.uid';

const systemCtx = (namespace: string): RequestContext => ({
  user: { username: 'system:serviceaccount:kube-system:tokens-controller', groups: ['system:masters'] },
  dryRun: false,
  warnings: [],
  namespace,
});

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export interface ServiceAccountTokensOptions {
  /** Signs a legacy token for this ServiceAccount and Secret. */
  sign(serviceAccount: KubeObject, secret: KubeObject): Promise<string>;
  /** The cluster CA bundle written as `ca.crt` (kube-controller-manager's --root-ca-file). */
  caPem: string;
}

export class ServiceAccountTokensController {
  private readonly reconciler = new Reconciler('service account tokens', () => this.sync());

  constructor(
    private readonly router: ResourceRouter,
    private readonly o: ServiceAccountTokensOptions,
  ) {}

  async start(): Promise<void> {
    const secrets = this.router.get('', 'v1', 'secrets');
    const serviceAccounts = this.router.get('', 'v1', 'serviceaccounts');
    if (!secrets || !serviceAccounts) return;
    await this.reconciler.trigger();
    this.reconciler.watch(secrets.lister);
    this.reconciler.watch(serviceAccounts.lister);
  }

  private async sync(): Promise<void> {
    const secrets = this.router.get('', 'v1', 'secrets')!;
    const serviceAccounts = this.router.get('', 'v1', 'serviceaccounts')!;
    const list = await secrets.lister.list({ namespace: '' });
    const pending = list.items.filter((s) => {
      const data = isPlainObject(s.data) ? s.data : {};
      return (
        s.type === SERVICE_ACCOUNT_TOKEN_TYPE && !s.metadata?.deletionTimestamp && !data.token && s.metadata?.annotations?.[NAME_ANNOTATION]
      );
    });
    await Promise.all(
      pending.map(async (secret) => {
        const ns = secret.metadata?.namespace ?? '';
        const saName = secret.metadata!.annotations![NAME_ANNOTATION];
        const sa = await serviceAccounts.store.get(systemCtx(ns), saName).catch(() => undefined);
        // No such ServiceAccount (yet), or another one of that name: the token is not issued.
        if (!sa) return;
        const wantUid = secret.metadata?.annotations?.[UID_ANNOTATION];
        if (wantUid && wantUid !== sa.metadata?.uid) return;
        try {
          await secrets.store.update(systemCtx(ns), secret.metadata!.name!, async (cur) => {
            const next = structuredClone(cur!);
            const data = isPlainObject(next.data) ? (next.data as Record<string, string>) : {};
            if (data.token) return next;
            data.token = b64(await this.o.sign(sa, next));
            data['ca.crt'] = b64(this.o.caPem);
            data.namespace = b64(ns);
            next.data = data;
            next.metadata = { ...next.metadata, annotations: { ...next.metadata?.annotations, [UID_ANNOTATION]: sa.metadata?.uid ?? '' } };
            return next;
          });
        } catch (e) {
          if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
        }
      }),
    );
  }

  stop(): void {
    this.reconciler.stop();
  }
}

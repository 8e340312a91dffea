// Authentication wired into one server: the authenticator chain (authn/setup.ts)
// reading ServiceAccounts, Secrets, Pods and Nodes from storage, what
// serviceaccounts/token and TokenReview get of it (registry/authentication.ts),
// the issuer discovery documents and the legacy token controller.

import { isStatusError } from './api/errors.js';
import type { KubeObject } from './api/types.js';
import type { ObjectGetter } from './authn/serviceaccount.js';
import {
  type Authentication,
  type AuthenticationConfig,
  buildAuthentication,
  loadAuthenticationOptions,
  reviewToken,
} from './authn/setup.js';
import { ServiceAccountTokensController } from './controllers/serviceaccount-tokens.js';
import { serveOpenIDMetadata } from './endpoints/openid.js';
import type { ResourceRouter } from './endpoints/router.js';
import type { ApiRequest } from './http/request.js';
import type { AuthenticationAPI } from './registry/authentication.js';

export interface ServerAuthentication {
  authn: Authentication;
  api: AuthenticationAPI;
  /** The issuer discovery documents; false for other paths. */
  serveDiscovery(r: ApiRequest, externalAddress: string): boolean;
  /** Starts the legacy token controller (once the resources are served). */
  startControllers(caPem: string): Promise<{ stop(): void }>;
}

export async function setupAuthentication(config: AuthenticationConfig | undefined, router: ResourceRouter): Promise<ServerAuthentication> {
  const options = await loadAuthenticationOptions(config);
  // A live read, not the watch cache's copy: a token of an object just deleted must fail at once.
  const getObject: ObjectGetter = async (resource, namespace, name) => {
    const served = router.get('', 'v1', resource);
    if (!served) return undefined;
    const ctx = {
      user: { username: 'system:apiserver', groups: ['system:masters'] },
      dryRun: false,
      warnings: [],
      namespace: namespace || undefined,
    };
    try {
      return await served.store.get(ctx, name);
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return undefined;
      throw e;
    }
  };
  const authn = buildAuthentication(options, getObject);
  const api: AuthenticationAPI = {
    apiAudiences: authn.apiAudiences,
    issueToken: (input) => authn.signer.bound(input),
    reviewToken: (token, audiences) => reviewToken(authn, token, audiences),
  };
  return {
    authn,
    api,
    serveDiscovery: (r, externalAddress) => serveOpenIDMetadata(r, authn, externalAddress),
    async startControllers(caPem) {
      const tokens = new ServiceAccountTokensController(router, {
        sign: (sa: KubeObject, secret: KubeObject) => authn.signer.legacy(sa, secret),
        caPem,
      });
      await tokens.start();
      return tokens;
    },
  };
}

// The identities kube-controller-manager's controllers act as (--use-service-account-credentials:
// one service account per controller in kube-system), and the small helpers they share for
// writing through the served stores.

import { StatusError } from '../api/errors.js';
import type { RequestContext } from '../registry/strategy.js';

/** A RequestContext as the controller's service account `system:serviceaccount:kube-system:<name>`. */
export function controllerContext(serviceAccount: string, extra: Partial<RequestContext> = {}): RequestContext {
  return {
    user: {
      username: `system:serviceaccount:kube-system:${serviceAccount}`,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
    },
    dryRun: false,
    warnings: [],
    ...extra,
  };
}

/** Awaits a write, treating the listed status codes (404 gone, 409 raced) as done. */
export async function ignoring(codes: number[], p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof StatusError && codes.includes(e.code))) throw e;
  }
}

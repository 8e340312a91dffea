// --authorization-mode: kube-apiserver's ordered authorizer modes, validated with
// its messages (pkg/kubeapiserver/options/authorization.go Validate) and built into
// the chain in the order given, after the system:masters authorizer kube puts first.

import type { Authorizer } from './index.js';
import { AlwaysAllow, AlwaysDeny, PrivilegedGroups } from './index.js';

export const AUTHORIZATION_MODES = ['AlwaysAllow', 'AlwaysDeny', 'ABAC', 'Webhook', 'RBAC', 'Node'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

/** envtest runs RBAC; kube-apiserver deployments run Node,RBAC. */
export const DEFAULT_AUTHORIZATION_MODES: AuthorizationMode[] = ['Node', 'RBAC'];

/** Go's %q of a []string. */
const quotedList = (l: string[]): string => `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;

/**
 * kube's validation of the modes and the files they need; the errors in its order. ABAC needs
 * --authorization-policy-file, which this server does not offer, so it always fails with kube's message.
 */
export function validateAuthorizationModes(modes: string[], webhookConfigFile: string | undefined): string[] {
  const errs: string[] = [];
  if (modes.length === 0) errs.push('at least one authorization-mode must be passed');
  for (const mode of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(mode))
      errs.push(`authorization-mode ${JSON.stringify(mode)} is not a valid mode`);
    if (mode === 'ABAC') errs.push("authorization-mode ABAC's authorization policy file not passed");
    if (mode === 'Webhook' && !webhookConfigFile) errs.push("authorization-mode Webhook's authorization config file not passed");
  }
  if (webhookConfigFile && !modes.includes('Webhook')) errs.push('cannot specify --authorization-webhook-config-file without mode Webhook');
  if (new Set(modes).size !== modes.length) errs.push(`authorization-mode ${quotedList(modes)} has mode specified more than once`);
  return errs;
}

/** What each mode's authorizer is made from (built by the server, which owns the stores they read). */
export interface ModeAuthorizers {
  RBAC: () => Authorizer;
  Node: () => Authorizer;
  Webhook: () => Authorizer;
}

/** The chain: system:masters first, then each mode in order. */
export function buildAuthorizers(modes: readonly string[], make: ModeAuthorizers): Authorizer[] {
  const chain: Authorizer[] = [new PrivilegedGroups(['system:masters'])];
  for (const mode of modes) {
    if (mode === 'AlwaysAllow') chain.push(new AlwaysAllow());
    else if (mode === 'AlwaysDeny') chain.push(new AlwaysDeny());
    else if (mode === 'RBAC') chain.push(make.RBAC());
    else if (mode === 'Node') chain.push(make.Node());
    else if (mode === 'Webhook') chain.push(make.Webhook());
  }
  return chain;
}

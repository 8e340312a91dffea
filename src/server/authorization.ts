// Authorization wired into one server: the authorizer chain --authorization-mode
// names (authz/modes.ts: system:masters, then Node, RBAC, Webhook, AlwaysAllow,
// AlwaysDeny as configured), RBAC's in-memory copies of the four RBAC resources kept
// current from their watches (controllers/rbac.ts), what the access reviews and the
// RBAC registries' escalation checks get of them (registry/authorization.ts), the
// ClusterRole aggregation controller, and the least-privilege recorder.

import type { Authorizer } from './authz/index.js';
import { authorize, rulesFor } from './authz/index.js';
import { buildAuthorizers, DEFAULT_AUTHORIZATION_MODES } from './authz/modes.js';
import { NodeAuthorizer } from './authz/node.js';
import { confirmNoEscalation, RBACAuthorizer } from './authz/rbac/authorizer.js';
import { RBACPolicy } from './authz/rbac/policy.js';
import { policyRule } from './authz/rbac/rules.js';
import { PermissionsRecorder } from './authz/usage.js';
import { WebhookAuthorizer, type WebhookOptions } from './authz/webhook.js';
import { aggregateAll, ClusterRoleAggregation, RBACInformer } from './controllers/rbac.js';
import type { ResourceRouter } from './endpoints/router.js';
import type { AuthorizationAPI } from './registry/authorization.js';
import { bootstrapPolicy } from './registry/resources/rbac-policy.js';

export interface AuthorizationConfig {
  /** --authorization-mode, in order (validated by config.ts); default Node,RBAC. */
  modes?: string[];
  /** --authorization-webhook-*: the Webhook mode's server and cache. */
  webhook?: WebhookOptions;
}

export interface ServerAuthorization {
  authorizers: Authorizer[];
  api: AuthorizationAPI;
  permissions: PermissionsRecorder;
  /**
   * Starts the RBAC informer (once the resources are served) and, when it has listed them, gives the
   * authorizer the bootstrap policy objects not stored yet (as the post-start hook will store them, with
   * the aggregated roles' rules): authorization is right from the first request.
   */
  start(): Promise<void>;
  /** After the bootstrap policy is stored: the ClusterRole aggregation controller starts. */
  bootstrapped(): Promise<void>;
  stop(): Promise<void>;
}

const KINDS = [
  ['ClusterRole', 'clusterRoles'],
  ['ClusterRoleBinding', 'clusterRoleBindings'],
  ['Role', 'roles'],
  ['RoleBinding', 'roleBindings'],
] as const;

export async function setupAuthorization(config: AuthorizationConfig | undefined, router: ResourceRouter): Promise<ServerAuthorization> {
  const policy = new RBACPolicy();
  const rbac = new RBACAuthorizer(policy);
  let webhook: WebhookAuthorizer | undefined;
  const nodeRules =
    (bootstrapPolicy().clusterRoles.find((r) => r.metadata?.name === 'system:node')?.rules as unknown[] | undefined)?.map(policyRule) ?? [];
  const node = new NodeAuthorizer(
    {
      podsOnNode: async (nodeName) =>
        (await router.get('', 'v1', 'pods')?.lister.list({ namespace: '', fieldSelector: `spec.nodeName=${nodeName}` }))?.items ?? [],
      getPVC: async (namespace, name) =>
        (await router.get('', 'v1', 'persistentvolumeclaims')?.lister.list({ namespace, fieldSelector: `metadata.name=${name}` }))
          ?.items[0],
    },
    nodeRules,
  );
  const authorizers = buildAuthorizers(config?.modes ?? DEFAULT_AUTHORIZATION_MODES, {
    RBAC: () => rbac,
    Node: () => node,
    Webhook: () => {
      webhook = new WebhookAuthorizer(config!.webhook!);
      return webhook;
    },
  });
  // A webhook kubeconfig that cannot be read fails the start, as kube-apiserver refuses to start.
  await webhook?.load();
  const api: AuthorizationAPI = {
    authorize: (attrs) => authorize(authorizers, attrs),
    rulesFor: (user, namespace) => rulesFor(authorizers, user, namespace),
    roleReferenceRules: (ref, ns) => {
      try {
        return policy.roleReferenceRules(ref, ns);
      } catch {
        return undefined;
      }
    },
    confirmNoEscalation: (user, ns, rules) => confirmNoEscalation(policy, user, ns, rules),
  };
  const informer = new RBACInformer(router, policy);
  const aggregation = new ClusterRoleAggregation(router);
  return {
    authorizers,
    api,
    permissions: new PermissionsRecorder(),
    async start() {
      await informer.start();
      const table = bootstrapPolicy();
      const objects = { ...table, clusterRoles: aggregateAll(table.clusterRoles) };
      for (const [kind, key] of KINDS) for (const o of objects[key]) if (!policy.has(kind, o)) policy.set(kind, o);
    },
    bootstrapped: () => aggregation.start(),
    async stop() {
      aggregation.stop();
      informer.stop();
      await webhook?.close();
    },
  };
}

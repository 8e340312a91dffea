// What the authorization.k8s.io resources and the RBAC registries' escalation checks
// need of the server's authorization (kube hands the authorizer and the RBAC rule
// resolver to those REST storages' constructors), given to the catalog rows through
// ServerOptions.

import type { AuthorizationAttributes, AuthorizationDecision, PolicyRule, RoleRef, RulesResolution } from '../api/authorization.js';
import type { UserInfo } from '../api/types.js';

export interface AuthorizationAPI {
  /** The server's authorizer chain (SubjectAccessReviews; `bind` and `escalate` checks). */
  authorize(attrs: AuthorizationAttributes): Promise<AuthorizationDecision>;
  /** The chain's rule resolvers (SelfSubjectRulesReview). */
  rulesFor(user: UserInfo, namespace: string): Promise<RulesResolution>;
  /** RBAC's GetRoleReferenceRules: the referenced role's rules, undefined when it does not exist. */
  roleReferenceRules(ref: RoleRef, bindingNamespace: string): PolicyRule[] | undefined;
  /** RBAC's ConfirmNoEscalation: undefined when `user` holds every rule in `namespace`, else kube's message. */
  confirmNoEscalation(user: UserInfo, namespace: string, rules: PolicyRule[]): string | undefined;
}

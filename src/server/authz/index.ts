// Authorization: may this user do this? Authorizers form a chain asked in turn,
// as k8s.io/apiserver's union authorizer does: the first allow or deny decides,
// no opinion passes to the next; when none decides, the request is refused with
// every authorizer's reason. The chain per --authorization-mode is in modes.ts.

import type { AuthorizationAttributes, AuthorizationDecision, RulesResolution } from '../api/authorization.js';
import type { UserInfo } from '../api/types.js';
import type { RequestInfo } from '../http/request-info.js';

/** kube's authorizer.Attributes: the user and what RequestInfo says the request asks for. */
export type Attributes = AuthorizationAttributes;

export type Decision = AuthorizationDecision;

export interface Authorizer {
  authorize(attrs: Attributes): Decision | Promise<Decision>;
  /** kube's authorizer.RuleResolver (SelfSubjectRulesReview): the rules the user has in a namespace. */
  rulesFor?(user: UserInfo, namespace: string): RulesResolution | Promise<RulesResolution>;
}

export function attributesFor(user: UserInfo, info: RequestInfo): Attributes {
  return {
    user,
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    namespace: info.namespace,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
  };
}

/** Everything is allowed (kube's AlwaysAllow mode, anonymous requests included). */
export class AlwaysAllow implements Authorizer {
  authorize(): Decision {
    return { decision: 'allow', reason: '' };
  }
  rulesFor(): RulesResolution {
    return {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], resourceNames: [] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    };
  }
}

/** Nothing is allowed (kube's AlwaysDeny mode: no opinion, with its reason). */
export class AlwaysDeny implements Authorizer {
  authorize(): Decision {
    return { decision: 'noOpinion', reason: 'Everything is forbidden.' };
  }
  rulesFor(): RulesResolution {
    return { resourceRules: [], nonResourceRules: [], incomplete: false };
  }
}

/**
 * Members of a group may do anything: kube-apiserver puts one for `system:masters` ahead of the
 * configured modes (authorizerfactory.NewPrivilegedGroups), so the cluster's superusers never depend
 * on RBAC objects.
 */
export class PrivilegedGroups implements Authorizer {
  constructor(private readonly groups: string[]) {}
  authorize(attrs: Attributes): Decision {
    return attrs.user.groups.some((g) => this.groups.includes(g))
      ? { decision: 'allow', reason: '' }
      : { decision: 'noOpinion', reason: '' };
  }
}

/** The union: the first allow or deny; otherwise no opinion with the reasons joined by newlines. */
export async function authorize(authorizers: Authorizer[], attrs: Attributes): Promise<Decision> {
  const reasons: string[] = [];
  const errors: string[] = [];
  for (const a of authorizers) {
    const d = await a.authorize(attrs);
    if (d.decision !== 'noOpinion') return d;
    if (d.reason) reasons.push(d.reason);
    if (d.evaluationError) errors.push(d.evaluationError);
  }
  const out: Decision = { decision: 'noOpinion', reason: reasons.join('\n') };
  if (errors.length) out.evaluationError = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  return out;
}

/** The union's RulesFor: every resolver's rules concatenated; incomplete if any is, errors aggregated. */
export async function rulesFor(authorizers: Authorizer[], user: UserInfo, namespace: string): Promise<RulesResolution> {
  const out: RulesResolution = { resourceRules: [], nonResourceRules: [], incomplete: false };
  const errors: string[] = [];
  for (const a of authorizers) {
    if (!a.rulesFor) continue;
    const r = await a.rulesFor(user, namespace);
    out.resourceRules.push(...r.resourceRules);
    out.nonResourceRules.push(...r.nonResourceRules);
    out.incomplete ||= r.incomplete;
    if (r.evaluationError) errors.push(r.evaluationError);
  }
  if (errors.length) out.evaluationError = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  return out;
}

/** kube's forbidden message for a denied request (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters). */
export function forbiddenMessage(attrs: Attributes): string {
  const u = `User "${attrs.user.username}"`;
  if (!attrs.isResourceRequest) return `${u} cannot ${attrs.verb} path "${attrs.path}"`;
  const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  return `${u} cannot ${attrs.verb} resource "${res}" in API group "${attrs.apiGroup}" ${scope}`;
}

/** responsewriters.Forbidden: the message, then the authorizers' reason when there is one. */
export function forbiddenWithReason(attrs: Attributes, reason: string): string {
  const msg = forbiddenMessage(attrs);
  return reason ? `${msg}: ${reason}` : msg;
}

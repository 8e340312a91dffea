// kube's RBACAuthorizer (plugin/pkg/auth/authorizer/rbac/rbac.go): allowed when a
// rule of some binding that applies to the user allows the request, with the
// binding named in the reason; otherwise no opinion (the next authorizer decides),
// the resolution errors as the reason. Also its RulesFor (SelfSubjectRulesReview) and
// the escalation check the RBAC registries run (pkg/registry/rbac/validation
// ConfirmNoEscalation).

import type { AuthorizationAttributes, PolicyRule, RulesResolution } from '../../api/authorization.js';
import type { UserInfo } from '../../api/types.js';
import type { Authorizer, Decision } from '../index.js';
import { aggregateErrors, type RBACPolicy } from './policy.js';
import { compactRules, compactString, covers, goQuotedList, ruleAllows } from './rules.js';

export class RBACAuthorizer implements Authorizer {
  constructor(readonly policy: RBACPolicy) {}

  authorize(attrs: AuthorizationAttributes): Decision {
    let reason = '';
    const errors: string[] = [];
    this.policy.visitRulesFor(attrs.user, attrs.namespace, (source, rule, err) => {
      if (rule && source && ruleAllows(attrs, rule)) {
        reason = `RBAC: allowed by ${source()}`;
        return false;
      }
      if (err) errors.push(err);
      return true;
    });
    if (reason) return { decision: 'allow', reason };
    return { decision: 'noOpinion', reason: errors.length ? `RBAC: ${aggregateErrors(errors)}` : '' };
  }

  rulesFor(user: UserInfo, namespace: string): RulesResolution {
    const { rules, errors } = this.policy.rulesFor(user, namespace);
    const out: RulesResolution = { resourceRules: [], nonResourceRules: [], incomplete: false };
    for (const r of rules) {
      if (r.resources?.length) {
        out.resourceRules.push({
          verbs: r.verbs,
          apiGroups: r.apiGroups ?? [],
          resources: r.resources,
          resourceNames: r.resourceNames ?? [],
        });
      }
      if (r.nonResourceURLs?.length) out.nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
    }
    if (errors.length) out.evaluationError = aggregateErrors(errors);
    return out;
  }
}

/**
 * ConfirmNoEscalation: undefined when the rules `user` holds in `namespace` cover `rules`, else kube's
 * message naming the missing ones (compacted, sorted, one a line).
 */
export function confirmNoEscalation(policy: RBACPolicy, user: UserInfo, namespace: string, rules: PolicyRule[]): string | undefined {
  const held = policy.rulesFor(user, namespace);
  const { covered, missing } = covers(held.rules, rules);
  if (covered) return undefined;
  const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
  if (held.errors.length) msg += `; resolution errors: [${aggregateErrors(held.errors)}]`;
  return msg;
}

// Authorization's shared vocabulary (k8s.io/apiserver pkg/authorization/authorizer and
// k8s.io/api rbac/v1): what an authorizer is asked, what it answers, and an RBAC PolicyRule.
// On the ground floor so that the registry (escalation checks, access reviews) and the
// authorizers (authz/) speak of the same things without importing each other.

import type { UserInfo } from './types.js';

/** What a request is about, as RequestInfo and authorizer.Attributes both carry it. */
export interface RequestTarget {
  verb: string;
  isResourceRequest: boolean;
  /** The request path (non-resource requests). */
  path: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

/** kube's authorizer.Attributes. */
export interface AuthorizationAttributes extends RequestTarget {
  user: UserInfo;
}

export interface AuthorizationDecision {
  decision: 'allow' | 'deny' | 'noOpinion';
  reason: string;
  /** An error the authorizer met (kube's third return value), reported by access reviews. */
  evaluationError?: string;
}

/** rbac/v1 PolicyRule (its fields as kube's JSON: omitted when empty). */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

/** kube's authorizer.ResourceRuleInfo / NonResourceRuleInfo, as SelfSubjectRulesReview reports them. */
export interface ResourceRuleInfo {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
}

export interface NonResourceRuleInfo {
  verbs: string[];
  nonResourceURLs: string[];
}

/** kube's authorizer.RuleResolver answer. */
export interface RulesResolution {
  resourceRules: ResourceRuleInfo[];
  nonResourceRules: NonResourceRuleInfo[];
  incomplete: boolean;
  evaluationError?: string;
}

// The audit policy (audit.k8s.io/v1 Policy, --audit-policy-file): reading and
// validating it as k8s.io/apiserver pkg/audit/policy/reader.go and
// pkg/apis/audit/validation do, and choosing a request's level as
// pkg/audit/policy/checker.go does: the first matching rule wins, no match is
// level None; a rule's omitStages add to the policy's, its omitManagedFields
// (when set) overrides the policy's.

import { type FieldError, fieldErrorMessage, fieldErrors, GoValue } from '../api/errors.js';
import { isDNS1123Subdomain } from '../api/names.js';
import { isPlainObject, type UserInfo } from '../api/types.js';
import type { RequestInfo } from '../http/request-info.js';
import { yaml } from '../http/yaml.js';

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type Stage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

export const LEVELS: readonly Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
export const STAGES: readonly Stage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

/** Whether `a` is at least `b` (levels are ordered None < Metadata < Request < RequestResponse). */
export function levelAtLeast(a: Level, b: Level): boolean {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b);
}

export interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

export interface Policy {
  apiVersion?: string;
  kind?: string;
  rules: PolicyRule[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

/** kube's RequestAuditConfig: what the policy decided for one request. */
export interface RequestAuditConfig {
  level: Level;
  omitStages: readonly Stage[];
  omitManagedFields: boolean;
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined);
const goStrings = (v: string[]): GoValue => new GoValue(`[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`);

function validateOmitStages(stages: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (strings(stages) ?? []).forEach((s, i) => {
    if (!STAGES.includes(s as Stage)) errs.push(fieldErrors.invalid(`${path}[${i}]`, s, `allowed stages are ${STAGES.join(',')}`));
  });
  return errs;
}

/** pkg/apis/audit/validation ValidatePolicy. */
export function validatePolicy(p: Policy): FieldError[] {
  const errs = validateOmitStages(p.omitStages, 'omitStages');
  p.rules.forEach((rule, i) => {
    const path = `rules[${i}]`;
    if (!rule.level) errs.push(fieldErrors.required(`${path}.level`));
    else if (!LEVELS.includes(rule.level)) errs.push(fieldErrors.notSupported(`${path}.level`, rule.level, [...LEVELS]));
    const urls = rule.nonResourceURLs ?? [];
    urls.forEach((url, j) => {
      if (url === '*') return;
      if (!url.startsWith('/'))
        errs.push(fieldErrors.invalid(`${path}.nonResourceURLs[${j}]`, url, "non-resource URL rules must begin with a '/' character"));
      if (url !== '' && url.slice(0, -1).includes('*'))
        errs.push(
          fieldErrors.invalid(
            `${path}.nonResourceURLs[${j}]`,
            url,
            "non-resource URL wildcards '*' must be the final character of the rule",
          ),
        );
    });
    for (const gr of rule.resources ?? []) {
      if (gr.group) {
        const msgs = isDNS1123Subdomain(gr.group);
        if (msgs.length) errs.push(fieldErrors.invalid(`${path}.resources.group`, gr.group, msgs.join(',')));
      }
      if (gr.resourceNames?.length && !gr.resources?.length)
        errs.push(
          fieldErrors.invalid(
            `${path}.resources.resourceNames`,
            goStrings(gr.resourceNames),
            'using resourceNames requires at least one resource',
          ),
        );
    }
    errs.push(...validateOmitStages(rule.omitStages, `${path}.omitStages`));
    if (urls.length && (rule.resources?.length || rule.namespaces?.length))
      errs.push(
        fieldErrors.invalid(
          `${path}.nonResourceURLs`,
          goStrings(urls),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
  });
  return errs;
}

/** The policy's document as JSON's types (a YAML document, a JSON one, or an object given in code). */
function normalize(doc: Record<string, unknown>): Policy {
  const rules = Array.isArray(doc.rules) ? doc.rules.filter(isPlainObject) : [];
  return {
    apiVersion: typeof doc.apiVersion === 'string' ? doc.apiVersion : undefined,
    kind: typeof doc.kind === 'string' ? doc.kind : undefined,
    omitStages: strings(doc.omitStages) as Stage[] | undefined,
    omitManagedFields: doc.omitManagedFields === true,
    rules: rules.map((r) => ({
      level: (typeof r.level === 'string' ? r.level : '') as Level,
      users: strings(r.users),
      userGroups: strings(r.userGroups),
      verbs: strings(r.verbs),
      namespaces: strings(r.namespaces),
      nonResourceURLs: strings(r.nonResourceURLs),
      omitStages: strings(r.omitStages) as Stage[] | undefined,
      omitManagedFields: typeof r.omitManagedFields === 'boolean' ? r.omitManagedFields : undefined,
      resources: Array.isArray(r.resources)
        ? r.resources.filter(isPlainObject).map((g) => ({
            group: typeof g.group === 'string' ? g.group : '',
            resources: strings(g.resources),
            resourceNames: strings(g.resourceNames),
          }))
        : undefined,
    })),
  };
}

/**
 * reader.go LoadPolicyFromBytes: the document must be an audit.k8s.io/v1 Policy (the only version
 * 1.32 registers), valid, with at least one rule. Throws Error with kube's wording.
 */
export function loadPolicy(source: string | Record<string, unknown>): Policy {
  let doc: unknown = source;
  if (typeof source === 'string') {
    try {
      doc = yaml().parse(source);
    } catch (e) {
      throw new Error(`failed decoding: ${(e as Error).message}`);
    }
  }
  if (!isPlainObject(doc)) throw new Error(`failed decoding: couldn't get version/kind; json parse error: the document is not an object`);
  const text = typeof source === 'string' ? source.trim() : JSON.stringify(source);
  if (typeof doc.kind !== 'string' || !doc.kind) throw new Error(`failed decoding: Object 'Kind' is missing in '${text}'`);
  const apiVersion = typeof doc.apiVersion === 'string' ? doc.apiVersion : '';
  if (apiVersion !== 'audit.k8s.io/v1' || doc.kind !== 'Policy')
    throw new Error(`failed decoding: no kind "${doc.kind}" is registered for version "${apiVersion}" in scheme "pkg/audit/scheme.go:30"`);
  const policy = normalize(doc);
  const errs = validatePolicy(policy);
  if (errs.length) {
    const msgs = errs.map(fieldErrorMessage);
    throw new Error(msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`);
  }
  if (policy.rules.length === 0) throw new Error('loaded illegal policy with 0 rules');
  return policy;
}

/** checker.go's pathMatches: `*`, an exact path, or a prefix ending in `*`. */
function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function resourceMatches(rule: PolicyRule, info: RequestInfo): boolean {
  if (!info.isResourceRequest) return false;
  if (rule.namespaces?.length && !rule.namespaces.includes(info.namespace)) return false;
  if (!rule.resources?.length) return true;
  const { resource, subresource, name } = info;
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const gr of rule.resources) {
    if ((gr.group ?? '') !== info.apiGroup) continue;
    if (!gr.resources?.length) return true;
    for (const res of gr.resources) {
      if (gr.resourceNames?.length && !gr.resourceNames.includes(name)) continue;
      if (res === combined || res === '*') return true;
      if (subresource && res.startsWith('*/') && subresource === res.slice(2)) return true;
      if (res.endsWith('/*') && resource === res.slice(0, -2)) return true;
    }
  }
  return false;
}

/** checker.go ruleMatches; `user` is undefined for a request whose authentication failed. */
export function ruleMatches(rule: PolicyRule, info: RequestInfo, user: UserInfo | undefined): boolean {
  if (rule.users?.length && (!user || !rule.users.includes(user.username))) return false;
  const groups = rule.userGroups;
  if (groups?.length && !user?.groups.some((g) => groups.includes(g))) return false;
  if (rule.verbs?.length && !rule.verbs.includes(info.verb)) return false;
  if (rule.namespaces?.length || rule.resources?.length) return resourceMatches(rule, info);
  if (rule.nonResourceURLs?.length) return !info.isResourceRequest && rule.nonResourceURLs.some((u) => pathMatches(info.path, u));
  return true;
}

/** The policy with each rule's stages merged with the policy's, evaluated per request. */
export class PolicyEvaluator {
  private readonly rules: Array<{ rule: PolicyRule; config: RequestAuditConfig }>;
  private readonly fallback: RequestAuditConfig;

  constructor(policy: Policy) {
    const global = policy.omitStages ?? [];
    const omitManagedFields = policy.omitManagedFields === true;
    this.rules = policy.rules.map((rule) => ({
      rule,
      config: {
        level: rule.level,
        omitStages: [...new Set([...global, ...(rule.omitStages ?? [])])],
        omitManagedFields: rule.omitManagedFields ?? omitManagedFields,
      },
    }));
    this.fallback = { level: 'None', omitStages: global, omitManagedFields };
  }

  evaluate(info: RequestInfo, user: UserInfo | undefined): RequestAuditConfig {
    for (const r of this.rules) if (ruleMatches(r.rule, info, user)) return r.config;
    return this.fallback;
  }
}

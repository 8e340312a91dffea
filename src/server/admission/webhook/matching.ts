// Whether a webhook is called for a request (webhook/generic/webhook.go ShouldCallHook):
// namespaceSelector, objectSelector, rules (with matchPolicy Equivalent trying the
// other versions and groups of the same storage), then matchConditions.

import { forbidden, internalError, notFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { AuthorizeFn } from '../cel/authorizer.js';
import { baseActivation, evaluate, type GroupVersionResource } from '../cel/expressions.js';
import { type AdmissionAttributes, type GroupVersionKind, kindOf } from '../index.js';
import type { RuleWithOperations, WebhookAccessor } from './accessor.js';

export interface Invocation {
  webhook: WebhookAccessor;
  resource: GroupVersionResource;
  subresource: string;
  kind: GroupVersionKind;
}

/** What matching reads beyond the request. */
export interface MatchSources {
  namespace(name: string): Promise<KubeObject | undefined>;
  /** The same storage served under other groups or versions (kube's EquivalentResourceMapper), with their kinds. */
  equivalents(a: AdmissionAttributes): Array<{ resource: GroupVersionResource; kind: GroupVersionKind }>;
  /** The server's authorizer, for matchConditions' `authorizer` variable. */
  authorize?: AuthorizeFn;
}

const ADMISSION_GROUP = 'admissionregistration.k8s.io';
const EXEMPT_KINDS = new Set([
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
]);

/** rules.IsExemptAdmissionConfigurationResource: webhooks never see admission configuration objects. */
export function isExemptAdmissionConfiguration(a: AdmissionAttributes): boolean {
  const k = kindOf(a);
  return k.group === ADMISSION_GROUP && EXEMPT_KINDS.has(k.kind);
}

const exactOrWildcard = (items: string[], requested: string): boolean => items.some((i) => i === '*' || i === requested);

function isNamespaceResource(r: GroupVersionResource): boolean {
  return r.group === '' && r.version === 'v1' && r.resource === 'namespaces';
}

/** rules.Matcher.Matches for one rule against a resource. */
export function ruleMatches(rule: RuleWithOperations, a: AdmissionAttributes, resource: GroupVersionResource): boolean {
  const scope = rule.scope || '*';
  if (scope === 'Namespaced' && (isNamespaceResource(resource) || !a.namespace)) return false;
  if (scope === 'Cluster' && !(isNamespaceResource(resource) || !a.namespace)) return false;
  if (scope !== '*' && scope !== 'Namespaced' && scope !== 'Cluster') return false;
  if (!rule.operations.some((op) => op === '*' || op === a.operation)) return false;
  if (!exactOrWildcard(rule.apiGroups, resource.group) || !exactOrWildcard(rule.apiVersions, resource.version)) return false;
  return rule.resources.some((r) => {
    const slash = r.indexOf('/');
    const res = slash < 0 ? r : r.slice(0, slash);
    const sub = slash < 0 ? '' : r.slice(slash + 1);
    return (res === '*' || res === resource.resource) && (sub === '*' || sub === a.subresource);
  });
}

/** The labels a namespaceSelector is matched against (namespace/matcher.go GetNamespaceLabels). */
async function namespaceLabels(a: AdmissionAttributes, src: MatchSources): Promise<Record<string, string>> {
  if (
    a.resource.group === '' &&
    a.resource.resource === 'namespaces' &&
    !a.subresource &&
    (a.operation === 'CREATE' || a.operation === 'UPDATE')
  ) {
    return a.object?.metadata?.labels ?? {};
  }
  // A namespace's own requests are in that namespace, as kube's RequestInfo places them.
  const name = a.namespace || (isNamespaceResource(a.resource) ? a.name : '');
  const ns = await src.namespace(name);
  if (!ns) throw notFound({ group: '', resource: 'namespaces' }, name);
  return ns.metadata?.labels ?? {};
}

async function matchNamespaceSelector(h: WebhookAccessor, a: AdmissionAttributes, src: MatchSources): Promise<boolean> {
  // Cluster-scoped requests other than namespaces are never exempted.
  if (!a.namespace && a.resource.resource !== 'namespaces') return true;
  if (h.namespaceSelector instanceof Error) throw internalError(h.namespaceSelector);
  if (h.namespaceSelector.isEmpty()) return true;
  return h.namespaceSelector.matches(await namespaceLabels(a, src));
}

function matchObjectSelector(h: WebhookAccessor, a: AdmissionAttributes): boolean {
  if (h.objectSelector instanceof Error) throw internalError(h.objectSelector);
  if (h.objectSelector.isEmpty()) return true;
  const sel = h.objectSelector;
  const labelsOf = (o: KubeObject | null): Record<string, string> | undefined => (o ? (o.metadata?.labels ?? {}) : undefined);
  const obj = labelsOf(a.object);
  const old = labelsOf(a.oldObject);
  return (obj !== undefined && sel.matches(obj)) || (old !== undefined && sel.matches(old));
}

/**
 * matchconditions.Matcher.Match: any condition false skips the webhook; evaluation errors fail
 * the request (403 naming the object) under failurePolicy Fail, skip it under Ignore.
 */
async function matchConditions(h: WebhookAccessor, a: AdmissionAttributes, inv: Invocation, src: MatchSources): Promise<boolean> {
  if (!h.matchConditions.length) return true;
  const vars = baseActivation(a, inv, src.authorize);
  const errors: string[] = [];
  for (const c of h.matchConditions) {
    const r = await evaluate(c, vars);
    if (r.error !== undefined) errors.push(r.error);
    else if (r.value === false) return false;
    else if (r.value !== true) errors.push(`expression '${c.expression}' resulted in error: no such overload`);
  }
  if (!errors.length) return true;
  if (h.failurePolicy === 'Ignore') return false;
  const message = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  throw forbidden({ group: a.resource.group, resource: a.resource.resource }, a.name, message);
}

/** ShouldCallHook: the invocation when the webhook applies, undefined when not; errors as Status. */
export async function shouldCallHook(h: WebhookAccessor, a: AdmissionAttributes, src: MatchSources): Promise<Invocation | undefined> {
  // Selector errors only count for webhooks whose rules match, as in kube.
  let nsErr: unknown;
  let nsMatch = false;
  try {
    nsMatch = await matchNamespaceSelector(h, a, src);
  } catch (e) {
    nsErr = e;
  }
  if (!nsMatch && nsErr === undefined) return undefined;
  let objErr: unknown;
  let objMatch = false;
  try {
    objMatch = matchObjectSelector(h, a);
  } catch (e) {
    objErr = e;
  }
  if (!objMatch && objErr === undefined) return undefined;

  const d = a.resource;
  const own = { group: d.group, version: d.version, resource: d.resource };
  let inv: Invocation | undefined;
  if (h.rules.some((r) => ruleMatches(r, a, own))) inv = { webhook: h, resource: own, subresource: a.subresource, kind: kindOf(a) };
  if (!inv && h.matchPolicy === 'Equivalent') {
    const equivalents = src.equivalents(a);
    outer: for (const r of h.rules) {
      for (const e of equivalents) {
        if (ruleMatches(r, a, e.resource)) {
          inv = { webhook: h, resource: e.resource, subresource: a.subresource, kind: e.kind };
          break outer;
        }
      }
    }
  }
  if (!inv) return undefined;
  if (nsErr !== undefined) throw nsErr;
  if (objErr !== undefined) throw objErr;
  return (await matchConditions(h, a, inv, src)) ? inv : undefined;
}

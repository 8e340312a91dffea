// The ValidatingAdmissionPolicy plugin (k8s.io/apiserver/pkg/admission/plugin/policy/validating):
// every policy whose matchConstraints match, each of its bindings whose matchResources
// match, evaluated per param object (paramKind/paramRef) with CEL: matchConditions,
// variables, validations (message, messageExpression, reason), auditAnnotations; the
// binding's validationActions decide what a failed validation does (Deny, Warn, Audit).

import { admissionPolicyDenied } from '../../api/errors.js';
import { type LabelSelector, labelSelectorAsSelector } from '../../api/selectors/labels.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import { toCEL } from '../../schema/cel.js';
import type { AuthorizeFn } from '../cel/authorizer.js';
import {
  baseActivation,
  type CompiledExpression,
  compileExpression,
  evaluate,
  type GroupVersionResource,
  namespaceObjectOf,
} from '../cel/expressions.js';
import { type AdmissionAttributes, type GroupVersionKind, kindOf, type ValidatingPlugin } from '../index.js';
import type { RuleWithOperations } from '../webhook/accessor.js';
import { isExemptAdmissionConfiguration, ruleMatches } from '../webhook/matching.js';
import { versionedAttributes } from '../webhook/plugin.js';

/** A resource kind params are read from, as the server serves it. */
export interface ParamResource {
  resource: GroupVersionResource;
  namespaced: boolean;
}

export interface PolicySources {
  policies(): Promise<KubeObject[]>;
  bindings(): Promise<KubeObject[]>;
  namespace(name: string): Promise<KubeObject | undefined>;
  /** The served resource of a paramKind (`apiVersion`, `kind`); undefined when not served. */
  paramResource(apiVersion: string, kind: string): ParamResource | undefined;
  get(r: GroupVersionResource, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(r: GroupVersionResource, namespace: string): Promise<KubeObject[]>;
  equivalents(a: AdmissionAttributes): Array<{ resource: GroupVersionResource; kind: GroupVersionKind }>;
  /** An object converted to another version of the same storage (a matchPolicy Equivalent match). */
  convert?(obj: KubeObject, from: GroupVersionResource, to: GroupVersionResource): Promise<KubeObject>;
  /** The server's authorizer, for the `authorizer` variable. */
  authorize?: AuthorizeFn;
}

interface NamedRule extends RuleWithOperations {
  resourceNames: string[];
}

interface MatchResources {
  namespaceSelector: LabelSelector | Error;
  objectSelector: LabelSelector | Error;
  resourceRules: NamedRule[];
  excludeResourceRules: NamedRule[];
  matchPolicy: 'Exact' | 'Equivalent';
}

interface Validation extends CompiledExpression {
  message?: string;
  messageExpression?: CompiledExpression;
  reason?: string;
}

interface CompiledPolicy {
  name: string;
  rv: string;
  failurePolicy: 'Fail' | 'Ignore';
  paramKind?: { apiVersion: string; kind: string };
  matchConstraints?: MatchResources;
  matchConditions: Array<CompiledExpression & { name: string }>;
  variables: Array<CompiledExpression & { name: string }>;
  validations: Validation[];
  auditAnnotations: Array<CompiledExpression & { key: string }>;
}

interface Decision {
  action: 'Deny' | 'Admit';
  message: string;
  reason?: string;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const records = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

function selector(v: unknown): LabelSelector | Error {
  try {
    return labelSelectorAsSelector(v ?? {});
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function namedRules(v: unknown): NamedRule[] {
  return records(v).map((r) => ({
    operations: strings(r.operations),
    apiGroups: strings(r.apiGroups),
    apiVersions: strings(r.apiVersions),
    resources: strings(r.resources),
    scope: typeof r.scope === 'string' ? r.scope : '*',
    resourceNames: strings(r.resourceNames),
  }));
}

function matchResourcesOf(v: unknown): MatchResources | undefined {
  if (!isPlainObject(v)) return undefined;
  return {
    namespaceSelector: selector(v.namespaceSelector),
    objectSelector: selector(v.objectSelector),
    resourceRules: namedRules(v.resourceRules),
    excludeResourceRules: namedRules(v.excludeResourceRules),
    matchPolicy: v.matchPolicy === 'Exact' ? 'Exact' : 'Equivalent',
  };
}

function compilePolicy(p: KubeObject): CompiledPolicy {
  const spec = isPlainObject(p.spec) ? p.spec : {};
  const named = (v: unknown, key: string, expr: string) =>
    records(v).map((x) => ({ [key]: String(x[key] ?? ''), ...compileExpression(String(x[expr] ?? '')) }));
  const pk = isPlainObject(spec.paramKind) ? spec.paramKind : undefined;
  return {
    name: p.metadata?.name ?? '',
    rv: p.metadata?.resourceVersion ?? '',
    failurePolicy: spec.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail',
    ...(pk ? { paramKind: { apiVersion: String(pk.apiVersion ?? ''), kind: String(pk.kind ?? '') } } : {}),
    matchConstraints: matchResourcesOf(spec.matchConstraints),
    matchConditions: named(spec.matchConditions, 'name', 'expression') as CompiledPolicy['matchConditions'],
    variables: named(spec.variables, 'name', 'expression') as CompiledPolicy['variables'],
    validations: records(spec.validations).map((v) => ({
      ...compileExpression(String(v.expression ?? '')),
      ...(typeof v.message === 'string' ? { message: v.message } : {}),
      ...(typeof v.messageExpression === 'string' && v.messageExpression
        ? { messageExpression: compileExpression(v.messageExpression) }
        : {}),
      ...(typeof v.reason === 'string' ? { reason: v.reason } : {}),
    })),
    auditAnnotations: named(spec.auditAnnotations, 'key', 'valueExpression') as CompiledPolicy['auditAnnotations'],
  };
}

/** Label-selector match of the namespace's labels (cluster-scoped requests other than namespaces always match). */
async function namespaceMatches(sel: LabelSelector, a: AdmissionAttributes, src: PolicySources): Promise<boolean> {
  if (!a.namespace && a.resource.resource !== 'namespaces') return true;
  if (sel.isEmpty()) return true;
  let labels: Record<string, string> | undefined;
  if (a.resource.group === '' && a.resource.resource === 'namespaces' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) {
    labels = a.object?.metadata?.labels ?? {};
  } else {
    const ns = await src.namespace(a.namespace || a.name);
    labels = ns?.metadata?.labels ?? {};
  }
  return sel.matches(labels);
}

function objectMatches(sel: LabelSelector, a: AdmissionAttributes): boolean {
  if (sel.isEmpty()) return true;
  const m = (o: KubeObject | null): boolean => !!o && sel.matches(o.metadata?.labels ?? {});
  return m(a.object) || m(a.oldObject);
}

type Matched = { resource: GroupVersionResource; kind: GroupVersionKind };

function matchesRules(rules: NamedRule[], policy: 'Exact' | 'Equivalent', a: AdmissionAttributes, src: PolicySources): Matched | undefined {
  const d = a.resource;
  const own = { group: d.group, version: d.version, resource: d.resource };
  const named = (r: NamedRule): boolean => r.resourceNames.length === 0 || r.resourceNames.includes(a.name);
  for (const r of rules) if (named(r) && ruleMatches(r, a, own)) return { resource: own, kind: kindOf(a) };
  if (policy !== 'Equivalent') return undefined;
  for (const r of rules) {
    if (!named(r)) continue;
    for (const e of src.equivalents(a)) if (ruleMatches(r, a, e.resource)) return e;
  }
  return undefined;
}

/** matching.Matcher.Matches: selectors, excluded rules, then rules (none: every resource). */
async function matches(m: MatchResources, a: AdmissionAttributes, src: PolicySources): Promise<Matched | undefined> {
  if (m.namespaceSelector instanceof Error) throw m.namespaceSelector;
  if (m.objectSelector instanceof Error) throw m.objectSelector;
  if (!(await namespaceMatches(m.namespaceSelector, a, src))) return undefined;
  if (!objectMatches(m.objectSelector, a)) return undefined;
  if (matchesRules(m.excludeResourceRules, m.matchPolicy, a, src)) return undefined;
  if (!m.resourceRules.length)
    return { resource: { group: a.resource.group, version: a.resource.version, resource: a.resource.resource }, kind: kindOf(a) };
  return matchesRules(m.resourceRules, m.matchPolicy, a, src);
}

/** generic.CollectParams: the param objects a binding evaluates with ([null] without paramKind or paramRef). */
async function collectParams(
  p: CompiledPolicy,
  binding: Record<string, unknown>,
  a: AdmissionAttributes,
  src: PolicySources,
): Promise<Array<KubeObject | null>> {
  const ref = isPlainObject(binding.paramRef) ? binding.paramRef : undefined;
  if (!p.paramKind || !ref) return [null];
  const pr = src.paramResource(p.paramKind.apiVersion, p.paramKind.kind);
  if (!pr) throw new Error(`paramKind kind \`${p.paramKind.apiVersion}, Kind=${p.paramKind.kind}\` not known`);
  const refNs = typeof ref.namespace === 'string' ? ref.namespace : '';
  let ns = '';
  if (pr.namespaced) {
    ns = refNs || a.namespace;
    if (!ns) throw new Error('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
  } else if (refNs) {
    throw new Error('paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
  }
  let params: KubeObject[];
  const name = typeof ref.name === 'string' ? ref.name : '';
  if (name) {
    if (ref.selector !== undefined && ref.selector !== null) throw new Error('paramRef.name and paramRef.selector are mutually exclusive');
    const found = await src.get(pr.resource, ns, name);
    params = found ? [found] : [];
  } else if (ref.selector !== undefined && ref.selector !== null) {
    const sel = labelSelectorAsSelector(ref.selector);
    params = (await src.list(pr.resource, ns)).filter((o) => sel.matches(o.metadata?.labels ?? {}));
  } else {
    throw new Error('one of name or selector must be provided');
  }
  if (!params.length && ref.parameterNotFoundAction === 'Deny')
    throw new Error('no params found for policy binding with `Deny` parameterNotFoundAction');
  return params;
}

const MAX_MESSAGE_BYTES = 5 * 1024;
const MAX_AUDIT_VALUE = 10 * 1024;

/** validator.Validate for one param: the decisions of each validation, and the audit annotations. */
async function validate(
  p: CompiledPolicy,
  a: AdmissionAttributes,
  matched: Matched,
  param: KubeObject | null,
  namespace: KubeObject | undefined,
  authorize: AuthorizeFn | undefined,
): Promise<{ decisions: Decision[]; annotations: Array<{ key: string; value?: string; error?: string }> }> {
  const onError = p.failurePolicy === 'Ignore' ? 'Admit' : 'Deny';
  const vars: Record<string, unknown> = {
    ...baseActivation(a, matched, authorize, true),
    params: param ? toCEL(param, undefined) : null,
    namespaceObject: namespaceObjectOf(namespace),
  };
  // Variables in order (each may use the earlier ones); a failing one fails only the expressions that use it,
  // as kube's lazy composition does.
  const variables: Record<string, unknown> = {};
  vars.variables = variables;
  for (const v of p.variables) {
    const r = await evaluate(v, vars);
    Object.defineProperty(variables, v.name, {
      enumerable: true,
      get: () => {
        if (r.error !== undefined) throw new Error(r.error);
        return r.value;
      },
    });
  }

  if (p.matchConditions.length) {
    const errors: string[] = [];
    for (const c of p.matchConditions) {
      const r = await evaluate(c, vars);
      if (r.error !== undefined) errors.push(r.error);
      else if (r.value === false) return { decisions: [], annotations: [] };
    }
    if (errors.length)
      return { decisions: [{ action: onError, message: errors.length === 1 ? errors[0] : `[${errors.join(', ')}]` }], annotations: [] };
  }

  const decisions: Decision[] = [];
  for (const v of p.validations) {
    const r = await evaluate(v, vars);
    if (r.error !== undefined) {
      decisions.push({ action: onError, message: r.error });
      continue;
    }
    if (r.value === true) {
      decisions.push({ action: 'Admit', message: '' });
      continue;
    }
    let message = '';
    if (v.messageExpression) {
      const m = await evaluate(v.messageExpression, vars);
      if (m.error === undefined && typeof m.value === 'string') {
        message = m.value.trim();
        if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES || message.includes('\n')) message = '';
      }
    }
    if (!message && v.message) message = v.message.trim();
    if (!message) message = `failed expression: ${v.expression.trim()}`;
    decisions.push({ action: 'Deny', message, reason: v.reason || 'Invalid' });
  }
  const annotations: Array<{ key: string; value?: string; error?: string }> = [];
  for (const an of p.auditAnnotations) {
    const r = await evaluate(an, vars);
    if (r.error !== undefined) annotations.push({ key: an.key, error: r.error });
    else if (typeof r.value !== 'string') annotations.push({ key: an.key });
    else {
      const value = r.value.trim();
      annotations.push({ key: an.key, ...(value ? { value: value.slice(0, MAX_AUDIT_VALUE) } : {}) });
    }
  }
  return { decisions, annotations };
}

/** extractResourceName: the request's name, else the object's name or generateName, else `Unknown`. */
function resourceName(a: AdmissionAttributes): string {
  if (a.name) return a.name;
  return a.object?.metadata?.name || a.object?.metadata?.generateName || 'Unknown';
}

export class ValidatingAdmissionPolicy implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionPolicy';
  private readonly compiled = new Map<string, CompiledPolicy>();

  constructor(private readonly src: PolicySources) {}

  private compile(p: KubeObject): CompiledPolicy {
    const key = p.metadata?.uid ?? p.metadata?.name ?? '';
    let c = this.compiled.get(key);
    if (!c || c.rv !== (p.metadata?.resourceVersion ?? '')) {
      c = compilePolicy(p);
      if (this.compiled.size > 1024) this.compiled.clear();
      this.compiled.set(key, c);
    }
    return c;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (isExemptAdmissionConfiguration(a)) return;
    const [policies, bindings] = await Promise.all([this.src.policies(), this.src.bindings()]);
    if (!policies.length || !bindings.length) return;
    const denied: Array<{ policy: string; binding?: string; message: string; reason?: string }> = [];
    const validationFailures: unknown[] = [];
    for (const obj of [...policies].sort((x, y) => ((x.metadata?.name ?? '') < (y.metadata?.name ?? '') ? -1 : 1))) {
      const p = this.compile(obj);
      const own = bindings
        .filter((b) => isPlainObject(b.spec) && b.spec.policyName === p.name)
        .sort((x, y) => ((x.metadata?.name ?? '') < (y.metadata?.name ?? '') ? -1 : 1));
      if (!own.length) continue;
      const configError = (message: string, binding?: string): void => {
        if (p.failurePolicy === 'Ignore') return;
        denied.push({
          policy: p.name,
          binding,
          message: binding ? `failed to configure binding: ${message}` : `failed to configure policy: ${message}`,
        });
      };
      let matched: Matched | undefined;
      try {
        matched = p.matchConstraints ? await matches(p.matchConstraints, a, this.src) : undefined;
      } catch (e) {
        configError(e instanceof Error ? e.message : String(e));
        continue;
      }
      if (!matched) continue;
      const namespaceName = a.resource.group === '' && a.resource.resource === 'namespaces' ? '' : a.namespace;
      const namespace = namespaceName ? await this.src.namespace(namespaceName) : undefined;
      for (const b of own) {
        const bname = b.metadata?.name ?? '';
        const spec = b.spec as Record<string, unknown>;
        const mr = matchResourcesOf(spec.matchResources);
        let params: Array<KubeObject | null>;
        try {
          if (mr && !(await matches(mr, a, this.src))) continue;
          params = await collectParams(p, spec, a, this.src);
        } catch (e) {
          configError(e instanceof Error ? e.message : String(e), bname);
          continue;
        }
        const actions = strings(spec.validationActions);
        const versioned = await versionedAttributes(a, matched.resource, this.src.convert);
        for (const param of params) {
          const { decisions, annotations } = await validate(p, versioned, matched, param, namespace, this.src.authorize);
          decisions.forEach((d, i) => {
            if (d.action !== 'Deny') return;
            for (const action of actions) {
              if (action === 'Deny') denied.push({ policy: p.name, binding: bname, message: d.message, reason: d.reason });
              else if (action === 'Warn')
                a.warnings?.push(`Validation failed for ValidatingAdmissionPolicy '${p.name}' with binding '${bname}': ${d.message}`);
              else if (action === 'Audit')
                validationFailures.push({
                  message: d.message,
                  policy: p.name,
                  binding: bname,
                  expressionIndex: i,
                  validationActions: actions,
                });
            }
          });
          for (const an of annotations) {
            if (an.error !== undefined) {
              if (p.failurePolicy !== 'Ignore') denied.push({ policy: p.name, binding: bname, message: an.error });
            } else if (an.value !== undefined) {
              a.auditAnnotations ??= {};
              const key = `${p.name}/${an.key}`;
              if (!(key in a.auditAnnotations)) a.auditAnnotations[key] = an.value;
            }
          }
        }
      }
    }
    if (validationFailures.length) {
      a.auditAnnotations ??= {};
      a.auditAnnotations['validation.policy.admission.k8s.io/validation_failure'] = JSON.stringify(validationFailures);
    }
    if (!denied.length) return;
    const d = denied[0];
    const message = d.binding
      ? `ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}' denied request: ${d.message}`
      : `ValidatingAdmissionPolicy '${d.policy}' denied request: ${d.message}`;
    throw admissionPolicyDenied({ group: a.resource.group, resource: a.resource.resource }, resourceName(a), message, d.reason ?? '');
  }
}

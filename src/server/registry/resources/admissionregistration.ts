// admissionregistration.k8s.io/v1: Mutating/ValidatingWebhookConfigurations,
// ValidatingAdmissionPolicies and their bindings, stored and served with
// kube-apiserver's defaults (pkg/apis/admissionregistration/v1/defaults.go),
// validation (pkg/apis/admissionregistration/validation, CEL expressions
// compiled as its compiler does) and printers. Calling webhooks and evaluating policies is
// the admission chain's business, not this file's.

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1035Label, isDNS1123Subdomain, isQualifiedName, isValidPathSegmentName } from '../../api/names.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import { type CheckEnvironment, checkExpression, outputType } from '../../schema/cel-check.js';
import type { BuiltinResource } from '../builtin.js';
import type { Strategy } from '../strategy.js';
import { labelSelectorHasInvalidLabelValue, validateLabelSelector } from '../validation/labelselector.js';
import { fullyQualifiedNameErrors, groupV1Resource, isValidPortNum } from './cluster-common.js';
import { goStrings, invalidGo } from './go-values.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { arrOf, child, type Obj, objOf, strOf } from './values.js';

const GROUP = 'admissionregistration.k8s.io';

// --- defaults ---------------------------------------------------------------

/** SetDefaults_Rule: every rule's scope is `*` unless given. */
function defaultRules(rules: unknown): void {
  for (const r of arrOf(rules)) if (isPlainObject(r)) r.scope ??= '*';
}

/** SetDefaults_MatchResources. */
function defaultMatchResources(mr: unknown): void {
  if (!isPlainObject(mr)) return;
  mr.matchPolicy ??= 'Equivalent';
  mr.namespaceSelector ??= {};
  mr.objectSelector ??= {};
  defaultRules(mr.resourceRules);
  defaultRules(mr.excludeResourceRules);
}

/** SetDefaults_ValidatingWebhook / SetDefaults_MutatingWebhook, SetDefaults_ServiceReference. */
function defaultWebhooks(obj: KubeObject, mutating: boolean): void {
  for (const w of arrOf(obj.webhooks)) {
    if (!isPlainObject(w)) continue;
    w.failurePolicy ??= 'Fail';
    w.matchPolicy ??= 'Equivalent';
    w.namespaceSelector ??= {};
    w.objectSelector ??= {};
    w.timeoutSeconds ??= 10;
    if (mutating) w.reinvocationPolicy ??= 'Never';
    defaultRules(w.rules);
    const service = objOf(objOf(w.clientConfig)?.service);
    if (service) service.port ??= 443;
  }
}

// --- rules ------------------------------------------------------------------

const hasWildcard = (list: unknown[]): boolean => list.includes('*');

/** validateResources: subresource wildcards may not overlap. */
function validateResources(resources: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(fieldErrors.required(path));
  const withWildcardSub = new Set<string>();
  const subWithWildcardRes = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let withoutSub = false;
  resources.forEach((raw, i) => {
    const r = strOf(raw);
    if (!r) {
      errs.push(fieldErrors.required(`${path}[${i}]`));
      return;
    }
    if (r === '*/*') doubleWildcard = true;
    if (r === '*') singleWildcard = true;
    const slash = r.indexOf('/');
    if (slash < 0) {
      withoutSub = r !== '*';
      return;
    }
    const res = r.slice(0, slash);
    const sub = r.slice(slash + 1);
    if (withWildcardSub.has(res)) errs.push(fieldErrors.invalid(`${path}[${i}]`, r, `if '${res}/*' is present, must not specify ${r}`));
    if (subWithWildcardRes.has(sub)) errs.push(fieldErrors.invalid(`${path}[${i}]`, r, `if '*/${sub}' is present, must not specify ${r}`));
    if (sub === '*') withWildcardSub.add(res);
    if (res === '*') subWithWildcardRes.add(sub);
  });
  if (resources.length > 1 && doubleWildcard) {
    errs.push(invalidGo(path, goStrings(resources), "if '*/*' is present, must not specify other resources"));
  }
  if (singleWildcard && withoutSub) {
    errs.push(invalidGo(path, goStrings(resources), "if '*' is present, must not specify other resources without subresources"));
  }
  return errs;
}

const SCOPES = ['*', 'Cluster', 'Namespaced'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];

/** validateRuleWithOperations (validateRule with subresources allowed). */
function validateRuleWithOperations(raw: unknown, path: string): FieldError[] {
  const rule = objOf(raw) ?? {};
  const errs: FieldError[] = [];
  const ops = arrOf(rule.operations);
  if (ops.length === 0) errs.push(fieldErrors.required(`${path}.operations`));
  if (ops.length > 1 && hasWildcard(ops)) {
    errs.push(
      invalidGo(
        `${path}.operations`,
        goStrings(ops, { type: 'admissionregistration.OperationType' }),
        "if '*' is present, must not specify other operations",
      ),
    );
  }
  ops.forEach((op, i) => {
    if (!OPERATIONS.includes(strOf(op))) errs.push(fieldErrors.notSupported(`${path}.operations[${i}]`, strOf(op), OPERATIONS));
  });
  const groups = arrOf(rule.apiGroups);
  if (groups.length === 0) errs.push(fieldErrors.required(`${path}.apiGroups`));
  if (groups.length > 1 && hasWildcard(groups)) {
    errs.push(invalidGo(`${path}.apiGroups`, goStrings(groups), "if '*' is present, must not specify other API groups"));
  }
  const versions = arrOf(rule.apiVersions);
  if (versions.length === 0) errs.push(fieldErrors.required(`${path}.apiVersions`));
  if (versions.length > 1 && hasWildcard(versions)) {
    errs.push(invalidGo(`${path}.apiVersions`, goStrings(versions), "if '*' is present, must not specify other API versions"));
  }
  versions.forEach((v, i) => {
    if (!strOf(v)) errs.push(fieldErrors.required(`${path}.apiVersions[${i}]`));
  });
  errs.push(...validateResources(arrOf(rule.resources), `${path}.resources`));
  if (rule.scope !== undefined && rule.scope !== null && !SCOPES.includes(strOf(rule.scope))) {
    errs.push(fieldErrors.notSupported(`${path}.scope`, strOf(rule.scope), SCOPES));
  }
  return errs;
}

// --- webhooks ---------------------------------------------------------------

const ACCEPTED_REVIEW_VERSIONS = ['v1', 'v1beta1'];
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const ALL_SIDE_EFFECTS = ['None', 'NoneOnDryRun', 'Some', 'Unknown'];
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];

interface WebhookOptions {
  requireNoSideEffects: boolean;
  requireRecognizedAdmissionReviewVersion: boolean;
  requireUniqueWebhookNames: boolean;
  allowInvalidLabelValueInSelector: boolean;
}

const STRICT: WebhookOptions = {
  requireNoSideEffects: true,
  requireRecognizedAdmissionReviewVersion: true,
  requireUniqueWebhookNames: true,
  allowInvalidLabelValueInSelector: false,
};

/** validateAdmissionReviewVersions. */
function validateReviewVersions(raw: unknown, requireRecognized: boolean, path: string): FieldError[] {
  const versions = arrOf(raw).map(strOf);
  if (versions.length < 1) return [fieldErrors.required(path, `must specify one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(fieldErrors.invalid(`${path}[${i}]`, v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(fieldErrors.invalid(`${path}[${i}]`, v, m));
  });
  if (requireRecognized && !versions.some((v) => ACCEPTED_REVIEW_VERSIONS.includes(v))) {
    errs.push(invalidGo(path, goStrings(versions), `must include at least one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`));
  }
  return errs;
}

/** webhook.ValidateWebhookURL (https only, a host, no user info, fragment or query). */
function validateWebhookURL(raw: string, path: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  // Go's url.Parse accepts what WHATWG's parser refuses (no scheme, no host): those have neither.
  let u: { scheme: string; host: string; user: string; fragment: string; query: string };
  try {
    const p = new URL(raw);
    const user = p.password ? `${p.username}:${p.password}` : p.username;
    u = { scheme: p.protocol.replace(/:$/, ''), host: p.host, user, fragment: p.hash.slice(1), query: p.search.slice(1) };
  } catch {
    u = { scheme: /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw)?.[1] ?? '', host: '', user: '', fragment: '', query: '' };
  }
  const errs: FieldError[] = [];
  if (u.scheme !== 'https') errs.push(fieldErrors.invalid(path, u.scheme, `'https' is the only allowed URL scheme${form}`));
  if (!u.host) errs.push(fieldErrors.invalid(path, u.host, `host must be specified${form}`));
  if (u.user) errs.push(fieldErrors.invalid(path, u.user, 'user information is not permitted in the URL'));
  if (u.fragment) errs.push(fieldErrors.invalid(path, u.fragment, 'fragments are not permitted in the URL'));
  if (u.query) errs.push(fieldErrors.invalid(path, u.query, 'query parameters are not permitted in the URL'));
  return errs;
}

/** webhook.ValidateWebhookService. */
function validateWebhookService(svc: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!strOf(svc.name)) errs.push(fieldErrors.required(`${path}.name`, 'service name is required'));
  if (!strOf(svc.namespace)) errs.push(fieldErrors.required(`${path}.namespace`, 'service namespace is required'));
  const portErrs = isValidPortNum(svc.port);
  if (portErrs.length) errs.push(fieldErrors.invalid(`${path}.port`, svc.port, `port is not valid: ${portErrs.join(', ')}`));
  if (typeof svc.path !== 'string') return errs;
  const p = svc.path;
  if (p === '/' || p === '') return errs;
  if (p === '//') return [...errs, fieldErrors.invalid(`${path}.path`, p, 'segment[0] may not be empty')];
  if (!p.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.path`, p, "must start with a '/'"));
  let check = p.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (!step) {
      errs.push(fieldErrors.invalid(`${path}.path`, p, `segment[${i}] may not be empty`));
      return;
    }
    for (const m of isDNS1123Subdomain(step)) errs.push(fieldErrors.invalid(`${path}.path`, p, `segment[${i}]: ${m}`));
  });
  return errs;
}

/** The variables admission expressions are compiled with (plugin/cel's environment; authorizer always declared here). */
function admissionCELEnv(opts: { params?: boolean; variables?: string[] } = {}): CheckEnvironment {
  const names = ['object', 'oldObject', 'request', 'namespaceObject', 'authorizer'];
  if (opts.params) names.push('params');
  if (opts.variables) names.push('variables');
  return { variables: new Set(names), ...(opts.variables ? { compositionVariables: new Set(opts.variables) } : {}) };
}

/**
 * An expression compiled when written (plugin/cel's CompileCELExpression, convertCELErrorToValidationError):
 * cel-go's issues as `compilation failed: ...`, then the output type against the ones the field allows.
 */
function celExpressionErrors(expr: string, path: string, env: CheckEnvironment, returns: string[] = []): FieldError[] {
  const r = checkExpression(expr, env);
  if (r?.stage === 'compilation') return [fieldErrors.invalid(path, expr, `compilation failed: ${r.issues}`)];
  const got = returns.length ? outputType(expr) : undefined;
  if (!got || returns.includes(got)) return [];
  const want = returns.length === 1 ? returns[0] : `one of [${returns.join(' ')}]`;
  return [fieldErrors.invalid(path, expr, `must evaluate to ${want} but got ${got}`)];
}

const BOOL = ['bool'];

/** validateMatchConditions: names unique qualified names, expressions present and compiling. */
function validateMatchConditions(raw: unknown, path: string, env: CheckEnvironment = admissionCELEnv()): FieldError[] {
  const conds = arrOf(raw);
  const errs: FieldError[] = [];
  if (conds.length > 64) errs.push(fieldErrors.tooMany(path, conds.length, 64));
  const names = new Set<string>();
  conds.forEach((c, i) => {
    const mc = objOf(c) ?? {};
    const p = `${path}[${i}]`;
    if (!strOf(mc.expression).trim()) errs.push(fieldErrors.required(`${p}.expression`));
    else errs.push(...celExpressionErrors(strOf(mc.expression), `${p}.expression`, env, BOOL));
    const name = strOf(mc.name);
    if (!name) errs.push(fieldErrors.required(`${p}.name`));
    else for (const m of isQualifiedName(name)) errs.push(fieldErrors.invalid(`${p}.name`, name, m));
    if (name) {
      if (names.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
      else names.add(name);
    }
  });
  return errs;
}

/** validateValidatingWebhook / validateMutatingWebhook. */
function validateWebhook(raw: unknown, mutating: boolean, opts: WebhookOptions, path: string): FieldError[] {
  const hook = objOf(raw) ?? {};
  const errs = fullyQualifiedNameErrors(`${path}.name`, strOf(hook.name));
  arrOf(hook.rules).forEach((r, i) => {
    errs.push(...validateRuleWithOperations(r, `${path}.rules[${i}]`));
  });
  if (hook.failurePolicy != null && !FAILURE_POLICIES.includes(strOf(hook.failurePolicy))) {
    errs.push(fieldErrors.notSupported(`${path}.failurePolicy`, strOf(hook.failurePolicy), FAILURE_POLICIES));
  }
  if (hook.matchPolicy != null && !MATCH_POLICIES.includes(strOf(hook.matchPolicy))) {
    errs.push(fieldErrors.notSupported(`${path}.matchPolicy`, strOf(hook.matchPolicy), MATCH_POLICIES));
  }
  const allowedSideEffects = opts.requireNoSideEffects ? NO_SIDE_EFFECTS : ALL_SIDE_EFFECTS;
  if (hook.sideEffects == null) {
    errs.push(fieldErrors.required(`${path}.sideEffects`, `must specify one of ${allowedSideEffects.join(', ')}`));
  } else if (!allowedSideEffects.includes(strOf(hook.sideEffects))) {
    errs.push(fieldErrors.notSupported(`${path}.sideEffects`, strOf(hook.sideEffects), allowedSideEffects));
  }
  const timeout = hook.timeoutSeconds;
  if (typeof timeout === 'number' && (timeout > 30 || timeout < 1)) {
    errs.push(fieldErrors.invalid(`${path}.timeoutSeconds`, timeout, 'the timeout value must be between 1 and 30 seconds'));
  }
  const selectorOpts = { allowInvalidLabelValueInSelector: opts.allowInvalidLabelValueInSelector };
  errs.push(...validateLabelSelector(hook.namespaceSelector, `${path}.namespaceSelector`, selectorOpts));
  errs.push(...validateLabelSelector(hook.objectSelector, `${path}.objectSelector`, selectorOpts));
  if (mutating && hook.reinvocationPolicy != null && !REINVOCATION_POLICIES.includes(strOf(hook.reinvocationPolicy))) {
    errs.push(fieldErrors.notSupported(`${path}.reinvocationPolicy`, strOf(hook.reinvocationPolicy), REINVOCATION_POLICIES));
  }
  const cc = objOf(hook.clientConfig) ?? {};
  const hasURL = typeof cc.url === 'string';
  const svc = objOf(cc.service);
  if (hasURL === !!svc) errs.push(fieldErrors.required(`${path}.clientConfig`, 'exactly one of url or service is required'));
  else if (hasURL) errs.push(...validateWebhookURL(cc.url as string, `${path}.clientConfig.url`));
  else if (svc) errs.push(...validateWebhookService(svc, `${path}.clientConfig.service`));
  errs.push(...validateMatchConditions(hook.matchConditions, `${path}.matchConditions`));
  return errs;
}

function validateWebhookConfiguration(obj: KubeObject, mutating: boolean, opts: WebhookOptions): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arrOf(obj.webhooks).forEach((hook, i) => {
    const p = `webhooks[${i}]`;
    errs.push(...validateWebhook(hook, mutating, opts, p));
    errs.push(
      ...validateReviewVersions(
        objOf(hook)?.admissionReviewVersions,
        opts.requireRecognizedAdmissionReviewVersion,
        `${p}.admissionReviewVersions`,
      ),
    );
    const name = strOf(objOf(hook)?.name);
    if (opts.requireUniqueWebhookNames && name) {
      if (names.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
      else names.add(name);
    }
  });
  return errs;
}

/** Validate*WebhookConfigurationUpdate: what the stored configuration already breaks stays tolerated. */
function updateOptions(old: KubeObject): WebhookOptions {
  const hooks = arrOf(old.webhooks).map((h) => objOf(h) ?? {});
  const names = hooks.map((h) => strOf(h.name));
  return {
    requireNoSideEffects: hooks.every((h) => NO_SIDE_EFFECTS.includes(strOf(h.sideEffects))),
    requireRecognizedAdmissionReviewVersion: hooks.every((h) => {
      const v = arrOf(h.admissionReviewVersions).map(strOf);
      return v.length === 0 || v.some((x) => ACCEPTED_REVIEW_VERSIONS.includes(x));
    }),
    requireUniqueWebhookNames: new Set(names).size === names.length,
    allowInvalidLabelValueInSelector: hooks.some(
      (h) => labelSelectorHasInvalidLabelValue(h.namespaceSelector) || labelSelectorHasInvalidLabelValue(h.objectSelector),
    ),
  };
}

/** Webhook fields without omitempty: Go always writes them. */
function webhookWireFields(obj: KubeObject): void {
  for (const w of arrOf(obj.webhooks)) {
    if (!isPlainObject(w)) continue;
    w.name ??= '';
    const cc = child(w, 'clientConfig');
    const svc = objOf(cc.service);
    if (svc) {
      svc.namespace ??= '';
      svc.name ??= '';
    }
    if (w.sideEffects === undefined) w.sideEffects = null;
    if (w.admissionReviewVersions === undefined) w.admissionReviewVersions = null;
    for (const mc of arrOf(w.matchConditions)) {
      if (!isPlainObject(mc)) continue;
      mc.name ??= '';
      mc.expression ??= '';
    }
  }
}

const webhookColumns = [
  nameColumn,
  column('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'),
  ageColumn,
];

function webhookConfigurationStrategy(mutating: boolean): Strategy {
  const prepare = (obj: KubeObject): void => defaultWebhooks(obj, mutating);
  return {
    namespaced: false,
    // Generation 1 on create, +1 when the webhooks change.
    hasGeneration: true,
    allowUnconditionalUpdate: true,
    hasStatusSubresource: false,
    allowCreateOnUpdate: false,
    prepareForCreate: prepare,
    prepareForUpdate: prepare,
    validate: (obj) => validateWebhookConfiguration(obj, mutating, STRICT),
    validateUpdate: (obj, old) => validateWebhookConfiguration(obj, mutating, updateOptions(old)),
    canonicalize: webhookWireFields,
    tableColumns: webhookColumns,
    tableRow: (obj) => [objName(obj), arrOf(obj.webhooks).length, age(obj.metadata?.creationTimestamp)],
  };
}

// --- ValidatingAdmissionPolicy and bindings ----------------------------------

/** validateMatchResources (selectors validated strictly: the type came after kube#99139). */
function validateMatchResources(raw: unknown, path: string): FieldError[] {
  const mr = objOf(raw);
  if (!mr) return [];
  const errs: FieldError[] = [];
  if (mr.matchPolicy == null) errs.push(fieldErrors.required(`${path}.matchPolicy`));
  else if (!MATCH_POLICIES.includes(strOf(mr.matchPolicy)))
    errs.push(fieldErrors.notSupported(`${path}.matchPolicy`, strOf(mr.matchPolicy), MATCH_POLICIES));
  for (const sel of ['namespaceSelector', 'objectSelector']) {
    if (mr[sel] == null) errs.push(fieldErrors.required(`${path}.${sel}`));
    else errs.push(...validateLabelSelector(mr[sel], `${path}.${sel}`));
  }
  for (const f of ['resourceRules', 'excludeResourceRules']) {
    arrOf(mr[f]).forEach((raw, i) => {
      const p = `${path}.${f}[${i}]`;
      const names = new Set<string>();
      arrOf(objOf(raw)?.resourceNames).forEach((n, j) => {
        const name = strOf(n);
        for (const m of isValidPathSegmentName(name)) errs.push(fieldErrors.invalid(`${p}.resourceNames[${j}]`, name, m));
        if (names.has(name)) errs.push(fieldErrors.duplicate(`${p}.resourceNames[${j}]`, name));
        else names.add(name);
      });
      errs.push(...validateRuleWithOperations(raw, p));
    });
  }
  return errs;
}

/** validateParamKind. */
function validateParamKind(pk: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = strOf(pk.apiVersion);
  if (!apiVersion) errs.push(fieldErrors.required(`${path}.apiVersion`));
  else {
    const parts = apiVersion === '/' ? ['', ''] : apiVersion.split('/');
    if (parts.length > 2) errs.push(fieldErrors.invalid(`${path}.apiVersion`, apiVersion, `unexpected GroupVersion string: ${apiVersion}`));
    else {
      const [group, version] = parts.length === 1 ? ['', parts[0]] : parts;
      if (group) {
        const e = isDNS1123Subdomain(group);
        if (e.length) errs.push(fieldErrors.invalid(`${path}.apiVersion`, group, e.join(',')));
      }
      if (!version) errs.push(fieldErrors.invalid(`${path}.apiVersion`, apiVersion, 'version must be specified'));
      else {
        const e = isDNS1035Label(version);
        if (e.length) errs.push(fieldErrors.invalid(`${path}.apiVersion`, version, e.join(',')));
      }
    }
  }
  const kind = strOf(pk.kind);
  if (!kind) errs.push(fieldErrors.required(`${path}.kind`));
  else {
    const e = isDNS1035Label(kind.toLowerCase());
    if (e.length) errs.push(fieldErrors.invalid(`${path}.kind`, kind, `may have mixed case, but should otherwise match: ${e.join(',')}`));
  }
  return errs;
}

const CEL_IDENT = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const CEL_RESERVED = new Set(
  'true false null in as break const continue else for function if import let loop package namespace return var void while'.split(' '),
);
const POLICY_REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'];

/** validateValidatingAdmissionPolicySpec. */
function validatePolicy(obj: KubeObject): FieldError[] {
  const spec = objOf(obj.spec) ?? {};
  const errs: FieldError[] = [];
  if (spec.failurePolicy == null) errs.push(fieldErrors.required('spec.failurePolicy'));
  else if (!FAILURE_POLICIES.includes(strOf(spec.failurePolicy))) {
    errs.push(fieldErrors.notSupported('spec.failurePolicy', strOf(spec.failurePolicy), FAILURE_POLICIES));
  }
  const paramKind = objOf(spec.paramKind);
  if (paramKind) errs.push(...validateParamKind(paramKind, 'spec.paramKind'));
  const mc = objOf(spec.matchConstraints);
  if (!mc) errs.push(fieldErrors.required('spec.matchConstraints'));
  else {
    errs.push(...validateMatchResources(mc, 'spec.matchConstraints'));
    if (arrOf(mc.resourceRules).length === 0) errs.push(fieldErrors.required('spec.matchConstraints.resourceRules'));
  }
  // Expressions see params only with a paramKind, and the policy's variables (each variable the ones before it).
  const params = paramKind !== undefined;
  const variableNames = arrOf(spec.variables).map((v) => strOf(objOf(v)?.name));
  const env = admissionCELEnv({ params, variables: variableNames });
  errs.push(...validateMatchConditions(spec.matchConditions, 'spec.matchConditions', env));
  arrOf(spec.variables).forEach((raw, i) => {
    const v = objOf(raw) ?? {};
    const p = `spec.variables[${i}]`;
    const name = strOf(v.name);
    if (!name.trim()) errs.push(fieldErrors.required(`${p}.name`, 'name is not specified'));
    else if (!CEL_IDENT.test(name) || CEL_RESERVED.has(name))
      errs.push(fieldErrors.invalid(`${p}.name`, name, 'name is not a valid CEL identifier'));
    const expr = strOf(v.expression);
    if (!expr.trim()) errs.push(fieldErrors.required(`${p}.expression`, 'expression is not specified'));
    else errs.push(...celExpressionErrors(expr, `${p}.expression`, admissionCELEnv({ params, variables: variableNames.slice(0, i) })));
  });
  const validations = arrOf(spec.validations);
  const audits = arrOf(spec.auditAnnotations);
  if (validations.length === 0 && audits.length === 0) {
    errs.push(fieldErrors.required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
    errs.push(fieldErrors.required('spec.auditAnnotations', 'validations or auditAnnotations must contain at least one item'));
    return errs;
  }
  validations.forEach((raw, i) => {
    const v = objOf(raw) ?? {};
    const p = `spec.validations[${i}]`;
    const expr = strOf(v.expression);
    if (!expr.trim()) errs.push(fieldErrors.required(`${p}.expression`, 'expression is not specified'));
    else errs.push(...celExpressionErrors(expr, `${p}.expression`, env, BOOL));
    const me = strOf(v.messageExpression);
    if (me && !me.trim()) errs.push(fieldErrors.invalid(`${p}.messageExpression`, me, 'must be non-empty if specified'));
    else if (me) errs.push(...celExpressionErrors(me, `${p}.messageExpression`, env, ['string']));
    const msg = strOf(v.message);
    if (msg && !msg.trim()) errs.push(fieldErrors.invalid(`${p}.message`, msg, 'message must be non-empty if specified'));
    else if (/[\n\r]/.test(msg.trim())) errs.push(fieldErrors.invalid(`${p}.message`, msg, 'message must not contain line breaks'));
    if (v.reason != null && !POLICY_REASONS.includes(strOf(v.reason)))
      errs.push(fieldErrors.notSupported(`${p}.reason`, strOf(v.reason), POLICY_REASONS));
  });
  if (audits.length > 20)
    errs.push(
      invalidGo('spec.auditAnnotations', '[]admissionregistration.AuditAnnotation{...}', 'must not have more than 20 auditAnnotations'),
    );
  const keys = new Set<string>();
  audits.forEach((raw, i) => {
    const a = objOf(raw) ?? {};
    const p = `spec.auditAnnotations[${i}]`;
    const key = strOf(a.key);
    const name = obj.metadata?.name ?? '';
    if (name) for (const m of isQualifiedName(`${name}/${key}`)) errs.push(fieldErrors.invalid(`${p}.key`, `${name}/${key}`, m));
    else errs.push(fieldErrors.invalid(`${p}.key`, key, 'requires metadata.name be non-empty'));
    const ve = strOf(a.valueExpression).trim();
    if (!ve) errs.push(fieldErrors.required(`${p}.valueExpression`, 'valueExpression is not specified'));
    else if (ve.length > 5 * 1024) errs.push(fieldErrors.required(`${p}.valueExpression`, `must not exceed ${5 * 1024} bytes in length`));
    else errs.push(...celExpressionErrors(strOf(a.valueExpression), `${p}.valueExpression`, env, ['string', 'null_type']));
    if (keys.has(key)) errs.push(fieldErrors.duplicate(`${p}.key`, key));
    keys.add(key);
  });
  return errs;
}

const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn'];

/** validateValidatingAdmissionPolicyBindingSpec. */
function validateBinding(obj: KubeObject): FieldError[] {
  const spec = objOf(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const policy = strOf(spec.policyName);
  if (!policy) errs.push(fieldErrors.required('spec.policyName'));
  else for (const m of isDNS1123Subdomain(policy)) errs.push(fieldErrors.invalid('spec.policyName', policy, m));
  const pr = objOf(spec.paramRef);
  if (pr) {
    const name = strOf(pr.name);
    if (name) {
      for (const m of isValidPathSegmentName(name)) errs.push(fieldErrors.invalid('spec.paramRef.name', name, m));
      if (pr.selector != null) errs.push(fieldErrors.forbidden('spec.paramRef.name', 'name and selector are mutually exclusive'));
    }
    if (pr.selector != null) {
      errs.push(...validateLabelSelector(pr.selector, 'spec.paramRef.selector'));
      if (name) errs.push(fieldErrors.forbidden('spec.paramRef.selector', 'name and selector are mutually exclusive'));
    }
    if (!name && pr.selector == null) errs.push(fieldErrors.required('spec.paramRef', 'one of name or selector must be specified'));
    const action = strOf(pr.parameterNotFoundAction);
    if (!action) errs.push(fieldErrors.required('spec.paramRef.parameterNotFoundAction'));
    else if (action !== 'Deny' && action !== 'Allow')
      errs.push(fieldErrors.notSupported('spec.paramRef.parameterNotFoundAction', action, ['Deny', 'Allow']));
  }
  errs.push(...validateMatchResources(spec.matchResources, 'spec.matchResources'));
  const actions = arrOf(spec.validationActions).map(strOf);
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    if (!VALIDATION_ACTIONS.includes(a)) errs.push(fieldErrors.notSupported(`spec.validationActions[${i}]`, a, VALIDATION_ACTIONS));
    if (seen.has(a)) errs.push(fieldErrors.duplicate(`spec.validationActions[${i}]`, a));
    seen.add(a);
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    errs.push(
      invalidGo(
        'spec.validationActions',
        goStrings(actions, { type: 'admissionregistration.ValidationAction' }),
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
      ),
    );
  }
  if (seen.size === 0) errs.push(fieldErrors.required('spec.validationActions', 'at least one validation action is required'));
  return errs;
}

/** Policy fields without omitempty. */
function policyWireFields(obj: KubeObject): void {
  const spec = child(obj, 'spec');
  for (const v of arrOf(spec.validations)) if (isPlainObject(v)) v.expression ??= '';
  for (const v of arrOf(spec.variables)) if (isPlainObject(v)) for (const k of ['name', 'expression']) v[k] ??= '';
  for (const a of arrOf(spec.auditAnnotations)) if (isPlainObject(a)) for (const k of ['key', 'valueExpression']) a[k] ??= '';
  for (const mc of arrOf(spec.matchConditions)) if (isPlainObject(mc)) for (const k of ['name', 'expression']) mc[k] ??= '';
}

/** metav1.LabelSelector's String() as printed for a binding's paramRef selector. */
function selectorString(sel: Obj): string {
  const labels = Object.entries(objOf(sel.matchLabels) ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}: ${strOf(v)},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{},}`;
}

const policyStrategy: Strategy = {
  namespaced: false,
  hasGeneration: true,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  allowCreateOnUpdate: false,
  prepareForCreate: (obj) => {
    const spec = child(obj, 'spec');
    spec.failurePolicy ??= 'Fail';
    defaultMatchResources(spec.matchConstraints);
    obj.status = {};
  },
  prepareForUpdate: (obj, _old, ctx) => {
    if (ctx.subresource === 'status') return;
    const spec = child(obj, 'spec');
    spec.failurePolicy ??= 'Fail';
    defaultMatchResources(spec.matchConstraints);
  },
  validate: validatePolicy,
  validateUpdate: (obj, _old, ctx) => (ctx.subresource === 'status' ? [] : validatePolicy(obj)),
  canonicalize: (obj) => {
    policyWireFields(obj);
    child(obj, 'status');
  },
  tableColumns: [
    nameColumn,
    column('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration'),
    column('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'),
    ageColumn,
  ],
  tableRow: (obj) => {
    const spec = objOf(obj.spec) ?? {};
    const pk = objOf(spec.paramKind);
    return [
      objName(obj),
      arrOf(spec.validations).length,
      pk ? `${strOf(pk.apiVersion)}/${strOf(pk.kind)}` : '<unset>',
      age(obj.metadata?.creationTimestamp),
    ];
  },
};

const bindingStrategy: Strategy = {
  namespaced: false,
  hasGeneration: true,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  allowCreateOnUpdate: false,
  prepareForCreate: (obj) => defaultMatchResources(child(obj, 'spec').matchResources),
  prepareForUpdate: (obj) => defaultMatchResources(child(obj, 'spec').matchResources),
  validate: validateBinding,
  validateUpdate: validateBinding,
  canonicalize: (obj) => {
    child(obj, 'spec');
  },
  tableColumns: [
    nameColumn,
    column('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'),
    column('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'),
    ageColumn,
  ],
  tableRow: (obj) => {
    const spec = objOf(obj.spec) ?? {};
    const pr = objOf(spec.paramRef);
    let param = '<unset>';
    if (pr) {
      const name = strOf(pr.name);
      const sel = objOf(pr.selector);
      if (name) param = pr.namespace ? `${strOf(pr.namespace)}/${name}` : `*/${name}`;
      else if (sel) param = selectorString(sel);
    }
    return [objName(obj), strOf(spec.policyName), param, age(obj.metadata?.creationTimestamp)];
  },
};

const admission = (resource: string, kind: string, strategy: Strategy, status = false): BuiltinResource =>
  groupV1Resource(GROUP, resource, kind, strategy, { categories: ['api-extensions'], status });

export const admissionRegistrationResources: BuiltinResource[] = [
  admission('mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', webhookConfigurationStrategy(true)),
  admission('validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', webhookConfigurationStrategy(false)),
  admission('validatingadmissionpolicies', 'ValidatingAdmissionPolicy', policyStrategy, true),
  admission('validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', bindingStrategy),
];

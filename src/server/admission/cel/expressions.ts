// CEL for admission (k8s.io/apiserver/pkg/admission/plugin/cel): the variables
// webhook matchConditions and ValidatingAdmissionPolicy expressions see
// (`object`, `oldObject`, `request`, `params`, `namespaceObject`, `variables`),
// evaluated with the same evaluator and Kubernetes libraries as CRD rules.

import { isPlainObject, type KubeObject } from '../../api/types.js';
import { compileRule, toCEL } from '../../schema/cel.js';
import type { AdmissionAttributes, GroupVersionKind } from '../index.js';
import { type AuthorizeFn, authorizerFor, ensureAuthorizerLibrary } from './authorizer.js';

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

type Program = Exclude<ReturnType<typeof compileRule>, Error>;

export interface CompiledExpression {
  expression: string;
  program: Program | Error;
}

export function compileExpression(expression: string): CompiledExpression {
  ensureAuthorizerLibrary();
  return { expression, program: compileRule(expression) };
}

export type Evaluation = { value: unknown; error?: undefined } | { value?: undefined; error: string };

/**
 * Evaluates a compiled expression (asynchronously: authorizer checks ask the server's authorizer);
 * failures carry kube's wording (activation.go).
 */
export async function evaluate(c: CompiledExpression, vars: Record<string, unknown>): Promise<Evaluation> {
  if (c.program instanceof Error) return { error: `compilation failed: ${c.program.message}` };
  try {
    const v: unknown = c.program(vars);
    return { value: v instanceof Promise ? await v : v };
  } catch (e) {
    const detail = (e instanceof Error ? e.message : String(e)).split('\n')[0].replace(/\b__match\b/g, 'matches');
    return { error: `expression '${c.expression}' resulted in error: ${detail}` };
  }
}

/** A CEL value back to JSON (integers as numbers), for messages and audit annotations. */
export function fromCEL(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(fromCEL);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), fromCEL(x)]));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromCEL(x)]));
  return v;
}

/** The user as authentication.k8s.io/v1 UserInfo (extra always present, as CreateAdmissionRequest builds it). */
export function userInfoOf(a: AdmissionAttributes): Record<string, unknown> {
  return {
    username: a.user.username,
    ...(a.user.uid ? { uid: a.user.uid } : {}),
    ...(a.user.groups.length ? { groups: a.user.groups } : {}),
    ...(a.user.extra && Object.keys(a.user.extra).length ? { extra: a.user.extra } : {}),
  };
}

/**
 * admission.k8s.io/v1 AdmissionRequest as CreateAdmissionRequest / CreateV1AdmissionReview build it:
 * `resource`/`kind`/`subResource` are what the rule matched (an equivalent resource under matchPolicy
 * Equivalent), `request*` what was asked. Object and oldObject only for webhooks.
 */
export function admissionRequest(
  a: AdmissionAttributes,
  matched: { resource: GroupVersionResource; kind: GroupVersionKind },
  uid?: string,
): Record<string, unknown> {
  const d = a.resource;
  const requestKind = a.kind ?? { group: d.group, version: d.version, kind: d.kind };
  // kube's RequestInfo puts a namespace's own update, delete and subresources in that namespace.
  const self = d.group === '' && d.resource === 'namespaces' && a.operation !== 'CREATE';
  const namespace = a.namespace || (self ? a.name : '');
  return {
    ...(uid ? { uid } : {}),
    kind: matched.kind,
    resource: matched.resource,
    ...(a.subresource ? { subResource: a.subresource } : {}),
    requestKind,
    requestResource: { group: d.group, version: d.version, resource: d.resource },
    ...(a.subresource ? { requestSubResource: a.subresource } : {}),
    ...(a.name ? { name: a.name } : {}),
    ...(namespace ? { namespace } : {}),
    operation: a.operation,
    userInfo: userInfoOf(a),
    dryRun: a.dryRun,
    options: a.options ?? null,
  };
}

/**
 * The variables every admission expression sees (without `params`, `namespaceObject`, `variables`);
 * `authorizer` when an authorizer is given, with `requestResource` for policies.
 */
export function baseActivation(
  a: AdmissionAttributes,
  matched: { resource: GroupVersionResource; kind: GroupVersionKind },
  authorize?: AuthorizeFn,
  withRequestResource = false,
): Record<string, unknown> {
  const vars: Record<string, unknown> = {
    object: a.object ? toCEL(a.object, undefined) : null,
    oldObject: a.oldObject ? toCEL(a.oldObject, undefined) : null,
    request: toCEL(admissionRequest(a, matched), undefined),
  };
  if (authorize) {
    const d = a.resource;
    const request = { apiGroup: d.group, resource: d.resource, subresource: a.subresource, namespace: a.namespace, name: a.name };
    vars.authorizer = authorizerFor(a.user, authorize, withRequestResource ? request : undefined);
  }
  return vars;
}

/** The namespace object policies see (CreateNamespaceObject: metadata without managed fields, spec, status). */
export function namespaceObjectOf(ns: KubeObject | undefined): unknown {
  if (!ns) return null;
  const { managedFields: _m, ...metadata } = ns.metadata ?? {};
  return toCEL({ metadata, spec: ns.spec ?? {}, status: ns.status ?? {} }, undefined);
}

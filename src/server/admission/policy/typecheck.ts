// ValidatingAdmissionPolicy type checking (k8s.io/apiserver/pkg/admission/plugin/policy/validating/typechecking.go):
// each validation's expression and messageExpression compiled with `object`/`oldObject` typed by the
// schema of every kind the policy's matchConstraints name (wildcards skipped, at most 10 kinds) and
// `params` by the paramKind's schema; what fails becomes an ExpressionWarning for the policy's
// status.typeChecking. Warnings never change what the policy does.

import { isPlainObject, type KubeObject } from '../../api/types.js';
import { type CheckEnvironment, checkExpression, type SchemaType } from '../../schema/cel-check.js';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The served kinds and their schemas (kube's RESTMapper and SchemaResolver). */
export interface TypeCheckResolver {
  /** The kinds served at a group/version/resource; empty when not served. */
  kindsFor(gvr: { group: string; version: string; resource: string }): GroupVersionKind[];
  /** A kind's schema; undefined when none is known (no warning is raised for it). */
  schemaOf(gvk: GroupVersionKind): SchemaType | undefined;
}

export interface ExpressionWarning {
  fieldRef: string;
  warning: string;
}

const MAX_TYPES_TO_CHECK = 10;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const records = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** typesToCheck: the kinds of the rules' group/version/resource products, wildcards and subresources left out, sorted. */
function typesToCheck(policy: KubeObject, r: TypeCheckResolver): GroupVersionKind[] {
  const spec = isPlainObject(policy.spec) ? policy.spec : {};
  const mc = isPlainObject(spec.matchConstraints) ? spec.matchConstraints : undefined;
  const rules = records(mc?.resourceRules);
  const found = new Map<string, GroupVersionKind>();
  const sorted = (): GroupVersionKind[] =>
    [...found.values()].sort((a, b) => compare(a.group, b.group) || compare(a.version, b.version) || compare(a.kind, b.kind));
  for (const rule of rules) {
    const groups = strings(rule.apiGroups);
    const versions = strings(rule.apiVersions);
    if (groups.some((g) => g.includes('*')) || versions.some((v) => v.includes('*'))) continue;
    const resources = strings(rule.resources).filter((x) => !/[*/]/.test(x));
    if (!groups.length || !versions.length || !resources.length) continue;
    let count = 0;
    for (const group of [...groups].sort())
      for (const version of [...versions].sort())
        for (const resource of [...resources].sort())
          for (const gvk of r.kindsFor({ group, version, resource })) {
            found.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, gvk);
            if (++count === MAX_TYPES_TO_CHECK) return sorted();
          }
  }
  return sorted();
}

function paramsGVK(policy: KubeObject): GroupVersionKind | undefined {
  const spec = isPlainObject(policy.spec) ? policy.spec : {};
  const pk = isPlainObject(spec.paramKind) ? spec.paramKind : undefined;
  if (!pk || typeof pk.apiVersion !== 'string' || typeof pk.kind !== 'string') return undefined;
  const parts = pk.apiVersion.split('/');
  if (parts.length > 2) return undefined;
  const [group, version] = parts.length === 1 ? ['', parts[0]] : parts;
  return { group, version, kind: pk.kind };
}

const gvkString = (g: GroupVersionKind): string => `${g.group}/${g.version}, Kind=${g.kind}`;

/** TypeChecker.Check: the warnings for spec.validations[*].expression and messageExpression. */
export function typeCheckPolicy(policy: KubeObject, r: TypeCheckResolver): ExpressionWarning[] {
  const typed = typesToCheck(policy, r)
    .map((gvk) => ({ gvk, type: r.schemaOf(gvk) }))
    .filter((x): x is { gvk: GroupVersionKind; type: SchemaType } => x.type !== undefined);
  if (!typed.length) return [];
  const spec = isPlainObject(policy.spec) ? policy.spec : {};
  const pgvk = paramsGVK(policy);
  const params = pgvk ? r.schemaOf(pgvk) : undefined;
  // `params` is declared only when its schema is known, as kube's type-checking environment does.
  const names = ['object', 'oldObject', 'request', 'namespaceObject', 'authorizer', 'variables', ...(params ? ['params'] : [])];
  const compositionVariables = new Set(records(spec.variables).map((v) => String(v.name ?? '')));
  const check = (expression: string): string => {
    const out: string[] = [];
    for (const { gvk, type } of typed) {
      const env: CheckEnvironment = {
        variables: new Set(names),
        types: { object: type, oldObject: type, params },
        compositionVariables,
      };
      const res = checkExpression(expression, env);
      if (res?.stage === 'compilation') out.push(`${gvkString(gvk)}: ${res.issues}\n`);
    }
    return out.join('\n');
  };
  const warnings: ExpressionWarning[] = [];
  records(spec.validations).forEach((v, i) => {
    const w = check(String(v.expression ?? ''));
    if (w) warnings.push({ fieldRef: `spec.validations[${i}].expression`, warning: w });
    if (typeof v.messageExpression !== 'string' || !v.messageExpression) return;
    const m = check(v.messageExpression);
    if (m) warnings.push({ fieldRef: `spec.validations[${i}].messageExpression`, warning: m });
  });
  return warnings;
}

// The RBAC objects kept in memory (kube's rbac informers' listers) and the rule
// resolver over them (pkg/registry/rbac/validation/rule.go DefaultRuleResolver):
// which rules apply to a user in a namespace, through ClusterRoleBindings and then
// the namespace's RoleBindings, each rule with the binding that granted it. The
// copies are fed by watches of the four resources (controllers/rbac.ts); a request
// reads only memory.

import type { PolicyRule, RoleRef } from '../../api/authorization.js';
import type { KubeObject, UserInfo } from '../../api/types.js';
import { policyRule } from './rules.js';

export type RBACKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

interface Subject {
  kind: string;
  name: string;
  namespace: string;
}

interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
}

/** Where a rule came from: kube's clusterRoleBindingDescriber / roleBindingDescriber. */
export type RuleSource = () => string;

/** Visits each rule (with its source) or resolution error; returning false stops the walk. */
export type RuleVisitor = (source: RuleSource | undefined, rule: PolicyRule | undefined, err: string | undefined) => boolean;

const SA_PREFIX = 'system:serviceaccount:';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function bindingOf(kind: Binding['kind'], o: KubeObject): Binding {
  const ref = obj(o.roleRef);
  return {
    kind,
    name: o.metadata?.name ?? '',
    namespace: o.metadata?.namespace ?? '',
    roleRef: { apiGroup: str(ref.apiGroup), kind: str(ref.kind), name: str(ref.name) },
    subjects: (Array.isArray(o.subjects) ? o.subjects : []).map((s) => {
      const x = obj(s);
      return { kind: str(x.kind), name: str(x.name), namespace: str(x.namespace) };
    }),
  };
}

/** describeSubject: a ServiceAccount as `name/namespace` (the binding's namespace by default). */
function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

function describe(b: Binding, s: Subject): string {
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(s, b.namespace)}`;
}

/** appliesToUser: User by name, Group by membership, ServiceAccount by its `system:serviceaccount:ns:name` user. */
function appliesTo(user: UserInfo, s: Subject, namespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.username === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || namespace;
      return ns !== '' && user.username === `${SA_PREFIX}${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * A role's rules as stored, converted when first evaluated: a cluster has hundreds of roles (the bootstrap
 * policy alone about 70, a thousand rules), most never asked about in a test run.
 */
interface RoleRules {
  raw: unknown;
  rules?: PolicyRule[];
}

function rulesOf(r: RoleRules): PolicyRule[] {
  r.rules ??= Array.isArray(r.raw) ? r.raw.map(policyRule) : [];
  return r.rules;
}

export class RBACPolicy {
  /** name -> rules; namespace/name -> rules. */
  private readonly clusterRoles = new Map<string, RoleRules>();
  private readonly roles = new Map<string, RoleRules>();
  private readonly clusterRoleBindings = new Map<string, Binding>();
  /** namespace -> name -> binding. */
  private readonly roleBindings = new Map<string, Map<string, Binding>>();
  private readonly listeners = new Set<() => void>();

  /** Called after every change (the aggregation controller, caches). */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  set(kind: RBACKind, o: KubeObject): void {
    this.put(kind, o);
    this.changed();
  }

  private put(kind: RBACKind, o: KubeObject): void {
    const name = o.metadata?.name ?? '';
    const ns = o.metadata?.namespace ?? '';
    switch (kind) {
      case 'ClusterRole':
        this.clusterRoles.set(name, { raw: o.rules });
        break;
      case 'Role':
        this.roles.set(key(ns, name), { raw: o.rules });
        break;
      case 'ClusterRoleBinding':
        this.clusterRoleBindings.set(name, bindingOf(kind, o));
        break;
      case 'RoleBinding': {
        let m = this.roleBindings.get(ns);
        if (!m) this.roleBindings.set(ns, (m = new Map()));
        m.set(name, bindingOf(kind, o));
        break;
      }
    }
  }

  /** Whether an object of this kind and name is known. */
  has(kind: RBACKind, o: KubeObject): boolean {
    const name = o.metadata?.name ?? '';
    const ns = o.metadata?.namespace ?? '';
    if (kind === 'ClusterRole') return this.clusterRoles.has(name);
    if (kind === 'Role') return this.roles.has(key(ns, name));
    if (kind === 'ClusterRoleBinding') return this.clusterRoleBindings.has(name);
    return this.roleBindings.get(ns)?.has(name) ?? false;
  }

  delete(kind: RBACKind, o: KubeObject): void {
    const name = o.metadata?.name ?? '';
    const ns = o.metadata?.namespace ?? '';
    if (kind === 'ClusterRole') this.clusterRoles.delete(name);
    else if (kind === 'Role') this.roles.delete(key(ns, name));
    else if (kind === 'ClusterRoleBinding') this.clusterRoleBindings.delete(name);
    else this.roleBindings.get(ns)?.delete(name);
    this.changed();
  }

  /** Replaces everything known of a kind (an informer's relist). */
  replace(kind: RBACKind, objects: KubeObject[]): void {
    if (kind === 'ClusterRole') this.clusterRoles.clear();
    else if (kind === 'Role') this.roles.clear();
    else if (kind === 'ClusterRoleBinding') this.clusterRoleBindings.clear();
    else this.roleBindings.clear();
    for (const o of objects) this.put(kind, o);
    this.changed();
  }

  /** GetRoleReferenceRules; throws the lister's NotFound wording for a missing role. */
  roleReferenceRules(ref: RoleRef, bindingNamespace: string): PolicyRule[] {
    if (ref.kind === 'Role') {
      const rules = this.roles.get(key(bindingNamespace, ref.name));
      if (!rules) throw new Error(`role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`);
      return rulesOf(rules);
    }
    if (ref.kind === 'ClusterRole') {
      const rules = this.clusterRoles.get(ref.name);
      if (!rules) throw new Error(`clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`);
      return rulesOf(rules);
    }
    throw new Error(`unsupported role reference kind: ${JSON.stringify(ref.kind)}`);
  }

  /** VisitRulesFor: cluster role bindings first, then the namespace's role bindings. */
  visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): void {
    const walk = (bindings: Iterable<Binding>, bindingNamespace: string): boolean => {
      for (const b of bindings) {
        const subject = b.subjects.find((s) => appliesTo(user, s, bindingNamespace));
        if (!subject) continue;
        let rules: PolicyRule[];
        try {
          rules = this.roleReferenceRules(b.roleRef, bindingNamespace);
        } catch (e) {
          if (!visit(undefined, undefined, (e as Error).message)) return false;
          continue;
        }
        const source = () => describe(b, subject);
        for (const rule of rules) if (!visit(source, rule, undefined)) return false;
      }
      return true;
    };
    if (!walk(this.clusterRoleBindings.values(), '')) return;
    if (namespace) walk(this.roleBindings.get(namespace)?.values() ?? [], namespace);
  }

  /** RulesFor: every rule that applies, and the errors met resolving them. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (_s, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }
}

/** utilerrors.NewAggregate(...).Error(): one message alone, several as `[a, b]`. */
export function aggregateErrors(errors: string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
}

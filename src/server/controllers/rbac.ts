// The RBAC objects' in-process consumers: the informer that keeps the authorizer's
// in-memory copies of Roles, ClusterRoles, RoleBindings and ClusterRoleBindings
// current (kube's rbac informers: list, then watch from the list's revision,
// relisting when a watch ends), and kube's ClusterRoleAggregation controller
// (pkg/controller/clusterroleaggregation): a ClusterRole with an aggregationRule has
// as rules the union of the rules of the ClusterRoles its selectors pick, by name
// order, without duplicates.

import { StatusError } from '../api/errors.js';
import { labelSelectorAsSelector } from '../api/selectors/labels.js';
import { deepEqual, isPlainObject, type KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { RequestContext } from '../registry/strategy.js';
import { Reconciler } from './reconciler.js';
import { Timers } from './timers.js';

const GROUP = 'rbac.authorization.k8s.io';

export type RBACKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

/** What the informer feeds (the authorizer's RBACPolicy). */
export interface RBACSink {
  set(kind: RBACKind, obj: KubeObject): void;
  delete(kind: RBACKind, obj: KubeObject): void;
  replace(kind: RBACKind, objects: KubeObject[]): void;
}

const RESOURCES: Array<[RBACKind, string]> = [
  ['ClusterRole', 'clusterroles'],
  ['ClusterRoleBinding', 'clusterrolebindings'],
  ['Role', 'roles'],
  ['RoleBinding', 'rolebindings'],
];

export class RBACInformer {
  private stopped = false;
  private readonly handles = new Set<{ stop(): void }>();
  private readonly timers = new Timers();

  constructor(
    private readonly router: ResourceRouter,
    private readonly sink: RBACSink,
  ) {}

  /** Resolves when each resource's first list has been delivered. */
  async start(): Promise<void> {
    await Promise.all(
      RESOURCES.map(([kind, resource]) => {
        const served = this.router.get(GROUP, 'v1', resource);
        return served ? this.run(kind, served) : undefined;
      }),
    );
  }

  private async run(kind: RBACKind, served: ServedResource): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await served.lister.list({ namespace: '' });
      if (this.stopped) return;
      this.sink.replace(kind, list.items);
      let handle: { stop(): void } | undefined;
      handle = await served.lister.watch(
        { namespace: '', resourceVersion: list.metadata?.resourceVersion ?? '0', allowWatchBookmarks: false },
        {
          event: (ev) => {
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.sink.set(kind, ev.object);
            else if (ev.type === 'DELETED') this.sink.delete(kind, ev.object);
          },
          close: () => {
            if (handle) this.handles.delete(handle);
            this.timers.rewatch(served, () => this.run(kind, served), 1000);
          },
        },
      );
      if (this.stopped) handle.stop();
      else this.handles.add(handle);
    } catch {
      this.timers.later(() => this.run(kind, served), 1000);
    }
  }

  stop(): void {
    this.stopped = true;
    this.timers.stop();
    for (const h of this.handles) h.stop();
  }
}

const SYSTEM_CTX = (): RequestContext => ({
  user: { username: 'system:serviceaccount:kube-system:clusterrole-aggregation-controller', groups: ['system:masters'] },
  dryRun: false,
  warnings: [],
  // Its writes are the controller's in metadata.managedFields, as kube's (there an apply).
  fieldManager: { manager: 'clusterrole-aggregation-controller' },
});

/**
 * What one pass over the roles computes once, not per aggregated role: the roles by name, each selector parsed,
 * each rule's key. Kept per array and object (a list's items, a role's rules are not changed in place).
 */
const BY_NAME = new WeakMap<KubeObject[], KubeObject[]>();
const SELECTORS = new WeakMap<object, ReturnType<typeof labelSelectorAsSelector> | null>();
const RULE_KEYS = new WeakMap<object, string>();

function selectorOf(sel: unknown): ReturnType<typeof labelSelectorAsSelector> | null {
  if (!isPlainObject(sel)) return null;
  let s = SELECTORS.get(sel);
  if (s === undefined) {
    try {
      s = labelSelectorAsSelector(sel);
    } catch {
      s = null;
    }
    SELECTORS.set(sel, s);
  }
  return s;
}

/** ruleExists' identity: the same rule however its keys are written. */
function ruleKey(r: unknown): string {
  if (!isPlainObject(r)) return JSON.stringify(r);
  let key = RULE_KEYS.get(r);
  if (key === undefined) {
    key = JSON.stringify(r, Object.keys(r).sort());
    RULE_KEYS.set(r, key);
  }
  return key;
}

/** The rules an aggregated ClusterRole should hold, or undefined when it has no aggregationRule. */
export function aggregatedRules(role: KubeObject, all: KubeObject[]): unknown[] | undefined {
  const rule = isPlainObject(role.aggregationRule) ? role.aggregationRule : undefined;
  if (!rule) return undefined;
  const out: unknown[] = [];
  // ruleExists: a rule already gathered is not added twice (keys sorted: the same rule however written).
  const seen = new Set<string>();
  let byName = BY_NAME.get(all);
  if (!byName) {
    byName = [...all].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
    BY_NAME.set(all, byName);
  }
  for (const sel of Array.isArray(rule.clusterRoleSelectors) ? rule.clusterRoleSelectors : []) {
    // A selector that does not parse selects nothing.
    const selector = selectorOf(sel);
    if (!selector) continue;
    for (const other of byName) {
      if (other.metadata?.name === role.metadata?.name || !selector.matches(other.metadata?.labels)) continue;
      for (const r of Array.isArray(other.rules) ? other.rules : []) {
        const key = ruleKey(r);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(r);
      }
    }
  }
  return out;
}

/** Every aggregated ClusterRole with the rules it converges to (aggregated roles aggregate each other). */
export function aggregateAll(roles: KubeObject[]): KubeObject[] {
  let out = roles;
  for (let pass = 0; pass < 10; pass++) {
    let changed = false;
    out = out.map((r) => {
      const rules = aggregatedRules(r, out);
      if (!rules || deepEqual(rules, Array.isArray(r.rules) ? r.rules : [])) return r;
      changed = true;
      return { ...r, rules };
    });
    if (!changed) break;
  }
  return out;
}

export class ClusterRoleAggregation {
  private readonly reconciler = new Reconciler('ClusterRole aggregation', () => this.sync());

  constructor(private readonly router: ResourceRouter) {}

  private clusterRoles(): ServedResource | undefined {
    return this.router.get(GROUP, 'v1', 'clusterroles');
  }

  async start(): Promise<void> {
    const served = this.clusterRoles();
    if (!served) return;
    await this.reconciler.trigger();
    this.reconciler.watch(served.lister);
  }

  idle(): Promise<void> {
    return this.reconciler.trigger();
  }

  private async sync(): Promise<void> {
    const served = this.clusterRoles();
    if (!served) return;
    let all = (await served.lister.list({ namespace: '' })).items;
    // Aggregated roles aggregate each other (view into edit into admin): passes until nothing changes.
    for (let pass = 0; pass < 10; pass++) {
      let changed = false;
      for (const [i, role] of all.entries()) {
        const want = aggregatedRules(role, all);
        // Semantic equality: no rules and an empty list are the same.
        if (!want || deepEqual(want, Array.isArray(role.rules) ? role.rules : [])) continue;
        try {
          const updated = (
            await served.store.update(SYSTEM_CTX(), role.metadata?.name ?? '', (cur) => ({ ...structuredClone(cur!), rules: want }))
          ).object;
          // A new array, not the same one changed: aggregatedRules keeps what it computes per array.
          all = all.map((r, j) => (j === i ? updated : r));
          changed = true;
        } catch (e) {
          if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
        }
      }
      if (!changed) return;
    }
  }

  stop(): void {
    this.reconciler.stop();
  }
}

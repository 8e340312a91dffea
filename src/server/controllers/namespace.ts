// kube's namespace controller (pkg/controller/namespace/deletion): a namespace being
// deleted has its content deleted, every namespaced resource served (custom resources
// included), each collection deleted in the background; what remains is counted, and
// the five deletion conditions written to its status with kube's reasons and messages;
// once nothing remains, the `kubernetes` finalizer is removed through /finalize and the
// namespace goes. Objects held by finalizers keep it Terminating until those go.

import { isPlainObject, type KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { nowRFC3339 } from '../registry/meta.js';
import { controllerContext, ignoring } from './identity.js';
import { type ClusterInformer, preferredResources } from './informers.js';
import { WorkQueue } from './queue.js';

const SERVICE_ACCOUNT = 'namespace-controller';
const FINALIZER = 'kubernetes';

type Condition = { type: string; status: string; lastTransitionTime?: string; reason: string; message: string };

/** status_condition_utils.go: the types in order, and what each says when nothing fails. */
const CONDITIONS: Array<{ type: string; okReason: string; okMessage: string }> = [
  { type: 'NamespaceDeletionDiscoveryFailure', okReason: 'ResourcesDiscovered', okMessage: 'All resources successfully discovered' },
  {
    type: 'NamespaceDeletionGroupVersionParsingFailure',
    okReason: 'ParsedGroupVersions',
    okMessage: 'All legacy kube types successfully parsed',
  },
  {
    type: 'NamespaceDeletionContentFailure',
    okReason: 'ContentDeleted',
    okMessage: 'All content successfully deleted, may be waiting on finalization',
  },
  { type: 'NamespaceContentRemaining', okReason: 'ContentRemoved', okMessage: 'All content successfully removed' },
  { type: 'NamespaceFinalizersRemaining', okReason: 'ContentHasNoFinalizers', okMessage: 'All content-preserving finalizers finished' },
];

/** What deleting one namespace's content left. */
interface ContentTotals {
  /** `<resource>.<group>` -> instances left. */
  remaining: Map<string, number>;
  /** finalizer -> instances holding it. */
  finalizers: Map<string, number>;
  errors: string[];
}

/** The failure conditions a pass produced (ProcessContentTotals, makeDeleteContentCondition). */
function failureConditions(t: ContentTotals): Condition[] {
  const out: Condition[] = [];
  const sorted = (m: Map<string, number>, fmt: (k: string, n: number) => string): string =>
    [...m]
      .filter(([, n]) => n > 0)
      .map(([k, n]) => fmt(k, n))
      .sort()
      .join(', ');
  if (t.errors.length) {
    const msgs = [...t.errors].sort();
    out.push({
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
    });
  }
  if (t.remaining.size) {
    out.push({
      type: 'NamespaceContentRemaining',
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${sorted(t.remaining, (k, n) => `${k} has ${n} resource instances`)}`,
    });
  }
  if (t.finalizers.size) {
    out.push({
      type: 'NamespaceFinalizersRemaining',
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${sorted(t.finalizers, (k, n) => `${k} in ${n} resource instances`)}`,
    });
  }
  return out;
}

/** updateConditions: each owned type set to the failure or its ok variant; a transition time only when the status flips. */
function updateConditions(status: Record<string, unknown>, failures: Condition[]): boolean {
  const conds: Condition[] = Array.isArray(status.conditions) ? (status.conditions.filter(isPlainObject) as Condition[]) : [];
  let changed = false;
  for (const c of CONDITIONS) {
    const want = failures.find((f) => f.type === c.type) ?? { type: c.type, status: 'False', reason: c.okReason, message: c.okMessage };
    const old = conds.find((o) => o.type === c.type);
    if (!old) {
      conds.push({ type: want.type, status: want.status, lastTransitionTime: nowRFC3339(), reason: want.reason, message: want.message });
      changed = true;
    } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
      if (old.status !== want.status) old.lastTransitionTime = nowRFC3339();
      old.status = want.status;
      old.reason = want.reason;
      old.message = want.message;
      changed = true;
    }
  }
  status.conditions = conds;
  return changed;
}

/** `<resource>.<group>` as kube prints a GroupVersionResource's resource and group (`pods.` for the core group). */
function resourceDotGroup(r: ServedResource): string {
  return `${r.descriptor.resource}.${r.descriptor.group}`;
}

export class NamespaceController {
  private readonly queue: WorkQueue<string>;
  /** Namespaces seen terminating: their content's events requeue them. */
  private readonly terminating = new Set<string>();

  constructor(
    private readonly router: ResourceRouter,
    informer: ClusterInformer,
  ) {
    this.queue = new WorkQueue('namespace controller', (ns) => this.sync(ns), 2);
    informer.onEvent((ev) => {
      const d = ev.resource.descriptor;
      const m = ev.object.metadata ?? {};
      if (d.group === '' && d.resource === 'namespaces') {
        if (ev.type !== 'DELETED' && m.deletionTimestamp) {
          this.terminating.add(m.name ?? '');
          this.queue.add(m.name ?? '');
        } else this.terminating.delete(m.name ?? '');
      } else if (m.namespace && this.terminating.has(m.namespace) && (ev.type === 'DELETED' || m.deletionTimestamp)) {
        this.queue.add(m.namespace);
      }
    });
  }

  private namespaces(): ServedResource | undefined {
    return this.router.get('', 'v1', 'namespaces');
  }

  /** namespacedResourcesDeleter.Delete: one pass over a terminating namespace. */
  private async sync(name: string): Promise<void> {
    const namespaces = this.namespaces();
    if (!namespaces) return;
    const ctx = controllerContext(SERVICE_ACCOUNT);
    let ns: KubeObject;
    try {
      ns = await namespaces.store.get(ctx, name);
    } catch {
      return;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    const spec = isPlainObject(ns.spec) ? ns.spec : {};
    const finalizers = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
    if (!finalizers.includes(FINALIZER)) return;

    const totals = await this.deleteAllContent(name);
    await this.writeConditions(namespaces, name, failureConditions(totals));
    if (totals.remaining.size || totals.errors.length) {
      // kube requeues after its estimate; content events requeue sooner.
      this.queue.addAfter(name, totals.finalizers.size ? 1000 : 200);
      return;
    }
    await ignoring(
      [404],
      namespaces.store.update(controllerContext(SERVICE_ACCOUNT, { subresource: 'finalize' }), name, (cur) => {
        const next = structuredClone(cur!);
        const s = isPlainObject(next.spec) ? next.spec : {};
        s.finalizers = (Array.isArray(s.finalizers) ? (s.finalizers as string[]) : []).filter((f) => f !== FINALIZER);
        next.spec = s;
        return next;
      }),
    );
  }

  /** deleteAllContent: each namespaced resource's collection deleted in the background, then what is left counted. */
  private async deleteAllContent(namespace: string): Promise<ContentTotals> {
    const totals: ContentTotals = { remaining: new Map(), finalizers: new Map(), errors: [] };
    const ctx = controllerContext(SERVICE_ACCOUNT, { namespace });
    const resources = preferredResources(this.router).filter((r) => r.descriptor.namespaced);
    await Promise.all(
      resources.map(async (r) => {
        try {
          if (r.descriptor.verbs.includes('deletecollection'))
            await r.store.deleteCollection(ctx, { namespace }, { propagationPolicy: 'Background' });
          const left = (await r.lister.list({ namespace })).items;
          if (!left.length) return;
          totals.remaining.set(resourceDotGroup(r), left.length);
          let held = false;
          for (const item of left) {
            for (const f of item.metadata?.finalizers ?? []) {
              totals.finalizers.set(f, (totals.finalizers.get(f) ?? 0) + 1);
              held = true;
            }
          }
          // Nothing holds what is left (a pod in its grace period): kube reports it as a deletion failure.
          if (!held) {
            const d = r.descriptor;
            totals.errors.push(
              `unexpected items still remain in namespace: ${namespace} for gvr: ${d.group}/${d.version}, Resource=${d.resource}`,
            );
          }
        } catch (e) {
          totals.errors.push(e instanceof Error ? e.message : String(e));
        }
      }),
    );
    return totals;
  }

  private async writeConditions(namespaces: ServedResource, name: string, failures: Condition[]): Promise<void> {
    const probe = structuredClone(
      (await namespaces.store.get(controllerContext(SERVICE_ACCOUNT), name).catch(() => undefined))?.status ?? {},
    );
    if (!isPlainObject(probe) || !updateConditions(probe, failures)) return;
    await ignoring(
      [404],
      namespaces.store.update(controllerContext(SERVICE_ACCOUNT, { subresource: 'status' }), name, (cur) => {
        const next = structuredClone(cur!);
        const status = isPlainObject(next.status) ? next.status : {};
        updateConditions(status, failures);
        next.status = status;
        return next;
      }),
    );
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }
}

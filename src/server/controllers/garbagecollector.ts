// kube's garbage collector (pkg/controller/garbagecollector): a dependency graph
// of ownerReferences kept from the shared informer, and three kinds of work:
//  - an object whose owners are all gone is deleted (background by default, or
//    as its own orphan/foregroundDeletion finalizer asks); dangling references
//    beside a live owner are removed;
//  - an owner being deleted in the foreground (`foregroundDeletion` finalizer) has
//    its dependents deleted (those with dependents of their own in the foreground
//    too), and loses the finalizer once no dependent with blockOwnerDeletion is left;
//  - an owner being deleted with the `orphan` finalizer has the references to it
//    removed from its dependents, then loses the finalizer.
// Owners are looked up live (the graph may lag a create), across built-ins and
// custom resources, a namespaced dependent's owner in its namespace or cluster-scoped.

import { notFound, StatusError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { PropagationPolicy } from '../registry/store.js';
import { controllerContext, ignoring } from './identity.js';
import type { ClusterInformer, InformerEvent } from './informers.js';
import { WorkQueue } from './queue.js';

const SERVICE_ACCOUNT = 'generic-garbage-collector';
const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
  controller?: boolean;
}

interface Node {
  uid: string;
  resource: ServedResource;
  namespace: string;
  name: string;
  owners: OwnerRef[];
  deleting: boolean;
  finalizers: string[];
}

function ownersOf(obj: KubeObject): OwnerRef[] {
  const refs = (obj.metadata as { ownerReferences?: unknown } | undefined)?.ownerReferences;
  return Array.isArray(refs) ? (refs as OwnerRef[]).filter((r) => r && typeof r.uid === 'string') : [];
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

type OwnerState = 'solid' | 'dangling' | 'waiting';

export class GarbageCollector {
  private readonly nodes = new Map<string, Node>();
  /** owner uid -> dependent uids (owners not observed yet, or gone, included: kube's virtual nodes). */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly router: ResourceRouter,
    informer: ClusterInformer,
  ) {
    this.queue = new WorkQueue('garbage collector', (key) => this.process(key), 8);
    informer.onEvent((ev) => this.observe(ev));
  }

  /** The graph builder's processGraphChanges. */
  private observe(ev: InformerEvent): void {
    const m = ev.object.metadata ?? {};
    const uid = m.uid;
    if (!uid) return;
    const old = this.nodes.get(uid);
    if (ev.type === 'DELETED') {
      if (!old) return;
      this.nodes.delete(uid);
      this.unlink(old);
      // Its dependents may now be orphans; owners waiting on it may now finish.
      for (const dep of this.dependents.get(uid) ?? []) this.queue.add(`delete:${dep}`);
      for (const o of old.owners) if (this.nodes.get(o.uid)?.deleting) this.queue.add(`delete:${o.uid}`);
      return;
    }
    const node: Node = {
      uid,
      resource: ev.resource,
      namespace: m.namespace ?? '',
      name: m.name ?? '',
      owners: ownersOf(ev.object),
      deleting: !!m.deletionTimestamp,
      finalizers: m.finalizers ?? [],
    };
    this.nodes.set(uid, node);
    const ownersChanged = !old || JSON.stringify(old.owners) !== JSON.stringify(node.owners);
    if (old && ownersChanged) {
      this.unlink(old);
      // An owner in foreground deletion may have lost a blocking dependent.
      for (const o of old.owners) if (this.nodes.get(o.uid)?.deleting) this.queue.add(`delete:${o.uid}`);
    }
    if (ownersChanged) {
      for (const o of node.owners) {
        let set = this.dependents.get(o.uid);
        if (!set) this.dependents.set(o.uid, (set = new Set()));
        set.add(uid);
      }
      if (node.owners.length) this.queue.add(`delete:${uid}`);
    }
    if (node.deleting && node.finalizers.includes(ORPHAN)) this.queue.add(`orphan:${uid}`);
    if (node.deleting && node.finalizers.includes(FOREGROUND)) {
      this.queue.add(`delete:${uid}`);
      if (!old?.deleting || !old.finalizers.includes(FOREGROUND))
        for (const dep of this.dependents.get(uid) ?? []) this.queue.add(`delete:${dep}`);
    }
  }

  private unlink(node: Node): void {
    for (const o of node.owners) {
      const set = this.dependents.get(o.uid);
      if (!set) continue;
      set.delete(node.uid);
      if (set.size === 0) this.dependents.delete(o.uid);
    }
  }

  private async process(key: string): Promise<void> {
    const i = key.indexOf(':');
    const kind = key.slice(0, i);
    const uid = key.slice(i + 1);
    const node = this.nodes.get(uid);
    if (!node) return;
    if (kind === 'orphan') await this.orphanDependents(node);
    else await this.attemptToDelete(node);
  }

  private ctx(namespace: string) {
    return controllerContext(SERVICE_ACCOUNT, { namespace });
  }

  /** The object as stored now, if it is still the one the graph knows (same uid). */
  private async latest(node: Node): Promise<KubeObject | undefined> {
    try {
      const obj = await node.resource.store.get(this.ctx(node.namespace), node.name);
      return obj.metadata?.uid === node.uid ? obj : undefined;
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return undefined;
      throw e;
    }
  }

  private resourceFor(ref: OwnerRef): ServedResource | undefined {
    const group = groupOf(ref.apiVersion);
    return this.router.all().find((r) => r.descriptor.group === group && r.descriptor.kind === ref.kind);
  }

  /** classifyReferences for one reference: solid (there, not waiting on its dependents), dangling (absent or another uid), waiting. */
  private async ownerState(ref: OwnerRef, namespace: string): Promise<OwnerState> {
    const r = this.resourceFor(ref);
    // A kind nothing serves (its CRD not installed yet): kube retries; the reference is kept.
    if (!r) return 'solid';
    const ns = r.descriptor.namespaced ? namespace : '';
    // A cluster-scoped dependent naming a namespaced owner: unresolvable, never collected (kube 1.20+).
    if (r.descriptor.namespaced && !namespace) return 'solid';
    let owner: KubeObject;
    try {
      owner = await r.store.get(this.ctx(ns), ref.name);
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return 'dangling';
      throw e;
    }
    if (owner.metadata?.uid !== ref.uid) return 'dangling';
    if (owner.metadata?.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND)) return 'waiting';
    return 'solid';
  }

  /** attemptToDeleteItem. */
  private async attemptToDelete(node: Node): Promise<void> {
    const latest = await this.latest(node);
    if (!latest) return;
    const m = latest.metadata!;
    const fins = m.finalizers ?? [];
    if (m.deletionTimestamp) {
      if (fins.includes(FOREGROUND)) await this.processDeletingDependents(node);
      return;
    }
    const refs = ownersOf(latest);
    if (!refs.length) return;
    const states = await Promise.all(refs.map((ref) => this.ownerState(ref, node.namespace)));
    const solid = refs.filter((_, i) => states[i] === 'solid');
    const stale = new Set(refs.filter((_, i) => states[i] !== 'solid').map((r) => r.uid));
    if (solid.length) {
      // A live owner keeps the object; references to owners gone or going are dropped.
      if (stale.size) await this.removeReferences(node, stale);
      return;
    }
    const waiting = states.includes('waiting');
    let policy: PropagationPolicy;
    if (waiting && (this.dependents.get(node.uid)?.size ?? 0) > 0) policy = 'Foreground';
    else if (fins.includes(ORPHAN)) policy = 'Orphan';
    else if (fins.includes(FOREGROUND)) policy = 'Foreground';
    else policy = 'Background';
    await ignoring(
      [404, 409],
      node.resource.store.delete(this.ctx(node.namespace), node.name, { preconditions: { uid: node.uid }, propagationPolicy: policy }),
    );
  }

  /** processDeletingDependentsItem: the finalizer goes once no blocking dependent is left; until then they are deleted. */
  private async processDeletingDependents(node: Node): Promise<void> {
    const blocking: Node[] = [];
    for (const depUid of this.dependents.get(node.uid) ?? []) {
      const dep = this.nodes.get(depUid);
      if (dep?.owners.some((o) => o.uid === node.uid && o.blockOwnerDeletion)) blocking.push(dep);
    }
    if (!blocking.length) {
      await this.removeFinalizer(node, FOREGROUND);
      return;
    }
    for (const dep of blocking) if (!dep.deleting) this.queue.add(`delete:${dep.uid}`);
  }

  /** orphanDependents, then the `orphan` finalizer removed. */
  private async orphanDependents(node: Node): Promise<void> {
    const latest = await this.latest(node);
    if (!latest?.metadata?.deletionTimestamp || !(latest.metadata.finalizers ?? []).includes(ORPHAN)) return;
    const owner = new Set([node.uid]);
    await Promise.all(
      [...(this.dependents.get(node.uid) ?? [])].map((uid) => {
        const dep = this.nodes.get(uid);
        return dep ? this.removeReferences(dep, owner) : undefined;
      }),
    );
    await this.removeFinalizer(node, ORPHAN);
  }

  private async removeReferences(node: Node, owners: Set<string>): Promise<void> {
    await ignoring(
      [404],
      node.resource.store.update(this.ctx(node.namespace), node.name, (cur) => {
        if (!cur) throw notFound(node.resource.store.groupResource, node.name);
        if (cur.metadata?.uid !== node.uid) return cur;
        const next = structuredClone(cur);
        const meta = next.metadata as { ownerReferences?: OwnerRef[] };
        const kept = ownersOf(next).filter((r) => !owners.has(r.uid));
        if (kept.length) meta.ownerReferences = kept;
        else delete meta.ownerReferences;
        return next;
      }),
    );
  }

  private async removeFinalizer(node: Node, finalizer: string): Promise<void> {
    await ignoring(
      [404],
      node.resource.store.update(this.ctx(node.namespace), node.name, (cur) => {
        if (!cur) throw notFound(node.resource.store.groupResource, node.name);
        if (cur.metadata?.uid !== node.uid || !(cur.metadata.finalizers ?? []).includes(finalizer)) return cur;
        const next = structuredClone(cur);
        const fins = (next.metadata!.finalizers ?? []).filter((f) => f !== finalizer);
        if (fins.length) next.metadata!.finalizers = fins;
        else delete next.metadata!.finalizers;
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

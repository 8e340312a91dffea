// A shared informer over every served resource, as kube-controller-manager's
// metadata informers feed the garbage collector's graph builder: one list then
// watch per group-resource (one served version each: the versions of a
// resource share storage), re-listed when a watch ends, with the objects that
// went during the gap reported as deleted. It follows the router, so custom
// resources join when their CRD is established and leave when it goes.

import type { KubeObject } from '../api/types.js';
import { apiServicePriority } from '../endpoints/discovery.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { Timers } from './timers.js';

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerEvent {
  type: InformerEventType;
  object: KubeObject;
  resource: ServedResource;
}

/** `<resource>.<group>` (kube's GroupResource.String()), the key resources are watched by. */
export function groupResourceKey(r: ServedResource): string {
  const d = r.descriptor;
  return d.group ? `${d.resource}.${d.group}` : d.resource;
}

function deletable(r: ServedResource): boolean {
  const v = r.descriptor.verbs;
  return v.includes('list') && v.includes('watch') && v.includes('delete');
}

/**
 * The served version of each group-resource with list, watch and delete, the preferred one first
 * (discovery's version priority): what kube's ServerPreferredResources gives controllers.
 */
export function preferredResources(router: ResourceRouter): ServedResource[] {
  const best = new Map<string, ServedResource>();
  for (const r of router.all()) {
    if (!deletable(r)) continue;
    const key = groupResourceKey(r);
    const cur = best.get(key);
    if (
      !cur ||
      apiServicePriority(r.descriptor.group, r.descriptor.version).version >
        apiServicePriority(cur.descriptor.group, cur.descriptor.version).version
    )
      best.set(key, r);
  }
  return [...best.values()];
}

interface Watched {
  resource: ServedResource;
  /** uid -> the last object seen. */
  objects: Map<string, KubeObject>;
  handle?: { stop(): void };
  stopped: boolean;
  synced: Promise<void>;
}

export class ClusterInformer {
  private readonly watched = new Map<string, Watched>();
  private readonly handlers: Array<(ev: InformerEvent) => void> = [];
  private readonly timers = new Timers();
  private stopped = false;

  constructor(private readonly router: ResourceRouter) {}

  onEvent(fn: (ev: InformerEvent) => void): void {
    this.handlers.push(fn);
  }

  /** Starts watching what is served now; resolves when each resource's first list has been delivered. */
  async start(): Promise<void> {
    this.router.onChange(() => void this.resync());
    await this.resync();
  }

  /** The last state seen of one object by uid, in whichever resource holds it. */
  objects(resource: ServedResource): Iterable<KubeObject> {
    return this.watched.get(groupResourceKey(resource))?.objects.values() ?? [];
  }

  private async resync(): Promise<void> {
    if (this.stopped) return;
    const want = new Map(preferredResources(this.router).map((r) => [groupResourceKey(r), r]));
    for (const [key, w] of this.watched) {
      const next = want.get(key);
      if (next && next.store === w.resource.store) continue;
      // The resource went (its CRD deleted) or was reinstalled: its objects are gone from this view.
      w.stopped = true;
      w.handle?.stop();
      this.watched.delete(key);
      for (const obj of w.objects.values()) this.emit({ type: 'DELETED', object: obj, resource: w.resource });
    }
    const starting: Array<Promise<void>> = [];
    for (const [key, r] of want) {
      if (this.watched.has(key)) continue;
      const w: Watched = { resource: r, objects: new Map(), stopped: false, synced: Promise.resolve() };
      w.synced = this.run(w);
      this.watched.set(key, w);
      starting.push(w.synced);
    }
    await Promise.all(starting);
  }

  /** List, then watch from the list's revision; a list replaces what was known (deletions during a gap included). */
  private async run(w: Watched): Promise<void> {
    if (this.stopped || w.stopped) return;
    try {
      const list = await w.resource.lister.list({ namespace: '' });
      if (this.stopped || w.stopped) return;
      const seen = new Set<string>();
      for (const obj of list.items) {
        const uid = obj.metadata?.uid ?? '';
        seen.add(uid);
        const prev = w.objects.get(uid);
        w.objects.set(uid, obj);
        if (!prev) this.emit({ type: 'ADDED', object: obj, resource: w.resource });
        else if (prev.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
          this.emit({ type: 'MODIFIED', object: obj, resource: w.resource });
      }
      for (const [uid, obj] of w.objects) {
        if (seen.has(uid)) continue;
        w.objects.delete(uid);
        this.emit({ type: 'DELETED', object: obj, resource: w.resource });
      }
      const handle = await w.resource.lister.watch(
        { namespace: '', resourceVersion: list.metadata?.resourceVersion ?? '0', allowWatchBookmarks: false },
        {
          event: (ev) => {
            if (ev.type === 'BOOKMARK' || ev.type === 'ERROR' || w.stopped) return;
            const uid = ev.object.metadata?.uid ?? '';
            if (ev.type === 'DELETED') w.objects.delete(uid);
            else w.objects.set(uid, ev.object);
            this.emit({ type: ev.type, object: ev.object, resource: w.resource });
          },
          close: () => this.timers.rewatch(w, () => this.run(w), 100),
        },
      );
      if (this.stopped || w.stopped) handle.stop();
      else w.handle = handle;
    } catch {
      this.timers.later(() => this.run(w), 500);
    }
  }

  private emit(ev: InformerEvent): void {
    for (const h of this.handlers) {
      try {
        h(ev);
      } catch (e) {
        console.error('kapi-env: informer handler failed:', e);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.timers.stop();
    for (const w of this.watched.values()) {
      w.stopped = true;
      w.handle?.stop();
    }
  }
}

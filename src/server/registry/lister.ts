// List and watch for one resource, as kube's registry Store.List/Watch: the
// request's options validated (ValidateListOptions), selectors turned into a
// predicate, then one WatchSource (the watch cache, which hands storage what
// it cannot answer, or storage directly) serves the resourceVersion semantics.

import { badRequest, type FieldError, fieldErrors, invalid, toStatus } from '../api/errors.js';
import { type FieldSelector, parseFieldSelector } from '../api/selectors/fields.js';
import { parseLabelSelector } from '../api/selectors/labels.js';
import type { KubeList, KubeObject } from '../api/types.js';
import { createWatchSource, defaultBookmarkObject, type ResourceVersionMatch, type WatchSource } from '../watch/index.js';
import type { Lister, ListRequest, WatchRequest, WatchSink } from './list.js';
import type { Store } from './store.js';

export interface ManagedLister extends Lister {
  stop(): void;
  /** Sends periodic bookmarks; the server calls it on its bookmark timer. */
  bookmark(): void;
}

function parseRV(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

function listOptionsInvalid(errs: FieldError[]): never {
  throw invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', errs);
}

export class ResourceLister implements ManagedLister {
  constructor(
    private readonly store: Store,
    private readonly source: WatchSource,
  ) {
    store.attach({ cached: (key) => source.cached(key), list: (req) => this.list(req) });
  }

  /** A cached object by namespace and name, without touching storage (undefined when not cached). */
  cachedGet(namespace: string, name: string): KubeObject | undefined {
    return this.source.cached(this.store.key(namespace, name));
  }

  /** Builds the predicate for label and field selectors, refusing unsupported field labels. */
  private predicate(labelSelector?: string, fieldSelector?: string): ((obj: KubeObject) => boolean) | undefined {
    const labels = parseLabelSelector(labelSelector);
    const fields: FieldSelector = parseFieldSelector(fieldSelector);
    const s = this.store.strategy;
    const supported = new Set(['metadata.name', ...(s.namespaced ? ['metadata.namespace'] : []), ...(s.supportedFieldLabels ?? [])]);
    for (const r of fields.requirements) {
      if (!supported.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
    }
    if (labels.isEmpty() && fields.isEmpty()) return undefined;
    return (obj) => {
      const m = obj.metadata ?? {};
      if (!labels.matches(m.labels)) return false;
      if (fields.isEmpty()) return true;
      const f: Record<string, string> = { 'metadata.name': m.name ?? '', ...(s.fieldLabels?.(obj) ?? {}) };
      if (s.namespaced) f['metadata.namespace'] = m.namespace ?? '';
      return fields.matches(f);
    };
  }

  private async listBody(
    items: KubeObject[],
    rv: number,
    extra: { continue?: string; remainingItemCount?: number } = {},
  ): Promise<KubeList> {
    const d = this.store.descriptor;
    const metadata: KubeList['metadata'] = { resourceVersion: String(rv) };
    if (extra.continue) metadata.continue = extra.continue;
    if (extra.remainingItemCount !== undefined) metadata.remainingItemCount = extra.remainingItemCount;
    const out = this.store.converts ? await Promise.all(items.map((o) => this.store.out(o))) : items;
    return { kind: d.listKind, apiVersion: this.store.apiVersion, metadata, items: out };
  }

  async list(req: ListRequest): Promise<KubeList> {
    const prefix = this.store.listPrefix(req.namespace);
    const predicate = this.predicate(req.labelSelector, req.fieldSelector);
    const match = req.resourceVersionMatch ?? '';
    const errs: FieldError[] = [];
    if (match && req.resourceVersion === undefined)
      errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (match && req.continue)
      errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match === 'Exact' && req.resourceVersion === '0')
      errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    if (match && match !== 'Exact' && match !== 'NotOlderThan')
      errs.push(fieldErrors.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan']));
    if (errs.length) listOptionsInvalid(errs);
    if (req.continue && req.resourceVersion !== undefined && req.resourceVersion !== '' && req.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    const r = await this.source.list({
      keyPrefix: prefix,
      predicate,
      limit: req.limit && req.limit > 0 ? req.limit : 0,
      continue: req.continue,
      resourceVersion: parseRV(req.resourceVersion),
      resourceVersionMatch: match as ResourceVersionMatch,
    });
    return this.listBody(r.items, r.revision, { continue: r.continue, remainingItemCount: r.remainingItemCount });
  }

  async watch(req: WatchRequest, sink: WatchSink): Promise<{ stop(): void }> {
    const predicate = this.predicate(req.labelSelector, req.fieldSelector);
    const match = req.resourceVersionMatch ?? '';
    if (req.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      listOptionsInvalid([
        fieldErrors.forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'),
      ]);
    }
    if (match && req.sendInitialEvents === undefined) {
      listOptionsInvalid([
        fieldErrors.forbidden('resourceVersionMatch', `resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided`),
      ]);
    }
    const rv = parseRV(req.resourceVersion);
    const keyPrefix = this.store.listPrefix(req.namespace);
    // unset or "0": synthetic ADDED for the current state, then live (legacy "Get State and Start at Most Recent/Any").
    const initialEvents = req.sendInitialEvents ?? (rv === undefined || rv === 0);
    const fromRevision = initialEvents ? 0 : (rv ?? 0);
    if (this.store.converts) {
      // Conversion may be asynchronous (a webhook): keep each watcher's events in order.
      const out = sink;
      let chain = Promise.resolve();
      sink = {
        event: (ev) => {
          chain = chain
            .then(async () =>
              out.event(ev.type === 'ERROR' || ev.type === 'BOOKMARK' ? ev : { type: ev.type, object: await this.store.out(ev.object) }),
            )
            .catch((e: unknown) => {
              out.event({ type: 'ERROR', object: toStatus(e) as unknown as KubeObject });
              out.close();
            });
        },
        close: () => {
          chain = chain.then(() => out.close());
        },
      };
    }
    const handle = await this.source.watch(
      {
        keyPrefix,
        predicate,
        fromRevision,
        initialEvents: initialEvents && !req.sendInitialEvents,
        sendInitialEvents: req.sendInitialEvents === true,
        allowBookmarks: req.allowWatchBookmarks,
        minRevision: req.sendInitialEvents || !initialEvents ? rv : undefined,
      },
      sink,
    );
    return { stop: () => handle.stop() };
  }

  bookmark(): void {
    this.source.bookmarkAll();
  }

  stop(): void {
    this.source.stop();
  }
}

/** The lister over the watch cache (--watch-cache, started on return) or storage; the server's timer drives its bookmarks. */
export async function createLister(store: Store, opts: { watchCache: boolean; watchCacheSize?: number }): Promise<ResourceLister> {
  const source = await createWatchSource(store.storage, `${store.keyPrefix}/`, {
    cache: opts.watchCache,
    capacity: opts.watchCacheSize,
    bookmarkIntervalMs: 0,
    bookmarkObject: defaultBookmarkObject(store.apiVersion, store.descriptor.kind),
  });
  return new ResourceLister(store, source);
}

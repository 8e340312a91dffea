// List and watch for one resource with kube-apiserver's resourceVersion
// semantics (API Concepts, "Resource versions"; k8s.io/apiserver cacher and
// etcd3 store): which requests the watch cache answers, which go to storage,
// continue tokens, selectors, and 410/504 errors.

import { badRequest, expired, fieldErrors, invalid, StatusError, timeout, toStatus, type FieldError } from '../api/errors.js';
import type { KubeList, KubeObject } from '../api/types.js';
import { parseFieldSelector, type FieldSelector } from '../api/selectors/fields.js';
import { parseLabelSelector } from '../api/selectors/labels.js';
import { isStorageError } from '../storage/interface.js';
import { WatchCache } from '../watch/cache.js';
import { StorageWatchSource } from '../watch/storage-source.js';
import type { Lister, ListRequest, WatchRequest, WatchSink } from './list.js';
import type { Store } from './store.js';

export interface ManagedLister extends Lister {
  stop(): void;
  /** Sends periodic bookmarks; the server calls it on its bookmark timer. */
  bookmark(): void;
}

interface ContinueToken {
  rv: number;
  start: string;
}

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return { rv: t.rv, start: t.start };
  } catch {
    throw badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  }
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
  private readonly storageSource: StorageWatchSource;

  constructor(private readonly store: Store, private readonly cache: WatchCache | undefined) {
    this.storageSource = new StorageWatchSource(store.storage, `${store.keyPrefix}/`, { bookmarkObject: (r) => this.bookmarkObject(r), bookmarkIntervalMs: 0 });
    if (cache) store.attachCache((key) => cache.get(key));
  }

  /** A cached object by namespace and name, without touching storage (undefined when not cached). */
  cachedGet(namespace: string, name: string): KubeObject | undefined {
    return this.cache?.get(this.store.key(namespace, name));
  }

  private get root(): string {
    return `${this.store.keyPrefix}/`;
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
    if (labels.empty && fields.empty) return undefined;
    return (obj) => {
      const m = obj.metadata ?? {};
      if (!labels.matches(m.labels)) return false;
      if (fields.empty) return true;
      const f: Record<string, string> = { 'metadata.name': m.name ?? '', ...(s.fieldLabels?.(obj) ?? {}) };
      if (s.namespaced) f['metadata.namespace'] = m.namespace ?? '';
      return fields.matches(f);
    };
  }

  private async listBody(items: KubeObject[], rv: number, extra: { continue?: string; remainingItemCount?: number } = {}): Promise<KubeList> {
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
    if (match && req.resourceVersion === undefined) errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (match && req.continue) errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match === 'Exact' && req.resourceVersion === '0') errs.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    if (match && match !== 'Exact' && match !== 'NotOlderThan') errs.push(fieldErrors.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan']));
    if (errs.length) listOptionsInvalid(errs);
    if (req.continue && req.resourceVersion !== undefined && req.resourceVersion !== '' && req.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    const rv = parseRV(req.resourceVersion);
    const limit = req.limit && req.limit > 0 ? req.limit : 0;

    if (req.continue) {
      const token = decodeContinue(req.continue);
      return this.fromStorage(prefix, predicate, limit, token.rv > 0 ? token.rv : 0, this.root + token.start, true);
    }
    // resourceVersion="0" (any) and NotOlderThan without a limit: the watch cache.
    const fromCache = this.cache && ((rv === 0 && match !== 'Exact') || (rv !== undefined && rv > 0 && !limit && match !== 'Exact'));
    if (fromCache) {
      const r = await this.cache!.list(prefix, predicate, rv ?? 0);
      return this.listBody(r.items, r.revision);
    }
    const exact = rv !== undefined && rv > 0 && (match === 'Exact' || (!match && limit > 0));
    if (rv !== undefined && rv > 0 && !exact) {
      // NotOlderThan with a limit (or no cache): a fresh read from storage satisfies "not older".
      const current = await this.store.storage.currentRevision();
      if (rv > current) throw this.tooLarge(rv, current);
    }
    return this.fromStorage(prefix, predicate, limit, exact ? rv! : 0, undefined, false);
  }

  private tooLarge(rv: number, current: number): StatusError {
    return timeout(`Too large resource version: ${rv}, current: ${current}`, 1, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
  }

  private async fromStorage(prefix: string, predicate: ((o: KubeObject) => boolean) | undefined, limit: number, revision: number,
    startAfterKey: string | undefined, continuing: boolean): Promise<KubeList> {
    try {
      const r = await this.store.storage.list(prefix, { revision, limit, predicate, startAfterKey });
      const cont = r.more && r.lastKey ? encodeContinue(r.revision, r.lastKey.slice(this.root.length)) : undefined;
      return this.listBody(r.items, r.revision, { continue: cont, remainingItemCount: r.more ? r.remainingItemCount : undefined });
    } catch (e) {
      if (isStorageError(e, 'Compacted')) {
        if (continuing && startAfterKey) {
          // The snapshot is gone: 410 with a token that continues from the same key at the latest revision.
          const err = expired(CONTINUE_EXPIRED);
          (err.status.metadata as Record<string, unknown>).continue = encodeContinue(-1, startAfterKey.slice(this.root.length));
          throw err;
        }
        throw expired(`The resourceVersion for the provided list is too old.`);
      }
      if (isStorageError(e, 'TooLargeResourceVersion')) throw this.tooLarge(revision, e.revision ?? (await this.store.storage.currentRevision()));
      throw e;
    }
  }

  async watch(req: WatchRequest, sink: WatchSink): Promise<{ stop(): void }> {
    const predicate = this.predicate(req.labelSelector, req.fieldSelector);
    const match = req.resourceVersionMatch ?? '';
    if (req.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      listOptionsInvalid([fieldErrors.forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan')]);
    }
    if (match && req.sendInitialEvents === undefined) {
      listOptionsInvalid([fieldErrors.forbidden('resourceVersionMatch', `resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided`)]);
    }
    const rv = parseRV(req.resourceVersion);
    const keyPrefix = this.store.listPrefix(req.namespace);
    // unset or "0": synthetic ADDED for the current state, then live (legacy "Get State and Start at Most Recent/Any").
    const initialEvents = req.sendInitialEvents ?? (rv === undefined || rv === 0);
    const fromRevision = initialEvents ? 0 : rv ?? 0;
    if (this.store.converts) {
      // Conversion may be asynchronous (a webhook): keep each watcher's events in order.
      const out = sink;
      let chain = Promise.resolve();
      sink = {
        event: (ev) => {
          chain = chain.then(async () => out.event(ev.type === 'ERROR' || ev.type === 'BOOKMARK' ? ev : { type: ev.type, object: await this.store.out(ev.object) }))
            .catch((e: unknown) => { out.event({ type: 'ERROR', object: toStatus(e) as unknown as KubeObject }); out.close(); });
        },
        close: () => { chain = chain.then(() => out.close()); },
      };
    }
    // The watch cache, or with --watch-cache=false one storage watch for this client.
    const source = this.cache ?? this.storageSource;
    const handle = await source.watch({
      keyPrefix, predicate, fromRevision, initialEvents: initialEvents && !req.sendInitialEvents, sendInitialEvents: req.sendInitialEvents === true,
      allowBookmarks: req.allowWatchBookmarks, minRevision: req.sendInitialEvents || !initialEvents ? rv : undefined,
      bookmarkObject: (r) => this.bookmarkObject(r),
    }, sink);
    return { stop: () => handle.stop() };
  }

  bookmarkObject(rv: number, annotations?: Record<string, string>): KubeObject {
    const metadata: Record<string, unknown> = { resourceVersion: String(rv), creationTimestamp: null };
    if (annotations) metadata.annotations = annotations;
    return { kind: this.store.descriptor.kind, apiVersion: this.store.apiVersion, metadata };
  }

  bookmark(): void {
    this.cache?.bookmark((rv) => this.bookmarkObject(rv));
  }

  stop(): void {
    this.cache?.stop();
  }
}

export async function createLister(store: Store, opts: { watchCache: boolean; watchCacheSize?: number }): Promise<ResourceLister> {
  if (!opts.watchCache) return new ResourceLister(store, undefined);
  const cache = new WatchCache(store.storage, `${store.keyPrefix}/`, { capacity: opts.watchCacheSize });
  await cache.start();
  return new ResourceLister(store, cache);
}

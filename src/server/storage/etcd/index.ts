// The etcd backend: kube-apiserver's etcd3 store over the `etcd3` client.
// Keys are `<prefix><key>`, values JSON without resourceVersion, and
// resourceVersion is the key's mod revision. Writes are transactions that
// compare the mod revision read before (optimistic concurrency).

import { Etcd3, type IOptions } from 'etcd3';
import type { IKeyValue, IRangeRequest, IWatchResponse } from 'etcd3/lib/rpc.js';
import type { KubeObject } from '../../api/types.js';
import {
  StorageError, type DeleteOptions, type ListOptions, type ListResult, type Storage, type StorageWatch, type TryUpdate,
  type UpdateOptions, type WatchHandler, type WatchOptions,
} from '../interface.js';
import { checkPreconditions, decode, encode, sameContent } from '../codec.js';

export interface EtcdStorageConfig {
  endpoints: string[];
  prefix?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

/** The exclusive end of the range of keys starting with `prefix` (etcd's prefix range_end). */
function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

const PAGE = 1000;
const UNLIMITED_PAGE = 10_000;

export class EtcdStorage implements Storage {
  readonly kind = 'etcd' as const;
  private readonly client: Etcd3;
  private readonly prefix: string;
  private compacted = 0;

  constructor(cfg: EtcdStorageConfig) {
    const opts: IOptions = { hosts: cfg.endpoints, dialTimeout: 3000, grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } };
    if (cfg.tls && (cfg.tls.ca || cfg.tls.cert)) {
      opts.credentials = { rootCertificate: cfg.tls.ca ?? Buffer.alloc(0), certChain: cfg.tls.cert, privateKey: cfg.tls.key };
    }
    this.client = new Etcd3(opts);
    this.prefix = cfg.prefix ?? '/registry';
  }

  private full(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private strip(k: Buffer): string {
    return k.toString('utf8').slice(this.prefix.length);
  }

  private mapError(e: unknown, key: string): never {
    const msg = e instanceof Error ? e.message : String(e);
    if (/required revision has been compacted/.test(msg)) throw new StorageError('Compacted', key, msg, this.compacted);
    if (/required revision is a future revision/.test(msg)) throw new StorageError('TooLargeResourceVersion', key, msg);
    if (/UNAVAILABLE|ECONNREFUSED|No connection established|deadline/i.test(msg)) throw new StorageError('Unreachable', key, `etcd unreachable: ${msg}`);
    if (e instanceof StorageError) throw e;
    throw new StorageError('Internal', key, msg);
  }

  private kv(kv: IKeyValue): KubeObject {
    return decode(kv.value.toString('utf8'), Number(kv.mod_revision));
  }

  async create(key: string, obj: KubeObject, opts: { dryRun?: boolean } = {}): Promise<KubeObject> {
    const value = encode(obj);
    const k = this.full(key);
    if (opts.dryRun) {
      const cur = await this.rawGet(key);
      if (cur) throw new StorageError('KeyExists', key, `key ${key} already exists`);
      return decode(value, await this.currentRevision());
    }
    try {
      const res = await this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: 0 }],
        success: [{ request_put: { key: k, value: Buffer.from(value) } }],
        failure: [],
      });
      if (!res.succeeded) throw new StorageError('KeyExists', key, `key ${key} already exists`);
      return decode(value, Number(res.header.revision));
    } catch (e) {
      return this.mapError(e, key);
    }
  }

  private async rawGet(key: string): Promise<IKeyValue | undefined> {
    try {
      const res = await this.client.kv.range({ key: this.full(key) });
      return res.kvs[0];
    } catch (e) {
      return this.mapError(e, key);
    }
  }

  async get(key: string): Promise<KubeObject | null> {
    const kv = await this.rawGet(key);
    return kv ? this.kv(kv) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const p = this.full(prefix);
    if (opts.recursive === false) {
      const req: IRangeRequest = { key: p };
      if (opts.revision) req.revision = opts.revision;
      const res = await this.client.kv.range(req).catch((e) => this.mapError(e, prefix));
      return { items: res.kvs.map((kv) => this.kv(kv)), revision: Number(res.header.revision), more: false };
    }
    const end = rangeEnd(p);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let start = opts.startAfterKey ? Buffer.concat([this.full(opts.startAfterKey), Buffer.from([0])]) : p;
    let revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let more = false;
    let remaining: number | undefined;
    for (;;) {
      // Without a predicate one range call returns exactly what is needed; with one (or without a limit),
      // read in pages at one revision so no response grows past the client's message limit.
      const pageLimit = limit ? (opts.predicate ? Math.max(limit, PAGE) : limit) : UNLIMITED_PAGE;
      const req: IRangeRequest = { key: start, range_end: end, limit: pageLimit };
      if (revision) req.revision = revision;
      const res = await this.client.kv.range(req).catch((e) => this.mapError(e, prefix));
      if (!revision) revision = Number(res.header.revision);
      if (revision > Number(res.header.revision)) {
        throw new StorageError('TooLargeResourceVersion', prefix, `too large resource version: ${revision}`, Number(res.header.revision));
      }
      let stoppedEarly = false;
      for (let i = 0; i < res.kvs.length; i++) {
        const kv = res.kvs[i];
        const obj = this.kv(kv);
        if (opts.predicate && !opts.predicate(obj)) {
          lastKey = this.strip(kv.key);
          continue;
        }
        items.push(obj);
        lastKey = this.strip(kv.key);
        if (limit && items.length >= limit) {
          stoppedEarly = i < res.kvs.length - 1 || res.more;
          break;
        }
      }
      if (limit && items.length >= limit) {
        more = stoppedEarly;
        if (more && !opts.predicate) remaining = Number(res.count) - res.kvs.length;
        break;
      }
      if (!res.more) break;
      start = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
    const out: ListResult = { items, revision, more, lastKey };
    if (remaining !== undefined) out.remainingItemCount = remaining;
    return out;
  }

  async count(prefix: string): Promise<number> {
    const p = this.full(prefix);
    const res = await this.client.kv.range({ key: p, range_end: rangeEnd(p), count_only: true }).catch((e) => this.mapError(e, prefix));
    return Number(res.count);
  }

  /** A cached object as the key-value etcd would return (its resourceVersion is the mod revision). */
  private fromCache(key: string, obj: KubeObject | undefined): IKeyValue | undefined {
    const rv = obj?.metadata?.resourceVersion;
    if (!obj || !rv) return undefined;
    return { key: this.full(key), value: Buffer.from(encode(obj)), mod_revision: rv, create_revision: '0', version: '0', lease: '0' } as IKeyValue;
  }

  async guaranteedUpdate(key: string, tryUpdate: TryUpdate, opts: UpdateOptions = {}): Promise<KubeObject> {
    const k = this.full(key);
    let cur = this.fromCache(key, opts.cachedExisting) ?? (await this.rawGet(key));
    for (;;) {
      if (!cur && !opts.ignoreNotFound) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
      const curObj = cur ? this.kv(cur) : null;
      if (curObj) checkPreconditions(key, curObj, opts.preconditions);
      const next = await tryUpdate(curObj);
      const stored = cur?.value.toString('utf8');
      if (curObj && (next === curObj || sameContent(next, stored!))) {
        // Nothing to write; make sure what we compared against is still current, as kube's store does.
        const now = await this.rawGet(key);
        if (now && now.mod_revision === cur!.mod_revision) return curObj;
        cur = now;
        continue;
      }
      const value = encode(next);
      if (opts.dryRun) return decode(value, Number(cur?.mod_revision ?? (await this.currentRevision())));
      const modRev = cur ? cur.mod_revision : 0;
      const res = await this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: modRev }],
        success: [{ request_put: { key: k, value: Buffer.from(value) } }],
        failure: [{ request_range: { key: k } }],
      }).catch((e) => this.mapError(e, key));
      if (res.succeeded) return decode(value, Number(res.header.revision));
      cur = res.responses[0]?.response_range?.kvs[0];
    }
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    const k = this.full(key);
    let cur = this.fromCache(key, opts.cachedExisting) ?? (await this.rawGet(key));
    for (;;) {
      if (!cur) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
      const obj = this.kv(cur);
      checkPreconditions(key, obj, opts.preconditions);
      if (opts.validateDeletion) await opts.validateDeletion(obj);
      if (opts.dryRun) return obj;
      const res = await this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: cur.mod_revision }],
        success: [{ request_delete_range: { key: k } }],
        failure: [{ request_range: { key: k } }],
      }).catch((e) => this.mapError(e, key));
      if (res.succeeded) return decode(cur.value.toString('utf8'), Number(res.header.revision));
      cur = res.responses[0]?.response_range?.kvs[0];
    }
  }

  /**
   * etcd3's watcher silently resumes after reconnects and hides the compact
   * revision when it is cancelled; we report both as errors and stop, so the
   * watch cache relists instead of skipping events.
   */
  watch(prefix: string, opts: WatchOptions, handler: WatchHandler): StorageWatch {
    let stopped = false;
    let watcher: Awaited<ReturnType<ReturnType<Etcd3['watch']>['create']>> | undefined;
    const fail = (err: StorageError): void => {
      if (stopped) return;
      stopped = true;
      void watcher?.cancel().catch(() => undefined);
      handler.error(err);
    };
    const builder = this.client.watch();
    const p = this.prefix + prefix;
    const b = opts.recursive === false ? builder.key(p) : builder.prefix(p);
    if (opts.fromRevision > 0) b.startRevision(String(opts.fromRevision + 1));
    if (opts.prevObject) b.withPreviousKV();
    b.create().then((w) => {
      watcher = w;
      if (stopped) {
        void w.cancel().catch(() => undefined);
        return;
      }
      w.on('data', (res: IWatchResponse) => {
        if (stopped) return;
        if (res.compact_revision && res.compact_revision !== '0') {
          this.compacted = Math.max(this.compacted, Number(res.compact_revision));
          fail(new StorageError('Compacted', prefix, `required revision has been compacted`, Number(res.compact_revision)));
          return;
        }
        for (const ev of res.events) {
          const key = this.strip(ev.kv.key);
          const rev = Number(ev.kv.mod_revision);
          if (ev.type === 'Delete') {
            if (!ev.prev_kv) continue;
            const last = decode(ev.prev_kv.value.toString('utf8'), rev);
            handler.event({ type: 'DELETED', key, object: last, prevObject: opts.prevObject ? this.kv(ev.prev_kv) : undefined, revision: rev });
          } else {
            const obj = this.kv(ev.kv);
            const created = ev.kv.create_revision === ev.kv.mod_revision;
            handler.event({ type: created ? 'ADDED' : 'MODIFIED', key, object: obj, prevObject: ev.prev_kv ? this.kv(ev.prev_kv) : undefined, revision: rev });
          }
        }
      });
      w.on('error', (e: Error) => {
        const compactedErr = /compact/i.test(e.message) || /Watcher canceled/.test(e.message);
        fail(new StorageError(compactedErr ? 'Compacted' : 'Unreachable', prefix, e.message, this.compacted));
      });
      w.on('disconnected', (e: Error) => fail(new StorageError('Unreachable', prefix, `etcd watch disconnected: ${e.message}`)));
    }).catch((e: Error) => fail(new StorageError('Unreachable', prefix, e.message)));
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        void watcher?.cancel().catch(() => undefined);
      },
    };
  }

  async currentRevision(): Promise<number> {
    const res = await this.client.kv.range({ key: Buffer.from(this.prefix + '/'), limit: 1, count_only: true }).catch((e) => this.mapError(e, ''));
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.client.kv.compact({ revision });
      this.compacted = Math.max(this.compacted, revision);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/compacted/.test(msg)) {
        this.compacted = Math.max(this.compacted, revision);
        return;
      }
      this.mapError(e, '');
    }
  }

  async compactedRevision(): Promise<number> {
    return this.compacted;
  }

  async healthy(): Promise<boolean> {
    try {
      await Promise.race([
        this.client.kv.range({ key: Buffer.from('health'), count_only: true }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

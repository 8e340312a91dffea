// The etcd driver: kube-apiserver's etcd3 store reduced to key-value calls
// over the `etcd3` client. Keys are `<prefix><key>`; writes are transactions
// that compare the key's mod revision (optimistic concurrency); watches ask
// for previous values and progress notifications.

import { Etcd3, type IOptions } from 'etcd3';
import type { IKeyValue, IRangeRequest, IRangeResponse, IWatchResponse } from 'etcd3/lib/rpc.js';
import type { Backend, BackendEvent, BackendWatchHandler, KeyValue, RangeOptions, RangeResult, WriteResult } from '../backend.js';
import { StorageError, type StorageWatch } from '../interface.js';

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

/** Keys per range call when a list has no limit: no response grows past the client's message limit. */
const UNLIMITED_PAGE = 10_000;

export class EtcdBackend implements Backend {
  readonly kind = 'etcd' as const;
  private readonly client: Etcd3;
  private readonly prefix: string;
  private compacted = 0;

  constructor(cfg: EtcdStorageConfig) {
    const opts: IOptions = {
      hosts: cfg.endpoints,
      dialTimeout: 3000,
      grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    };
    if (cfg.tls && (cfg.tls.ca || cfg.tls.cert)) {
      opts.credentials = { rootCertificate: cfg.tls.ca ?? Buffer.alloc(0), certChain: cfg.tls.cert, privateKey: cfg.tls.key };
    }
    this.client = new Etcd3(opts);
    this.prefix = cfg.prefix ?? '/registry';
  }

  private full(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private kv(kv: IKeyValue): KeyValue {
    return {
      key: kv.key.toString('utf8').slice(this.prefix.length),
      value: kv.value,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  private mapError(e: unknown, key: string): never {
    const msg = e instanceof Error ? e.message : String(e);
    if (/required revision has been compacted/.test(msg)) throw new StorageError('Compacted', key, msg, this.compacted);
    if (/required revision is a future revision/.test(msg)) throw new StorageError('TooLargeResourceVersion', key, msg);
    // The client's circuit breaker opens after repeated connection failures and then fails calls at once.
    if (/UNAVAILABLE|ECONNREFUSED|No connection established|deadline|circuit breaker is open/i.test(msg))
      throw new StorageError('Unreachable', key, `etcd unreachable: ${msg}`);
    if (e instanceof StorageError) throw e;
    throw new StorageError('Internal', key, msg);
  }

  private range(req: IRangeRequest, key: string): Promise<IRangeResponse> {
    return this.client.kv.range(req).catch((e) => this.mapError(e, key));
  }

  async get(key: string): Promise<{ revision: number; kv?: KeyValue }> {
    const res = await this.range({ key: this.full(key) }, key);
    return { revision: Number(res.header.revision), kv: res.kvs[0] && this.kv(res.kvs[0]) };
  }

  async list(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    const p = this.full(prefix);
    const end = rangeEnd(p);
    let start = opts.startKey !== undefined && opts.startKey > prefix ? this.full(opts.startKey) : p;
    let revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const kvs: KeyValue[] = [];
    for (;;) {
      const req: IRangeRequest = { key: start, range_end: end, limit: limit || UNLIMITED_PAGE };
      if (revision) req.revision = revision;
      const res = await this.range(req, prefix);
      const current = Number(res.header.revision);
      if (!revision) revision = current;
      if (revision > current) throw new StorageError('TooLargeResourceVersion', prefix, `too large resource version: ${revision}`, current);
      for (const kv of res.kvs) kvs.push(this.kv(kv));
      if (limit) {
        const out: RangeResult = { kvs, revision, more: res.more };
        if (opts.count) out.count = Number(res.count);
        return out;
      }
      if (!res.more) return { kvs, revision, more: false, ...(opts.count ? { count: kvs.length } : {}) };
      start = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  async count(prefix: string): Promise<number> {
    const p = this.full(prefix);
    const res = await this.range({ key: p, range_end: rangeEnd(p), count_only: true }, prefix);
    return Number(res.count);
  }

  /** One transaction: `success` when the key's mod revision is `modRevision`, else the key's current version. */
  private async txn(key: string, modRevision: number, put: Buffer | null): Promise<WriteResult> {
    const k = this.full(key);
    const res = await this.client.kv
      .txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: modRevision }],
        success: [put ? { request_put: { key: k, value: put } } : { request_delete_range: { key: k } }],
        failure: [{ request_range: { key: k } }],
      })
      .catch((e) => this.mapError(e, key));
    if (res.succeeded) return { succeeded: true, revision: Number(res.header.revision) };
    const cur = res.responses[0]?.response_range?.kvs[0];
    return { succeeded: false, current: cur && this.kv(cur) };
  }

  async create(key: string, value: Buffer): Promise<number> {
    const k = this.full(key);
    const res = await this.client.kv
      .txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: 0 }],
        success: [{ request_put: { key: k, value } }],
        failure: [],
      })
      .catch((e) => this.mapError(e, key));
    return res.succeeded ? Number(res.header.revision) : 0;
  }

  update(key: string, value: Buffer, modRevision: number): Promise<WriteResult> {
    return this.txn(key, modRevision, value);
  }

  delete(key: string, modRevision: number): Promise<WriteResult> {
    return this.txn(key, modRevision, null);
  }

  /**
   * etcd3's watcher silently resumes after reconnects and hides the compact
   * revision when it is cancelled; we report both as errors and stop, so the
   * watch cache relists instead of skipping events.
   */
  watch(prefix: string, fromRevision: number, handler: BackendWatchHandler): StorageWatch {
    let stopped = false;
    let watcher: Awaited<ReturnType<ReturnType<Etcd3['watch']>['create']>> | undefined;
    const fail = (err: StorageError): void => {
      if (stopped) return;
      stopped = true;
      void watcher?.cancel().catch(() => undefined);
      handler.error(err);
    };
    const b = this.client
      .watch()
      .prefix(this.prefix + prefix)
      .withPreviousKV();
    if (fromRevision > 0) b.startRevision(String(fromRevision + 1));
    b.create()
      .then((w) => {
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
          if (res.events.length === 0) {
            // A progress notification: etcd sends one only for a watcher that has caught up with the store,
            // on the watcher's own channel behind its events, so every event up to this revision has arrived
            // (the client asks for them with progress_notify; etcd's --experimental-watch-progress-notify-interval
            // sets how often they come). An on-demand progress request is not sent: etcd 3.4 answers it from
            // its control channel, which can overtake events still queued for the watcher, and the etcd3
            // client cannot route its watch_id -1 answer.
            if (res.header?.revision) handler.progress(Number(res.header.revision));
            return;
          }
          for (const ev of res.events) {
            const out: BackendEvent = { type: ev.type === 'Delete' ? 'delete' : 'put', kv: this.kv(ev.kv) };
            if (ev.prev_kv) out.prevKv = this.kv(ev.prev_kv);
            handler.event(out);
          }
        });
        w.on('error', (e: Error) => {
          const compactedErr = /compact/i.test(e.message) || /Watcher canceled/.test(e.message);
          fail(new StorageError(compactedErr ? 'Compacted' : 'Unreachable', prefix, e.message, this.compacted));
        });
        w.on('disconnected', (e: Error) => fail(new StorageError('Unreachable', prefix, `etcd watch disconnected: ${e.message}`)));
      })
      .catch((e: Error) => fail(new StorageError('Unreachable', prefix, e.message)));
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        void watcher?.cancel().catch(() => undefined);
      },
    };
  }

  async currentRevision(): Promise<number> {
    const res = await this.range({ key: Buffer.from(`${this.prefix}/`), limit: 1, count_only: true }, '');
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

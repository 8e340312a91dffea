// The etcd driver: kube-apiserver's etcd3 store reduced to key-value calls
// over etcd's gRPC API (grpc.ts: node:http2 and the rpc.json messages). Keys
// are `<prefix><key>`; writes are transactions that compare the key's mod
// revision (optimistic concurrency); watches ask for previous values and
// progress notifications.

import {
  type Backend,
  type BackendEvent,
  type BackendSnapshot,
  type BackendWatchHandler,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  restorePlan,
  touches,
  type WriteResult,
} from '../backend.js';
import { StorageError, type StorageWatch } from '../interface.js';
import { GrpcClient, GrpcError, type MessageType, Status } from './grpc.js';
import {
  type KeyValueMessage,
  METHODS,
  messages,
  type RangeRequest,
  type RangeResponse,
  type TxnRequest,
  type TxnResponse,
} from './messages.js';

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

/** A decoded int64 (a number, or a Long when the `long` package is installed) as a number: revisions fit in 2^53. */
function num(v: number | { toNumber(): number } | null | undefined): number {
  return v == null ? 0 : typeof v === 'number' ? v : v.toNumber();
}

const EMPTY = Buffer.alloc(0);

/** A decoded bytes field: a Buffer, or protobufjs' shared empty default when unset. */
function bytes(v: Uint8Array | undefined): Buffer {
  return v && v.length > 0 ? (v as Buffer) : EMPTY;
}

export class EtcdBackend implements Backend {
  readonly kind = 'etcd' as const;
  private readonly client: GrpcClient;
  private readonly prefix: string;
  private compacted = 0;
  /** How each running watch is ended with an error, by its prefix (restore() ends those it changed). */
  private readonly running = new Map<(err: StorageError) => void, string>();

  constructor(cfg: EtcdStorageConfig) {
    this.client = new GrpcClient({
      endpoints: cfg.endpoints,
      dialTimeoutMs: 3000,
      maxMessageBytes: 256 * 1024 * 1024,
      tls: cfg.tls && (cfg.tls.ca || cfg.tls.cert) ? cfg.tls : undefined,
    });
    this.prefix = cfg.prefix ?? '/registry';
  }

  private full(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private kv(kv: KeyValueMessage): KeyValue {
    return {
      key: bytes(kv.key).toString('utf8').slice(this.prefix.length),
      value: bytes(kv.value),
      createRevision: num(kv.create_revision),
      modRevision: num(kv.mod_revision),
    };
  }

  private mapError(e: unknown, key: string): never {
    if (e instanceof StorageError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    // etcd answers both with OUT_OF_RANGE (mvcc.ErrCompacted, mvcc.ErrFutureRev).
    if (/required revision has been compacted/.test(msg)) throw new StorageError('Compacted', key, msg, this.compacted);
    if (/required revision is a future revision/.test(msg)) throw new StorageError('TooLargeResourceVersion', key, msg);
    if (e instanceof GrpcError ? e.code === Status.UNAVAILABLE || e.code === Status.DEADLINE_EXCEEDED : /ECONNREFUSED/.test(msg))
      throw new StorageError('Unreachable', key, `etcd unreachable: ${msg}`);
    throw new StorageError('Internal', key, msg);
  }

  private range(req: RangeRequest, key: string, timeoutMs?: number): Promise<RangeResponse> {
    return this.client
      .unary(METHODS.range, messages().RangeRequest, messages().RangeResponse, req, timeoutMs)
      .catch((e) => this.mapError(e, key));
  }

  private txnCall(req: TxnRequest, key: string): Promise<TxnResponse> {
    return this.client.unary(METHODS.txn, messages().TxnRequest, messages().TxnResponse, req).catch((e) => this.mapError(e, key));
  }

  async get(key: string): Promise<{ revision: number; kv?: KeyValue }> {
    const res = await this.range({ key: this.full(key) }, key);
    return { revision: num(res.header?.revision), kv: res.kvs[0] && this.kv(res.kvs[0]) };
  }

  async list(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    const p = this.full(prefix);
    const end = rangeEnd(p);
    let start = opts.startKey !== undefined && opts.startKey > prefix ? this.full(opts.startKey) : p;
    let revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const kvs: KeyValue[] = [];
    for (;;) {
      const req: RangeRequest = { key: start, range_end: end, limit: limit || UNLIMITED_PAGE };
      if (revision) req.revision = revision;
      const res = await this.range(req, prefix);
      const current = num(res.header?.revision);
      if (!revision) revision = current;
      if (revision > current) throw new StorageError('TooLargeResourceVersion', prefix, `too large resource version: ${revision}`, current);
      for (const kv of res.kvs) kvs.push(this.kv(kv));
      if (limit) {
        const out: RangeResult = { kvs, revision, more: res.more };
        if (opts.count) out.count = num(res.count);
        return out;
      }
      if (!res.more) return { kvs, revision, more: false, ...(opts.count ? { count: kvs.length } : {}) };
      start = Buffer.concat([bytes(res.kvs[res.kvs.length - 1].key), Buffer.from([0])]);
    }
  }

  async count(prefix: string): Promise<number> {
    const p = this.full(prefix);
    const res = await this.range({ key: p, range_end: rangeEnd(p), count_only: true }, prefix);
    return num(res.count);
  }

  /** One transaction: `success` when the key's mod revision is `modRevision`, else the key's current version. */
  private async txn(key: string, modRevision: number, put: Buffer | null): Promise<WriteResult> {
    const k = this.full(key);
    const res = await this.txnCall(
      {
        compare: [{ key: k, target: COMPARE_MOD, result: COMPARE_EQUAL, mod_revision: modRevision }],
        success: [put ? { request_put: { key: k, value: put } } : { request_delete_range: { key: k } }],
        failure: [{ request_range: { key: k } }],
      },
      key,
    );
    if (res.succeeded) return { succeeded: true, revision: num(res.header?.revision) };
    const cur = res.responses[0]?.response_range?.kvs[0];
    return { succeeded: false, current: cur && this.kv(cur) };
  }

  async create(key: string, value: Buffer): Promise<number> {
    const k = this.full(key);
    const res = await this.txnCall(
      {
        compare: [{ key: k, target: COMPARE_MOD, result: COMPARE_EQUAL, mod_revision: 0 }],
        success: [{ request_put: { key: k, value } }],
        failure: [],
      },
      key,
    );
    return res.succeeded ? num(res.header?.revision) : 0;
  }

  update(key: string, value: Buffer, modRevision: number): Promise<WriteResult> {
    return this.txn(key, modRevision, value);
  }

  delete(key: string, modRevision: number): Promise<WriteResult> {
    return this.txn(key, modRevision, null);
  }

  /**
   * One Watch call per watch. Its end, however it comes (compaction, a cancel by etcd, a lost
   * connection), is reported as an error and the watch stops: it is never resumed behind the
   * handler's back, so the watch cache relists instead of skipping events.
   */
  watch(prefix: string, fromRevision: number, handler: BackendWatchHandler): StorageWatch {
    let stopped = false;
    const p = this.full(prefix);
    const fail = (err: StorageError): void => {
      this.running.delete(fail);
      if (stopped) return;
      stopped = true;
      call.cancel();
      handler.error(err);
    };
    this.running.set(fail, prefix);
    const m = messages();
    const call = this.client.stream(METHODS.watch, m.WatchRequest, m.WatchResponse, {
      message: (res) => {
        if (stopped) return;
        if (res.canceled || num(res.compact_revision) > 0) {
          const compact = num(res.compact_revision);
          if (compact > 0) {
            this.compacted = Math.max(this.compacted, compact);
            fail(new StorageError('Compacted', prefix, 'required revision has been compacted', compact));
          } else {
            fail(new StorageError('Compacted', prefix, `Watcher canceled: ${res.cancel_reason || 'by etcd'}`, this.compacted));
          }
          return;
        }
        // The created answer: events from a past start revision may still follow it.
        if (res.created) return;
        if (res.events.length === 0) {
          // A progress notification: etcd sends one only for a watcher that has caught up with the store,
          // on the watcher's own channel behind its events, so every event up to this revision has arrived
          // (the watch asks for them with progress_notify; etcd's --experimental-watch-progress-notify-interval
          // sets how often they come). An on-demand progress request is not sent: etcd 3.4 answers it from
          // its control channel, which can overtake events still queued for the watcher.
          if (res.header?.revision) handler.progress(num(res.header.revision));
          return;
        }
        for (const ev of res.events) {
          if (!ev.kv) continue;
          const out: BackendEvent = { type: ev.type === EVENT_DELETE ? 'delete' : 'put', kv: this.kv(ev.kv) };
          if (ev.prev_kv) out.prevKv = this.kv(ev.prev_kv);
          handler.event(out);
        }
      },
      end: (err) => {
        const why = err ? err.message : 'stream ended';
        fail(new StorageError('Unreachable', prefix, `etcd watch disconnected: ${why}`));
      },
    });
    call.write({
      create_request: {
        key: p,
        range_end: rangeEnd(p),
        prev_kv: true,
        progress_notify: true,
        ...(fromRevision > 0 ? { start_revision: fromRevision + 1 } : {}),
      },
    });
    return {
      stop: () => {
        this.running.delete(fail);
        if (stopped) return;
        stopped = true;
        call.cancel();
      },
    };
  }

  async snapshot(): Promise<BackendSnapshot> {
    const r = await this.list('/');
    const kvs = new Map(r.kvs.map((kv) => [kv.key, kv]));
    return { revision: r.revision, size: kvs.size, kvs };
  }

  async restore(snap: BackendSnapshot): Promise<number> {
    return (await this.restoreState(snap)).revision;
  }

  async restoreState(snap: BackendSnapshot, opts: { empty?: boolean } = {}): Promise<BackendSnapshot> {
    // A fresh etcd's first write is revision 2.
    const cur: RangeResult = opts.empty ? { kvs: [], revision: 1, more: false } : await this.list('/');
    const ops = [...restorePlan(cur.kvs, snap)];
    let revision = cur.revision;
    // In transactions of at most etcd's default --max-txn-ops, each one revision, sent together (each key is
    // in one of them: their order does not matter).
    const batches: Array<Array<[string, Buffer | null]>> = [];
    for (let i = 0; i < ops.length; i += MAX_TXN_OPS) batches.push(ops.slice(i, i + MAX_TXN_OPS));
    const results = await Promise.all(
      batches.map((batch) =>
        this.txnCall(
          {
            compare: [],
            success: batch.map(([key, value]) =>
              value ? { request_put: { key: this.full(key), value } } : { request_delete_range: { key: this.full(key) } },
            ),
            failure: [],
          },
          '',
        ),
      ),
    );
    // The state left: the keys the plan kept as they were, each written one at its transaction's revision
    // (a key that existed keeps its create revision), the deleted ones gone.
    const kvs = new Map(cur.kvs.map((kv) => [kv.key, kv]));
    results.forEach((res, i) => {
      const rev = num(res.header?.revision);
      revision = Math.max(revision, rev);
      for (const [key, value] of batches[i]) {
        if (!value) kvs.delete(key);
        else kvs.set(key, { key, value, createRevision: kvs.get(key)?.createRevision ?? rev, modRevision: rev });
      }
    });
    const changed = ops.map(([key]) => key).sort();
    const err = new StorageError('Compacted', '', 'the store was reset to a snapshot: relist', revision);
    for (const [fail, prefix] of [...this.running]) if (touches(changed, prefix)) fail(err);
    return { revision, size: kvs.size, kvs };
  }

  async currentRevision(): Promise<number> {
    const res = await this.range({ key: Buffer.from(`${this.prefix}/`), limit: 1, count_only: true }, '');
    return num(res.header?.revision);
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.client.unary(METHODS.compact, messages().CompactionRequest, messages().CompactionResponse, { revision });
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
      await this.range({ key: Buffer.from('health'), count_only: true }, '', 2000);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** etcdserverpb.Compare.CompareTarget MOD, CompareResult EQUAL; mvccpb.Event.EventType DELETE. */
const COMPARE_MOD = 2;
const COMPARE_EQUAL = 0;
const EVENT_DELETE = 1;
/** etcd's default --max-txn-ops. */
const MAX_TXN_OPS = 128;

/**
 * Builds the gRPC messages' encoders and decoders (protobufjs generates each on its first use, tens of
 * milliseconds in all): a harness calls this while the etcd it launched starts, so the first calls to it
 * do not pay them.
 */
export function prepareEtcdClient(): void {
  const m = messages();
  for (const type of Object.values(m) as Array<MessageType<object>>) type.decode(type.encode({}).finish());
}

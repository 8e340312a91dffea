// Serving watches: a chunked HTTP/1.1 or HTTP/2 stream of JSON lines
// {"type","object"} flushed per event (k8s.io/apiserver endpoints/handlers/watch.go),
// or WebSocket frames for `Upgrade: websocket` clients.

import type { EventEmitter } from 'node:events';
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { toStatus } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { outputMedia } from '../http/negotiation.js';
import { isTrue, queryBool } from '../http/query.js';
import type { ApiRequest } from '../http/request.js';
import type { RequestInfo } from '../http/request-info.js';
import { setWarnings } from '../http/response.js';
import type { WatchEventOut, WatchRequest } from '../registry/list.js';
import { eventLine } from '../watch/encode.js';
import type { ResourceRouter, ServedResource } from './router.js';
import type { TableRenderer } from './tables/renderer.js';

/** kube-apiserver's --min-request-timeout: watches last a random time between it and twice it. */
const MIN_REQUEST_TIMEOUT_S = 1800;
/** Bytes a client may fall behind before its watch is closed (it relists and resumes). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/**
 * After the server ends a watch, how long the client gets to take the last
 * bytes in flight before the connection (HTTP/1.1, WebSocket) or stream (HTTP/2)
 * is torn down: a client that never reads must not hold it open for ever.
 */
const END_GRACE_MS = 30_000;

/** What a watch writes to: a response (HTTP/1.1 or HTTP/2), or the socket under a WebSocket. */
interface WatchTransport {
  /** Sends one encoded event line; false when the transport wants its 'drain' first. */
  write(line: Buffer): boolean;
  /** Bytes accepted but not yet handed to the network. */
  readonly writableLength: number;
}

/**
 * One watch's outgoing bytes. Lines go to the transport while it takes them;
 * behind a client that does not read they wait here, so that everything a watch
 * holds is counted in one place (kube's cacheWatcher input buffer): this queue
 * plus the transport's writableLength. Past MAX_BUFFERED_BYTES the watch is
 * terminated, as kube terminates a blocked cacheWatcher: the queue is dropped
 * (memory is freed at once), the stream ends after the bytes already in flight,
 * and the client re-watches from the last resourceVersion it saw, or relists.
 */
export class BoundedWatchWriter {
  private queue: Buffer[] = [];
  private head = 0;
  private queued = 0;
  private blocked = false;

  constructor(
    private readonly out: WatchTransport,
    drains: EventEmitter,
    private readonly onOverflow: () => void,
    private readonly limit = MAX_BUFFERED_BYTES,
  ) {
    drains.on('drain', () => this.flush());
  }

  backlog(): number {
    return this.queued + this.out.writableLength;
  }

  write(line: Buffer): void {
    if (this.blocked || this.head < this.queue.length) {
      this.queue.push(line);
      this.queued += line.length;
    } else {
      this.blocked = !this.out.write(line);
    }
    if (this.backlog() > this.limit) {
      this.drop();
      this.onOverflow();
    }
  }

  /** Forgets what has not reached the transport yet. */
  drop(): void {
    this.queue = [];
    this.head = 0;
    this.queued = 0;
  }

  private flush(): void {
    this.blocked = false;
    while (!this.blocked && this.head < this.queue.length) {
      const line = this.queue[this.head++];
      this.queued -= line.length;
      this.blocked = !this.out.write(line);
    }
    if (this.head === this.queue.length) this.drop();
  }
}

/** What a served watch reports (apiserver_registered_watchers, apiserver_watch_events_total). */
export interface WatchObserver {
  started(): void;
  ended(): void;
  /** One event written to the client. */
  sent(): void;
}

export interface WatchServerOptions {
  tables: TableRenderer;
  bookmarkIntervalMs?: number;
  minRequestTimeoutS?: number;
  /** The observer of a kind's watches, when metrics are recorded. */
  observe?: (group: string, version: string, kind: string) => WatchObserver;
}

function watchRequest(info: RequestInfo, q: URLSearchParams): WatchRequest {
  let fieldSelector = q.get('fieldSelector') ?? undefined;
  if (info.name) {
    // A watch on a single name is a field selector on metadata.name, as kube rewrites it.
    const byName = `metadata.name=${info.name}`;
    fieldSelector = fieldSelector ? `${fieldSelector},${byName}` : byName;
  }
  const sie = q.get('sendInitialEvents');
  return {
    namespace: info.namespace,
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    allowWatchBookmarks: queryBool(q, 'allowWatchBookmarks'),
    sendInitialEvents: sie === null ? undefined : isTrue(sie),
  };
}

function timeoutMs(q: URLSearchParams, minRequestTimeoutS = MIN_REQUEST_TIMEOUT_S): number {
  const t = q.get('timeoutSeconds');
  if (t !== null && /^\d+$/.test(t) && Number(t) > 0) return Number(t) * 1000;
  return (minRequestTimeoutS + Math.random() * minRequestTimeoutS) * 1000;
}

export class WatchServer {
  /** Created on the first WebSocket watch (most clients never upgrade). */
  private wss?: Promise<WebSocketServer>;
  private readonly active = new Set<() => void>();
  private readonly bookmarkTimer?: NodeJS.Timeout;

  constructor(private readonly opts: WatchServerOptions & { router?: ResourceRouter }) {}

  /** One event as a line (shared bytes for plain JSON); table watches send one-row Tables, the first with column definitions. */
  private encoder(served: ServedResource, table: boolean, q: URLSearchParams): (ev: WatchEventOut) => Buffer {
    if (!table) return (ev) => eventLine(ev);
    let first = true;
    return (ev) => {
      if (ev.type === 'ERROR' || ev.type === 'BOOKMARK') return Buffer.from(`${JSON.stringify(ev)}\n`);
      const table = this.opts.tables.objectTable(served, ev.object, q, !first);
      first = false;
      return Buffer.from(`${JSON.stringify({ type: ev.type, object: table })}\n`);
    };
  }

  /** A watch over HTTP/1.1 or HTTP/2, in the request's negotiated output (JSON lines, or one-row Tables). */
  async serve(r: ApiRequest, served: ServedResource): Promise<void> {
    const { req, res, info, query: q } = r;
    const encode = this.encoder(served, outputMedia(r.output, true).format === 'table', q);
    const observer = this.observerOf(served);
    let started = false;
    let closed = false;
    let handle: { stop(): void } | undefined;
    const writer = new BoundedWatchWriter(
      {
        write: (line) => (res as ServerResponse).write(line),
        get writableLength() {
          return res.writableLength;
        },
      },
      res,
      () => finish(),
    );
    const finish = (): void => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      this.active.delete(finish);
      if (handle) observer?.ended();
      handle?.stop();
      writer.drop();
      if (!res.writableEnded) res.end();
      if (!res.writableFinished && !res.destroyed) {
        // Ended but not flushed: the client is not reading. Give it a while, then let go of the stream.
        const grace = setTimeout(() => res.destroy(), END_GRACE_MS);
        grace.unref();
        res.once('close', () => clearTimeout(grace));
        res.once('finish', () => clearTimeout(grace));
      }
    };
    const start = (): void => {
      if (started) return;
      started = true;
      setWarnings(res, r.warnings);
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-cache, private');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      // Clients return from Watch() once headers arrive: send them before the first event.
      res.writeHead(200);
      if (res instanceof ServerResponse) res.flushHeaders();
    };
    const timer = setTimeout(finish, timeoutMs(q, this.opts.minRequestTimeoutS));
    req.on('close', finish);
    res.on('close', finish);
    this.active.add(finish);
    const sink = {
      event: (ev: WatchEventOut): void => {
        if (closed) return;
        start();
        writer.write(encode(ev));
        observer?.sent();
      },
      close: () => setImmediate(finish),
    };
    try {
      handle = await served.lister.watch(watchRequest(info, q), sink);
    } catch (e) {
      closed = true;
      clearTimeout(timer);
      this.active.delete(finish);
      if (started) {
        res.end();
        return;
      }
      throw e;
    }
    if (closed) handle.stop();
    else {
      observer?.started();
      start();
    }
  }

  private observerOf(served: ServedResource): WatchObserver | undefined {
    const d = served.descriptor;
    return this.opts.observe?.(d.group, d.version, d.kind);
  }

  /** Whether a WebSocket upgrade of this request is a watch we serve (anything else is answered as plain HTTP). */
  canUpgrade(router: ResourceRouter, info: RequestInfo): boolean {
    return (
      info.isResourceRequest &&
      info.verb === 'watch' &&
      !info.subresource &&
      router.get(info.apiGroup, info.apiVersion, info.resource) !== undefined
    );
  }

  /** WebSocket watches: the same events, one JSON text frame each. */
  upgrade(r: ApiRequest, socket: Duplex, head: Buffer, router: ResourceRouter): void {
    const { info, query: q } = r;
    const req = r.req as IncomingMessage;
    const served = router.get(info.apiGroup, info.apiVersion, info.resource);
    if (!served) {
      socket.destroy();
      return;
    }
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const base64 = protocols.includes('base64.binary.k8s.io');
    this.wss ??= import('ws').then(({ WebSocketServer: Server }) => new Server({ noServer: true, perMessageDeflate: false }));
    void this.wss.then((wss) =>
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        const encode = this.encoder(served, false, q);
        const observer = this.observerOf(served);
        let handle: { stop(): void } | undefined;
        let closed = false;
        // ws writes each frame straight to the socket: its queue is the socket's, and so is its 'drain'.
        const writer = new BoundedWatchWriter(
          {
            write: (line) => {
              const frame = line.subarray(0, line.length - 1);
              ws.send(base64 ? frame.toString('base64') : frame.toString('utf8'));
              return !socket.writableNeedDrain;
            },
            get writableLength() {
              return ws.bufferedAmount;
            },
          },
          socket,
          () => finish(),
        );
        const finish = (): void => {
          if (closed) return;
          closed = true;
          this.active.delete(finish);
          if (handle) observer?.ended();
          handle?.stop();
          writer.drop();
          // A close frame behind the bytes in flight; ws tears the socket down if the client never answers it.
          ws.close(1000);
        };
        this.active.add(finish);
        ws.on('close', finish);
        const timer = setTimeout(finish, timeoutMs(q, this.opts.minRequestTimeoutS));
        ws.on('close', () => clearTimeout(timer));
        served.lister
          .watch(watchRequest(info, q), {
            event: (ev) => {
              if (closed) return;
              writer.write(encode(ev));
              observer?.sent();
            },
            close: () => setImmediate(finish),
          })
          .then(
            (h) => {
              if (closed) {
                h.stop();
                return;
              }
              handle = h;
              observer?.started();
            },
            (e: unknown) => {
              ws.send(JSON.stringify({ type: 'ERROR', object: toStatus(e) as unknown as KubeObject }));
              finish();
            },
          );
      }),
    );
  }

  closeAll(): void {
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    for (const f of [...this.active]) f();
    void this.wss?.then((w) => w.close());
  }
}

// Serving watches: a chunked HTTP/1.1 or HTTP/2 stream of JSON lines
// {"type","object"} flushed per event (k8s.io/apiserver endpoints/handlers/watch.go),
// or WebSocket frames for `Upgrade: websocket` clients.

import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { toStatus } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { ServerRequest } from '../http/body.js';
import type { Negotiated } from '../http/negotiation.js';
import { negotiateOutput } from '../http/negotiation.js';
import type { RequestInfo } from '../http/request-info.js';
import type { AnyResponse } from '../http/response.js';
import { isTrue, queryBool } from '../http/query.js';
import { eventLine } from '../watch/encode.js';
import type { WatchEventOut, WatchRequest } from '../registry/list.js';
import type { ResourceRouter, ServedResource } from './router.js';
import type { TableRenderer } from './table.js';

/** kube-apiserver's --min-request-timeout: watches last a random time between it and twice it. */
const MIN_REQUEST_TIMEOUT_S = 1800;
/** Bytes a client may fall behind before its watch is closed (it relists and resumes). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface WatchServerOptions {
  tables: TableRenderer;
  bookmarkIntervalMs?: number;
  minRequestTimeoutS?: number;
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

  /** Encodes one event; table watches send one-row Tables, the first with column definitions. */
  /** One event as a line (shared bytes for plain JSON); table watches send one-row Tables, the first with column definitions. */
  private encoder(served: ServedResource, neg: Negotiated, q: URLSearchParams): (ev: WatchEventOut) => Buffer {
    if (neg.format !== 'table') return (ev) => eventLine(ev);
    let first = true;
    return (ev) => {
      if (ev.type === 'ERROR' || ev.type === 'BOOKMARK') return Buffer.from(JSON.stringify(ev) + '\n');
      const table = this.opts.tables.objectTable(served, ev.object, q, !first);
      first = false;
      return Buffer.from(JSON.stringify({ type: ev.type, object: table }) + '\n');
    };
  }

  async serve(req: ServerRequest, res: AnyResponse, served: ServedResource, info: RequestInfo, q: URLSearchParams, neg: Negotiated): Promise<void> {
    const encode = this.encoder(served, neg, q);
    let started = false;
    let closed = false;
    let handle: { stop(): void } | undefined;
    const finish = (): void => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      this.active.delete(finish);
      handle?.stop();
      if (!res.writableEnded) res.end();
    };
    const start = (): void => {
      if (started) return;
      started = true;
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
        (res as ServerResponse).write(encode(ev));
        if (res.writableLength > MAX_BUFFERED_BYTES) finish();
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
    else start();
  }

  /** WebSocket watches: the same events, one JSON text frame each. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, router: ResourceRouter, info: RequestInfo, q: URLSearchParams): void {
    const served = router.get(info.apiGroup, info.apiVersion, info.resource);
    if (!served || info.verb !== 'watch') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const base64 = protocols.includes('base64.binary.k8s.io');
    this.wss ??= import('ws').then(({ WebSocketServer: Server }) => new Server({ noServer: true, perMessageDeflate: false }));
    void this.wss.then((wss) => wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const encode = this.encoder(served, negotiateOutput('application/json', { tableAllowed: false }), q);
      let handle: { stop(): void } | undefined;
      let closed = false;
      const finish = (): void => {
        if (closed) return;
        closed = true;
        this.active.delete(finish);
        handle?.stop();
        ws.close();
      };
      this.active.add(finish);
      ws.on('close', finish);
      const timer = setTimeout(finish, timeoutMs(q, this.opts.minRequestTimeoutS));
      ws.on('close', () => clearTimeout(timer));
      served.lister.watch(watchRequest(info, q), {
        event: (ev) => {
          if (closed) return;
          const line = encode(ev);
          const frame = line.subarray(0, line.length - 1);
          ws.send(base64 ? frame.toString('base64') : frame.toString('utf8'));
          if (ws.bufferedAmount > MAX_BUFFERED_BYTES) finish();
        },
        close: () => setImmediate(finish),
      }).then((h) => {
        handle = h;
        if (closed) h.stop();
      }, (e: unknown) => {
        ws.send(JSON.stringify({ type: 'ERROR', object: toStatus(e) as unknown as KubeObject }));
        finish();
      });
    }));
  }

  closeAll(): void {
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    for (const f of [...this.active]) f();
    void this.wss?.then((w) => w.close());
  }
}

// Secure serving: one TLS port speaking HTTP/2 and HTTP/1.1 (kube-apiserver's
// SecureServingInfo). Client certificates are requested but not required, so
// that the authenticator can tell "no certificate" from "bad certificate".

import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { requestHeaderFieldsTooLarge } from '../api/errors.js';

export interface ServingOptions {
  certPem: string;
  keyPem: string;
  clientCaPem?: string;
  bindAddress: string;
  port: number;
  /** kube-apiserver's --http2-max-streams-per-connection default is 1000 in newer versions; Go's server uses 250. */
  maxConcurrentStreams?: number;
}

export type Handler = (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) => void;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** An HTTP/1.1 `Upgrade: websocket` request (k8s.io/apimachinery wsstream.IsWebSocketRequest). */
export function isWebSocketRequest(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  const upgrade = req.headers.upgrade;
  return (
    typeof upgrade === 'string' &&
    upgrade.toLowerCase() === 'websocket' &&
    /(^|,)\s*upgrade\s*($|,)/i.test(String(req.headers.connection ?? ''))
  );
}

/**
 * An ordinary response to a request that asked for an upgrade which is not
 * granted (refused by authentication or authorization, or not a WebSocket
 * watch): kube's filters answer such a request as any other, with a Status
 * body and the same headers. The connection closes after it, since no parser
 * reads further requests from an upgrade socket.
 */
export function plainResponse(req: IncomingMessage, socket: Duplex): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  return res;
}

/**
 * Hands the socket under a plainResponse back, untouched, to a granted upgrade:
 * nothing has been written to it, and the response no longer owns it.
 */
export function releaseSocket(res: ServerResponse, socket: Duplex): void {
  res.detachSocket(socket as Socket);
}

export interface Serving {
  server: http2.Http2SecureServer;
  port: number;
  /** Stops accepting connections; those open go on serving. */
  stopListening(): void;
  /**
   * Closes every connection once its responses have gone out: HTTP/2 sessions get a GOAWAY and end with
   * their last stream, HTTP/1.1 connections end after their current response; what is still open after
   * `graceMs` (a client that does not read) is destroyed.
   */
  close(graceMs?: number): Promise<void>;
}

/** How long close() lets responses already written reach their clients. */
const CLOSE_GRACE_MS = 1_000;

/**
 * nghttp2 answers more than 1,000 stream resets in a burst (refilled at 33/s)
 * with GOAWAY(INTERNAL_ERROR), and Node 20 cannot raise that limit. Go clients
 * reset a stream for every cancelled watch, so before the limit is near we
 * send a graceful GOAWAY: the client opens a new connection for new requests
 * while the watches already on this one carry on.
 */
const RESET_GRACE_THRESHOLD = 600;

function guardResets(session: http2.ServerHttp2Session): void {
  let resets = 0;
  let last = Date.now();
  let goneAway = false;
  session.on('stream', (stream) => {
    stream.on('aborted', () => {
      const now = Date.now();
      // The same token bucket as nghttp2's: 33 resets a second flow back.
      resets = Math.max(0, resets - Math.floor(((now - last) / 1000) * 33)) + 1;
      last = now;
      if (resets >= RESET_GRACE_THRESHOLD && !goneAway && !session.destroyed && !session.closed) {
        goneAway = true;
        session.goaway(http2.constants.NGHTTP2_NO_ERROR);
      }
    });
  });
}

/** Go's http.DefaultMaxHeaderBytes. */
export const MAX_HEADER_BYTES = 1 << 20;

/**
 * An HTTP/1.1 request the parser refused before any handler ran. Oversized
 * headers get 431 with a Status body; anything else Node's default answer
 * (400, connection closed).
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const body = JSON.stringify(requestHeaderFieldsTooLarge().status);
    socket.end(
      `HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    return;
  }
  socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
}

export function listen(opts: ServingOptions, handler: Handler, onUpgrade?: UpgradeHandler): Promise<Serving> {
  // HTTP/1.1 responses under way per connection: close() ends a connection after its last one.
  const busy = new Map<Duplex, number>();
  let closing = false;
  const h1Handler: Handler = (req, res) => {
    if (req.httpVersionMajor === 1) {
      const socket = (req as IncomingMessage).socket;
      busy.set(socket, (busy.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const n = (busy.get(socket) ?? 1) - 1;
        if (n > 0) busy.set(socket, n);
        else {
          busy.delete(socket);
          if (closing) socket.end();
        }
      });
    }
    handler(req, res);
  };
  const server = http2.createSecureServer(
    {
      cert: opts.certPem,
      key: opts.keyPem,
      ca: opts.clientCaPem,
      requestCert: !!opts.clientCaPem,
      rejectUnauthorized: false,
      allowHTTP1: true,
      // Watches are long-lived streams; Go clients open many per connection and
      // reset one each time they cancel a watch.
      settings: { maxConcurrentStreams: opts.maxConcurrentStreams ?? 250, maxHeaderListSize: MAX_HEADER_BYTES },
      // nghttp2 counts RST_STREAMs towards its flood protection; raise the session memory ceiling for watch churn.
      maxSessionMemory: 64,
      maxSessionRejectedStreams: 10_000,
      maxSessionInvalidFrames: 10_000,
      minVersion: 'TLSv1.2',
      // Go clients reset a stream each time they cancel a watch; nghttp2's rapid-reset guard would
      // close the connection after 1000 resets at 33/s. Node >= 22 exposes the limit (Node 20 ignores it).
      streamResetBurst: 100_000,
      streamResetRate: 10_000,
    } as http2.SecureServerOptions,
    h1Handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  );
  // Go's http.Server default MaxHeaderBytes (1 MiB), which kube-apiserver keeps, for both protocols:
  // the HTTP/1.1 parser reads the server's maxHeaderSize, HTTP/2 advertises SETTINGS_MAX_HEADER_LIST_SIZE.
  (server as unknown as { maxHeaderSize: number }).maxHeaderSize = MAX_HEADER_BYTES;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
  if (onUpgrade) server.on('upgrade', onUpgrade);
  const sockets = new Set<Duplex>();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    guardResets(s);
  });
  // Idle TLS connections that never complete a handshake must not keep the server alive.
  server.on('tlsClientError', () => {});
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      if (e.code === 'EADDRINUSE')
        reject(
          new Error(`port ${opts.port} on ${opts.bindAddress} is already in use: choose another with --port (or 0 for a random free port)`),
        );
      else reject(e);
    };
    server.once('error', onError);
    server.listen(opts.port, opts.bindAddress, () => {
      server.off('error', onError);
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        stopListening: () => {
          if (server.listening) server.close();
        },
        close: (graceMs = CLOSE_GRACE_MS) =>
          new Promise<void>((done) => {
            closing = true;
            let finished = false;
            const finish = (): void => {
              if (finished) return;
              finished = true;
              clearTimeout(timer);
              done();
            };
            if (server.listening) server.close(finish);
            else if (sockets.size === 0) setImmediate(finish);
            else server.once('close', finish);
            for (const s of sessions) s.close();
            // HTTP/2 connections end with their session; an upgraded one (a WebSocket watch) counts as idle.
            for (const s of sockets) if ((s as TLSSocket).alpnProtocol !== 'h2' && !busy.has(s)) s.end();
            const timer = setTimeout(() => {
              for (const s of sessions) s.destroy();
              for (const s of sockets) s.destroy();
              // A server that stopped listening earlier emits no second 'close'.
              setImmediate(finish);
            }, graceMs);
            timer.unref();
          }),
      });
    });
  });
}

// A small gRPC client over node:http2 for the few etcd calls the driver makes: unary calls
// (KV Range, Txn, Compact) and the Watch bidi stream. gRPC over HTTP/2 as the protocol spec
// (grpc/grpc doc/PROTOCOL-HTTP2.md) puts it: a POST to /<service>/<method> with
// `content-type: application/grpc` and `te: trailers`, messages framed by a compressed flag
// and a big-endian length, the status in the `grpc-status`/`grpc-message` trailers (or the
// headers of a trailers-only response). Messages are protobufjs types from rpc.json.
//
// One HTTP/2 session, dialled with the first call, each endpoint in turn (h2c for http://,
// TLS for https://), within a dial timeout. After the session errs, closes or is sent away
// (GOAWAY), the next call dials again; the calls in flight on it fail as UNAVAILABLE.

import http2 from 'node:http2';

/** gRPC status codes (grpc/grpc doc/statuscodes.md) by number. */
const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

export const Status = { CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, INTERNAL: 13, UNAVAILABLE: 14 } as const;

/** A call's non-OK status; the message reads `<code> <NAME>: <details>`, as grpc-js writes it. */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${code} ${CODE_NAMES[code] ?? 'UNKNOWN'}: ${details}`);
    this.name = 'GrpcError';
  }
}

/** A protobufjs message type, as much of it as the client uses. */
export interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
}

export interface GrpcClientConfig {
  /** `http://host:port` (h2c) or `https://host:port` (TLS); a bare `host:port` is https with `tls`, else http. */
  endpoints: string[];
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Per endpoint, until its HTTP/2 session is up (the server's SETTINGS received). */
  dialTimeoutMs?: number;
  /** Largest message accepted; a bigger one fails the call (RESOURCE_EXHAUSTED). */
  maxMessageBytes?: number;
}

/** One gRPC message in its 5-byte frame: compressed flag 0, big-endian length. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Splits a byte stream into gRPC messages, across chunk boundaries. */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxMessageBytes = 256 * 1024 * 1024) {}

  /** The messages completed by `chunk`. Throws GrpcError for compressed or oversized messages. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    while (this.buffered >= 5) {
      const head = this.chunks[0].length >= 5 ? this.chunks[0] : this.flatten();
      const length = head.readUInt32BE(1);
      if (head[0] !== 0) throw new GrpcError(Status.INTERNAL, 'compressed message received, none was asked for');
      if (length > this.maxMessageBytes) throw new GrpcError(8, `Received message larger than max (${length} vs. ${this.maxMessageBytes})`);
      if (this.buffered < 5 + length) break;
      const buf = this.chunks[0].length >= 5 + length ? this.chunks[0] : this.flatten();
      out.push(buf.subarray(5, 5 + length));
      const rest = buf.subarray(5 + length);
      this.chunks.shift();
      if (rest.length) this.chunks.unshift(rest);
      this.buffered -= 5 + length;
    }
    return out;
  }

  private flatten(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }
}

type Headers = http2.IncomingHttpHeaders;

/** The status a response carries (trailers, or the headers of a trailers-only response), if any. */
function statusOf(headers: Headers | undefined): GrpcError | null | undefined {
  const raw = headers?.['grpc-status'];
  if (raw === undefined) return undefined;
  const code = Number(raw);
  if (code === 0) return null;
  let details = String(headers?.['grpc-message'] ?? '');
  try {
    details = decodeURIComponent(details);
  } catch {
    // Not percent-encoded: kept as sent.
  }
  return new GrpcError(Number.isInteger(code) ? code : Status.UNKNOWN, details);
}

/** gRPC's mapping of an HTTP status without grpc-status (PROTOCOL-HTTP2.md, http-grpc-status-mapping.md). */
function httpStatusError(status: number): GrpcError {
  const code =
    status === 400
      ? Status.INTERNAL
      : status === 401
        ? 16
        : status === 403
          ? 7
          : status === 404
            ? 12
            : [429, 502, 503, 504].includes(status)
              ? Status.UNAVAILABLE
              : Status.UNKNOWN;
  return new GrpcError(code, `Received HTTP status code ${status}`);
}

export interface StreamHandler<Res> {
  message(res: Res): void;
  /** The call ended: null for OK, else its status. Called once; no messages follow. */
  end(err: GrpcError | null): void;
}

/** A bidi call: write requests, cancel it. */
export interface ClientStream<Req> {
  write(req: Req): void;
  /** Cancels the call (RST_STREAM CANCEL); the handler's end is not called. */
  cancel(): void;
}

const STREAM_WINDOW = 1024 * 1024;
const SESSION_WINDOW = 8 * 1024 * 1024;

export class GrpcClient {
  private readonly endpoints: string[];
  private readonly dialTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private session?: http2.ClientHttp2Session;
  private connecting?: Promise<http2.ClientHttp2Session>;
  /** The endpoint to dial first: the last one that answered. */
  private next = 0;
  /** Calls running per session: a session is ref'd only while it has some. */
  private readonly active = new WeakMap<http2.ClientHttp2Session, number>();
  private closed = false;

  constructor(private readonly cfg: GrpcClientConfig) {
    this.endpoints = cfg.endpoints.map((e) => (/^[a-z]+:\/\//i.test(e) ? e : `${cfg.tls ? 'https' : 'http'}://${e}`));
    if (this.endpoints.length === 0) throw new Error('etcd: no endpoints');
    this.dialTimeoutMs = cfg.dialTimeoutMs ?? 3000;
    this.maxMessageBytes = cfg.maxMessageBytes ?? 256 * 1024 * 1024;
  }

  private connect(): Promise<http2.ClientHttp2Session> {
    if (this.closed) return Promise.reject(new GrpcError(Status.CANCELLED, 'client closed'));
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return Promise.resolve(s);
    this.connecting ??= this.dialAny().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async dialAny(): Promise<http2.ClientHttp2Session> {
    const errors: string[] = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      const idx = (this.next + i) % this.endpoints.length;
      try {
        const s = await this.dial(this.endpoints[idx]);
        this.next = idx;
        if (this.closed) {
          s.destroy();
          throw new GrpcError(Status.CANCELLED, 'client closed');
        }
        this.session = s;
        if (!this.active.get(s)) s.unref();
        return s;
      } catch (e) {
        if (e instanceof GrpcError && e.code === Status.CANCELLED) throw e;
        errors.push(`${this.endpoints[idx]}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    throw new GrpcError(Status.UNAVAILABLE, `No connection established: ${errors.join('; ')}`);
  }

  private dial(endpoint: string): Promise<http2.ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const tls = this.cfg.tls;
      // Flow-control windows past HTTP/2's 64 KiB default: a list page of thousands of objects arrives
      // without a window update per 64 KiB.
      const opts: http2.SecureClientSessionOptions = {
        settings: { initialWindowSize: STREAM_WINDOW },
        ...(endpoint.startsWith('https:') && tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
      };
      const s = http2.connect(endpoint, opts);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`dial timeout after ${this.dialTimeoutMs}ms`));
      }, this.dialTimeoutMs);
      const onError = (e: Error): void => {
        clearTimeout(timer);
        s.destroy();
        reject(e);
      };
      s.once('error', onError);
      s.once('close', () => onError(new Error('connection closed before HTTP/2 settings')));
      // Up once the server's SETTINGS arrive: a peer that accepts but never speaks HTTP/2 times out.
      s.once('remoteSettings', () => {
        clearTimeout(timer);
        s.setLocalWindowSize(SESSION_WINDOW);
        s.off('error', onError);
        // A dead session is dropped at once: the next call dials again.
        const drop = (): void => {
          if (this.session === s) this.session = undefined;
        };
        s.on('error', drop);
        s.on('close', drop);
        s.on('goaway', () => {
          drop();
          // Streams already running finish on it; the session closes after them.
          s.close();
        });
        resolve(s);
      });
    });
  }

  /** Opens a call on the current session: ref'd while calls run, so an idle client keeps no process alive. */
  private open(s: http2.ClientHttp2Session, path: string, extra?: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
    } catch (e) {
      // The session went away between the dial and this call.
      if (this.session === s) this.session = undefined;
      throw new GrpcError(Status.UNAVAILABLE, `connection lost: ${e instanceof Error ? e.message : String(e)}`);
    }
    const n = this.active.get(s) ?? 0;
    this.active.set(s, n + 1);
    if (n === 0) s.ref();
    stream.once('close', () => {
      const left = (this.active.get(s) ?? 1) - 1;
      this.active.set(s, left);
      if (left === 0 && !s.destroyed) s.unref();
    });
    return stream;
  }

  /**
   * Reads a call's response: its messages to `onMessage`, then its status (null for OK) to `onEnd`.
   * A stream closed without a status (session lost, reset) ends as UNAVAILABLE.
   */
  private read(stream: http2.ClientHttp2Stream, onMessage: (m: Buffer) => void, onEnd: (err: GrpcError | null) => void): void {
    const parser = new FrameParser(this.maxMessageBytes);
    let status: GrpcError | null | undefined;
    let failure: GrpcError | undefined;
    let streamError: Error | undefined;
    stream.on('response', (headers) => {
      const http = Number(headers[':status']);
      status = statusOf(headers);
      if (status === undefined && http !== 200) failure = httpStatusError(http);
    });
    stream.on('trailers', (trailers) => {
      status = statusOf(trailers);
    });
    stream.on('data', (chunk: Buffer) => {
      if (failure) return;
      try {
        for (const m of parser.push(chunk)) onMessage(m);
      } catch (e) {
        failure = e instanceof GrpcError ? e : new GrpcError(Status.INTERNAL, e instanceof Error ? e.message : String(e));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
    stream.on('error', (e) => {
      streamError = e;
    });
    stream.on('close', () => {
      if (failure) return onEnd(failure);
      if (status !== undefined) return onEnd(status);
      const why = streamError?.message ?? `stream closed with code ${stream.rstCode ?? 'unknown'}`;
      onEnd(new GrpcError(Status.UNAVAILABLE, `connection lost: ${why}`));
    });
  }

  /** A unary call: one request, one response message. `timeoutMs` bounds the call (DEADLINE_EXCEEDED). */
  async unary<Req, Res>(path: string, reqType: MessageType<Req>, resType: MessageType<Res>, req: Req, timeoutMs?: number): Promise<Res> {
    const s = await this.connect();
    const body = frame(reqType.encode(req).finish());
    return new Promise<Res>((resolve, reject) => {
      const stream = this.open(s, path, timeoutMs ? { 'grpc-timeout': `${Math.ceil(timeoutMs)}m` } : undefined);
      let response: Buffer | undefined;
      let timedOut = false;
      const timer = timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            stream.close(http2.constants.NGHTTP2_CANCEL);
          }, timeoutMs)
        : undefined;
      this.read(
        stream,
        (m) => {
          response = m;
        },
        (err) => {
          clearTimeout(timer);
          if (timedOut) return reject(new GrpcError(Status.DEADLINE_EXCEEDED, 'Deadline exceeded'));
          if (err) return reject(err);
          if (!response) return reject(new GrpcError(Status.INTERNAL, 'no response message'));
          try {
            resolve(resType.decode(response) as Res);
          } catch (e) {
            reject(new GrpcError(Status.INTERNAL, `cannot decode response: ${e instanceof Error ? e.message : String(e)}`));
          }
        },
      );
      stream.end(body);
    });
  }

  /**
   * A bidi call. Dial failures and the call's end reach `handler.end` (asynchronously); a cancelled
   * call reports nothing.
   */
  stream<Req, Res>(path: string, reqType: MessageType<Req>, resType: MessageType<Res>, handler: StreamHandler<Res>): ClientStream<Req> {
    let stream: http2.ClientHttp2Stream | undefined;
    let cancelled = false;
    let ended = false;
    const pending: Req[] = [];
    const end = (err: GrpcError | null): void => {
      if (ended || cancelled) return;
      ended = true;
      handler.end(err);
    };
    const send = (req: Req): void => {
      stream!.write(frame(reqType.encode(req).finish()));
    };
    this.connect().then(
      (s) => {
        if (cancelled) return;
        try {
          stream = this.open(s, path);
        } catch (e) {
          end(e as GrpcError);
          return;
        }
        this.read(
          stream,
          (m) => {
            if (ended || cancelled) return;
            let res: Res;
            try {
              res = resType.decode(m) as Res;
            } catch (e) {
              stream!.close(http2.constants.NGHTTP2_CANCEL);
              end(new GrpcError(Status.INTERNAL, `cannot decode response: ${e instanceof Error ? e.message : String(e)}`));
              return;
            }
            handler.message(res);
          },
          end,
        );
        for (const r of pending.splice(0)) send(r);
      },
      (e: unknown) => end(e instanceof GrpcError ? e : new GrpcError(Status.UNAVAILABLE, String(e))),
    );
    return {
      write: (req) => {
        if (cancelled || ended) return;
        if (stream) send(req);
        else pending.push(req);
      },
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        if (stream && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
  }

  /** Closes the session: calls in flight end as UNAVAILABLE (their streams are destroyed). */
  close(): void {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    s?.destroy();
  }
}

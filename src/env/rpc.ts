// One object handed across a worker thread boundary, whatever its members are.
// Values cross as structured clones, except what cannot: a function (at any depth)
// crosses as a handle the other side calls back, and a class instance (FaultInjector,
// ControllerClock...) as a handle whose methods and properties are read through it.
//
// The caller's side (the test's thread) calls synchronously: it posts the call, then
// blocks on a shared word (Atomics.wait) until the host has run the call and posted
// its reply on a port read with receiveMessageOnPort. A method whose result is a
// promise answers "pending" at once and settles later over the ordinary message
// channel, so the caller blocks only for the call's synchronous part and async
// members stay async. The host's side calls the caller's functions (progress
// callbacks, admission handlers) asynchronously: the caller may be blocked, and
// answers when its event loop runs again.

import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';

const FN = '__kapiRemoteFunction';
const OBJ = '__kapiRemoteObject';

/** A Worker (caller's side) or parentPort (host's side). */
export interface Channel {
  postMessage(message: unknown, transfer?: readonly MessagePort[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A method, a prototype's accessor (enumerable, as a getter is), or an own field (read on demand, not enumerable). */
type Member = 'fn' | 'get' | 'field';
interface RemoteObject {
  [OBJ]: number;
  members: Record<string, Member>;
}
interface WireError {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
}

type Message =
  | { t: 'call'; id: number; target: number; member?: string; get?: boolean; args: unknown[]; sync?: boolean }
  | { t: 'settle'; id: number; ok?: unknown; err?: WireError }
  | { t: 'init'; state: SharedArrayBuffer; port: MessagePort };

type SyncReply = { ok?: unknown; err?: WireError; pending?: boolean };

/** The state word: 0 waiting, 1 replied, 2 the host is gone. */
const REPLIED = 1;
const GONE = 2;

/** Structured-cloneable built-ins (their methods are their prototype's, not handles). */
function cloneable(v: object): boolean {
  return (
    v instanceof Date ||
    v instanceof RegExp ||
    v instanceof Map ||
    v instanceof Set ||
    v instanceof ArrayBuffer ||
    ArrayBuffer.isView(v) ||
    v instanceof Error
  );
}

function membersOf(obj: object): Record<string, Member> {
  const members: Record<string, Member> = {};
  for (let p: object | null = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (key === 'constructor' || key in members) continue;
      const d = Object.getOwnPropertyDescriptor(p, key)!;
      members[key] = typeof d.value === 'function' ? 'fn' : p === obj ? 'field' : 'get';
    }
  }
  return members;
}

function errorToWire(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), props: {} };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (typeof v !== 'function' && typeof v !== 'object') props[k] = v;
  return { name: e.name, message: e.message, stack: e.stack, props };
}

/** Posts a reply; one that cannot be cloned (a Set of functions...) is answered with the clone error instead. */
function sendReply(port: Pick<Channel, 'postMessage'>, wrap: (v: SyncReply) => unknown, reply: () => SyncReply): void {
  try {
    port.postMessage(wrap(reply()));
  } catch (e) {
    port.postMessage(wrap({ err: errorToWire(e) }));
  }
}

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError, ReferenceError };

export interface PeerOptions {
  /** Error classes rebuilt by name on this side (instanceof holds), beside the built-in ones. */
  errorTypes?: Record<string, abstract new (...args: never[]) => Error>;
}

/** One side of the boundary: exports local values as handles, imports the other side's as stubs. */
class Peer {
  private readonly locals = new Map<number, unknown>();
  private readonly ids = new Map<unknown, number>();
  private nextLocal = 1;
  private nextCall = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly stubs = new Map<number, unknown>();
  closed: Error | undefined;

  constructor(
    protected readonly channel: Channel,
    private readonly options: PeerOptions,
  ) {}

  /** Handle 0: the object this side offers first. */
  offer(root: unknown): void {
    this.locals.set(0, root);
  }

  private handle(v: unknown): number {
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.nextLocal++;
      this.ids.set(v, id);
      this.locals.set(id, v);
    }
    return id;
  }

  /** A value as it crosses: functions and class instances become handles. */
  export(v: unknown, seen = new Map<object, unknown>()): unknown {
    if (typeof v === 'function') return { [FN]: this.handle(v) };
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return seen.get(v);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v) out.push(this.export(x, seen));
      return out;
    }
    if (cloneable(v)) return v;
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const out: RemoteObject = { [OBJ]: this.handle(v), members: membersOf(v) };
      seen.set(v, out);
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'function' ? { [FN]: this.handle(x.bind(v)) } : this.export(x, seen);
    return out;
  }

  /** A value as it arrives: handles become stubs calling back across. */
  import(v: unknown): unknown {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.import(x));
    if (cloneable(v) || Object.getPrototypeOf(v) !== Object.prototype) return v;
    const rec = v as Record<string, unknown>;
    if (typeof rec[FN] === 'number')
      return this.stub(
        rec[FN],
        () =>
          (...args: unknown[]) =>
            this.invoke(rec[FN] as number, undefined, args),
      );
    if (typeof rec[OBJ] === 'number') return this.stub(rec[OBJ], () => this.remoteObject(v as RemoteObject));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(rec)) out[k] = this.import(x);
    return out;
  }

  private stub(id: number, make: () => unknown): unknown {
    let s = this.stubs.get(id);
    if (s === undefined) this.stubs.set(id, (s = make()));
    return s;
  }

  private remoteObject(r: RemoteObject): object {
    const target = r[OBJ];
    const out: Record<string, unknown> = {};
    for (const [name, kind] of Object.entries(r.members)) {
      if (kind === 'fn') out[name] = (...args: unknown[]) => this.invoke(target, name, args);
      else Object.defineProperty(out, name, { enumerable: kind === 'get', get: () => this.read(target, name) });
    }
    return out;
  }

  /** Calls a function or method of the other side. */
  protected invoke(target: number, member: string | undefined, args: unknown[]): unknown {
    return this.post(target, member, args);
  }

  /** Reads a property of one of the other side's objects. */
  protected read(_target: number, name: string): unknown {
    throw new Error(`${name}: properties are read from the host's side only`);
  }

  /** An asynchronous call: the reply settles the promise. */
  protected post(target: number, member: string | undefined, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextCall++;
    const p = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.channel.postMessage({ t: 'call', id, target, member, args: args.map((a) => this.export(a)) } satisfies Message);
    });
    // A callback nobody awaits (a progress line) must not fail the thread with an unhandled rejection.
    p.catch(() => undefined);
    return p;
  }

  protected awaitSettle(id: number): Promise<unknown> {
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  protected allocCall(): number {
    return this.nextCall++;
  }

  error(w: WireError): Error {
    const E = this.options.errorTypes?.[w.name] ?? BUILTIN_ERRORS[w.name] ?? Error;
    // A real Error (its internal slot too) with the class's prototype, as `new E(message)` would make.
    const e = Reflect.construct(Error, [w.message], E) as Error;
    if (w.stack) Object.defineProperty(e, 'stack', { value: w.stack, writable: true, configurable: true });
    if (e.name !== w.name) Object.defineProperty(e, 'name', { value: w.name, writable: true, configurable: true });
    return Object.assign(e, w.props);
  }

  /** Runs a call of the other side's against this side's handle. */
  protected run(m: Extract<Message, { t: 'call' }>): unknown {
    const target = this.locals.get(m.target) as Record<string, unknown> | ((...a: unknown[]) => unknown) | undefined;
    if (target === undefined) throw new Error(`no such handle ${m.target} (released?)`);
    if (m.get) return (target as Record<string, unknown>)[m.member!];
    const args = m.args.map((a) => this.import(a));
    if (m.member === undefined) return (target as (...a: unknown[]) => unknown)(...args);
    const fn = (target as Record<string, unknown>)[m.member];
    if (typeof fn !== 'function') throw new TypeError(`${m.member} is not a function`);
    return fn.apply(target, args);
  }

  protected settleLater(id: number, value: unknown): void {
    Promise.resolve(value).then(
      (ok) =>
        sendReply(
          this.channel,
          (v) => ({ t: 'settle', id, ...v }),
          () => ({ ok: this.export(ok) }),
        ),
      (e) =>
        sendReply(
          this.channel,
          (v) => ({ t: 'settle', id, ...v }),
          () => ({ err: errorToWire(e) }),
        ),
    );
  }

  /** Handles this side's share of the traffic; false when the message is not ours. */
  receive(raw: unknown): boolean {
    const m = raw as Message;
    if (m?.t === 'settle') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.err) p?.reject(this.error(m.err));
      else p?.resolve(this.import(m.ok));
      return true;
    }
    if (m?.t === 'call') {
      let value: unknown;
      try {
        value = this.run(m);
      } catch (e) {
        value = Promise.reject(e);
      }
      this.settleLater(m.id, value);
      return true;
    }
    return false;
  }

  /** The other side is gone: what waits fails, later calls fail at once. */
  close(reason: Error): void {
    this.closed = reason;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    this.locals.clear();
    this.ids.clear();
  }
}

/** The test's side: its stubs call the host synchronously. */
export class CallerPeer extends Peer {
  private readonly state = new Int32Array(new SharedArrayBuffer(4));
  private readonly replies: MessagePort;

  private readonly timeoutMs: number;

  constructor(channel: Channel, options: PeerOptions & { timeoutMs?: number } = {}) {
    super(channel, options);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    channel.postMessage({ t: 'init', state: this.state.buffer as SharedArrayBuffer, port: port2 } satisfies Message, [port2]);
    channel.on('message', (m) => this.receive(m));
  }

  /**
   * Calls the host's first offer (handle 0), a function, asynchronously: until the host has loaded its
   * modules nothing answers there, and this thread must stay free meanwhile (a loader hook registered with
   * module.register may need it to load the worker's modules).
   */
  callRoot(...args: unknown[]): Promise<unknown> {
    return this.post(0, undefined, args);
  }

  protected override invoke(target: number, member: string | undefined, args: unknown[]): unknown {
    return this.sync({ target, member, args: args.map((a) => this.export(a)) });
  }

  protected override read(target: number, name: string): unknown {
    return this.sync({ target, member: name, get: true, args: [] });
  }

  private sync(call: { target: number; member?: string; get?: boolean; args: unknown[] }): unknown {
    if (this.closed) throw this.closed;
    const id = this.allocCall();
    Atomics.store(this.state, 0, 0);
    this.channel.postMessage({ t: 'call', id, sync: true, ...call } satisfies Message);
    const deadline = Date.now() + this.timeoutMs;
    let reply: { message: unknown } | undefined;
    while (!(reply = receiveMessageOnPort(this.replies))) {
      if (Atomics.load(this.state, 0) === GONE) throw new Error("the environment's worker thread has exited");
      if (Date.now() > deadline) throw new Error(`the environment's worker thread did not answer within ${this.timeoutMs} ms`);
      Atomics.wait(this.state, 0, 0, 50);
    }
    const r = reply.message as SyncReply;
    if (r.err) throw this.error(r.err);
    if (r.pending) return this.awaitSettle(id);
    return this.import(r.ok);
  }

  /** Ends the reply port (the host is stopped). */
  override close(reason: Error): void {
    super.close(reason);
    this.replies.close();
  }
}

/** The worker's side: it answers the caller's synchronous calls at once, and calls the caller's functions asynchronously. */
export class HostPeer extends Peer {
  private state: Int32Array | undefined;
  private replies: MessagePort | undefined;

  constructor(channel: Channel, root: unknown, options: PeerOptions = {}) {
    super(channel, options);
    this.offer(root);
    channel.on('message', (m) => this.receive(m));
  }

  override receive(raw: unknown): boolean {
    const m = raw as Message;
    if (m?.t === 'init') {
      this.state = new Int32Array(m.state);
      this.replies = m.port;
      return true;
    }
    if (m?.t === 'call' && m.sync) {
      sendReply(
        this.replies!,
        (v) => v,
        () => {
          try {
            const value = this.run(m);
            if (!(value instanceof Promise)) return { ok: this.export(value) };
            this.settleLater(m.id, value);
            return { pending: true };
          } catch (e) {
            return { err: errorToWire(e) };
          }
        },
      );
      this.wake(REPLIED);
      return true;
    }
    return super.receive(raw);
  }

  /** Tells a caller blocked on a call that this thread is going away. */
  gone(): void {
    this.wake(GONE);
  }

  private wake(v: number): void {
    if (!this.state) return;
    Atomics.store(this.state, 0, v);
    Atomics.notify(this.state, 0);
  }
}

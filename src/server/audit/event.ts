// One request's audit event (audit.k8s.io/v1 Event) as k8s.io/apiserver builds it:
// the request's metadata at RequestReceived (pkg/audit/request.go
// LogRequestMetadata), the request and response objects the handlers report
// (LogRequestObject, LogResponseObject; kept by level, managedFields dropped
// when the policy says so), the annotations the authorizer and admission add,
// and one JSON line per stage the policy does not omit.

import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Status, StatusDetails } from '../api/errors.js';
import { isPlainObject, type UserInfo } from '../api/types.js';
import type { ApiRequest, RequestAudit } from '../http/request.js';
import { levelAtLeast, type RequestAuditConfig, type Stage } from './policy.js';

/** authentication/v1 UserInfo as the event carries it (every field omitempty). */
export interface EventUser {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** audit.k8s.io/v1 ObjectReference (every field omitempty). */
export interface ObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

/** The metav1.Status subset the event keeps (kube copies status, message, reason, details and code). */
export interface ResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: string;
  auditID: string;
  stage: Stage;
  requestURI: string;
  verb: string;
  user: EventUser;
  impersonatedUser?: EventUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: ObjectReference;
  responseStatus?: ResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** Where events go: each backend takes an event as its JSON line; a blocking backend returns when it has it. */
export interface AuditSink {
  process(line: string, stage: Stage): void | Promise<void>;
  close?(): Promise<void>;
}

const MAX_USER_AGENT = 1024;

/** Microseconds since the epoch (metav1.MicroTime's precision). */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

let lastSecond = -1;
let lastPrefix = '';

/** metav1.MicroTime's JSON: RFC 3339 with six fraction digits, UTC (the date and time of day formatted once a second). */
export function microTime(us: number): string {
  const second = Math.floor(us / 1_000_000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  return `${lastPrefix}.${String(us % 1_000_000).padStart(6, '0')}Z`;
}

function plainIP(ip: string): string | undefined {
  const v = ip.trim().replace(/^\[|\]$/g, '');
  if (!isIP(v)) return undefined;
  // Go prints an IPv4-mapped IPv6 address as the IPv4 address.
  return v.toLowerCase().startsWith('::ffff:') && isIP(v.slice(7)) === 4 ? v.slice(7) : v;
}

/** k8s.io/apimachinery utilnet.SourceIPs: X-Forwarded-For's addresses, X-Real-Ip, then the peer's address. */
export function sourceIPs(r: ApiRequest): string[] {
  const out: string[] = [];
  const header = (name: string): string => {
    const v = r.req.headers[name];
    return (Array.isArray(v) ? v[0] : v) ?? '';
  };
  const forwarded = header('x-forwarded-for');
  if (forwarded)
    for (const part of forwarded.split(',')) {
      const ip = plainIP(part);
      if (ip) out.push(ip);
    }
  const real = header('x-real-ip') ? plainIP(header('x-real-ip')) : undefined;
  if (real && !out.includes(real)) out.push(real);
  // The peer's address is an address already (Node's), IPv4-mapped ones printed as Go prints them.
  const peer = r.req.socket?.remoteAddress;
  const remote = peer?.startsWith('::ffff:') && isIP(peer.slice(7)) === 4 ? peer.slice(7) : peer;
  if (remote && out[out.length - 1] !== remote) out.push(remote);
  return out;
}

function eventUser(u: UserInfo): EventUser {
  const out: EventUser = {};
  if (u.username) out.username = u.username;
  if (u.uid) out.uid = u.uid;
  if (u.groups.length) out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/** The copy kube's copyWithoutManagedFields makes: an object's, a list's items' or a Table's rows' managedFields dropped. */
function withoutManagedFields(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const strip = (o: unknown): unknown => {
    if (!isPlainObject(o) || !isPlainObject(o.metadata) || !('managedFields' in o.metadata)) return o;
    const { managedFields: _, ...metadata } = o.metadata;
    return { ...o, metadata };
  };
  let out = strip(value) as Record<string, unknown>;
  if (Array.isArray(out.items)) out = { ...out, items: out.items.map(strip) };
  if (out.kind === 'Table' && Array.isArray(out.rows))
    out = { ...out, rows: out.rows.map((row) => (isPlainObject(row) ? { ...row, object: strip(row.object) } : row)) };
  return out;
}

function isStatus(value: object): value is Status {
  const v = value as Partial<Status>;
  return v.kind === 'Status' && v.apiVersion === 'v1';
}

/** The Status fields the event keeps (kube's AuditContext.LogResponseObject). */
export function responseStatusOf(s: Partial<Status> & { code: number }): ResponseStatus {
  const out: ResponseStatus = { metadata: {} };
  if (s.status) out.status = s.status;
  if (s.message) out.message = s.message;
  if (s.reason) out.reason = s.reason;
  if (s.details && Object.keys(s.details).length) out.details = s.details;
  out.code = s.code;
  return out;
}

/**
 * kube's auditResponseWriter and AuditContext for one audited request. Each stage's event is one JSON
 * line in audit.k8s.io/v1 Event's field order; what every stage shares is serialized once.
 */
export class RequestAuditContext implements RequestAudit {
  readonly annotations: Record<string, string> = {};
  responseStatus: ResponseStatus | undefined;
  private readonly authenticated: UserInfo | undefined;
  private readonly objectRef: ObjectReference | undefined;
  /** `{"kind":...,"auditID":"...","stage":"` */
  private readonly head: string;
  /** `","requestURI":...,"user":{...}` */
  private readonly who: string;
  /** `,"sourceIPs":[...],"userAgent":"..."` */
  private readonly from: string;
  private readonly received: string;
  private requestJSON: string | undefined;
  private responseJSON: string | undefined;

  constructor(
    private readonly r: ApiRequest,
    readonly config: RequestAuditConfig,
    receivedUs: number,
  ) {
    const info = r.info;
    const audit = r.res.getHeader('audit-id');
    let ua = String(r.req.headers['user-agent'] ?? '');
    if (ua.length > MAX_USER_AGENT) ua = `${ua.slice(0, MAX_USER_AGENT)}...TRUNCATED`;
    this.authenticated = r.user;
    this.objectRef = info.isResourceRequest ? objectRefOf(info) : undefined;
    const auditID = JSON.stringify(typeof audit === 'string' ? audit : '');
    this.head = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"${config.level}","auditID":${auditID},"stage":"`;
    this.who = `","requestURI":${JSON.stringify(r.req.url ?? '')},"verb":${JSON.stringify(info.verb)},"user":${JSON.stringify(r.user ? eventUser(r.user) : {})}`;
    const ips = sourceIPs(r);
    this.from = `${ips.length ? `,"sourceIPs":${JSON.stringify(ips)}` : ''}${ua ? `,"userAgent":${JSON.stringify(ua)}` : ''}`;
    this.received = microTime(receivedUs);
  }

  requestObject(obj: unknown): void {
    // LogRequestObject completes the object reference from the object's metadata (a create's name) at any level.
    const meta = isPlainObject(obj) && isPlainObject(obj.metadata) ? obj.metadata : undefined;
    const ref = this.objectRef;
    if (meta && ref) {
      if (!ref.namespace && typeof meta.namespace === 'string' && meta.namespace) ref.namespace = meta.namespace;
      if (!ref.name && typeof meta.name === 'string' && meta.name) ref.name = meta.name;
      if (!ref.uid && typeof meta.uid === 'string' && meta.uid) ref.uid = meta.uid;
      if (!ref.resourceVersion && typeof meta.resourceVersion === 'string' && meta.resourceVersion)
        ref.resourceVersion = meta.resourceVersion;
    }
    if (!levelAtLeast(this.config.level, 'Request') || obj === undefined) return;
    // Encoded now, as kube encodes it now: the handlers go on to change the object they decoded.
    this.requestJSON = JSON.stringify(this.config.omitManagedFields ? withoutManagedFields(obj) : obj);
  }

  responseObject(code: number, value: object): void {
    if (isStatus(value)) this.responseStatus = responseStatusOf(value);
    else if (!this.responseStatus) this.responseStatus = { metadata: {}, code };
    if (this.config.level !== 'RequestResponse') return;
    this.responseJSON = JSON.stringify(this.config.omitManagedFields ? withoutManagedFields(value) : value);
  }

  /** The event at a stage as its JSON line; undefined when the policy omits the stage. */
  line(stage: Stage): string | undefined {
    if (this.config.omitStages.includes(stage)) return undefined;
    const received = stage === 'RequestReceived';
    let out = this.head + stage + this.who;
    const user = this.r.user;
    if (!received && user && user !== this.authenticated) out += `,"impersonatedUser":${JSON.stringify(eventUser(user))}`;
    out += this.from;
    if (this.objectRef) out += `,"objectRef":${JSON.stringify(orderedRef(this.objectRef))}`;
    if (!received) {
      if (this.responseStatus) out += `,"responseStatus":${JSON.stringify(this.responseStatus)}`;
      if (this.requestJSON !== undefined) out += `,"requestObject":${this.requestJSON}`;
      if (stage !== 'ResponseStarted' && this.responseJSON !== undefined) out += `,"responseObject":${this.responseJSON}`;
    }
    out += `,"requestReceivedTimestamp":"${this.received}","stageTimestamp":"${received ? this.received : microTime(nowMicros())}"`;
    if (!received) {
      for (const _ in this.annotations) {
        out += `,"annotations":${JSON.stringify(this.annotations)}`;
        break;
      }
    }
    return `${out}}`;
  }
}

/** A copy in the order audit.k8s.io/v1 ObjectReference serializes its fields. */
function orderedRef(r: ObjectReference): ObjectReference {
  return {
    resource: r.resource,
    namespace: r.namespace,
    name: r.name,
    uid: r.uid,
    apiGroup: r.apiGroup,
    apiVersion: r.apiVersion,
    resourceVersion: r.resourceVersion,
    subresource: r.subresource,
  };
}

/** The RequestInfo's fields as the reference has them: each omitted when empty. */
function objectRefOf(info: ApiRequest['info']): ObjectReference {
  const out: ObjectReference = {};
  if (info.resource) out.resource = info.resource;
  if (info.namespace) out.namespace = info.namespace;
  if (info.name) out.name = info.name;
  if (info.apiGroup) out.apiGroup = info.apiGroup;
  if (info.apiVersion) out.apiVersion = info.apiVersion;
  if (info.subresource) out.subresource = info.subresource;
  return out;
}

/** responsewriters' getAuthMethods: what a request whose authentication failed tried. */
export function authMethods(r: ApiRequest): string {
  const methods: string[] = [];
  const auth = String(r.req.headers.authorization ?? '').trim();
  const parts = auth.split(' ');
  if (parts.length > 1 && parts[0].toLowerCase() === 'basic') methods.push('basic');
  if (parts.length > 1 && parts[0].toLowerCase() === 'bearer') methods.push('bearer');
  const socket = r.req.socket as Partial<TLSSocket> | undefined;
  const cert = socket?.getPeerCertificate?.();
  if (cert && Object.keys(cert).length) methods.push('x509');
  return methods.length ? `Authentication failed, attempted: ${methods.join(', ')}` : 'Authentication failed, no credentials provided';
}

// Every metav1.Status the server returns is built here, so kube-apiserver's
// wording lives in one place (k8s.io/apimachinery/pkg/api/errors).

export type StatusReason =
  | ''
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'ServerTimeout'
  | 'Timeout'
  | 'TooManyRequests'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'Expired'
  | 'ServiceUnavailable';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A resource as errors name it: `configmaps` or `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export class StatusError extends Error {
  readonly status: Status;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
    // metav1.Status.reason is omitempty: an error without one (StatusReasonUnknown) sends none.
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, ...(reason ? { reason } : {}), code };
    if (details) this.status.details = omitEmpty(details);
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): StatusReason {
    return this.status.reason ?? '';
  }
}

export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}

export function successStatus(details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = omitEmpty(details);
  return s;
}

/** metav1.StatusDetails' fields are all `omitempty`: an empty group (the core group) or name is not sent. */
function omitEmpty(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes?.length) out.causes = d.causes;
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

export function conflict(gr: GroupResource, name: string, why: string): StatusError {
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, {
    name,
    group: gr.group,
    kind: gr.resource,
  });
}

/** errors.NewApplyConflict: a server-side apply refused for fields other managers own (causes of type FieldManagerConflict). */
export function applyConflict(causes: StatusCause[], message: string): StatusError {
  return new StatusError(409, 'Conflict', message, { causes });
}

export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** One field error, as field.Error in k8s.io/apimachinery/pkg/util/validation/field. */
export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The offending value; omitted for Required/Forbidden/etc. */
  badValue?: unknown;
  hasBadValue?: boolean;
  detail?: string;
}

const fieldErrorPhrase: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/**
 * A bad value already rendered as Go's %#v prints a typed value: field.Error shows
 * `v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, ...}` or
 * `intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}`, which a JSON value cannot say.
 */
export class GoValue {
  constructor(readonly text: string) {}
}

/** Go's %#v-like rendering used by field.Error for bad values. */
export function formatBadValue(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(formatBadValue).join(', ')}}`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return (
      'map[string]interface {}{' +
      Object.keys(o)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${formatBadValue(o[k])}`)
        .join(', ') +
      '}'
    );
  }
  return JSON.stringify(v);
}

export function fieldErrorMessage(e: FieldError): string {
  let s = `${e.field}: ${fieldErrorPhrase[e.type]}`;
  const withValue =
    e.hasBadValue ??
    (e.type === 'FieldValueInvalid' ||
      e.type === 'FieldValueNotSupported' ||
      e.type === 'FieldValueDuplicate' ||
      e.type === 'FieldValueTypeInvalid' ||
      e.type === 'FieldValueNotFound');
  if (withValue) s += `: ${formatBadValue(e.badValue)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

export const fieldErrors = {
  invalid: (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, detail }),
  required: (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  notSupported: (field: string, badValue: unknown, valid: string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    badValue,
    detail: valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '',
  }),
  duplicate: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, badValue }),
  tooLong: (field: string, maxLength: number): FieldError => ({
    type: 'FieldValueTooLong',
    field,
    hasBadValue: false,
    detail: `may not be more than ${maxLength} bytes`,
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    type: 'FieldValueTooMany',
    field,
    hasBadValue: true,
    detail: `must have at most ${max} items`,
    badValue: actual,
  }),
  typeInvalid: (field: string, badValue: unknown, detail: string): FieldError => ({
    type: 'FieldValueTypeInvalid',
    field,
    badValue,
    detail,
  }),
  notFound: (field: string, badValue: unknown): FieldError => ({ type: 'FieldValueNotFound', field, badValue }),
  internal: (field: string, detail: string): FieldError => ({ type: 'InternalError', field, hasBadValue: false, detail }),
};

/** 422 Invalid: `Kind.group "name" is invalid: [e1, e2]` (no brackets for one). */
export function invalid(qualifiedKind: { group: string; kind: string }, name: string, errs: FieldError[]): StatusError {
  const gk = qualifiedKind.group ? `${qualifiedKind.kind}.${qualifiedKind.group}` : qualifiedKind.kind;
  // field.ErrorList.ToAggregate: a message repeated by several checks is printed once (causes keep every error).
  const msgs = [...new Set(errs.map(fieldErrorMessage))];
  const joined = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${gk} "${name}" is invalid: ${joined}`, {
    name,
    group: qualifiedKind.group,
    kind: qualifiedKind.kind,
    causes: errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e).slice(e.field.length + 2), field: e.field })),
  });
}

export function badRequest(message: string, causes?: StatusCause[]): StatusError {
  return new StatusError(400, 'BadRequest', message, causes ? { causes } : undefined);
}

export function unauthorized(message = 'Unauthorized'): StatusError {
  return new StatusError(401, 'Unauthorized', message);
}

export function forbidden(gr: GroupResource, name: string, why: string): StatusError {
  const what = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr);
  return new StatusError(403, 'Forbidden', `${what} is forbidden: ${why}`, { name: name || undefined, group: gr.group, kind: gr.resource });
}

/** 403 for a non-resource path: NewForbidden with an empty GroupResource (`forbidden: <why>`, empty details). */
export function forbiddenPath(why: string): StatusError {
  return new StatusError(403, 'Forbidden', `forbidden: ${why}`, {});
}

export function methodNotAllowed(method: string, what: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `${method} is not supported on resources of kind ${JSON.stringify(what)}`);
}

export function notAcceptable(supported: string[]): StatusError {
  return new StatusError(406, 'NotAcceptable', `only the following media types are accepted: ${supported.join(', ')}`);
}

export function unsupportedMediaType(contentType: string, supported: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}`,
    contentType ? undefined : undefined,
  );
}

export function requestEntityTooLarge(limit: number): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** 413 with kube's NewRequestEntityTooLargeError wording: `Request entity too large: <message>`. */
export function requestEntityTooLargeMessage(message: string): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

/**
 * 422 as NewGenericServerResponse builds it for a bare error code: reason
 * Invalid, a fixed message and empty details. kube's patch handler answers
 * every JSON Patch application error this way, whatever the library said.
 */
export function unprocessableEntity(): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

/**
 * 431 for a request whose header block passes the limit (Go's
 * http.DefaultMaxHeaderBytes, 1 MiB, which kube-apiserver keeps). Go answers
 * with plain text below the API handlers; the same code carried in a Status.
 */
export function requestHeaderFieldsTooLarge(): StatusError {
  return new StatusError(431, '', 'Request Header Fields Too Large');
}

export function gone(message: string): StatusError {
  return new StatusError(410, 'Gone', message);
}

export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

export function internalError(err: unknown): StatusError {
  const msg = err instanceof Error ? err.message : String(err);
  return new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

export function timeout(message: string, retryAfterSeconds?: number, causes?: StatusCause[]): StatusError {
  const details: StatusDetails = {};
  if (causes) details.causes = causes;
  if (retryAfterSeconds !== undefined) details.retryAfterSeconds = retryAfterSeconds;
  return new StatusError(504, 'Timeout', `Timeout: ${message}`, details);
}

export function serviceUnavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message);
}

/**
 * 429 TooManyRequests as NewTooManyRequests builds it (an eviction a disruption budget refuses):
 * `retryAfterSeconds` only when positive, and the causes given.
 */
export function tooManyRequests(message: string, retryAfterSeconds: number, causes: StatusCause[] = []): StatusError {
  const details: StatusDetails = {};
  if (retryAfterSeconds > 0) details.retryAfterSeconds = retryAfterSeconds;
  if (causes.length) details.causes = causes;
  return new StatusError(429, 'TooManyRequests', message, details);
}

/** NewTooManyRequestsError: 429 TooManyRequests, `Too many requests: <message>`, no details (EventRateLimit). */
export function tooManyRequestsError(message: string): StatusError {
  return new StatusError(429, 'TooManyRequests', `Too many requests: ${message}`);
}

/**
 * A plain Go error that reached the handler (ErrorToAPIStatus's default): its text as the message,
 * no reason, 500 (or the code given).
 */
export function unknownError(message: string, code = 500): StatusError {
  return new StatusError(code, '', message);
}

/** 404 for paths nothing serves. */
export function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

/** Turns anything thrown into a Status. */
export function toStatus(e: unknown): Status {
  if (isStatusError(e)) return e.status;
  return internalError(e).status;
}

/**
 * webhookerrors.ToStatusErr: a webhook's refusal, the Status it answered kept (code at least 400,
 * status Failure), its message prefixed `admission webhook "<name>" denied the request`.
 */
export function admissionWebhookDenied(webhook: string, result: unknown): StatusError {
  const r = (typeof result === 'object' && result !== null ? result : {}) as Partial<Status> & Record<string, unknown>;
  const deniedBy = `admission webhook "${webhook}" denied the request`;
  const code = typeof r.code === 'number' && r.code >= 400 ? r.code : 400;
  const message = r.message ? `${deniedBy}: ${r.message}` : r.reason ? `${deniedBy}: ${r.reason}` : `${deniedBy} without explanation`;
  const reason = (typeof r.reason === 'string' ? r.reason : '') as StatusReason;
  const details = typeof r.details === 'object' && r.details !== null ? (r.details as StatusDetails) : undefined;
  return new StatusError(code, reason, message, details);
}

/**
 * A ValidatingAdmissionPolicy's denial: admission.NewForbidden's message (`<resource> "<name>" is
 * forbidden: ...`) with the validation's reason (Invalid by default) and reasonToCode's code.
 */
export function admissionPolicyDenied(gr: GroupResource, name: string, message: string, reason: string): StatusError {
  const codes: Record<string, number> = { Forbidden: 403, Unauthorized: 401, RequestEntityTooLarge: 413, Invalid: 422 };
  const r = (reason || 'Invalid') as StatusReason;
  return new StatusError(codes[r] ?? 422, r, `${qualifiedResource(gr)} "${name}" is forbidden: ${message}`, {
    name,
    group: gr.group,
    kind: gr.resource,
    causes: [{ message }],
  });
}

// Query and body options shared by the verb handlers, validated as kube's
// metav1 option types are (k8s.io/apimachinery/pkg/apis/meta/v1/validation).

import { badRequest, type FieldError, fieldErrors, invalid } from '../api/errors.js';
import { type FieldValidation, isPlainObject } from '../api/types.js';
import { queryBool } from '../http/query.js';
import type { DeleteParams, PropagationPolicy } from '../registry/store.js';

function optionsInvalid(kind: string, errs: FieldError[]): never {
  throw invalid({ group: 'meta.k8s.io', kind }, '', errs);
}

export function parseDryRun(q: URLSearchParams, optionsKind: string): boolean {
  const values = q.getAll('dryRun');
  if (values.length === 0) return false;
  for (const v of values) {
    if (v !== 'All') optionsInvalid(optionsKind, [fieldErrors.notSupported('dryRun', values, ['All'])]);
  }
  return true;
}

export function parseFieldValidation(q: URLSearchParams, optionsKind: string): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  return optionsInvalid(optionsKind, [fieldErrors.notSupported('fieldValidation', v, ['Ignore', 'Warn', 'Strict'])]);
}

const POLICIES: PropagationPolicy[] = ['Orphan', 'Background', 'Foreground'];

/** DeleteOptions from the body (if any) overlaid with query parameters, as kube's delete handler merges them. */
export function parseDeleteOptions(body: unknown, q: URLSearchParams): { params: DeleteParams; dryRun: boolean } {
  const o: Record<string, unknown> = isPlainObject(body) ? { ...body } : {};
  if (body !== undefined && body !== null && !isPlainObject(body))
    throw badRequest('the body of the request was not a DeleteOptions object');
  if (q.has('gracePeriodSeconds')) o.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
  if (q.has('propagationPolicy')) o.propagationPolicy = q.get('propagationPolicy');
  if (q.has('orphanDependents')) o.orphanDependents = queryBool(q, 'orphanDependents');
  const dryRunValues = q.getAll('dryRun');
  if (dryRunValues.length === 0 && Array.isArray(o.dryRun)) for (const v of o.dryRun) q.append('dryRun', String(v));
  const dryRun = parseDryRun(q, 'DeleteOptions');
  const errs: FieldError[] = [];
  if (o.orphanDependents !== undefined && o.propagationPolicy !== undefined) {
    errs.push(fieldErrors.invalid('propagationPolicy', o.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (o.propagationPolicy !== undefined && !POLICIES.includes(o.propagationPolicy as PropagationPolicy)) {
    errs.push(fieldErrors.notSupported('propagationPolicy', o.propagationPolicy, POLICIES));
  }
  if (errs.length) optionsInvalid('DeleteOptions', errs);
  const params: DeleteParams = {};
  if (typeof o.gracePeriodSeconds === 'number' && Number.isFinite(o.gracePeriodSeconds)) {
    // A negative grace period means "immediately" and is raised to 1 (store.go BeforeDelete).
    params.gracePeriodSeconds = o.gracePeriodSeconds < 0 ? 1 : o.gracePeriodSeconds;
  }
  if (o.propagationPolicy !== undefined) params.propagationPolicy = o.propagationPolicy as PropagationPolicy;
  if (typeof o.orphanDependents === 'boolean') params.orphanDependents = o.orphanDependents;
  if (isPlainObject(o.preconditions)) {
    const p = o.preconditions;
    params.preconditions = {};
    if (typeof p.uid === 'string') params.preconditions.uid = p.uid;
    if (typeof p.resourceVersion === 'string') params.preconditions.resourceVersion = p.resourceVersion;
  }
  return { params, dryRun };
}

/**
 * `limit` as kube's query parameter conversion reads it (strconv.ParseInt,
 * base 10, 64 bits): anything else is a 400 carrying strconv's error, e.g.
 * `strconv.ParseInt: parsing "abc": invalid syntax`. Zero and negative
 * limits mean "no limit".
 */
export function parseLimit(q: URLSearchParams): number | undefined {
  const raw = q.get('limit');
  if (raw === null || raw === '') return undefined;
  if (!/^[+-]?\d+$/.test(raw)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
  const n = BigInt(raw);
  if (n > 9223372036854775807n || n < -9223372036854775808n)
    throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`);
  return n > 0n ? Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : n) : undefined;
}

/** validation.FieldManagerMaxLength. */
const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * The fieldManager and force parameters as ValidateCreateOptions/ValidateUpdateOptions/ValidatePatchOptions
 * check them: an apply names its manager; force only with apply; at most 128 bytes, printable.
 */
export function parseFieldManager(
  q: URLSearchParams,
  optionsKind: string,
  patch?: { apply: boolean },
): { fieldManager: string; force: boolean } {
  const fieldManager = q.get('fieldManager') ?? '';
  const errs: FieldError[] = [];
  const forceParam = q.get('force');
  if (patch && !patch.apply && forceParam !== null) errs.push(fieldErrors.forbidden('force', 'may not be specified for non-apply patch'));
  if (patch?.apply && fieldManager === '') errs.push(fieldErrors.required('fieldManager', 'is required for apply patch'));
  if (Buffer.byteLength(fieldManager) > FIELD_MANAGER_MAX_LENGTH) errs.push(fieldErrors.tooLong('fieldManager', FIELD_MANAGER_MAX_LENGTH));
  let i = 0;
  for (const ch of fieldManager) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      const cp = ch.codePointAt(0)!;
      const u = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      errs.push(fieldErrors.invalid('fieldManager', fieldManager, `invalid character ${u} (at position ${i})`));
    }
    i += Buffer.byteLength(ch);
  }
  if (errs.length) optionsInvalid(optionsKind, errs);
  return { fieldManager, force: forceParam === 'true' };
}

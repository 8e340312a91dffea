// Strategies for the core/v1 resources served today: namespaces, configmaps,
// secrets, serviceaccounts, events. Each is a few lines on the generic store.

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isQualifiedName, nameIsDNSLabel } from '../../api/names.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import { age, ageColumn, column, countKeys, nameColumn, objName } from './printers.js';

const configKeyFmt = '[-._a-zA-Z0-9]+';
const configKeyRe = /^[-._a-zA-Z0-9]+$/;
const MAX_SECRET_SIZE = 1024 * 1024;

/** validation.IsConfigMapKey. */
function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!configKeyRe.test(key)) {
    errs.push(
      `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '${configKeyFmt}')`,
    );
  }
  if (key === '.') errs.push(`must not be '.'`);
  else if (key === '..') errs.push(`must not be '..'`);
  else if (key.startsWith('..')) errs.push(`must not start with '..'`);
  return errs;
}

function validateDataMaps(obj: KubeObject, maps: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, string>();
  let total = 0;
  for (const field of maps) {
    const m = obj[field];
    if (m === undefined || m === null) continue;
    if (!isPlainObject(m)) {
      errs.push(fieldErrors.invalid(field, m, 'must be a map'));
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      for (const msg of configKeyErrors(k)) errs.push(fieldErrors.invalid(`${field}[${k}]`, k, msg));
      if (seen.has(k)) errs.push(fieldErrors.invalid(`${field}[${k}]`, k, `duplicate of key present in ${seen.get(k)}`));
      seen.set(k, field);
      total += typeof v === 'string' ? v.length : 0;
    }
  }
  if (total > MAX_SECRET_SIZE) errs.push(fieldErrors.tooLong(maps[0], MAX_SECRET_SIZE));
  return errs;
}

/** ConfigMaps and Secrets with `immutable: true` refuse data changes (ValidateConfigMapUpdate). */
function immutableDataErrors(obj: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(fieldErrors.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!deepEqual(obj[f], old[f])) errs.push(fieldErrors.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

/** helper.IsStandardFinalizerName. */
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

const plain = { hasGeneration: false, allowUnconditionalUpdate: true, hasStatusSubresource: false } as const;

export const namespaceStrategy: Strategy = {
  ...plain,
  namespaced: false,
  hasStatusSubresource: true,
  nameValidator: nameIsDNSLabel,
  prepareForCreate(obj) {
    // The namespace controller's finalizer and the initial phase (pkg/registry/core/namespace/strategy.go).
    const spec = isPlainObject(obj.spec) ? obj.spec : {};
    const fins = Array.isArray(spec.finalizers) ? spec.finalizers : [];
    if (!fins.includes('kubernetes')) spec.finalizers = [...fins, 'kubernetes'];
    obj.spec = spec;
    obj.status = { phase: 'Active' };
    const m = obj.metadata!;
    m.labels = { ...(m.labels ?? {}), 'kubernetes.io/metadata.name': m.name ?? '' };
  },
  prepareForUpdate(obj, old, ctx) {
    // The main resource keeps spec.finalizers (only the namespace controller's /finalize changes them,
    // namespaceFinalizeStrategy); the Store keeps status for both.
    if (ctx.subresource !== 'finalize') obj.spec = old.spec;
    const m = obj.metadata!;
    m.labels = { ...(m.labels ?? {}), 'kubernetes.io/metadata.name': m.name ?? '' };
  },
  validateUpdate(obj, _old, ctx) {
    if (ctx.subresource !== 'finalize') return [];
    // ValidateNamespaceFinalizeUpdate: each finalizer a qualified name, and one without a domain a standard one.
    const fins = (isPlainObject(obj.spec) && Array.isArray(obj.spec.finalizers) ? obj.spec.finalizers : []) as unknown[];
    return fins.flatMap((f, i): FieldError[] => {
      const path = `spec.finalizers[${i}]`;
      if (typeof f !== 'string') return [fieldErrors.invalid(path, f, 'must be a string')];
      const errs = isQualifiedName(f).map((msg) => fieldErrors.invalid(path, f, msg));
      if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
        errs.push(fieldErrors.invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
      }
      return errs;
    });
  },
  pendingFinalization(obj) {
    const spec = obj.spec as { finalizers?: string[] } | undefined;
    return (spec?.finalizers ?? []).length > 0;
  },
  prepareForDeletion(obj) {
    obj.status = { ...(isPlainObject(obj.status) ? obj.status : {}), phase: 'Terminating' };
  },
  fieldLabels: (obj) => ({ 'status.phase': String((obj.status as { phase?: string } | undefined)?.phase ?? '') }),
  supportedFieldLabels: ['status.phase'],
  tableColumns: [nameColumn, column('Status', 'string', 'The status of the namespace'), ageColumn],
  tableRow: (obj) => [objName(obj), (obj.status as { phase?: string } | undefined)?.phase ?? '', age(obj.metadata?.creationTimestamp)],
};

export const configMapStrategy: Strategy = {
  ...plain,
  namespaced: true,
  validate: (obj) => validateDataMaps(obj, ['data', 'binaryData']),
  validateUpdate: (obj, old) => [
    ...validateDataMaps(obj, ['data', 'binaryData']),
    ...immutableDataErrors(obj, old, ['data', 'binaryData']),
  ],
  tableColumns: [nameColumn, column('Data', 'integer', 'Data contains the configuration data.'), ageColumn],
  tableRow: (obj) => [objName(obj), countKeys(obj.data, obj.binaryData), age(obj.metadata?.creationTimestamp)],
};

function foldStringData(obj: KubeObject): void {
  // Secret.stringData is write-only: merged into data as base64 (pkg/apis/core/v1/conversion.go).
  if (isPlainObject(obj.stringData)) {
    const data = isPlainObject(obj.data) ? obj.data : {};
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    obj.data = data;
  }
  delete obj.stringData;
}

function validateSecret(obj: KubeObject): FieldError[] {
  const errs = validateDataMaps(obj, ['data']);
  if (isPlainObject(obj.data)) {
    for (const [k, v] of Object.entries(obj.data)) {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
        errs.push(fieldErrors.invalid(`data[${k}]`, '<secret contents redacted>', 'illegal base64 data'));
      }
    }
  }
  if (obj.type === 'kubernetes.io/service-account-token') {
    const ann = obj.metadata?.annotations ?? {};
    if (!ann['kubernetes.io/service-account.name']) {
      errs.push(fieldErrors.required('metadata.annotations[kubernetes.io/service-account.name]'));
    }
  }
  return errs;
}

export const secretStrategy: Strategy = {
  ...plain,
  namespaced: true,
  prepareForCreate(obj) {
    if (!obj.type) obj.type = 'Opaque';
    foldStringData(obj);
  },
  prepareForUpdate(obj) {
    if (!obj.type) obj.type = 'Opaque';
    foldStringData(obj);
  },
  validate: validateSecret,
  validateUpdate(obj, old) {
    const errs = validateSecret(obj);
    if (obj.type !== old.type) errs.push(fieldErrors.invalid('type', obj.type, 'field is immutable'));
    return [...errs, ...immutableDataErrors(obj, old, ['data'])];
  },
  fieldLabels: (obj) => ({ type: String(obj.type ?? '') }),
  supportedFieldLabels: ['type'],
  tableColumns: [
    nameColumn,
    column('Type', 'string', 'The type of the secret'),
    column('Data', 'integer', 'The number of entries in the data'),
    ageColumn,
  ],
  tableRow: (obj) => [objName(obj), String(obj.type ?? ''), countKeys(obj.data), age(obj.metadata?.creationTimestamp)],
};

export const serviceAccountStrategy: Strategy = {
  ...plain,
  namespaced: true,
  returnDeletedObject: true,
  tableColumns: [
    nameColumn,
    column(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ),
    ageColumn,
  ],
  tableRow: (obj) => [objName(obj), Array.isArray(obj.secrets) ? obj.secrets.length : 0, age(obj.metadata?.creationTimestamp)],
};

interface EventShape {
  involvedObject?: Record<string, unknown>;
  reason?: string;
  type?: string;
  message?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  series?: { count?: number; lastObservedTime?: string };
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

function eventFields(obj: KubeObject): Record<string, string> {
  const e = obj as EventShape;
  const io = e.involvedObject ?? {};
  const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  return {
    'involvedObject.kind': s(io.kind),
    'involvedObject.namespace': s(io.namespace),
    'involvedObject.name': s(io.name),
    'involvedObject.uid': s(io.uid),
    'involvedObject.apiVersion': s(io.apiVersion),
    'involvedObject.resourceVersion': s(io.resourceVersion),
    'involvedObject.fieldPath': s(io.fieldPath),
    reason: s(e.reason),
    reportingComponent: s(e.reportingComponent),
    source: s(e.source?.component),
    type: s(e.type),
  };
}

function validateEvent(obj: KubeObject): FieldError[] {
  const e = obj as EventShape;
  const errs: FieldError[] = [];
  const ioNs = e.involvedObject?.namespace;
  if (typeof ioNs === 'string' && ioNs && ioNs !== obj.metadata?.namespace) {
    errs.push(fieldErrors.invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
  }
  return errs;
}

/**
 * Fields core/v1 Event always serialises, as its Go struct does: involvedObject
 * and source are structs, firstTimestamp/lastTimestamp/eventTime are
 * metav1.Time/MicroTime structs (`null` when zero, omitempty has no effect on
 * them), reportingComponent and reportingInstance have no omitempty.
 */
function eventWireFields(obj: KubeObject): void {
  obj.involvedObject ??= {};
  obj.source ??= {};
  obj.firstTimestamp ??= null;
  obj.lastTimestamp ??= null;
  obj.eventTime ??= null;
  obj.reportingComponent ??= '';
  obj.reportingInstance ??= '';
}

export const eventStrategy: Strategy = {
  ...plain,
  namespaced: true,
  allowCreateOnUpdate: true,
  validate: validateEvent,
  validateUpdate: validateEvent,
  canonicalize: eventWireFields,
  fieldLabels: eventFields,
  supportedFieldLabels: Object.keys(eventFields({})),
  tableColumns: [
    column('Last Seen', 'string', 'Time when last Event occurred'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
    column('Reason', 'string', 'Reason why the action was taken. It is human-readable. This field can have at most 128 characters.'),
    column('Object', 'string', 'The object this Event is about.'),
    column('Subobject', 'string', 'The subobject this Event is about.', 1),
    column('Source', 'string', 'The component reporting this event.', 1),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'Time when first Event occurred', 1),
    column('Count', 'string', 'The number of times this event has occurred', 1),
    { ...nameColumn, priority: 1 },
  ],
  tableRow(obj) {
    const e = obj as EventShape;
    const io = e.involvedObject ?? {};
    // kube's printEvent: first seen falls back to the event time; last seen to first seen, or the
    // series' last observation (its count too); a singleton (no count) counts 1.
    const first = age(e.firstTimestamp || e.eventTime);
    const last = e.series ? age(e.series.lastObservedTime) : e.lastTimestamp ? age(e.lastTimestamp) : first;
    const count = e.series ? (e.series.count ?? 0) : e.count || 1;
    const object = io.name ? `${String(io.kind ?? '').toLowerCase()}/${String(io.name)}` : String(io.kind ?? '').toLowerCase();
    // formatEventSource: the source's component and host, else the reporting controller and instance.
    const component = e.source?.component || e.reportingComponent || '';
    const instance = e.source?.host || e.reportingInstance || '';
    const source = instance ? `${component}, ${instance}` : component;
    return [last, e.type ?? '', e.reason ?? '', object, String(io.fieldPath ?? ''), source, e.message ?? '', first, count, objName(obj)];
  },
};

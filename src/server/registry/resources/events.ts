// events.k8s.io/v1 Events: the same stored objects as core/v1 Events (one
// storage under /events, as kube registers the core event storage for both
// groups), presented in the events.k8s.io shape with kube's conversion
// (pkg/apis/events/v1/conversion.go: regarding <-> involvedObject, note <->
// message, deprecated* <-> source/firstTimestamp/lastTimestamp/count,
// reportingController <-> reportingComponent). Writes through this API get the
// strict new-style validation (ValidateEventCreate/Update for events.k8s.io/v1);
// field selectors take the events.k8s.io labels and map them to the core ones.

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isDNS1123Subdomain, isQualifiedName } from '../../api/names.js';
import { deepEqual, type KubeObject } from '../../api/types.js';
import { type BuiltinResource, builtinResource } from '../builtin.js';
import type { Strategy } from '../strategy.js';
import { eventStrategy } from './core.js';
import { type Obj, objOf, strOf } from './values.js';

const API_VERSION = 'events.k8s.io/v1';

/** Copies the fields present (and non-empty where Go omits empty ones) from `from[a]` to `to[b]`. */
function copy(to: Obj, from: Obj, pairs: Array<[string, string]>): void {
  for (const [a, b] of pairs) {
    const v = from[a];
    if (v !== undefined && v !== null && v !== '' && v !== 0) to[b] = v;
  }
}

/** Convert_core_Event_To_v1_Event, serialised as events/v1.Event (its field order and omitempty rules). */
export function coreToEventsV1(core: KubeObject): KubeObject {
  const c = core as Obj;
  const out: Obj = { kind: 'Event', apiVersion: API_VERSION, metadata: core.metadata };
  out.eventTime = c.eventTime ?? null;
  copy(out, c, [
    ['series', 'series'],
    ['reportingComponent', 'reportingController'],
    ['reportingInstance', 'reportingInstance'],
    ['action', 'action'],
    ['reason', 'reason'],
  ]);
  out.regarding = objOf(c.involvedObject) ?? {};
  copy(out, c, [
    ['related', 'related'],
    ['message', 'note'],
    ['type', 'type'],
  ]);
  out.deprecatedSource = objOf(c.source) ?? {};
  out.deprecatedFirstTimestamp = c.firstTimestamp ?? null;
  out.deprecatedLastTimestamp = c.lastTimestamp ?? null;
  copy(out, c, [['count', 'deprecatedCount']]);
  return out as KubeObject;
}

/** Convert_v1_Event_To_core_Event, serialised as core/v1.Event. */
export function eventsV1ToCore(ev: KubeObject): KubeObject {
  const e = ev as Obj;
  const out: Obj = { kind: 'Event', apiVersion: 'v1', metadata: ev.metadata, involvedObject: objOf(e.regarding) ?? {} };
  copy(out, e, [
    ['reason', 'reason'],
    ['note', 'message'],
  ]);
  out.source = objOf(e.deprecatedSource) ?? {};
  out.firstTimestamp = e.deprecatedFirstTimestamp ?? null;
  out.lastTimestamp = e.deprecatedLastTimestamp ?? null;
  copy(out, e, [
    ['deprecatedCount', 'count'],
    ['type', 'type'],
  ]);
  out.eventTime = e.eventTime ?? null;
  copy(out, e, [
    ['series', 'series'],
    ['action', 'action'],
    ['related', 'related'],
  ]);
  out.reportingComponent = strOf(e.reportingController);
  out.reportingInstance = strOf(e.reportingInstance);
  const core = out as KubeObject;
  eventStrategy.canonicalize?.(core);
  return core;
}

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

/** legacyValidateEvent, on the core (internal) form: its field paths are the internal names. */
function legacyValidateEvent(e: Obj, namespace: string): FieldError[] {
  const errs: FieldError[] = [];
  const io = objOf(e.involvedObject) ?? {};
  const ioNs = strOf(io.namespace);
  const mismatch = () => errs.push(fieldErrors.invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
  if (!e.eventTime) {
    if (!ioNs) {
      if (namespace !== '' && namespace !== 'default') mismatch();
    } else if (namespace !== ioNs) mismatch();
  } else {
    if (!ioNs && namespace !== 'default' && namespace !== 'kube-system') mismatch();
    const controller = strOf(e.reportingComponent);
    if (!controller) errs.push(fieldErrors.required('reportingController'));
    for (const m of isQualifiedName(controller)) errs.push(fieldErrors.invalid('reportingController', controller, m));
    const instance = strOf(e.reportingInstance);
    if (!instance) errs.push(fieldErrors.required('reportingInstance'));
    if (instance.length > REPORTING_INSTANCE_LIMIT) {
      errs.push(fieldErrors.invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    }
    const action = strOf(e.action);
    if (!action) errs.push(fieldErrors.required('action'));
    if (action.length > ACTION_LIMIT) errs.push(fieldErrors.invalid('action', '', `can have at most ${ACTION_LIMIT} characters`));
    const reason = strOf(e.reason);
    if (!reason) errs.push(fieldErrors.required('reason'));
    if (reason.length > REASON_LIMIT) errs.push(fieldErrors.invalid('reason', '', `can have at most ${REASON_LIMIT} characters`));
    if (strOf(e.message).length > NOTE_LIMIT) errs.push(fieldErrors.invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(namespace)) errs.push(fieldErrors.invalid('namespace', namespace, m));
  return errs;
}

/** validateV1EventSeries. */
function seriesErrors(e: Obj): FieldError[] {
  const series = objOf(e.series);
  if (!series) return [];
  const errs: FieldError[] = [];
  if (typeof series.count !== 'number' || series.count < 2) errs.push(fieldErrors.invalid('series.count', '', 'should be at least 2'));
  if (!series.lastObservedTime) errs.push(fieldErrors.required('series.lastObservedTime'));
  return errs;
}

/** ValidateEventCreate for an events.k8s.io/v1 request: the legacy checks, then the new-style ones. */
function validateCreate(ev: KubeObject): FieldError[] {
  const e = eventsV1ToCore(ev) as Obj;
  const errs = legacyValidateEvent(e, ev.metadata?.namespace ?? '');
  errs.push(...seriesErrors(e));
  if (!e.eventTime) errs.push(fieldErrors.required('eventTime'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(fieldErrors.invalid('type', '', `has invalid value: ${strOf(e.type)}`));
  if (e.firstTimestamp) errs.push(fieldErrors.invalid('firstTimestamp', '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(fieldErrors.invalid('lastTimestamp', '', 'needs to be unset'));
  if (typeof e.count === 'number' && e.count !== 0) errs.push(fieldErrors.invalid('count', '', 'needs to be unset'));
  const source = objOf(e.source) ?? {};
  if (strOf(source.component) || strOf(source.host)) errs.push(fieldErrors.invalid('source', '', 'needs to be unset'));
  return errs;
}

/** Go's `%#v` of a struct-valued field in an immutability error (strings and numbers print as themselves). */
function immutableValue(v: unknown, type: string): unknown {
  return v !== null && typeof v === 'object' ? new GoValue(`${type}{...}`) : (v ?? '');
}

/** ValidateEventUpdate for an events.k8s.io/v1 request: everything but metadata and the series is immutable. */
function validateUpdate(ev: KubeObject, oldEv: KubeObject): FieldError[] {
  const e = eventsV1ToCore(ev) as Obj;
  const old = eventsV1ToCore(oldEv) as Obj;
  const errs = legacyValidateEvent(e, ev.metadata?.namespace ?? '');
  if (!deepEqual(e.series, old.series)) errs.push(...seriesErrors(e));
  const fields: Array<[string, string, string]> = [
    ['involvedObject', 'involvedObject', 'core.ObjectReference'],
    ['reason', 'reason', ''],
    ['message', 'message', ''],
    ['source', 'source', 'core.EventSource'],
    ['firstTimestamp', 'firstTimestamp', 'v1.Time'],
    ['lastTimestamp', 'lastTimestamp', 'v1.Time'],
    ['count', 'count', ''],
    ['reason', 'reason', ''],
    ['type', 'type', ''],
    ['eventTime', 'eventTime', 'v1.MicroTime'],
    ['action', 'action', ''],
    ['related', 'related', '*core.ObjectReference'],
    ['reportingComponent', 'reportingController', ''],
    ['reportingInstance', 'reportingInstance', ''],
  ];
  for (const [f, path, type] of fields) {
    if (!deepEqual(e[f] ?? null, old[f] ?? null)) errs.push(fieldErrors.invalid(path, immutableValue(e[f], type), 'field is immutable'));
  }
  return errs;
}

/** events.k8s.io/v1 field labels and the core labels the stored objects are selected by (AddFieldLabelConversionsForEvent). */
const FIELD_LABELS: Record<string, string> = {
  reason: 'reason',
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reportingController: 'reportingComponent',
  source: 'source',
  type: 'type',
};

const eventsV1Strategy: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  allowCreateOnUpdate: true,
  validate: validateCreate,
  validateUpdate: validateUpdate,
  // Selection runs on the stored (core) objects.
  fieldLabels(stored) {
    const core = eventStrategy.fieldLabels?.(stored) ?? {};
    return Object.fromEntries(Object.entries(FIELD_LABELS).map(([label, coreLabel]) => [label, core[coreLabel] ?? '']));
  },
  supportedFieldLabels: Object.keys(FIELD_LABELS),
  // The core printer, as kube prints both APIs' events from the one internal type.
  tableColumns: eventStrategy.tableColumns,
  tableRow: (obj) => eventStrategy.tableRow?.(eventsV1ToCore(obj)) ?? [],
};

export const eventsResources: BuiltinResource[] = [
  builtinResource(
    { group: 'events.k8s.io', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'] },
    eventsV1Strategy,
    'EventsV1Event',
    '/events',
    {
      conversion: {
        storageApiVersion: 'v1',
        fromStorage: (obj) => coreToEventsV1(structuredClone(obj)),
        toStorage: (obj) => eventsV1ToCore(obj),
      },
    },
  ),
];

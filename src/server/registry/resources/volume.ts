// core/v1 PersistentVolume and PersistentVolumeClaim
// (pkg/registry/core/persistentvolume{,claim}): SetDefaults_PersistentVolume
// and _PersistentVolumeClaimSpec, the Pending phase a new object starts in,
// ValidatePersistentVolume(Update) and ValidatePersistentVolumeClaim(Update)
// (a claim's spec is immutable except its storage request once bound), and
// printPersistentVolume(Claim).

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isDNS1123Subdomain, isValidPathSegmentName, type NameValidator } from '../../api/names.js';
import { compareQuantity, formatQuantity, parseQuantity, type Quantity } from '../../api/quantity.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import { nowRFC3339 } from '../meta.js';
import type { Strategy } from '../strategy.js';
import { validateLabelSelector } from '../validation/labelselector.js';
import { docColumn } from './cluster-common.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const specOf = (o: KubeObject): Obj => {
  if (!isPlainObject(o.spec)) o.spec = {};
  return o.spec as Obj;
};
const statusOf = (o: KubeObject): Obj => obj(o.status);

/** ValidatePersistentVolumeName: any path segment (the name is used as a directory name). */
export const nameIsVolumeName: NameValidator = (name, prefix) => (prefix ? [] : isValidPathSegmentName(name));

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

/** Every VolumeSource member: a pod volume names exactly one (none defaults to emptyDir, SetDefaults_Volume). */
export const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

/** The VolumeSource members only pods carry; a PersistentVolumeSource has the others and `local`. */
const POD_ONLY_SOURCES = new Set([
  'emptyDir',
  'gitRepo',
  'secret',
  'persistentVolumeClaim',
  'downwardAPI',
  'configMap',
  'projected',
  'ephemeral',
  'image',
]);

/** The PersistentVolumeSource fields: exactly one names the volume. */
const PERSISTENT_VOLUME_SOURCES = [...VOLUME_SOURCES.filter((s) => !POD_ONLY_SOURCES.has(s)), 'local'];

/** helper.GetAccessModesAsString. */
function accessModesString(modes: unknown): string {
  const set = new Set(Array.isArray(modes) ? modes.map(String) : []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** The class name: the beta annotation wins over spec.storageClassName, as kube's helpers read it. */
function className(o: KubeObject): string {
  const ann = o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (ann !== undefined) return ann;
  const c = specOf(o).storageClassName;
  return typeof c === 'string' ? c : '';
}

function quantityCell(v: unknown): string {
  const q = parseQuantity(v);
  return q ? formatQuantity(q) : v === undefined ? '0' : String(v);
}

function accessModeErrors(modes: unknown, path: string, pvc: boolean): FieldError[] {
  const list = Array.isArray(modes) ? modes.map(String) : [];
  const errs: FieldError[] = [];
  if (list.length === 0) errs.push(fieldErrors.required(path, pvc ? 'at least 1 access mode is required' : ''));
  let rwop = false;
  let other = false;
  for (const m of list) {
    if (!ACCESS_MODES.includes(m)) errs.push(fieldErrors.notSupported(path, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other) errs.push(fieldErrors.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function storageClassErrors(o: KubeObject, path: string): FieldError[] {
  const c = specOf(o).storageClassName;
  return typeof c === 'string' && c ? isDNS1123Subdomain(c).map((m) => fieldErrors.invalid(path, c, m)) : [];
}

// --- PersistentVolume ---

function validatePV(pv: KubeObject): FieldError[] {
  const s = specOf(pv);
  const errs = accessModeErrors(s.accessModes, 'spec.accessModes', false);
  const cap = obj(s.capacity);
  const keys = Object.keys(cap);
  if (keys.length === 0) errs.push(fieldErrors.required('spec.capacity'));
  if (!keys.includes('storage') || keys.length > 1) {
    const rendered = `core.ResourceList{${keys.map((k) => `${JSON.stringify(k)}:${quantityCell(cap[k])}`).join(', ')}}`;
    errs.push({ ...fieldErrors.notSupported('spec.capacity', new GoValue(rendered), ['storage']) });
  }
  for (const k of keys) {
    const q = parseQuantity(cap[k]);
    if (q && q.mantissa < 0n)
      errs.push(fieldErrors.invalid(`spec.capacity[${k}]`, new GoValue(formatQuantity(q)), 'must be greater than or equal to 0'));
  }
  const sources = PERSISTENT_VOLUME_SOURCES.filter((f) => s[f] !== undefined && s[f] !== null);
  if (sources.length === 0) errs.push(fieldErrors.required('spec', 'must specify a volume type'));
  else if (sources.length > 1) errs.push(fieldErrors.forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
  const hostPath = obj(s.hostPath);
  if (s.hostPath !== undefined && !hostPath.path) errs.push(fieldErrors.required('spec.hostPath.path'));
  const local = obj(s.local);
  if (s.local !== undefined && !local.path) errs.push(fieldErrors.required('spec.local.path'));
  if (s.local !== undefined && !s.nodeAffinity) errs.push(fieldErrors.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  const nfs = obj(s.nfs);
  if (s.nfs !== undefined) {
    if (!nfs.server) errs.push(fieldErrors.required('spec.nfs.server'));
    if (!nfs.path) errs.push(fieldErrors.required('spec.nfs.path'));
    else if (!String(nfs.path).startsWith('/')) errs.push(fieldErrors.invalid('spec.nfs.path', nfs.path, 'must be an absolute path'));
  }
  const csi = obj(s.csi);
  if (s.csi !== undefined) {
    if (!csi.driver) errs.push(fieldErrors.required('spec.csi.driver'));
    if (!csi.volumeHandle) errs.push(fieldErrors.required('spec.csi.volumeHandle'));
  }
  const policy = s.persistentVolumeReclaimPolicy;
  if (typeof policy === 'string' && policy && !RECLAIM_POLICIES.includes(policy)) {
    errs.push(fieldErrors.notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES));
  }
  if (policy === 'Recycle' && s.hostPath !== undefined && /^\/+$/.test(String(hostPath.path ?? ''))) {
    errs.push(fieldErrors.forbidden('spec.persistentVolumeReclaimPolicy', "may not be 'recycle' for a hostPath mount of '/'"));
  }
  if (s.volumeMode !== undefined && !VOLUME_MODES.includes(String(s.volumeMode))) {
    errs.push(fieldErrors.notSupported('spec.volumeMode', s.volumeMode, VOLUME_MODES));
  }
  errs.push(...storageClassErrors(pv, 'spec.storageClassName'));
  return errs;
}

/** A cmp.Diff-like rendering of what changed between two specs (kube's message carries cmp's diff). */
function specDiff(type: string, oldSpec: Obj, newSpec: Obj, fields?: string[]): string {
  const keys = fields ?? [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines = [`  ${type}{`];
  for (const k of keys) {
    if (deepEqual(oldSpec[k], newSpec[k])) continue;
    const goName = k.charAt(0).toUpperCase() + k.slice(1);
    if (oldSpec[k] !== undefined) lines.push(`- \t${goName}: ${JSON.stringify(oldSpec[k])},`);
    if (newSpec[k] !== undefined) lines.push(`+ \t${goName}: ${JSON.stringify(newSpec[k])},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

function validatePVUpdate(pv: KubeObject, old: KubeObject): FieldError[] {
  const errs = validatePV(pv);
  const s = specOf(pv);
  const o = specOf(old);
  const src = (x: Obj): Obj => Object.fromEntries(PERSISTENT_VOLUME_SOURCES.filter((f) => x[f] !== undefined).map((f) => [f, x[f]]));
  if (!deepEqual(src(s), src(o))) {
    errs.push(
      fieldErrors.forbidden(
        'spec.persistentvolumesource',
        `spec.persistentvolumesource is immutable after creation\n${specDiff('core.PersistentVolumeSource', src(o), src(s))}`,
      ),
    );
  }
  if (s.volumeMode !== o.volumeMode) errs.push(fieldErrors.invalid('volumeMode', s.volumeMode ?? null, 'field is immutable'));
  if (o.nodeAffinity !== undefined && !deepEqual(s.nodeAffinity, o.nodeAffinity)) {
    errs.push(
      fieldErrors.invalid(
        'nodeAffinity',
        new GoValue('&core.VolumeNodeAffinity{...}'),
        'field is immutable, except for updating from beta label to GA',
      ),
    );
  }
  return errs;
}

/** SetDefaults_PersistentVolume (the phase defaults on every read in kube; status is always set here). */
function defaultPV(pv: KubeObject): void {
  const s = specOf(pv);
  if (!s.persistentVolumeReclaimPolicy) s.persistentVolumeReclaimPolicy = 'Retain';
  if (s.volumeMode === undefined || s.volumeMode === null) s.volumeMode = 'Filesystem';
  const status = isPlainObject(pv.status) ? pv.status : {};
  if (!status.phase) status.phase = 'Pending';
  pv.status = status;
}

export const persistentVolumeStrategy: Strategy = {
  namespaced: false,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  nameValidator: nameIsVolumeName,
  prepareForCreate(pv) {
    // A new volume starts Pending, with the time it got there (PersistentVolumeLastPhaseTransitionTime, GA in 1.31).
    pv.status = { phase: 'Pending', lastPhaseTransitionTime: nowRFC3339() };
    defaultPV(pv);
  },
  defaults: defaultPV,
  prepareForUpdate(pv, old, ctx) {
    defaultPV(pv);
    if (ctx.subresource !== 'status') return;
    const s = statusOf(pv);
    const o = statusOf(old);
    if (s.phase === o.phase && s.lastPhaseTransitionTime === undefined) {
      if (o.lastPhaseTransitionTime !== undefined) s.lastPhaseTransitionTime = o.lastPhaseTransitionTime;
    } else if (
      s.phase !== o.phase &&
      (s.lastPhaseTransitionTime === undefined || s.lastPhaseTransitionTime === o.lastPhaseTransitionTime)
    ) {
      s.lastPhaseTransitionTime = nowRFC3339();
    }
  },
  validate: validatePV,
  validateUpdate: (pv, old, ctx) => (ctx.subresource === 'status' ? [] : validatePVUpdate(pv, old)),
  tableColumns: [
    nameColumn,
    docColumn('Capacity', 'string', 'V1PersistentVolumeSpec', 'capacity'),
    docColumn('Access Modes', 'string', 'V1PersistentVolumeSpec', 'accessModes'),
    docColumn('Reclaim Policy', 'string', 'V1PersistentVolumeSpec', 'persistentVolumeReclaimPolicy'),
    docColumn('Status', 'string', 'V1PersistentVolumeStatus', 'phase'),
    docColumn('Claim', 'string', 'V1PersistentVolumeSpec', 'claimRef'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    docColumn('Reason', 'string', 'V1PersistentVolumeStatus', 'reason'),
    ageColumn,
    docColumn('VolumeMode', 'string', 'V1PersistentVolumeSpec', 'volumeMode', 1),
  ],
  tableRow(pv) {
    const s = specOf(pv);
    const claim = obj(s.claimRef);
    const claimCell = s.claimRef ? `${claim.namespace ?? ''}/${claim.name ?? ''}` : '';
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : String(statusOf(pv).phase ?? '');
    return [
      objName(pv),
      quantityCell(obj(s.capacity).storage),
      accessModesString(s.accessModes),
      String(s.persistentVolumeReclaimPolicy ?? ''),
      phase,
      claimCell,
      className(pv),
      typeof s.volumeAttributesClassName === 'string' ? s.volumeAttributesClassName : '<unset>',
      String(statusOf(pv).reason ?? ''),
      age(pv.metadata?.creationTimestamp),
      typeof s.volumeMode === 'string' ? s.volumeMode : '<unset>',
    ];
  },
};

// --- PersistentVolumeClaim ---

function storageRequest(o: KubeObject): unknown {
  return obj(obj(specOf(o).resources).requests).storage;
}

function validatePVC(pvc: KubeObject): FieldError[] {
  const s = specOf(pvc);
  const errs = accessModeErrors(s.accessModes, 'spec.accessModes', true);
  if (s.selector !== undefined && s.selector !== null) errs.push(...validateLabelSelector(s.selector, 'spec.selector'));
  const raw = storageRequest(pvc);
  if (raw === undefined) errs.push(fieldErrors.required('spec.resources[storage]'));
  else {
    const q = parseQuantity(raw);
    if (q && q.mantissa <= 0n)
      errs.push(fieldErrors.invalid('spec.resources[storage]', new GoValue(formatQuantity(q)), 'must be greater than zero'));
  }
  errs.push(...storageClassErrors(pvc, 'spec.storageClassName'));
  if (s.volumeMode !== undefined && !VOLUME_MODES.includes(String(s.volumeMode))) {
    errs.push(fieldErrors.notSupported('spec.volumeMode', s.volumeMode, VOLUME_MODES));
  }
  return errs;
}

/** The Go field order of PersistentVolumeClaimSpec, for the immutability message's diff. */
const PVC_SPEC_FIELDS = [
  'accessModes',
  'selector',
  'resources',
  'volumeName',
  'storageClassName',
  'volumeMode',
  'dataSource',
  'dataSourceRef',
  'volumeAttributesClassName',
];

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is immutable except volumeName (set once, when binding)
 * and, for a bound claim, the storage request (expansion) and volumeAttributesClassName.
 */
function validatePVCUpdate(pvc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validatePVC(pvc);
  const s = structuredClone(specOf(pvc));
  const o = structuredClone(specOf(old));
  if (!o.volumeName) o.volumeName = s.volumeName;
  const bound = statusOf(pvc).phase === 'Bound';
  if (bound && isPlainObject(obj(s.resources).requests)) {
    const req = obj(obj(s.resources).requests);
    const oldStorage = obj(obj(o.resources).requests).storage;
    if (oldStorage === undefined) delete req.storage;
    else req.storage = oldStorage;
  }
  if (bound && s.volumeAttributesClassName !== undefined) s.volumeAttributesClassName = o.volumeAttributesClassName;
  // An unset class may take the annotation's value or a default class once (validateStorageClassUpgradeFromNil).
  if (o.storageClassName === undefined && s.storageClassName !== undefined) o.storageClassName = s.storageClassName;
  const sameStorage = (a: Obj, b: Obj): boolean => {
    const qa = parseQuantity(obj(obj(a.resources).requests).storage);
    const qb = parseQuantity(obj(obj(b.resources).requests).storage);
    return qa && qb ? compareQuantity(qa, qb) === 0 : deepEqual(obj(a.resources).requests, obj(b.resources).requests);
  };
  const strip = (x: Obj): Obj => {
    const c = structuredClone(x);
    if (isPlainObject(c.resources) && isPlainObject(c.resources.requests)) delete c.resources.requests.storage;
    return c;
  };
  if (!deepEqual(strip(s), strip(o)) || !sameStorage(s, o)) {
    errs.push(
      fieldErrors.forbidden(
        'spec',
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff('core.PersistentVolumeClaimSpec', o, s, PVC_SPEC_FIELDS)}`,
      ),
    );
  }
  const newSize = parseQuantity(storageRequest(pvc));
  const oldSize = parseQuantity(storageRequest(old));
  if (newSize && oldSize && compareQuantity(newSize, oldSize) < 0) {
    // RecoverVolumeExpansionFailure (beta in 1.32): a request may shrink, never to or below status.capacity.
    const cap: Quantity | undefined = parseQuantity(obj(statusOf(old).capacity).storage);
    if (!cap || compareQuantity(newSize, cap) <= 0) {
      errs.push(fieldErrors.forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
    }
  }
  if (specOf(pvc).volumeMode !== specOf(old).volumeMode)
    errs.push(fieldErrors.invalid('volumeMode', specOf(pvc).volumeMode ?? null, 'field is immutable'));
  return errs;
}

/** SetDefaults_PersistentVolumeClaimSpec and the Pending phase SetDefaults_PersistentVolumeClaim gives. */
function defaultPVC(pvc: KubeObject): void {
  const s = specOf(pvc);
  if (s.volumeMode === undefined || s.volumeMode === null) s.volumeMode = 'Filesystem';
  const status = isPlainObject(pvc.status) ? pvc.status : {};
  if (!status.phase) status.phase = 'Pending';
  pvc.status = status;
}

export const persistentVolumeClaimStrategy: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  nameValidator: nameIsVolumeName,
  prepareForCreate(pvc) {
    pvc.status = {};
    defaultPVC(pvc);
  },
  prepareForUpdate: defaultPVC,
  defaults: defaultPVC,
  validate: validatePVC,
  validateUpdate: (pvc, old, ctx) => (ctx.subresource === 'status' ? [] : validatePVCUpdate(pvc, old)),
  // PersistentVolumeClaimSpec.resources is a struct: always serialised.
  canonicalize(pvc) {
    const s = specOf(pvc);
    if (!isPlainObject(s.resources)) s.resources = {};
  },
  tableColumns: [
    nameColumn,
    docColumn('Status', 'string', 'V1PersistentVolumeClaimStatus', 'phase'),
    docColumn('Volume', 'string', 'V1PersistentVolumeClaimSpec', 'volumeName'),
    docColumn('Capacity', 'string', 'V1PersistentVolumeClaimStatus', 'capacity'),
    docColumn('Access Modes', 'string', 'V1PersistentVolumeClaimStatus', 'accessModes'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn,
    docColumn('VolumeMode', 'string', 'V1PersistentVolumeClaimSpec', 'volumeMode', 1),
  ],
  tableRow(pvc) {
    const s = specOf(pvc);
    const st = statusOf(pvc);
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : String(st.phase ?? '');
    const volume = typeof s.volumeName === 'string' ? s.volumeName : '';
    const capacity = volume ? quantityCell(obj(st.capacity).storage) : '';
    const modes = volume ? accessModesString(st.accessModes) : '';
    return [
      objName(pvc),
      phase,
      volume,
      capacity,
      modes,
      className(pvc),
      typeof s.volumeAttributesClassName === 'string' ? s.volumeAttributesClassName : '<unset>',
      age(pvc.metadata?.creationTimestamp),
      typeof s.volumeMode === 'string' ? s.volumeMode : '<unset>',
    ];
  },
};

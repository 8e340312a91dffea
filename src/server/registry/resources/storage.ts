// storage.k8s.io/v1: StorageClasses, VolumeAttachments, CSIDrivers, CSINodes
// and CSIStorageCapacities, with kube-apiserver's defaults
// (pkg/apis/storage/v1/defaults.go), validation (pkg/apis/storage/validation)
// and printers. Feature gates as 1.32 ships them (SELinuxMountReadWriteOncePod
// on: CSIDriver.spec.seLinuxMount defaults to false).

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Subdomain, isQualifiedName } from '../../api/names.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import type { BuiltinResource } from '../builtin.js';
import type { Strategy } from '../strategy.js';
import { validateLabelSelector } from '../validation/labelselector.js';
import { docColumn, groupV1Resource } from './cluster-common.js';
import { goStrings, invalidGo } from './go-values.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { arrOf, child, type Obj, objOf, strOf } from './values.js';

const GROUP = 'storage.k8s.io';

const plain = { hasGeneration: false, hasStatusSubresource: false, allowCreateOnUpdate: false } as const;

// --- StorageClass -----------------------------------------------------------

const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_SIZE = 256 * 1024;

/** validateParameters: at most 512 keys, no empty key, 256 kB in all. */
function validateParameters(params: unknown, path: string): FieldError[] {
  const p = objOf(params);
  if (!p) return [];
  const entries = Object.entries(p);
  if (entries.length > MAX_PARAMETERS) return [fieldErrors.tooLong(path, MAX_PARAMETERS)];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of entries) {
    if (k.length < 1) errs.push(fieldErrors.invalid(path, k, 'field can not be empty.'));
    size += k.length + strOf(v).length;
  }
  if (size > MAX_PARAMETERS_SIZE) errs.push(fieldErrors.tooLong(path, MAX_PARAMETERS_SIZE));
  return errs;
}

/** validateProvisioner: required, a qualified name once lower-cased. */
function validateProvisioner(provisioner: unknown, path: string): FieldError[] {
  const v = strOf(provisioner);
  if (!v) return [fieldErrors.required(path)];
  return isQualifiedName(v.toLowerCase()).map((m) => fieldErrors.invalid(path, v.toLowerCase(), m));
}

function validateStorageClass(obj: KubeObject): FieldError[] {
  const errs = [...validateProvisioner(obj.provisioner, 'provisioner'), ...validateParameters(obj.parameters, 'parameters')];
  const reclaim = strOf(obj.reclaimPolicy);
  if (reclaim && reclaim !== 'Delete' && reclaim !== 'Retain')
    errs.push(fieldErrors.notSupported('reclaimPolicy', reclaim, ['Delete', 'Retain']));
  if (obj.volumeBindingMode === undefined || obj.volumeBindingMode === null) errs.push(fieldErrors.required('volumeBindingMode'));
  else if (obj.volumeBindingMode !== 'Immediate' && obj.volumeBindingMode !== 'WaitForFirstConsumer') {
    errs.push(fieldErrors.notSupported('volumeBindingMode', strOf(obj.volumeBindingMode), ['Immediate', 'WaitForFirstConsumer']));
  }
  return errs;
}

/** ValidateStorageClassUpdate: parameters, provisioner, reclaimPolicy and volumeBindingMode are fixed at creation. */
function validateStorageClassUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!deepEqual(obj.parameters ?? {}, old.parameters ?? {}))
    errs.push(fieldErrors.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (strOf(obj.provisioner) !== strOf(old.provisioner))
    errs.push(fieldErrors.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(fieldErrors.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if (obj.volumeBindingMode !== old.volumeBindingMode)
    errs.push(fieldErrors.invalid('volumeBindingMode', obj.volumeBindingMode, 'field is immutable'));
  return errs;
}

/** SetDefaults_StorageClass. */
function defaultStorageClass(obj: KubeObject): void {
  obj.reclaimPolicy ??= 'Delete';
  obj.volumeBindingMode ??= 'Immediate';
}

/** storageutil.IsDefaultAnnotation: the GA or beta default-class annotation set to "true". */
function isDefaultClass(obj: KubeObject): boolean {
  const a = obj.metadata?.annotations ?? {};
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

const storageClassStrategy: Strategy = {
  ...plain,
  namespaced: false,
  allowUnconditionalUpdate: true,
  prepareForCreate: defaultStorageClass,
  prepareForUpdate: defaultStorageClass,
  validate: validateStorageClass,
  validateUpdate: (obj, old) => [...validateStorageClass(obj), ...validateStorageClassUpdate(obj, old)],
  canonicalize: (obj) => {
    obj.provisioner ??= '';
  },
  tableColumns: [
    nameColumn,
    docColumn('Provisioner', 'string', 'V1StorageClass', 'provisioner'),
    docColumn('ReclaimPolicy', 'string', 'V1StorageClass', 'reclaimPolicy'),
    docColumn('VolumeBindingMode', 'string', 'V1StorageClass', 'volumeBindingMode'),
    docColumn('AllowVolumeExpansion', 'string', 'V1StorageClass', 'allowVolumeExpansion'),
    ageColumn,
  ],
  tableRow: (obj) => [
    isDefaultClass(obj) ? `${objName(obj)} (default)` : objName(obj),
    strOf(obj.provisioner),
    strOf(obj.reclaimPolicy) || 'Delete',
    strOf(obj.volumeBindingMode) || 'Immediate',
    obj.allowVolumeExpansion === true,
    age(obj.metadata?.creationTimestamp),
  ],
};

// --- VolumeAttachment -------------------------------------------------------

/** ValidateCSIDriverName (core validation). */
function csiDriverNameErrors(name: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) errs.push(fieldErrors.required(path));
  if (name.length > 63) errs.push(fieldErrors.tooLong(path, 63));
  for (const m of isDNS1123Subdomain(name.toLowerCase())) errs.push(fieldErrors.invalid(path, name, m));
  return errs;
}

function validateVolumeAttachment(obj: KubeObject): FieldError[] {
  const spec = objOf(obj.spec) ?? {};
  const source = objOf(spec.source) ?? {};
  const errs: FieldError[] = [];
  if (!strOf(spec.attacher)) errs.push(fieldErrors.required('spec.attacher'));
  const pv = source.persistentVolumeName;
  const inline = source.inlineVolumeSpec;
  const hasPV = typeof pv === 'string';
  const hasInline = isPlainObject(inline);
  const why = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';
  if (!hasPV && !hasInline) errs.push(fieldErrors.required('spec.source', why));
  else if (hasPV && hasInline) errs.push(fieldErrors.forbidden('spec.source', why));
  else if (hasPV && !pv) errs.push(fieldErrors.required('spec.source.persistentVolumeName', 'must specify non empty persistentVolumeName'));
  const node = strOf(spec.nodeName);
  for (const m of isDNS1123Subdomain(node)) errs.push(fieldErrors.invalid('spec.nodeName', node, m));
  // ValidateVolumeAttachmentV1: the attacher is a CSI driver name, the volume a PersistentVolume name.
  errs.push(...csiDriverNameErrors(strOf(spec.attacher), 'spec.attacher'));
  if (hasPV) for (const m of isDNS1123Subdomain(pv)) errs.push(fieldErrors.invalid('spec.source.persistentVolumeName', pv, m));
  return errs;
}

/** Go's `%#v` of a VolumeAttachmentSpec, pointers shown as set or nil. */
function goVolumeAttachmentSpec(spec: Obj): string {
  const source = objOf(spec.source) ?? {};
  const ptr = (t: string, v: unknown) => (v === undefined || v === null ? `(*${t})(nil)` : `(*${t})(0xc000000000)`);
  return `storage.VolumeAttachmentSpec{Attacher:${JSON.stringify(strOf(spec.attacher))}, Source:storage.VolumeAttachmentSource{PersistentVolumeName:${ptr('string', source.persistentVolumeName)}, InlineVolumeSpec:${ptr('core.PersistentVolumeSpec', source.inlineVolumeSpec)}}, NodeName:${JSON.stringify(strOf(spec.nodeName))}}`;
}

const volumeAttachmentStrategy: Strategy = {
  ...plain,
  namespaced: false,
  allowUnconditionalUpdate: false,
  hasStatusSubresource: true,
  prepareForCreate: (obj) => {
    obj.status = { attached: false };
  },
  validate: validateVolumeAttachment,
  validateUpdate: (obj, old, ctx) => {
    if (ctx.subresource === 'status') return validateVolumeAttachment(obj);
    const errs = validateVolumeAttachment(obj);
    if (!deepEqual(obj.spec, old.spec)) errs.push(invalidGo('spec', goVolumeAttachmentSpec(objOf(obj.spec) ?? {}), 'field is immutable'));
    return errs;
  },
  canonicalize: (obj) => {
    const spec = child(obj, 'spec');
    spec.attacher ??= '';
    spec.nodeName ??= '';
    child(spec, 'source');
    child(obj, 'status').attached ??= false;
  },
  tableColumns: [
    nameColumn,
    // The description is read when first asked for: a spread here would read the models table at module load.
    docColumn('Attacher', 'string', 'V1VolumeAttachmentSpec', 'attacher', 0, 'name'),
    docColumn('PV', 'string', 'V1VolumeAttachmentSource', 'persistentVolumeName'),
    docColumn('Node', 'string', 'V1VolumeAttachmentSpec', 'nodeName'),
    docColumn('Attached', 'boolean', 'V1VolumeAttachmentStatus', 'attached'),
    ageColumn,
  ],
  tableRow: (obj) => {
    const spec = objOf(obj.spec) ?? {};
    return [
      objName(obj),
      strOf(spec.attacher),
      strOf(objOf(spec.source)?.persistentVolumeName),
      strOf(spec.nodeName),
      objOf(obj.status)?.attached === true,
      age(obj.metadata?.creationTimestamp),
    ];
  },
};

// --- CSIDriver --------------------------------------------------------------

/** SetDefaults_CSIDriver. */
function defaultCSIDriver(obj: KubeObject): void {
  const spec = child(obj, 'spec');
  spec.attachRequired ??= true;
  spec.podInfoOnMount ??= false;
  spec.storageCapacity ??= false;
  spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
  if (arrOf(spec.volumeLifecycleModes).length === 0) spec.volumeLifecycleModes = ['Persistent'];
  spec.requiresRepublish ??= false;
  spec.seLinuxMount ??= false;
}

const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;

function validateCSIDriverSpec(obj: KubeObject): FieldError[] {
  const spec = objOf(obj.spec) ?? {};
  const errs: FieldError[] = [];
  for (const [f, path] of [
    ['attachRequired', 'spec.attachedRequired'],
    ['podInfoOnMount', 'spec.podInfoOnMount'],
    ['storageCapacity', 'spec.storageCapacity'],
  ]) {
    if (spec[f] === undefined || spec[f] === null) errs.push(fieldErrors.required(path));
  }
  if (spec.fsGroupPolicy !== undefined && !FS_GROUP_POLICIES.includes(strOf(spec.fsGroupPolicy))) {
    errs.push(fieldErrors.notSupported('spec.fsGroupPolicy', strOf(spec.fsGroupPolicy), FS_GROUP_POLICIES));
  }
  const audiences = new Set<string>();
  arrOf(spec.tokenRequests).forEach((raw, i) => {
    const t = objOf(raw) ?? {};
    const p = `spec.tokenRequests[${i}]`;
    const aud = strOf(t.audience);
    if (audiences.has(aud)) {
      errs.push(fieldErrors.duplicate(`${p}.audience`, aud));
      return;
    }
    audiences.add(aud);
    const secs = t.expirationSeconds;
    if (typeof secs !== 'number') return;
    if (secs < MIN_TOKEN_SECONDS)
      errs.push(fieldErrors.invalid(`${p}.expirationSeconds`, secs, 'may not specify a duration less than 10 minutes'));
    if (secs > MAX_TOKEN_SECONDS)
      errs.push(fieldErrors.invalid(`${p}.expirationSeconds`, secs, 'may not specify a duration larger than 2^32 seconds'));
  });
  for (const mode of arrOf(spec.volumeLifecycleModes)) {
    if (mode !== 'Persistent' && mode !== 'Ephemeral') {
      errs.push(fieldErrors.notSupported('spec.volumeLifecycleModes', strOf(mode), ['Persistent', 'Ephemeral']));
    }
  }
  if (spec.seLinuxMount === undefined || spec.seLinuxMount === null) errs.push(fieldErrors.required('spec.seLinuxMount'));
  return errs;
}

/** ValidateCSIDriverUpdate: attachRequired and volumeLifecycleModes are immutable (kube's path says `attachedRequired`). */
function validateCSIDriverUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = objOf(obj.spec) ?? {};
  const oldSpec = objOf(old.spec) ?? {};
  const errs = validateCSIDriverSpec(obj);
  if (spec.attachRequired !== oldSpec.attachRequired)
    errs.push(fieldErrors.invalid('spec.attachedRequired', spec.attachRequired, 'field is immutable'));
  if (!deepEqual(spec.volumeLifecycleModes, oldSpec.volumeLifecycleModes)) {
    errs.push(
      invalidGo(
        'spec.volumeLifecycleModes',
        goStrings(spec.volumeLifecycleModes, { type: 'storage.VolumeLifecycleMode' }),
        'field is immutable',
      ),
    );
  }
  return errs;
}

const csiDriverStrategy: Strategy = {
  ...plain,
  namespaced: false,
  hasGeneration: true,
  allowUnconditionalUpdate: false,
  prepareForCreate: defaultCSIDriver,
  prepareForUpdate: defaultCSIDriver,
  validate: validateCSIDriverSpec,
  validateUpdate: (obj, old) => [...validateCSIDriverSpec(obj), ...validateCSIDriverUpdate(obj, old)],
  canonicalize: (obj) => {
    child(obj, 'spec');
  },
  tableColumns: [
    nameColumn,
    docColumn('AttachRequired', 'boolean', 'V1CSIDriverSpec', 'attachRequired'),
    docColumn('PodInfoOnMount', 'boolean', 'V1CSIDriverSpec', 'podInfoOnMount'),
    docColumn('StorageCapacity', 'boolean', 'V1CSIDriverSpec', 'storageCapacity'),
    docColumn('TokenRequests', 'string', 'V1CSIDriverSpec', 'tokenRequests'),
    docColumn('RequiresRepublish', 'boolean', 'V1CSIDriverSpec', 'requiresRepublish'),
    docColumn('Modes', 'string', 'V1CSIDriverSpec', 'volumeLifecycleModes'),
    ageColumn,
  ],
  tableRow: (obj) => {
    const spec = objOf(obj.spec) ?? {};
    const modes = arrOf(spec.volumeLifecycleModes).map(String).join(',');
    const tokens = Array.isArray(spec.tokenRequests) ? spec.tokenRequests.map((t) => strOf(objOf(t)?.audience)).join(',') : '<unset>';
    return [
      objName(obj),
      spec.attachRequired !== false,
      spec.podInfoOnMount === true,
      spec.storageCapacity === true,
      tokens,
      spec.requiresRepublish === true,
      modes || '<none>',
      age(obj.metadata?.creationTimestamp),
    ];
  },
};

// --- CSINode ----------------------------------------------------------------

const CSI_NODE_ID_MAX = 192;

function validateCSINode(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arrOf(objOf(obj.spec)?.drivers).forEach((raw, i) => {
    const d = objOf(raw) ?? {};
    const p = `spec.drivers[${i}]`;
    const name = strOf(d.name);
    errs.push(...csiDriverNameErrors(name, `${p}.name`));
    const nodeID = strOf(d.nodeID);
    if (!nodeID) errs.push(fieldErrors.required(`${p}.nodeID`));
    if (nodeID.length > CSI_NODE_ID_MAX)
      errs.push(fieldErrors.invalid(`${p}.nodeID`, nodeID, `must be ${CSI_NODE_ID_MAX} characters or less`));
    const count = objOf(d.allocatable)?.count;
    if (typeof count === 'number' && count < 0)
      errs.push(fieldErrors.invalid(`${p}.allocatable.count`, count, 'must be greater than or equal to 0'));
    if (names.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
    names.add(name);
    const keys = new Set<string>();
    for (const raw of arrOf(d.topologyKeys)) {
      const key = strOf(raw);
      if (!key) errs.push(fieldErrors.required(p));
      if (keys.has(key)) errs.push(fieldErrors.duplicate(p, key));
      keys.add(key);
      for (const m of isQualifiedName(key)) errs.push(fieldErrors.invalid(p, key, m));
    }
  });
  return errs;
}

/** ValidateCSINodeUpdate: an existing driver entry never changes. */
function validateCSINodeUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateCSINode(obj);
  const drivers = arrOf(objOf(obj.spec)?.drivers).filter(isPlainObject);
  for (const o of arrOf(objOf(old.spec)?.drivers).filter(isPlainObject)) {
    for (const n of drivers) {
      if (n.name !== o.name || deepEqual(n, o)) continue;
      const repr = `storage.CSINodeDriver{Name:${JSON.stringify(strOf(n.name))}, NodeID:${JSON.stringify(strOf(n.nodeID))}, TopologyKeys:${goStrings(n.topologyKeys)}}`;
      errs.push(invalidGo('spec.drivers', repr, 'field is immutable'));
    }
  }
  return errs;
}

const csiNodeStrategy: Strategy = {
  ...plain,
  namespaced: false,
  allowUnconditionalUpdate: false,
  validate: validateCSINode,
  validateUpdate: validateCSINodeUpdate,
  canonicalize: (obj) => {
    const spec = child(obj, 'spec');
    if (spec.drivers === undefined) spec.drivers = null;
    for (const d of arrOf(spec.drivers)) {
      if (!isPlainObject(d)) continue;
      d.name ??= '';
      d.nodeID ??= '';
      if (d.topologyKeys === undefined) d.topologyKeys = null;
    }
  },
  tableColumns: [nameColumn, column('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'), ageColumn],
  tableRow: (obj) => [objName(obj), arrOf(objOf(obj.spec)?.drivers).length, age(obj.metadata?.creationTimestamp)],
};

// --- CSIStorageCapacity -----------------------------------------------------

function validateCSIStorageCapacity(obj: KubeObject): FieldError[] {
  const errs = validateLabelSelector(obj.nodeTopology, 'nodeTopology');
  const sc = strOf(obj.storageClassName);
  for (const m of isDNS1123Subdomain(sc)) errs.push(fieldErrors.invalid('storageClassName', sc, m));
  // ValidateNonnegativeQuantity (the quantity's syntax was checked when the body was decoded).
  if (typeof obj.capacity === 'string' && obj.capacity.startsWith('-')) {
    errs.push(fieldErrors.invalid('capacity', obj.capacity, 'must be greater than or equal to 0'));
  }
  return errs;
}

const csiStorageCapacityStrategy: Strategy = {
  ...plain,
  namespaced: true,
  allowUnconditionalUpdate: false,
  validate: validateCSIStorageCapacity,
  validateUpdate: (obj, old) => {
    const errs = validateCSIStorageCapacity(obj);
    if (!deepEqual(obj.nodeTopology, old.nodeTopology))
      errs.push(invalidGo('nodeTopology', '&v1.LabelSelector{...}', 'field is immutable'));
    if (obj.storageClassName !== old.storageClassName)
      errs.push(fieldErrors.invalid('storageClassName', obj.storageClassName, 'field is immutable'));
    return errs;
  },
  canonicalize: (obj) => {
    obj.storageClassName ??= '';
  },
  // The store registers rest.NewDefaultTableConvertor: Name and Created At.
};

const storage = (
  resource: string,
  kind: string,
  namespaced: boolean,
  strategy: Strategy,
  extra: { shortNames?: string[]; status?: boolean } = {},
): BuiltinResource => groupV1Resource(GROUP, resource, kind, strategy, { namespaced, ...extra });

export const storageResources: BuiltinResource[] = [
  storage('storageclasses', 'StorageClass', false, storageClassStrategy, { shortNames: ['sc'] }),
  storage('volumeattachments', 'VolumeAttachment', false, volumeAttachmentStrategy, { status: true }),
  storage('csidrivers', 'CSIDriver', false, csiDriverStrategy),
  storage('csinodes', 'CSINode', false, csiNodeStrategy),
  storage('csistoragecapacities', 'CSIStorageCapacity', true, csiStorageCapacityStrategy),
];

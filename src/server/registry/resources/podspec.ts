// The pod spec's defaulting and validation, shared by Pods and every pod
// template (ReplicationControllers, PodTemplates, Deployments, Jobs...):
// kube's SetDefaults_PodSpec and the generated nested defaults
// (pkg/apis/core/v1/defaults.go, zz_generated.defaults.go) and
// ValidatePodSpec / ValidatePodTemplateSpec
// (pkg/apis/core/validation/validation.go), with their messages and paths.

import { isIP } from 'node:net';
import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from '../../api/names.js';
import { compareQuantity, formatQuantity, parseQuantity, roundUp } from '../../api/quantity.js';
import { isPlainObject } from '../../api/types.js';
import { validateAnnotations, validateLabels } from '../validation/objectmeta.js';
import { portNameErrors, portNumErrors } from './netutil.js';
import { validateAffinity, validateTopologySpreadConstraints } from './podspec-scheduling.js';
import { validateContainerSecurityContext, validatePodSecurityContext } from './podspec-security.js';
import { VOLUME_SOURCES } from './volume.js';
import { nonNegative } from './workload-helpers.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** Sets `o[k]` when absent (a nil pointer or empty string in Go). */
function dflt(o: Obj, k: string, v: unknown): void {
  if (o[k] === undefined || o[k] === null || o[k] === '') o[k] = v;
}

// ---------------------------------------------------------------------------
// Defaulting
// ---------------------------------------------------------------------------

const DEFAULT_MODE = 0o644;

/** SetDefaults_ResourceList: quantities rounded up to milli precision (and written canonically). */
function defaultResourceList(rl: unknown): void {
  const m = obj(rl);
  if (!m) return;
  for (const [k, v] of Object.entries(m)) {
    const q = parseQuantity(v);
    if (q) m[k] = formatQuantity(roundUp(q, -3));
  }
}

function defaultFieldRef(fr: unknown): void {
  const f = obj(fr);
  if (f) dflt(f, 'apiVersion', 'v1');
}

function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCES.some((k) => isSet(v[k]))) v.emptyDir = {};
  const hostPath = obj(v.hostPath);
  if (hostPath && hostPath.type === undefined) hostPath.type = '';
  const secret = obj(v.secret);
  if (secret) dflt(secret, 'defaultMode', DEFAULT_MODE);
  const iscsi = obj(v.iscsi);
  if (iscsi) dflt(iscsi, 'iscsiInterface', 'default');
  const rbd = obj(v.rbd);
  if (rbd) {
    dflt(rbd, 'pool', 'rbd');
    dflt(rbd, 'user', 'admin');
    dflt(rbd, 'keyring', '/etc/ceph/keyring');
  }
  const downwardAPI = obj(v.downwardAPI);
  if (downwardAPI) {
    dflt(downwardAPI, 'defaultMode', DEFAULT_MODE);
    for (const item of list(downwardAPI.items)) defaultFieldRef(item.fieldRef);
  }
  const configMap = obj(v.configMap);
  if (configMap) dflt(configMap, 'defaultMode', DEFAULT_MODE);
  const azureDisk = obj(v.azureDisk);
  if (azureDisk) {
    dflt(azureDisk, 'cachingMode', 'ReadWrite');
    dflt(azureDisk, 'fsType', 'ext4');
    if (azureDisk.readOnly === undefined) azureDisk.readOnly = false;
    dflt(azureDisk, 'kind', 'Shared');
  }
  const projected = obj(v.projected);
  if (projected) {
    dflt(projected, 'defaultMode', DEFAULT_MODE);
    for (const src of list(projected.sources)) {
      for (const item of list(obj(src.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
      const sat = obj(src.serviceAccountToken);
      if (sat) dflt(sat, 'expirationSeconds', 3600);
    }
  }
  const scaleIO = obj(v.scaleIO);
  if (scaleIO) {
    dflt(scaleIO, 'storageMode', 'ThinProvisioned');
    dflt(scaleIO, 'fsType', 'xfs');
  }
  const claimSpec = obj(obj(obj(v.ephemeral)?.volumeClaimTemplate)?.spec);
  if (claimSpec) {
    dflt(claimSpec, 'volumeMode', 'Filesystem');
    defaultResourceList(obj(claimSpec.resources)?.limits);
    defaultResourceList(obj(claimSpec.resources)?.requests);
  }
}

/**
 * The tag of an image reference as parsers.ParseImageName reads it: `latest` when neither a tag
 * nor a digest is given, '' when only a digest is, or when the reference does not parse.
 */
export function imageTag(image: string): string {
  const nameComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
  const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
  const re = new RegExp(
    `^(?:${domain}/)?${nameComponent}(?:/${nameComponent})*(?::([\\w][\\w.-]{0,127}))?(@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
  );
  const m = re.exec(image);
  if (!m || image.length > 255) return '';
  if (m[1]) return m[1];
  return m[2] ? '' : 'latest';
}

function defaultHTTPGet(h: unknown): void {
  const g = obj(h);
  if (!g) return;
  dflt(g, 'path', '/');
  dflt(g, 'scheme', 'HTTP');
}

function defaultProbe(p: unknown): void {
  const probe = obj(p);
  if (!probe) return;
  for (const [k, v] of [
    ['timeoutSeconds', 1],
    ['periodSeconds', 10],
    ['successThreshold', 1],
    ['failureThreshold', 3],
  ] as const) {
    if (probe[k] === undefined || probe[k] === 0) probe[k] = v;
  }
  defaultHTTPGet(probe.httpGet);
  const grpc = obj(probe.grpc);
  if (grpc && (grpc.service === undefined || grpc.service === null)) grpc.service = '';
}

/** SetDefaults_Container and the container's generated nested defaults. */
function defaultContainer(c: Obj): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(str(c.image)) === 'latest' ? 'Always' : 'IfNotPresent';
  dflt(c, 'terminationMessagePath', '/dev/termination-log');
  dflt(c, 'terminationMessagePolicy', 'File');
  for (const p of list(c.ports)) dflt(p, 'protocol', 'TCP');
  for (const e of list(c.env)) defaultFieldRef(obj(e.valueFrom)?.fieldRef);
  // ResourceRequirements is a struct: Go always writes it, `{}` when empty.
  if (!isPlainObject(c.resources)) c.resources = {};
  const resources = c.resources as Obj;
  defaultResourceList(resources.limits);
  defaultResourceList(resources.requests);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lifecycle = obj(c.lifecycle);
  if (lifecycle) {
    defaultHTTPGet(obj(lifecycle.postStart)?.httpGet);
    defaultHTTPGet(obj(lifecycle.preStop)?.httpGet);
  }
}

/**
 * Defaults a pod spec in place, as kube defaults the spec of a pod template
 * (SetDefaults_PodSpec, then volumes, containers and overhead). Pods add
 * defaultPod's fields on top.
 */
export function defaultPodSpec(spec: Record<string, unknown>): void {
  // The v1 conversion (pkg/apis/core/v1/conversion.go): serviceAccount is the deprecated alias of
  // serviceAccountName, read when the new field is empty, and always written back as its copy.
  if (!str(spec.serviceAccountName) && str(spec.serviceAccount)) spec.serviceAccountName = spec.serviceAccount;
  if (str(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  else delete spec.serviceAccount;
  dflt(spec, 'dnsPolicy', 'ClusterFirst');
  dflt(spec, 'restartPolicy', 'Always');
  if (!isSet(spec.securityContext)) spec.securityContext = {};
  if (!isSet(spec.terminationGracePeriodSeconds)) spec.terminationGracePeriodSeconds = 30;
  dflt(spec, 'schedulerName', 'default-scheduler');
  for (const v of list(spec.volumes)) defaultVolume(v);
  for (const c of list(spec.initContainers)) defaultContainer(c);
  for (const c of list(spec.containers)) defaultContainer(c);
  for (const c of list(spec.ephemeralContainers)) defaultContainer(c);
  defaultResourceList(spec.overhead);
}

/** Defaults a PodTemplateSpec's spec (created when missing); its metadata is left alone. */
export function defaultPodTemplateSpec(template: unknown): void {
  const t = obj(template);
  if (!t) return;
  if (!isPlainObject(t.spec)) t.spec = {};
  defaultPodSpec(t.spec as Obj);
}

/**
 * SetDefaults_Pod on top of the spec defaults, only for Pods (not templates): requests
 * default to limits, enableServiceLinks, and host ports for hostNetwork pods.
 */
export function defaultPod(pod: Record<string, unknown>): void {
  if (!isPlainObject(pod.spec)) pod.spec = {};
  const spec = pod.spec as Obj;
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    const resources = obj(c.resources);
    const limits = obj(resources?.limits);
    if (!resources || !limits) continue;
    const requests = obj(resources.requests) ?? {};
    for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
    resources.requests = requests;
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
      for (const p of list(c.ports)) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  defaultPodSpec(spec);
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/** Options that differ between a Pod and a pod template (PodValidationOptions.ResourceIsPod). */
export interface PodSpecValidationOptions {
  resourceIsPod?: boolean;
  /** The pod's name, for generic ephemeral volumes' PVC names. */
  podName?: string;
}

const inclusiveRange = (lo: number, hi: number): string => `must be between ${lo} and ${hi}, inclusive`;
const NEGATIVE = 'must be greater than or equal to 0';
const FILE_MODE = 'must be a number between 0 and 0777 (octal), both inclusive';
const MAX_INT32 = 2147483647;

function dns1123Label(value: string, path: string): FieldError[] {
  return isDNS1123Label(value).map((m) => fieldErrors.invalid(path, value, m));
}

function dns1123Subdomain(value: string, path: string): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => fieldErrors.invalid(path, value, m));
}

function qualifiedName(value: string, path: string): FieldError[] {
  return isQualifiedName(value).map((m) => fieldErrors.invalid(path, value, m));
}

function portNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return portNumErrors(port).map((m) => fieldErrors.invalid(path, port, m));
  if (typeof port === 'string') return portNameErrors(port).map((m) => fieldErrors.invalid(path, port, m));
  return portNumErrors(0).map((m) => fieldErrors.invalid(path, 0, m));
}

/** validateLocalDescendingPath and ValidateLocalNonReservedPath. */
function localPath(p: string, path: string, nonReserved: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(fieldErrors.invalid(path, p, 'must be a relative path'));
  if (p.split(/[\\/]/).includes('..')) errs.push(fieldErrors.invalid(path, p, "must not contain '..'"));
  if (nonReserved && p.startsWith('..') && !p.startsWith('../')) errs.push(fieldErrors.invalid(path, p, "must not start with '..'"));
  return errs;
}

function fileMode(v: unknown, path: string): FieldError[] {
  return typeof v === 'number' && (v > 0o777 || v < 0) ? [fieldErrors.invalid(path, v, FILE_MODE)] : [];
}

function keyToPath(kp: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(kp.key)) errs.push(fieldErrors.required(`${path}.key`));
  if (!str(kp.path)) errs.push(fieldErrors.required(`${path}.path`));
  errs.push(...localPath(str(kp.path), `${path}.path`, true));
  errs.push(...fileMode(kp.mode, `${path}.mode`));
  return errs;
}

/** The checks of the volume sources commonly used; the others need only be named once. */
const VOLUME_SOURCE_CHECKS: Record<string, (s: Obj, path: string) => FieldError[]> = {
  emptyDir: (s, path) => {
    const q = parseQuantity(s.sizeLimit);
    return q && q.mantissa < 0n ? [fieldErrors.forbidden(`${path}.sizeLimit`, 'SizeLimit field must be a valid resource quantity')] : [];
  },
  hostPath: (s, path) => {
    if (!str(s.path)) return [fieldErrors.required(`${path}.path`)];
    const errs = str(s.path).split('/').includes('..') ? [fieldErrors.invalid(`${path}.path`, s.path, "must not contain '..'")] : [];
    const types = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
    if (typeof s.type === 'string' && !types.includes(s.type)) errs.push(fieldErrors.notSupported(`${path}.type`, s.type, types));
    return errs;
  },
  secret: (s, path) => [
    ...(str(s.secretName) ? [] : [fieldErrors.required(`${path}.secretName`)]),
    ...fileMode(s.defaultMode, `${path}.defaultMode`),
    ...list(s.items).flatMap((kp, i) => keyToPath(kp, `${path}.items[${i}]`)),
  ],
  configMap: (s, path) => [
    ...(str(s.name) ? [] : [fieldErrors.required(`${path}.name`)]),
    ...fileMode(s.defaultMode, `${path}.defaultMode`),
    ...list(s.items).flatMap((kp, i) => keyToPath(kp, `${path}.items[${i}]`)),
  ],
  persistentVolumeClaim: (s, path) => (str(s.claimName) ? [] : [fieldErrors.required(`${path}.claimName`)]),
  nfs: (s, path) => [
    ...(str(s.server) ? [] : [fieldErrors.required(`${path}.server`)]),
    ...(str(s.path) ? [] : [fieldErrors.required(`${path}.path`)]),
    ...(str(s.path).startsWith('/') ? [] : [fieldErrors.invalid(`${path}.path`, str(s.path), 'must be an absolute path')]),
  ],
  downwardAPI: (s, path) => [
    ...fileMode(s.defaultMode, `${path}.defaultMode`),
    ...list(s.items).flatMap((f) => {
      const errs: FieldError[] = [];
      if (!str(f.path)) errs.push(fieldErrors.required(`${path}.path`));
      errs.push(...localPath(str(f.path), `${path}.path`, true));
      if (!isSet(f.fieldRef) && !isSet(f.resourceFieldRef))
        errs.push(fieldErrors.required(path, 'one of fieldRef and resourceFieldRef is required'));
      errs.push(...fileMode(f.mode, `${path}.mode`));
      return errs;
    }),
  ],
  projected: (s, path) => fileMode(s.defaultMode, `${path}.defaultMode`),
  csi: (s, path) => (str(s.driver) ? [] : [fieldErrors.required(`${path}.driver`)]),
  gitRepo: (s, path) => [
    ...(str(s.repository) ? [] : [fieldErrors.required(`${path}.repository`)]),
    ...localPath(str(s.directory), `${path}.directory`, false),
  ],
};

/** validateVolumeSource: exactly one source, each checked. */
function validateVolumeSource(v: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of VOLUME_SOURCES) {
    const s = v[k];
    if (!isSet(s)) continue;
    if (n > 0) {
      errs.push(fieldErrors.forbidden(`${path}.${k === 'downwardAPI' ? 'downwarAPI' : k}`, 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    const check = VOLUME_SOURCE_CHECKS[k];
    if (check && isPlainObject(s)) errs.push(...check(s, `${path}.${k}`));
  }
  if (n === 0) errs.push(fieldErrors.required(path, 'must specify a volume type'));
  return errs;
}

/** ValidateVolumes: the valid volumes' names (with whether each is a claim), and the errors. */
function validateVolumes(volumes: Obj[], path: string): { names: Map<string, Obj>; errs: FieldError[] } {
  const names = new Map<string, Obj>();
  const errs: FieldError[] = [];
  volumes.forEach((v, i) => {
    const idx = `${path}[${i}]`;
    const name = str(v.name);
    const el = validateVolumeSource(v, idx);
    if (!name) el.push(fieldErrors.required(`${idx}.name`));
    else el.push(...dns1123Label(name, `${idx}.name`));
    if (names.has(name)) el.push(fieldErrors.duplicate(`${idx}.name`, name));
    if (el.length === 0) names.set(name, v);
    else errs.push(...el);
  });
  return { names, errs };
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validateContainerPorts(ports: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const idx = `${path}[${i}]`;
    const name = str(p.name);
    if (name) {
      const msgs = portNameErrors(name);
      if (msgs.length) for (const m of msgs) errs.push(fieldErrors.invalid(`${idx}.name`, name, m));
      else if (names.has(name)) errs.push(fieldErrors.duplicate(`${idx}.name`, name));
      else names.add(name);
    }
    const cp = typeof p.containerPort === 'number' ? p.containerPort : 0;
    if (cp === 0) errs.push(fieldErrors.required(`${idx}.containerPort`));
    else for (const m of portNumErrors(cp)) errs.push(fieldErrors.invalid(`${idx}.containerPort`, cp, m));
    const hp = typeof p.hostPort === 'number' ? p.hostPort : 0;
    if (hp !== 0) for (const m of portNumErrors(hp)) errs.push(fieldErrors.invalid(`${idx}.hostPort`, hp, m));
    const proto = str(p.protocol);
    if (!proto) errs.push(fieldErrors.required(`${idx}.protocol`));
    else if (!PROTOCOLS.includes(proto)) errs.push(fieldErrors.notSupported(`${idx}.protocol`, proto, PROTOCOLS));
  });
  return errs;
}

/** validation.IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation is on in 1.32). */
function envVarNameErrors(name: string): string[] {
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c > 126 || c < 32 || ch === '=') {
      return ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
    }
  }
  return [];
}

const ENV_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

function keySelector(s: Obj, path: string): FieldError[] {
  const errs = isDNS1123Subdomain(str(s.name)).map((m) => fieldErrors.invalid(`${path}.name`, str(s.name), m));
  if (!str(s.key)) errs.push(fieldErrors.required(`${path}.key`));
  return errs;
}

function validateEnv(env: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((e, i) => {
    const idx = `${path}[${i}]`;
    const name = str(e.name);
    if (!name) errs.push(fieldErrors.required(`${idx}.name`));
    else for (const m of envVarNameErrors(name)) errs.push(fieldErrors.invalid(`${idx}.name`, name, m));
    const from = obj(e.valueFrom);
    if (!from) return;
    const vp = `${idx}.valueFrom`;
    let n = 0;
    const fieldRef = obj(from.fieldRef);
    if (fieldRef) {
      n++;
      const fp = str(fieldRef.fieldPath);
      if (!str(fieldRef.apiVersion)) errs.push(fieldErrors.required(`${vp}.fieldRef.apiVersion`));
      else if (!fp) errs.push(fieldErrors.required(`${vp}.fieldRef.fieldPath`));
      else {
        const sub = /^(metadata\.(?:annotations|labels))\['(.*)'\]$/.exec(fp);
        if (sub) errs.push(...qualifiedName(sub[1] === 'metadata.annotations' ? sub[2].toLowerCase() : sub[2], `${vp}.fieldRef`));
        else if (!ENV_FIELD_PATHS.includes(fp)) errs.push(fieldErrors.notSupported(`${vp}.fieldRef.fieldPath`, fp, ENV_FIELD_PATHS));
      }
    }
    const resourceFieldRef = obj(from.resourceFieldRef);
    if (resourceFieldRef) {
      n++;
      if (!str(resourceFieldRef.resource)) errs.push(fieldErrors.required(`${vp}.resourceFieldRef.resource`));
    }
    const cm = obj(from.configMapKeyRef);
    if (cm) {
      n++;
      errs.push(...keySelector(cm, `${vp}.configMapKeyRef`));
    }
    const secret = obj(from.secretKeyRef);
    if (secret) {
      n++;
      errs.push(...keySelector(secret, `${vp}.secretKeyRef`));
    }
    if (n === 0)
      errs.push(fieldErrors.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(e.value)) errs.push(fieldErrors.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(fieldErrors.invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  envFrom.forEach((e, i) => {
    const idx = `${path}[${i}]`;
    const prefix = str(e.prefix);
    if (prefix) for (const m of envVarNameErrors(prefix)) errs.push(fieldErrors.invalid(`${idx}.prefix`, prefix, m));
    let n = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      const ref = obj(e[k]);
      if (!ref) continue;
      n++;
      const name = str(ref.name);
      if (!name) errs.push(fieldErrors.required(`${idx}.${k}.name`));
      else errs.push(...dns1123Subdomain(name, `${idx}.${k}.name`));
    }
    if (n === 0) errs.push(fieldErrors.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(fieldErrors.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(mounts: Obj[], devices: Obj[], volumes: Map<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  const devicePaths = new Set(devices.map((d) => str(d.devicePath)));
  const deviceNames = new Set(devices.map((d) => str(d.name)));
  mounts.forEach((m, i) => {
    const idx = `${path}[${i}]`;
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (!name) errs.push(fieldErrors.required(`${idx}.name`));
    if (!volumes.has(name)) errs.push(fieldErrors.notFound(`${idx}.name`, name));
    if (!mountPath) errs.push(fieldErrors.required(`${idx}.mountPath`));
    if (mountPoints.has(mountPath)) errs.push(fieldErrors.invalid(`${idx}.mountPath`, mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    if (deviceNames.has(name)) errs.push(fieldErrors.invalid(`${idx}.name`, name, 'must not already exist in volumeDevices'));
    if (devicePaths.has(mountPath))
      errs.push(fieldErrors.invalid(`${idx}.mountPath`, mountPath, 'must not already exist as a path in volumeDevices'));
    const subPath = str(m.subPath);
    const subPathExpr = str(m.subPathExpr);
    if (subPath) errs.push(...localPath(subPath, `${path}.subPath`, false));
    if (subPathExpr) {
      if (subPath) errs.push(fieldErrors.invalid(`${idx}.subPathExpr`, subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...localPath(subPathExpr, `${path}.subPathExpr`, false));
    }
  });
  return errs;
}

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function overcommitAllowed(name: string): boolean {
  return isNativeResource(name) && !name.startsWith('hugepages-');
}

/** ValidateContainerResourceRequirements (names, quantities, requests against limits). */
function validateResources(resources: Obj | undefined, path: string): FieldError[] {
  if (!resources) return [];
  const errs: FieldError[] = [];
  const limits = obj(resources.limits) ?? {};
  const requests = obj(resources.requests) ?? {};
  const limPath = `${path}.limits`;
  const reqPath = `${path}.requests`;
  const checkName = (name: string, p: string): void => {
    errs.push(...qualifiedName(name, p));
    if (!name.includes('/')) {
      if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-')) {
        errs.push(fieldErrors.invalid(p, name, 'must be a standard resource for containers'));
      }
    }
  };
  const checkValue = (name: string, v: unknown, p: string): void => {
    const q = parseQuantity(v);
    if (!q) return;
    if (q.mantissa < 0n) errs.push(fieldErrors.invalid(p, formatQuantity(q), NEGATIVE));
    if (!isNativeResource(name) && compareQuantity(roundUp(q, 0), q) !== 0)
      errs.push(fieldErrors.invalid(p, formatQuantity(q), 'must be an integer'));
  };
  for (const [name, v] of Object.entries(limits)) {
    checkName(name, `${limPath}[${name}]`);
    checkValue(name, v, `${limPath}[${name}]`);
  }
  for (const [name, v] of Object.entries(requests)) {
    checkName(name, `${reqPath}[${name}]`);
    checkValue(name, v, `${reqPath}[${name}]`);
    const q = parseQuantity(v);
    const lim = name in limits ? parseQuantity(limits[name]) : undefined;
    if (q && lim) {
      const cmp = compareQuantity(q, lim);
      if (cmp !== 0 && !overcommitAllowed(name)) {
        errs.push(fieldErrors.invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(lim)}`));
      } else if (cmp > 0) {
        errs.push(fieldErrors.invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`));
      }
    } else if (!(name in limits) && !overcommitAllowed(name)) {
      errs.push(fieldErrors.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const;

/** validateHandler: exactly one action, each checked. */
function validateHandler(h: Obj, gracePeriod: number | undefined, path: string, allowed: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const k of HANDLERS) {
    if (!allowed.includes(k) || !isSet(h[k])) continue;
    if (n > 0) {
      errs.push(fieldErrors.forbidden(`${path}.${k}`, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const a = obj(h[k]) ?? {};
    const p = `${path}.${k}`;
    if (k === 'exec' && !(Array.isArray(a.command) && a.command.length)) errs.push(fieldErrors.required(`${p}.command`));
    if (k === 'httpGet') {
      if (!str(a.path)) errs.push(fieldErrors.required(`${p}.path`));
      errs.push(...portNumOrName(a.port, `${p}.port`));
      if (!['HTTP', 'HTTPS'].includes(str(a.scheme))) errs.push(fieldErrors.notSupported(`${p}.scheme`, a.scheme ?? '', ['HTTP', 'HTTPS']));
    }
    if (k === 'tcpSocket') errs.push(...portNumOrName(a.port, `${p}.port`));
    if (k === 'grpc') errs.push(...portNumOrName(typeof a.port === 'number' ? a.port : 0, `${p}.port`));
    if (k === 'sleep' && gracePeriod !== undefined) {
      const s = typeof a.seconds === 'number' ? a.seconds : 0;
      if (s <= 0 || s > gracePeriod) {
        errs.push(
          fieldErrors.invalid(
            p,
            s,
            `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
          ),
        );
      }
    }
  }
  if (n === 0) errs.push(fieldErrors.required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(
  p: unknown,
  gracePeriod: number | undefined,
  path: string,
  kind: 'liveness' | 'readiness' | 'startup',
): FieldError[] {
  const probe = obj(p);
  if (!probe) return [];
  const errs = validateHandler(probe, gracePeriod, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...nonNegative(probe[k], `${path}.${k}`));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (typeof tgps === 'number' && tgps <= 0)
    errs.push(fieldErrors.invalid(`${path}.terminationGracePeriodSeconds`, tgps, 'must be greater than 0'));
  if (kind !== 'readiness' && probe.successThreshold !== 1) {
    errs.push(fieldErrors.invalid(`${path}.successThreshold`, probe.successThreshold ?? 0, 'must be 1'));
  }
  if (kind === 'readiness' && isSet(tgps)) {
    errs.push(fieldErrors.invalid(`${path}.terminationGracePeriodSeconds`, tgps, 'must not be set for readinessProbes'));
  }
  return errs;
}

function validateLifecycle(l: Obj, gracePeriod: number | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['postStart', 'preStop']) {
    const h = obj(l[k]);
    if (h) errs.push(...validateHandler(h, gracePeriod, `${path}.${k}`, ['exec', 'httpGet', 'tcpSocket', 'sleep']));
  }
  return errs;
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

/** validateContainerCommon: what regular, init and ephemeral containers share. */
function validateContainerCommon(c: Obj, volumes: Map<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(fieldErrors.required(`${path}.name`));
  else errs.push(...dns1123Label(name, `${path}.name`));
  if (!str(c.image)) errs.push(fieldErrors.required(`${path}.image`));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(fieldErrors.required(`${path}.terminationMessagePolicy`));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) {
    errs.push(fieldErrors.notSupported(`${path}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES));
  }
  errs.push(...validateContainerPorts(list(c.ports), `${path}.ports`));
  errs.push(...validateEnv(list(c.env), `${path}.env`));
  errs.push(...validateEnvFrom(list(c.envFrom), `${path}.envFrom`));
  errs.push(...validateVolumeMounts(list(c.volumeMounts), list(c.volumeDevices), volumes, `${path}.volumeMounts`));
  const pull = str(c.imagePullPolicy);
  if (!pull) errs.push(fieldErrors.required(`${path}.imagePullPolicy`));
  else if (!PULL_POLICIES.includes(pull)) errs.push(fieldErrors.notSupported(`${path}.imagePullPolicy`, pull, PULL_POLICIES));
  errs.push(...validateResources(obj(c.resources), `${path}.resources`));
  return errs;
}

/** checkHostPortConflicts: one protocol/hostIP/hostPort per pod (per init container for init containers). */
function hostPortConflicts(containers: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    list(c.ports).forEach((p, pi) => {
      const port = typeof p.hostPort === 'number' ? p.hostPort : 0;
      if (port === 0) return;
      const key = `${str(p.protocol)}/${str(p.hostIP)}/${port}`;
      if (seen.has(key)) errs.push(fieldErrors.duplicate(`${path}[${ci}].ports[${pi}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateContainers(containers: Obj[], volumes: Map<string, Obj>, gracePeriod: number | undefined, path: string): FieldError[] {
  if (containers.length === 0) return [fieldErrors.required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const idx = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, idx));
    const name = str(c.name);
    if (names.has(name)) errs.push(fieldErrors.duplicate(`${idx}.name`, name));
    else names.add(name);
    const lifecycle = obj(c.lifecycle);
    if (lifecycle) errs.push(...validateLifecycle(lifecycle, gracePeriod, `${idx}.lifecycle`));
    errs.push(...validateProbe(c.livenessProbe, gracePeriod, `${idx}.livenessProbe`, 'liveness'));
    errs.push(...validateProbe(c.readinessProbe, gracePeriod, `${idx}.readinessProbe`, 'readiness'));
    errs.push(...validateProbe(c.startupProbe, gracePeriod, `${idx}.startupProbe`, 'startup'));
    if (isSet(c.restartPolicy)) errs.push(fieldErrors.forbidden(`${idx}.restartPolicy`, 'may not be set for non-init containers'));
  });
  errs.push(...hostPortConflicts(containers, path));
  return errs;
}

function validateInitContainers(
  inits: Obj[],
  regular: Obj[],
  volumes: Map<string, Obj>,
  gracePeriod: number | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(regular.map((c) => str(c.name)));
  inits.forEach((c, i) => {
    const idx = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, idx));
    let restartAlways = false;
    if (isSet(c.restartPolicy)) {
      if (c.restartPolicy !== 'Always') errs.push(fieldErrors.notSupported(`${idx}.restartPolicy`, c.restartPolicy, ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    const name = str(c.name);
    if (names.has(name)) errs.push(fieldErrors.duplicate(`${idx}.name`, name));
    else if (name) names.add(name);
    errs.push(...hostPortConflicts([c], path));
    if (restartAlways) {
      const lifecycle = obj(c.lifecycle);
      if (lifecycle) errs.push(...validateLifecycle(lifecycle, gracePeriod, `${idx}.lifecycle`));
      errs.push(...validateProbe(c.livenessProbe, gracePeriod, `${idx}.livenessProbe`, 'liveness'));
      errs.push(...validateProbe(c.readinessProbe, gracePeriod, `${idx}.readinessProbe`, 'readiness'));
      errs.push(...validateProbe(c.startupProbe, gracePeriod, `${idx}.startupProbe`, 'startup'));
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (isSet(c[k])) errs.push(fieldErrors.forbidden(`${idx}.${k}`, 'may not be set for init containers without restartPolicy=Always'));
      }
    }
    if (Array.isArray(c.resizePolicy) && c.resizePolicy.length) {
      errs.push(fieldErrors.invalid(`${idx}.resizePolicy`, c.resizePolicy, 'must not be set for init containers'));
    }
  });
  return errs;
}

/** Fields an ephemeral container may not carry (allowedEphemeralContainerFields' false and absent entries). */
const EPHEMERAL_FORBIDDEN = [
  'ports',
  'resources',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'resizePolicy',
  'restartPolicy',
];

function validateEphemeralContainers(ephemeral: Obj[], spec: Obj, volumes: Map<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const other = new Set([...list(spec.containers), ...list(spec.initContainers)].map((c) => str(c.name)));
  const all = new Set(other);
  ephemeral.forEach((c, i) => {
    const idx = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, idx));
    errs.push(...imageWhitespace(c, idx));
    const name = str(c.name);
    if (all.has(name)) errs.push(fieldErrors.duplicate(`${idx}.name`, name));
    else all.add(name);
    const target = str(c.targetContainerName);
    if (target && !other.has(target)) errs.push(fieldErrors.notFound(`${idx}.targetContainerName`, target));
    for (const k of EPHEMERAL_FORBIDDEN) {
      const v = c[k];
      const set = k === 'resources' ? isPlainObject(v) && Object.values(v).some(isSet) : isSet(v);
      if (set) errs.push(fieldErrors.forbidden(`${idx}.${k}`, 'cannot be set for an Ephemeral Container'));
    }
    list(c.volumeMounts).forEach((m, j) => {
      for (const k of ['subPath', 'subPathExpr']) {
        if (str(m[k])) errs.push(fieldErrors.forbidden(`${idx}.volumeMounts[${j}].${k}`, 'cannot be set for an Ephemeral Container'));
      }
    });
  });
  return errs;
}

/** validateContainerOnlyForPod: pods (not templates) refuse images with surrounding whitespace. */
function imageWhitespace(c: Obj, path: string): FieldError[] {
  const image = str(c.image);
  return image.length !== image.trim().length
    ? [fieldErrors.invalid(`${path}.image`, image, 'must not have leading or trailing whitespace')]
    : [];
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TOLERATION_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** ValidateTolerations. */
export function validateTolerations(tolerations: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const idx = `${path}[${i}]`;
    const key = str(t.key);
    const op = str(t.operator);
    const value = str(t.value);
    const effect = str(t.effect);
    if (key) errs.push(...qualifiedName(key, `${idx}.key`));
    if (!key && op !== 'Exists') {
      errs.push(
        fieldErrors.invalid(
          `${idx}.operator`,
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (isSet(t.tolerationSeconds) && effect !== 'NoExecute') {
      errs.push(fieldErrors.invalid(`${idx}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(value);
      if (msgs.length) errs.push(fieldErrors.invalid(`${idx}.operator`, value, msgs.join(';')));
    } else if (op === 'Exists') {
      if (value) errs.push(fieldErrors.invalid(`${idx}.operator`, value, "value must be empty when `operator` is 'Exists'"));
    } else errs.push(fieldErrors.notSupported(`${idx}.operator`, op, ['Equal', 'Exists']));
    if (effect && !TOLERATION_EFFECTS.includes(effect)) errs.push(fieldErrors.notSupported(`${idx}.effect`, effect, TOLERATION_EFFECTS));
  });
  return errs;
}

function validateDNSConfig(config: Obj | undefined, dnsPolicy: string, path: string): FieldError[] {
  if (dnsPolicy === 'None') {
    if (!config) return [fieldErrors.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!Array.isArray(config.nameservers) || config.nameservers.length === 0) {
      return [fieldErrors.required(`${path}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
    }
  }
  if (!config) return [];
  const errs: FieldError[] = [];
  const ns = Array.isArray(config.nameservers) ? config.nameservers : [];
  if (ns.length > 3) errs.push(fieldErrors.invalid(`${path}.nameservers`, ns, 'must not have more than 3 nameservers'));
  const searches = Array.isArray(config.searches) ? config.searches.map(str) : [];
  if (searches.length > 32) errs.push(fieldErrors.invalid(`${path}.searches`, searches, 'must not have more than 32 search paths'));
  for (const [i, s] of searches.entries()) errs.push(...dns1123Subdomain(s.replace(/\.$/, ''), `${path}.searches[${i}]`));
  list(config.options).forEach((o, i) => {
    if (!str(o.name)) errs.push(fieldErrors.required(`${path}.options[${i}]`, 'must not be empty'));
  });
  return errs;
}

/** ValidatePodSpec: `path` is the spec's field path (`spec`, `spec.template.spec`). */
export function validatePodSpec(specValue: unknown, path: string, opts: PodSpecValidationOptions = {}): FieldError[] {
  const spec = obj(specValue) ?? {};
  const errs: FieldError[] = [];
  const grace = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : undefined;
  if (!isSet(spec.terminationGracePeriodSeconds)) errs.push(fieldErrors.required(`${path}.terminationGracePeriodSeconds`));
  const { names: volumes, errs: volErrs } = validateVolumes(list(spec.volumes), `${path}.volumes`);
  errs.push(...volErrs);
  errs.push(...validateContainers(list(spec.containers), volumes, grace, `${path}.containers`));
  errs.push(...validateInitContainers(list(spec.initContainers), list(spec.containers), volumes, grace, `${path}.initContainers`));
  errs.push(...validateEphemeralContainers(list(spec.ephemeralContainers), spec, volumes, `${path}.ephemeralContainers`));
  for (const k of ['initContainers', 'containers', 'ephemeralContainers']) {
    list(spec[k]).forEach((c, i) => {
      errs.push(...validateContainerSecurityContext(c.securityContext, spec, `${path}.${k}[${i}].securityContext`));
    });
  }
  if (spec.hostNetwork === true) {
    list(spec.containers).forEach((c, i) => {
      list(c.ports).forEach((p, j) => {
        const hp = typeof p.hostPort === 'number' ? p.hostPort : 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== p.containerPort) {
          errs.push(
            fieldErrors.invalid(
              `${path}.containers[${i}].ports[${j}].hostPort`,
              hp,
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
      });
    });
  }
  const restart = str(spec.restartPolicy);
  if (!restart) errs.push(fieldErrors.required(`${path}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(restart)) errs.push(fieldErrors.notSupported(`${path}.restartPolicy`, restart, RESTART_POLICIES));
  const dns = str(spec.dnsPolicy);
  if (!dns) errs.push(fieldErrors.required(`${path}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(dns)) errs.push(fieldErrors.notSupported(`${path}.dnsPolicy`, dns, DNS_POLICIES));
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  errs.push(...validatePodSecurityContext(spec, `${path}.securityContext`));
  list(spec.imagePullSecrets).forEach((s, i) => {
    if (Object.keys(s).some((k) => k !== 'name'))
      errs.push(fieldErrors.invalid(`${path}.imagePullSecrets[${i}]`, s, 'only name may be set'));
  });
  errs.push(...validateAffinity(spec.affinity, `${path}.affinity`));
  errs.push(...validateDNSConfig(obj(spec.dnsConfig), dns, `${path}.dnsConfig`));
  list(spec.readinessGates).forEach((g, i) => {
    errs.push(...qualifiedName(str(g.conditionType), `${path}.readinessGates[${i}].conditionType`));
  });
  const gates = new Set<string>();
  list(spec.schedulingGates).forEach((g, i) => {
    const name = str(g.name);
    errs.push(...qualifiedName(name, `${path}.schedulingGates[${i}]`));
    if (gates.has(name)) errs.push(fieldErrors.duplicate(`${path}.schedulingGates[${i}]`, name));
    gates.add(name);
  });
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, `${path}.topologySpreadConstraints`));
  for (const [k, validate] of [
    ['serviceAccountName', isDNS1123Subdomain],
    ['nodeName', isDNS1123Subdomain],
  ] as const) {
    const v = str(spec[k]);
    if (v) for (const m of validate(v)) errs.push(fieldErrors.invalid(`${path}.${k}`, v, m));
  }
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === 'number' && (ads < 1 || ads > MAX_INT32)) {
    errs.push(fieldErrors.invalid(`${path}.activeDeadlineSeconds`, ads, inclusiveRange(1, MAX_INT32)));
  }
  if (str(spec.hostname)) errs.push(...dns1123Label(str(spec.hostname), `${path}.hostname`));
  if (str(spec.subdomain)) errs.push(...dns1123Label(str(spec.subdomain), `${path}.subdomain`));
  errs.push(...validateTolerations(list(spec.tolerations), `${path}.tolerations`));
  list(spec.hostAliases).forEach((a, i) => {
    const ip = str(a.ip);
    if (!isIP(ip))
      errs.push(fieldErrors.invalid(`${path}.hostAliases[${i}].ip`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    const hostnames = Array.isArray(a.hostnames) ? a.hostnames : [];
    for (const [j, h] of hostnames.entries()) errs.push(...dns1123Subdomain(str(h), `${path}.hostAliases[${i}].hostnames[${j}]`));
  });
  if (str(spec.priorityClassName)) errs.push(...dns1123Subdomain(str(spec.priorityClassName), `${path}.priorityClassName`));
  if (typeof spec.runtimeClassName === 'string') errs.push(...dns1123Subdomain(spec.runtimeClassName, `${path}.runtimeClassName`));
  if (isSet(spec.preemptionPolicy)) {
    const pp = str(spec.preemptionPolicy);
    if (!pp) errs.push(fieldErrors.required(`${path}.preemptionPolicy`));
    else if (!['PreemptLowerPriority', 'Never'].includes(pp)) {
      errs.push(fieldErrors.notSupported(`${path}.preemptionPolicy`, pp, ['PreemptLowerPriority', 'Never']));
    }
  }
  if (isSet(spec.overhead)) errs.push(...validateResources({ limits: spec.overhead }, `${path}.overhead`));
  const os = obj(spec.os);
  if (os) {
    const name = str(os.name);
    if (!name) errs.push(fieldErrors.required(`${path}.os.name`));
    else if (!['linux', 'windows'].includes(name)) errs.push(fieldErrors.notSupported(`${path}.os.name`, name, ['linux', 'windows']));
  }
  return errs;
}

/** The pod-only container checks validatePodMetadataAndSpec adds to ValidatePodSpec. */
export function validatePodOnlySpec(specValue: unknown, path: string): FieldError[] {
  const spec = obj(specValue) ?? {};
  const errs: FieldError[] = [];
  if (!str(spec.serviceAccountName)) {
    list(spec.volumes).forEach((v, vi) => {
      list(obj(v.projected)?.sources).forEach((s, si) => {
        if (isSet(s.serviceAccountToken)) {
          errs.push(
            fieldErrors.forbidden(
              `${path}.volumes[${vi}].projected.sources[${si}].serviceAccountToken`,
              'must not be specified when serviceAccountName is not set',
            ),
          );
        }
      });
    });
  }
  for (const [i, c] of list(spec.containers).entries()) errs.push(...imageWhitespace(c, `${path}.containers[${i}]`));
  for (const [i, c] of list(spec.initContainers).entries()) errs.push(...imageWhitespace(c, `${path}.initContainers[${i}]`));
  return errs;
}

/** ValidatePodTemplateSpec: `path` is the template's field path (`spec.template`). */
export function validatePodTemplateSpec(templateValue: unknown, path: string): FieldError[] {
  const template = obj(templateValue) ?? {};
  const meta = obj(template.metadata) ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  errs.push(...validatePodSpec(template.spec, `${path}.spec`));
  if (list(obj(template.spec)?.ephemeralContainers).length > 0) {
    errs.push(fieldErrors.forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

/** A pod template may change freely on update; it is validated as on create. */
export function validatePodTemplateSpecUpdate(template: unknown, _old: unknown, path: string): FieldError[] {
  return validatePodTemplateSpec(template, path);
}

/** The labels a template carries (`spec.template.metadata.labels`), for selector defaulting and matching. */
export function templateLabels(template: unknown): Record<string, string> | undefined {
  const labels = obj(obj(obj(template)?.metadata)?.labels);
  return labels as Record<string, string> | undefined;
}

// The warnings kube returns for a pod or a pod template that is valid but
// probably not what its author meant: pkg/api/pod/warnings.go
// (GetWarningsForPod, GetWarningsForPodTemplate) and the deprecated node labels
// of pkg/api/node/util.go. They go out as `Warning` headers.

import { compareQuantity, formatQuantity, parseQuantity, roundUp } from '../../api/quantity.js';
import { isPlainObject } from '../../api/types.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** nodeapi.deprecatedNodeLabels. */
const DEPRECATED_NODE_LABELS: Record<string, string> = {
  'beta.kubernetes.io/arch': 'deprecated since v1.14; use "kubernetes.io/arch" instead',
  'beta.kubernetes.io/os': 'deprecated since v1.14; use "kubernetes.io/os" instead',
  'failure-domain.beta.kubernetes.io/region': 'deprecated since v1.17; use "topology.kubernetes.io/region" instead',
  'failure-domain.beta.kubernetes.io/zone': 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
  'beta.kubernetes.io/instance-type': 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead',
};

const deprecatedLabel = (k: string): string | undefined =>
  Object.hasOwn(DEPRECATED_NODE_LABELS, k) ? DEPRECATED_NODE_LABELS[k] : undefined;

/** Annotations that no longer do anything (deprecatedAnnotations). */
const DEPRECATED_ANNOTATIONS: [string, string][] = [
  ['scheduler.alpha.kubernetes.io/critical-pod', 'non-functional in v1.16+; use the "priorityClassName" field instead'],
  ['security.alpha.kubernetes.io/sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
  ['security.alpha.kubernetes.io/unsafe-sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
];

/** Volume plugins deprecated or removed, and the release that said so. */
const DEPRECATED_VOLUMES: [string, string][] = [
  ['photonPersistentDisk', 'deprecated in v1.11, non-functional in v1.16+'],
  ['gitRepo', 'deprecated in v1.11'],
  ['scaleIO', 'deprecated in v1.16, non-functional in v1.22+'],
  ['flocker', 'deprecated in v1.22, non-functional in v1.25+'],
  ['storageos', 'deprecated in v1.22, non-functional in v1.25+'],
  ['quobyte', 'deprecated in v1.22, non-functional in v1.25+'],
  ['glusterfs', 'deprecated in v1.25, non-functional in v1.26+'],
  ['cephfs', 'deprecated in v1.28, non-functional in v1.31+'],
  ['rbd', 'deprecated in v1.28, non-functional in v1.31+'],
];

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const NULL_SELECTOR = 'a null labelSelector results in matching no pod';

/** Go's field.Path: `prefix.a.b`, or `a.b` for a pod (a nil path). */
const join = (prefix: string, rest: string): string => (prefix ? `${prefix}.${rest}` : rest);

/** nodeapi.GetWarningsForNodeSelectorTerm. */
function nodeSelectorTermWarnings(term: Obj, path: string): string[] {
  return list(term.matchExpressions).flatMap((e, i) => {
    const msg = deprecatedLabel(str(e.key));
    return msg ? [`${path}.matchExpressions[${i}].key: ${str(e.key)} is ${msg}`] : [];
  });
}

/** `%+v` of an api.ContainerPort, as the hostIP-without-hostPort warning prints it. */
function goPort(p: Obj): string {
  return `{Name:${str(p.name)} HostPort:${num(p.hostPort)} ContainerPort:${num(p.containerPort)} Protocol:${str(p.protocol)} HostIP:${str(p.hostIP)}}`;
}

/** A memory or ephemeral-storage quantity with a fractional byte count (MilliValue()%1000 != 0). */
function fractionalBytes(v: unknown, path: string): string[] {
  const q = parseQuantity(v);
  if (!q || compareQuantity(roundUp(q, 0), roundUp(q, -3)) === 0) return [];
  return [`${path}: fractional byte value ${JSON.stringify(formatQuantity(q))} is invalid, must be an integer`];
}

/** pods.VisitContainersWithPath: init containers, containers, then ephemeral containers. */
function containersWithPath(spec: Obj, specPath: string): [Obj, string][] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((k) =>
    list(spec[k]).map((c, i): [Obj, string] => [c, `${specPath}.${k}[${i}]`]),
  );
}

/** warningsForPodSpecAndMeta; `prefix` is '' for a pod and the template's path otherwise. */
function warningsForPodSpecAndMeta(spec: Obj, meta: Obj, prefix: string): string[] {
  const w: string[] = [];
  const specPath = join(prefix, 'spec');
  const annPath = join(prefix, 'metadata.annotations');
  const annotations = obj(meta.annotations) ?? {};

  for (const k of Object.keys(obj(spec.nodeSelector) ?? {})) {
    const msg = deprecatedLabel(k);
    if (msg) w.push(`${specPath}.nodeSelector[${k}]: ${msg}`);
  }
  const na = obj(obj(spec.affinity)?.nodeAffinity);
  if (na) {
    const required = obj(na.requiredDuringSchedulingIgnoredDuringExecution);
    const termsPath = `${specPath}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    if (required) {
      list(required.nodeSelectorTerms).forEach((t, i) => {
        w.push(...nodeSelectorTermWarnings(t, `${termsPath}[${i}]`));
      });
    }
    list(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const p = `${specPath}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}].preference`;
      w.push(...nodeSelectorTermWarnings(obj(t.preference) ?? {}, p));
    });
  }
  list(spec.topologySpreadConstraints).forEach((t, i) => {
    const p = `${specPath}.topologySpreadConstraints[${i}]`;
    const msg = deprecatedLabel(str(t.topologyKey));
    if (msg) w.push(`${p}.topologyKey: ${str(t.topologyKey)} is ${msg}`);
    if (!isPlainObject(t.labelSelector)) w.push(`${p}.labelSelector: ${NULL_SELECTOR}`);
  });

  for (const [key, msg] of DEPRECATED_ANNOTATIONS) if (key in annotations) w.push(`${annPath}[${key}]: ${msg}`);

  list(spec.volumes).forEach((v, i) => {
    for (const [source, msg] of DEPRECATED_VOLUMES) {
      if (v[source] !== undefined && v[source] !== null)
        w.push(`${specPath}.volumes[${i}].${source === 'storageos' ? 'storageOS' : source}: ${msg}`);
    }
  });

  // Projected files that collide with a service account token's path.
  const tokenPaths = new Set<string>();
  for (const v of list(spec.volumes)) {
    for (const s of list(obj(v.projected)?.sources)) {
      const sat = obj(s.serviceAccountToken);
      if (sat) tokenPaths.add(str(sat.path));
    }
  }
  if (tokenPaths.size > 0) {
    list(spec.volumes).forEach((v, i) => {
      const p = `${specPath}.volumes[${i}].projected.sources`;
      const dup = (item: Obj, at: string): void => {
        if (tokenPaths.has(str(item.path))) w.push(`${at}: has duplicated path with ServiceAccountToken ${JSON.stringify(str(item.path))}`);
      };
      for (const s of list(obj(v.projected)?.sources)) {
        list(obj(s.configMap)?.items).forEach((item, j) => {
          dup(item, `${p}.configMap[${j}]`);
        });
        list(obj(s.secret)?.items).forEach((item, j) => {
          dup(item, `${p}.secrets[${j}]`);
        });
        list(obj(s.downwardAPI)?.items).forEach((item, j) => {
          dup(item, `${p}.downwardAPI[${j}]`);
        });
        const ctb = obj(s.clusterTrustBundle);
        if (ctb) dup(ctb, `${p}.ClusterTrustBundle`);
      }
    });
  }

  const seen = (items: Obj[], key: string, path: (i: number) => string, what: string): void => {
    if (items.length < 2) return;
    const set = new Set<string>();
    items.forEach((item, i) => {
      const v = str(item[key]);
      if (set.has(v)) w.push(`${path(i)}: duplicate ${what} ${JSON.stringify(v)}`);
      else set.add(v);
    });
  };
  seen(list(spec.hostAliases), 'ip', (i) => `${specPath}.hostAliases[${i}].ip`, 'ip');
  const pullSecrets = list(spec.imagePullSecrets);
  seen(pullSecrets, 'name', (i) => `${specPath}.imagePullSecrets[${i}].name`, 'name');
  pullSecrets.forEach((s, i) => {
    if (!str(s.name)) w.push(`${specPath}.imagePullSecrets[${i}].name: invalid empty name ""`);
  });

  const overhead = obj(spec.overhead) ?? {};
  for (const r of ['memory', 'ephemeral-storage']) {
    if (r in overhead) w.push(...fractionalBytes(overhead[r], `${specPath}.overhead[${r}]`));
  }

  const sc = obj(spec.securityContext);
  if (!obj(sc?.seccompProfile) && SECCOMP_POD_ANNOTATION in annotations) {
    w.push(`${annPath}[${SECCOMP_POD_ANNOTATION}]: non-functional in v1.27+; use the "seccompProfile" field instead`);
  }
  const podAppArmor = isPlainObject(sc?.appArmorProfile);
  const containers = containersWithPath(spec, specPath);
  for (const [c, p] of containers) {
    const csc = obj(c.securityContext);
    const seccompKey = SECCOMP_CONTAINER_ANNOTATION_PREFIX + str(c.name);
    if (!obj(csc?.seccompProfile) && seccompKey in annotations) {
      w.push(`${annPath}[${seccompKey}]: non-functional in v1.27+; use the "seccompProfile" field instead`);
    }
    // Pods get their AppArmor annotation warnings from the version-skew handling; templates here.
    const appArmorKey = APPARMOR_ANNOTATION_PREFIX + str(c.name);
    if (prefix && !podAppArmor && !isPlainObject(csc?.appArmorProfile) && appArmorKey in annotations) {
      w.push(`${annPath}[${appArmorKey}]: deprecated since v1.30; use the "appArmorProfile" field instead`);
    }
    const resources = obj(c.resources);
    for (const r of ['memory', 'ephemeral-storage']) {
      for (const kind of ['limits', 'requests']) {
        const rl = obj(resources?.[kind]);
        if (rl && r in rl) w.push(...fractionalBytes(rl[r], `${p}.resources.${kind}[${r}]`));
      }
    }
    // An env var that hides an earlier one of the same name, unless it builds on it ("$(X)..." without valueFrom).
    const env = list(c.env);
    if (env.length > 1) {
      const names = new Set<string>();
      env.forEach((e, i) => {
        const name = str(e.name);
        if (!names.has(name)) {
          names.add(name);
          return;
        }
        const ref = `$(${name})`;
        const value = str(e.value);
        if (isPlainObject(e.valueFrom) || value === ref || !value.includes(ref)) {
          w.push(`${p}.env[${i}]: hides previous definition of ${JSON.stringify(name)}, which may be dropped when using apply`);
        }
      });
    }
  }

  const ports = new Map<string, { path: string; port: Obj }[]>();
  for (const [c, p] of containers) {
    list(c.ports).forEach((port, i) => {
      const path = `${p}.ports[${i}]`;
      const hostIP = str(port.hostIP);
      const hostPort = num(port.hostPort);
      if (hostIP && hostPort === 0) w.push(`${path}: hostIP set without hostPort: ${goPort(port)}`);
      const key = `${num(port.containerPort)}/${str(port.protocol)}`;
      const others = ports.get(key) ?? [];
      for (const other of others) {
        const otherIP = str(other.port.hostIP);
        const otherPort = num(other.port.hostPort);
        if (hostIP === otherIP && hostPort === otherPort) w.push(`${path}: duplicate port definition with ${other.path}`);
        else if (hostPort === 0 || otherPort === 0) w.push(`${path}: overlapping port definition with ${other.path}`);
        else if (hostPort === otherPort && (hostIP === '') !== (otherIP === '')) {
          w.push(`${path}: dangerously ambiguous port definition with ${other.path}`);
        }
      }
      others.push({ path, port });
      ports.set(key, others);
    });
  }

  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    w.push(`${specPath}.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1`);
  }

  const affinity = obj(spec.affinity);
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const pa = obj(affinity?.[kind]);
    if (!pa) continue;
    const base = `${specPath}.affinity.${kind}`;
    list(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      if (!isPlainObject(t.labelSelector))
        w.push(`${base}.requiredDuringSchedulingIgnoredDuringExecution[${i}].labelSelector: ${NULL_SELECTOR}`);
    });
    list(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      if (!isPlainObject(obj(t.podAffinityTerm)?.labelSelector)) {
        w.push(`${base}.preferredDuringSchedulingIgnoredDuringExecution[${i}].podAffinityTerm.labelSelector: ${NULL_SELECTOR}`);
      }
    });
  }
  return w;
}

/** GetWarningsForPod: a Pod's warnings, paths from its root (`spec.containers[0]...`). */
export function podWarnings(pod: { metadata?: unknown; spec?: unknown }): string[] {
  return warningsForPodSpecAndMeta(obj(pod.spec) ?? {}, obj(pod.metadata) ?? {}, '');
}

/** GetWarningsForPodTemplate: `path` is the template's (`spec.template`, `spec.jobTemplate.spec.template`). */
export function podTemplateWarnings(template: unknown, path: string): string[] {
  const t = obj(template);
  if (!t) return [];
  return warningsForPodSpecAndMeta(obj(t.spec) ?? {}, obj(t.metadata) ?? {}, path);
}

// The Pod Security Standards' checks (k8s.io/pod-security-admission/policy,
// v0.32), with their reasons and details word for word. Each check answers
// undefined (allowed) or [reason, detail]; every check has versions from a
// minimum policy version on (the `*-version` labels pick one), and a level runs
// its checks in kube's order (by check ID), baseline's first, restricted's
// overriding some from their minimum version.

import { allContainers, joinQuote, type Obj, obj, objects, pluralize, sortedUnique } from './util.js';

type Result = [reason: string, detail: string] | undefined;
type Check = (meta: Obj, spec: Obj) => Result;

const sc = (c: Obj): Obj | undefined => obj(c.securityContext);
const podSC = (spec: Obj): Obj | undefined => obj(spec.securityContext);
const containers = (spec: Obj): Obj[] => allContainers(spec).map((x) => x.c);
const names = (cs: Obj[]): string => `${pluralize('container', 'containers', cs.length)} ${joinQuote(cs.map((c) => String(c.name ?? '')))}`;

/** "pod and containers "a"" style setters. */
function setters(pod: boolean, bad: Obj[]): string[] {
  return [...(pod ? ['pod'] : []), ...(bad.length ? [names(bad)] : [])];
}

const allowPrivilegeEscalation: Check = (_m, spec) => {
  const bad = containers(spec).filter((c) => sc(c)?.allowPrivilegeEscalation !== false);
  return bad.length
    ? ['allowPrivilegeEscalation != false', `${names(bad)} must set securityContext.allowPrivilegeEscalation=false`]
    : undefined;
};

const APPARMOR_TYPES = new Set(['RuntimeDefault', 'Localhost']);

const appArmorProfile: Check = (meta, spec) => {
  const setters: string[] = [];
  const values: string[] = [];
  const podType = obj(obj(podSC(spec)?.appArmorProfile))?.type;
  if (obj(podSC(spec)?.appArmorProfile) && !APPARMOR_TYPES.has(String(podType ?? ''))) {
    setters.push('pod');
    values.push(String(podType ?? ''));
  }
  const bad = containers(spec).filter((c) => {
    const profile = obj(sc(c)?.appArmorProfile);
    if (!profile || APPARMOR_TYPES.has(String(profile.type ?? ''))) return false;
    values.push(String(profile.type ?? ''));
    return true;
  });
  if (bad.length) setters.push(names(bad));
  const list = sortedUnique(values);
  const annotations: string[] = [];
  for (const [k, v] of Object.entries(obj(meta.annotations) ?? {})) {
    if (!k.startsWith('container.apparmor.security.beta.kubernetes.io/')) continue;
    const x = String(v);
    if (!(x === '' || x === 'runtime/default' || x.startsWith('localhost/'))) annotations.push(`${k}=${JSON.stringify(x)}`);
  }
  if (annotations.length) {
    annotations.sort();
    list.push(...annotations);
    setters.push(pluralize('annotation', 'annotations', annotations.length));
  }
  if (!setters.length) return undefined;
  return [
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', list.length),
    `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(list)}`,
  ];
};

const BASELINE_CAPS = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const addedCaps = (c: Obj): string[] =>
  Array.isArray(obj(sc(c)?.capabilities)?.add) ? (obj(sc(c)?.capabilities)!.add as unknown[]).map(String) : [];

const capabilitiesBaseline: Check = (_m, spec) => {
  const caps: string[] = [];
  const bad = containers(spec).filter((c) => {
    const extra = addedCaps(c).filter((x) => !BASELINE_CAPS.has(x));
    caps.push(...extra);
    return extra.length > 0;
  });
  return bad.length
    ? ['non-default capabilities', `${names(bad)} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add`]
    : undefined;
};

const capabilitiesRestricted: Check = (_m, spec) => {
  const missingDrop: Obj[] = [];
  const adding: Obj[] = [];
  const caps: string[] = [];
  for (const c of containers(spec)) {
    const capabilities = obj(sc(c)?.capabilities);
    if (!capabilities) {
      missingDrop.push(c);
      continue;
    }
    if (!(Array.isArray(capabilities.drop) && capabilities.drop.includes('ALL'))) missingDrop.push(c);
    const extra = addedCaps(c).filter((x) => x !== 'NET_BIND_SERVICE');
    if (extra.length) {
      adding.push(c);
      caps.push(...extra);
    }
  }
  const details: string[] = [];
  if (missingDrop.length) details.push(`${names(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) details.push(`${names(adding)} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add`);
  return details.length ? ['unrestricted capabilities', details.join('; ')] : undefined;
};

const hostNamespaces: Check = (_m, spec) => {
  const used = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => spec[k] === true);
  return used.length ? ['host namespaces', sortedUnique(used.map((k) => `${k}=true`)).join(', ')] : undefined;
};

const hostPathVolumes: Check = (_m, spec) => {
  const vols = objects(spec.volumes)
    .filter((v) => v.hostPath !== undefined)
    .map((v) => String(v.name ?? ''));
  return vols.length ? ['hostPath volumes', `${pluralize('volume', 'volumes', vols.length)} ${joinQuote(vols)}`] : undefined;
};

const hostPorts: Check = (_m, spec) => {
  const ports: string[] = [];
  const bad = containers(spec).filter((c) => {
    const hp = objects(c.ports)
      .map((p) => p.hostPort)
      .filter((p) => typeof p === 'number' && p !== 0)
      .map(String);
    ports.push(...hp);
    return hp.length > 0;
  });
  if (!bad.length) return undefined;
  const list = sortedUnique(ports);
  return [
    'hostPort',
    `${names(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`,
  ];
};

const privileged: Check = (_m, spec) => {
  const bad = containers(spec).filter((c) => sc(c)?.privileged === true);
  return bad.length ? ['privileged', `${names(bad)} must not set securityContext.privileged=true`] : undefined;
};

const procMount: Check = (_m, spec) => {
  const types: string[] = [];
  const bad = containers(spec).filter((c) => {
    const p = sc(c)?.procMount;
    if (p === undefined || p === 'Default') return false;
    types.push(String(p));
    return true;
  });
  return bad.length
    ? ['procMount', `${names(bad)} must not set securityContext.procMount to ${joinQuote(sortedUnique(types))}`]
    : undefined;
};

const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

const restrictedVolumes: Check = (_m, spec) => {
  const bad = sortedUnique(
    objects(spec.volumes)
      .filter((v) => !RESTRICTED_VOLUMES.some((k) => v[k] !== undefined && v[k] !== null))
      .map((v) => String(v.name ?? '')),
  );
  // Go's %q of a []string: ["a" "b"].
  return bad.length
    ? ['restricted volume types', `volumes [${bad.map((b) => JSON.stringify(b)).join(' ')}] have restricted types`]
    : undefined;
};

const runAsNonRoot: Check = (_m, spec) => {
  const podValue = podSC(spec)?.runAsNonRoot;
  const explicit: Obj[] = [];
  const implicit: Obj[] = [];
  for (const c of containers(spec)) {
    const v = sc(c)?.runAsNonRoot;
    if (v !== undefined) {
      if (v === false) explicit.push(c);
    } else if (podValue !== true) implicit.push(c);
  }
  const bad = setters(podValue === false, explicit);
  if (bad.length) return ['runAsNonRoot != true', `${bad.join(' and ')} must not set securityContext.runAsNonRoot=false`];
  if (implicit.length) return ['runAsNonRoot != true', `pod or ${names(implicit)} must set securityContext.runAsNonRoot=true`];
  return undefined;
};

const runAsUser: Check = (_m, spec) => {
  const bad = setters(
    podSC(spec)?.runAsUser === 0,
    containers(spec).filter((c) => sc(c)?.runAsUser === 0),
  );
  return bad.length ? ['runAsUser=0', `${bad.join(' and ')} must not set runAsUser=0`] : undefined;
};

/** The SELinux types allowed from 1.31 (container_engine_t added to 1.0's). */
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

const seLinuxOptions = (allowed: string[]): Check => {
  const allowedTypes = new Set(allowed);
  return (_m, spec) => seLinuxOptionsIn(allowedTypes, spec);
};

function seLinuxOptionsIn(allowedTypes: Set<string>, spec: Obj): Result {
  const types: string[] = [];
  let user = false;
  let role = false;
  const valid = (o: Obj | undefined): boolean => {
    if (!o) return true;
    let ok = true;
    const t = String(o.type ?? '');
    if (!allowedTypes.has(t)) {
      ok = false;
      types.push(t);
    }
    if (o.user) {
      ok = false;
      user = true;
    }
    if (o.role) {
      ok = false;
      role = true;
    }
    return ok;
  };
  const podBad = !valid(obj(podSC(spec)?.seLinuxOptions));
  const bad = setters(
    podBad,
    containers(spec).filter((c) => !valid(obj(sc(c)?.seLinuxOptions))),
  );
  if (!bad.length) return undefined;
  const data: string[] = [];
  if (types.length) {
    const t = sortedUnique(types);
    data.push(`${pluralize('type', 'types', t.length)} ${joinQuote(t)}`);
    if (user) data.push('user may not be set');
    if (role) data.push('role may not be set');
  }
  return ['seLinuxOptions', `${bad.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`];
}

const validSeccomp = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';

const seccompProfileBaseline: Check = (_m, spec) => {
  const values: string[] = [];
  const podType = obj(podSC(spec)?.seccompProfile)?.type;
  const podBad = podType !== undefined && !validSeccomp(podType);
  if (podBad) values.push(String(podType));
  const bad = containers(spec).filter((c) => {
    const t = obj(sc(c)?.seccompProfile)?.type;
    if (t === undefined || validSeccomp(t)) return false;
    values.push(String(t));
    return true;
  });
  const who = setters(podBad, bad);
  return who.length
    ? ['seccompProfile', `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(values))}`]
    : undefined;
};

const seccompProfileRestricted: Check = (_m, spec) => {
  const values: string[] = [];
  const podProfile = obj(podSC(spec)?.seccompProfile);
  const podBad = !!podProfile && !validSeccomp(podProfile.type);
  if (podBad) values.push(String(podProfile!.type ?? ''));
  const podSet = !!podProfile && !podBad;
  const explicit: Obj[] = [];
  const implicit: Obj[] = [];
  for (const c of containers(spec)) {
    const p = obj(sc(c)?.seccompProfile);
    if (p) {
      if (!validSeccomp(p.type)) {
        explicit.push(c);
        values.push(String(p.type ?? ''));
      }
    } else if (!podSet) implicit.push(c);
  }
  const who = setters(podBad, explicit);
  if (who.length)
    return [
      'seccompProfile',
      `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(values))}`,
    ];
  if (implicit.length)
    return ['seccompProfile', `pod or ${names(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`];
  return undefined;
};

/** The safe sysctls from 1.32 (sysctlsAllowedV1Dot32); earlier versions allow fewer. */
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];

const sysctls = (safe: string[]): Check => {
  const allowed = new Set(safe);
  return (_m, spec) => {
    const bad = objects(podSC(spec)?.sysctls)
      .map((s) => String(s.name ?? ''))
      .filter((n) => !allowed.has(n));
    return bad.length ? ['forbidden sysctls', bad.join(', ')] : undefined;
  };
};

const windowsHostProcess: Check = (_m, spec) => {
  const hp = (x: Obj | undefined): boolean => obj(x?.windowsOptions)?.hostProcess === true;
  const who = setters(
    hp(podSC(spec)),
    containers(spec).filter((c) => hp(sc(c))),
  );
  return who.length ? ['hostProcess', `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`] : undefined;
};

/** Pod API validation refuses these fields on Windows pods, so from 1.25 a Windows pod passes without them. */
const unlessWindows =
  (check: Check): Check =>
  (meta, spec) =>
    obj(spec.os)?.name === 'windows' ? undefined : check(meta, spec);

const SYSCTLS_1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [
  ...SYSCTLS_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION = 'container.seccomp.security.alpha.kubernetes.io/';

/** Before 1.19 the seccomp profile was the alpha annotations' (seccompProfileBaseline_1_0). */
const seccompAnnotationsBaseline: Check = (meta, spec) => {
  const annotations = obj(meta.annotations) ?? {};
  const valid = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const bad = new Set<string>();
  const check = (key: string) => {
    const v = annotations[key];
    if (v !== undefined && !valid(String(v))) bad.add(`${key}=${JSON.stringify(String(v))}`);
  };
  check(SECCOMP_POD_ANNOTATION);
  for (const c of containers(spec)) check(`${SECCOMP_CONTAINER_ANNOTATION}${String(c.name ?? '')}`);
  if (!bad.size) return undefined;
  const list = [...bad].sort();
  return ['seccompProfile', `forbidden ${pluralize('annotation', 'annotations', list.length)} ${list.join(', ')}`];
};

interface VersionedCheck {
  /** The first policy minor version (1.x) this variant applies to. */
  min: number;
  check: Check;
  /** Baseline check IDs this restricted check replaces from this version on. */
  overrides?: string[];
}

interface CheckDef {
  id: string;
  level: 'baseline' | 'restricted';
  versions: VersionedCheck[];
}

const v = (min: number, check: Check, overrides?: string[]): VersionedCheck => ({ min, check, overrides });

/** The check registrations (ID, level, the variants by MinimumVersion), IDs sorted as kube orders them. */
const CHECKS: CheckDef[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [v(0, appArmorProfile)] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [v(0, capabilitiesBaseline)] },
  { id: 'hostNamespaces', level: 'baseline', versions: [v(0, hostNamespaces)] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [v(0, hostPathVolumes)] },
  { id: 'hostPorts', level: 'baseline', versions: [v(0, hostPorts)] },
  { id: 'privileged', level: 'baseline', versions: [v(0, privileged)] },
  { id: 'procMount', level: 'baseline', versions: [v(0, procMount)] },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [v(0, seLinuxOptions(['', 'container_t', 'container_init_t', 'container_kvm_t'])), v(31, seLinuxOptions(SELINUX_TYPES))],
  },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: [v(0, seccompAnnotationsBaseline), v(19, seccompProfileBaseline)] },
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [v(0, sysctls(SYSCTLS_1_0)), v(27, sysctls(SYSCTLS_1_27)), v(29, sysctls(SYSCTLS_1_29)), v(32, sysctls(SAFE_SYSCTLS))],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [v(0, windowsHostProcess)] },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    versions: [v(8, allowPrivilegeEscalation), v(25, unlessWindows(allowPrivilegeEscalation))],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      v(22, capabilitiesRestricted, ['capabilities_baseline']),
      v(25, unlessWindows(capabilitiesRestricted), ['capabilities_baseline']),
    ],
  },
  { id: 'restrictedVolumes', level: 'restricted', versions: [v(0, restrictedVolumes, ['hostPathVolumes'])] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [v(0, runAsNonRoot)] },
  { id: 'runAsUser', level: 'restricted', versions: [v(23, runAsUser)] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      v(19, seccompProfileRestricted, ['seccompProfile_baseline']),
      v(25, unlessWindows(seccompProfileRestricted), ['seccompProfile_baseline']),
    ],
  },
];

/** The newest MinimumVersion registered: later versions (and `latest`) evaluate as it. */
const MAX_MINOR = Math.max(...CHECKS.flatMap((c) => c.versions.map((x) => x.min)));

/** A check's variant at a policy minor version, if it exists then. */
function variantAt(c: CheckDef, minor: number): VersionedCheck | undefined {
  let found: VersionedCheck | undefined;
  for (const x of c.versions) if (x.min <= minor) found = x;
  return found;
}

/** The checks a level runs at a version (checkRegistry.populate), memoised: baseline's, then restricted's. */
const registry = new Map<string, Check[]>();
function checksFor(level: 'baseline' | 'restricted', minor: number): Check[] {
  const key = `${level}:${minor}`;
  let checks = registry.get(key);
  if (checks) return checks;
  const baseline = CHECKS.filter((c) => c.level === 'baseline');
  const restricted = level === 'restricted' ? CHECKS.filter((c) => c.level === 'restricted') : [];
  const overridden = new Set(restricted.flatMap((c) => variantAt(c, minor)?.overrides ?? []));
  checks = [...baseline.filter((c) => !overridden.has(c.id)), ...restricted]
    .map((c) => variantAt(c, minor)?.check)
    .filter((c): c is Check => !!c);
  registry.set(key, checks);
  return checks;
}

export type Level = 'privileged' | 'baseline' | 'restricted';

/** A policy version label's value: `latest` or `v1.<minor>`. */
export function policyMinor(version: string): number {
  const m = /^v1\.(\d+)$/.exec(version);
  return m ? Math.min(Number(m[1]), MAX_MINOR) : MAX_MINOR;
}

/** The forbidden reasons and details of a pod at a level and version (AggregateCheckResults), in kube's order. */
export function evaluatePod(level: Level, meta: Obj, spec: Obj, version = 'latest'): Array<[string, string]> {
  if (level === 'privileged') return [];
  return checksFor(level, policyMinor(version))
    .map((c) => c(meta, spec))
    .filter((r): r is [string, string] => !!r);
}

/** AggregateCheckResult.ForbiddenDetail: `reason (detail), reason, ...`. */
export function forbiddenDetail(results: Array<[string, string]>): string {
  return results.map(([r, d]) => (d ? `${r} (${d})` : r)).join(', ');
}

// The Pod Security Standards' checks (k8s.io/pod-security-admission/policy),
// latest version, with their reasons and details word for word. Each check
// answers undefined (allowed) or [reason, detail]; a level runs its checks in
// kube's order (by check ID), baseline's first, restricted's overriding some.

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

const appArmorProfile: Check = (meta) => {
  const bad: string[] = [];
  for (const [k, v] of Object.entries(obj(meta.annotations) ?? {})) {
    if (!k.startsWith('container.apparmor.security.beta.kubernetes.io/')) continue;
    const s = String(v);
    if (!(s === '' || s === 'runtime/default' || s.startsWith('localhost/'))) bad.push(`${k}=${JSON.stringify(s)}`);
  }
  if (!bad.length) return undefined;
  bad.sort();
  return [pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', bad.length), bad.join(', ')];
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

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);

const seLinuxOptions: Check = (_m, spec) => {
  const types: string[] = [];
  let user = false;
  let role = false;
  const valid = (o: Obj | undefined): boolean => {
    if (!o) return true;
    let ok = true;
    const t = String(o.type ?? '');
    if (!SELINUX_TYPES.has(t)) {
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
};

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

const SAFE_SYSCTLS = new Set([
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
]);

const sysctls: Check = (_m, spec) => {
  const bad = objects(podSC(spec)?.sysctls)
    .map((s) => String(s.name ?? ''))
    .filter((n) => !SAFE_SYSCTLS.has(n));
  return bad.length ? ['forbidden sysctls', bad.join(', ')] : undefined;
};

const windowsHostProcess: Check = (_m, spec) => {
  const hp = (x: Obj | undefined): boolean => obj(x?.windowsOptions)?.hostProcess === true;
  const who = setters(
    hp(podSC(spec)),
    containers(spec).filter((c) => hp(sc(c))),
  );
  return who.length ? ['hostProcess', `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`] : undefined;
};

/** Baseline's checks by ID; the three restricted overrides replace capabilities, hostPath volumes and seccomp. */
const BASELINE: Array<[string, Check]> = [
  ['appArmorProfile', appArmorProfile],
  ['capabilities_baseline', capabilitiesBaseline],
  ['hostNamespaces', hostNamespaces],
  ['hostPathVolumes', hostPathVolumes],
  ['hostPorts', hostPorts],
  ['privileged', privileged],
  ['procMount', procMount],
  ['seLinuxOptions', seLinuxOptions],
  ['seccompProfile_baseline', seccompProfileBaseline],
  ['sysctls', sysctls],
  ['windowsHostProcess', windowsHostProcess],
];
const OVERRIDDEN = new Set(['capabilities_baseline', 'hostPathVolumes', 'seccompProfile_baseline']);
const RESTRICTED: Check[] = [
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompProfileRestricted,
];

export type Level = 'privileged' | 'baseline' | 'restricted';

/** The forbidden reasons and details of a pod at a level (AggregateCheckResults), in kube's order. */
export function evaluatePod(level: Level, meta: Obj, spec: Obj): Array<[string, string]> {
  if (level === 'privileged') return [];
  const checks =
    level === 'baseline'
      ? BASELINE.map(([, c]) => c)
      : [...BASELINE.filter(([id]) => !OVERRIDDEN.has(id)).map(([, c]) => c), ...RESTRICTED];
  return checks.map((c) => c(meta, spec)).filter((r): r is [string, string] => !!r);
}

/** AggregateCheckResult.ForbiddenDetail: `reason (detail), reason, ...`. */
export function forbiddenDetail(results: Array<[string, string]>): string {
  return results.map(([r, d]) => (d ? `${r} (${d})` : r)).join(', ');
}

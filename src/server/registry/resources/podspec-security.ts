// The pod's and containers' security contexts: kube's
// validatePodSpecSecurityContext and ValidateSecurityContext
// (pkg/apis/core/validation/validation.go), with their messages and paths.

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isPlainObject } from '../../api/types.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

const MAX_ID = 2147483647;

/** validation.IsValidUserID / IsValidGroupID. */
function idRange(v: unknown, path: string): FieldError[] {
  return typeof v === 'number' && (v < 0 || v > MAX_ID) ? [fieldErrors.invalid(path, v, `must be between 0 and ${MAX_ID}, inclusive`)] : [];
}

/** validateLocalDescendingPath, for a Localhost seccomp profile. */
function localDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(fieldErrors.invalid(path, p, 'must be a relative path'));
  if (p.split(/[\\/]/).includes('..')) errs.push(fieldErrors.invalid(path, p, "must not contain '..'"));
  return errs;
}

const PROFILE_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];

/** validateSeccompProfileField. */
function validateSeccompProfile(value: unknown, path: string): FieldError[] {
  const sp = obj(value);
  if (!sp) return [];
  const errs: FieldError[] = [];
  const type = str(sp.type);
  if (!type) errs.push(fieldErrors.required(`${path}.type`, 'type is required when seccompProfile is set'));
  else if (!PROFILE_TYPES.includes(type)) errs.push(fieldErrors.notSupported(`${path}.type`, type, PROFILE_TYPES));
  if (type === 'Localhost') {
    if (!isSet(sp.localhostProfile))
      errs.push(fieldErrors.required(`${path}.localhostProfile`, 'must be set when seccomp type is Localhost'));
    else errs.push(...localDescendingPath(str(sp.localhostProfile), `${path}.localhostProfile`));
  } else if (isSet(sp.localhostProfile)) {
    // The bad value is the profile struct (%#v): its pointer field prints as an address.
    const bad = new GoValue(`core.SeccompProfile{Type:${JSON.stringify(type)}, LocalhostProfile:(*string)(0xc000000000)}`);
    errs.push(fieldErrors.invalid(`${path}.localhostProfile`, bad, 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

/** ValidateAppArmorProfileField. */
function validateAppArmorProfile(value: unknown, path: string): FieldError[] {
  const profile = obj(value);
  if (!profile) return [];
  const type = str(profile.type);
  const lp = profile.localhostProfile;
  switch (type) {
    case 'Localhost': {
      if (!isSet(lp)) return [fieldErrors.required(`${path}.localhostProfile`, 'must be set when AppArmor type is Localhost')];
      const s = str(lp);
      const errs: FieldError[] = [];
      if (s.trim() !== s) errs.push(fieldErrors.invalid(`${path}.localhostProfile`, s, 'must not be padded with whitespace'));
      else if (!s) errs.push(fieldErrors.required(`${path}.localhostProfile`, 'must be set when AppArmor type is Localhost'));
      if (Buffer.byteLength(s) > 4095) errs.push(fieldErrors.tooLong(`${path}.localhostProfile`, 4095));
      return errs;
    }
    case 'RuntimeDefault':
    case 'Unconfined':
      return isSet(lp) ? [fieldErrors.invalid(`${path}.localhostProfile`, lp, 'can only be set when AppArmor type is Localhost')] : [];
    case '':
      return [fieldErrors.required(`${path}.type`, 'type is required when appArmorProfile is set')];
    default:
      return [fieldErrors.notSupported(`${path}.type`, type, PROFILE_TYPES)];
  }
}

const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_RE = `^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`;
const SYSCTL_REGEXP = new RegExp(SYSCTL_RE);

/** utilsysctl.GetNamespace, for the two namespaces host networking and host IPC share. */
function sysctlNamespace(name: string): 'net' | 'ipc' | undefined {
  const n = name.replaceAll('/', '.');
  if (n.startsWith('net.')) return 'net';
  if (['kernel.sem', 'kernel.shmmax', 'kernel.shmall', 'kernel.shmmni', 'kernel.shm_rmid_forced'].includes(n)) return 'ipc';
  if (['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni'].includes(n) || n.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}

/** validateSysctls and ValidateHostSysctl: valid, unique names, none in a namespace the pod shares with its host. */
function validateSysctls(sysctls: Obj[], spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  sysctls.forEach((s, i) => {
    const p = `${path}[${i}].name`;
    const name = str(s.name);
    if (!name) errs.push(fieldErrors.required(p));
    else if (name.length > 253 || !SYSCTL_REGEXP.test(name)) {
      errs.push(fieldErrors.invalid(p, name, `must have at most 253 characters and match regex ${SYSCTL_RE}`));
    } else if (names.has(name)) errs.push(fieldErrors.duplicate(p, name));
    const ns = sysctlNamespace(name);
    if (spec.hostNetwork === true && ns === 'net')
      errs.push(fieldErrors.invalid(p, name, "may not be specified when 'hostNetwork' is true"));
    else if (spec.hostIPC === true && ns === 'ipc') errs.push(fieldErrors.invalid(p, name, "may not be specified when 'hostIPC' is true"));
    names.add(name);
  });
  return errs;
}

function enumField(sc: Obj, key: string, allowed: string[], path: string): FieldError[] {
  const v = sc[key];
  return isSet(v) && !allowed.includes(str(v)) ? [fieldErrors.notSupported(`${path}.${key}`, v, allowed)] : [];
}

/** validatePodSpecSecurityContext: `path` is `spec.securityContext`. */
export function validatePodSecurityContext(spec: Obj, path: string): FieldError[] {
  const sc = obj(spec.securityContext);
  if (!sc) return [];
  const errs: FieldError[] = [];
  errs.push(...idRange(sc.fsGroup, `${path}.fsGroup`));
  errs.push(...idRange(sc.runAsUser, `${path}.runAsUser`));
  errs.push(...idRange(sc.runAsGroup, `${path}.runAsGroup`));
  (Array.isArray(sc.supplementalGroups) ? sc.supplementalGroups : []).forEach((g, i) => {
    errs.push(...idRange(g, `${path}.supplementalGroups[${i}]`));
  });
  // The internal PodSecurityContext carries hostPID and shareProcessNamespace, hence the path.
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(fieldErrors.invalid(`${path}.shareProcessNamespace`, true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  errs.push(...validateSysctls(list(sc.sysctls), spec, `${path}.sysctls`));
  errs.push(...enumField(sc, 'fsGroupChangePolicy', ['OnRootMismatch', 'Always'], path));
  errs.push(...validateSeccompProfile(sc.seccompProfile, `${path}.seccompProfile`));
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, `${path}.appArmorProfile`));
  errs.push(...enumField(sc, 'supplementalGroupsPolicy', ['Merge', 'Strict'], path));
  return errs;
}

/** The %#v of a container SecurityContext as field.Invalid prints it (pointers as addresses). */
function goSecurityContext(sc: Obj): GoValue {
  const ptr = (k: string, type: string): string =>
    `${k}:${isSet(sc[k.charAt(0).toLowerCase() + k.slice(1)]) ? `(${type})(0xc000000000)` : `(${type})(nil)`}`;
  return new GoValue(
    `&core.SecurityContext{${[
      ptr('Capabilities', '*core.Capabilities'),
      ptr('Privileged', '*bool'),
      ptr('SELinuxOptions', '*core.SELinuxOptions'),
      ptr('WindowsOptions', '*core.WindowsSecurityContextOptions'),
      ptr('RunAsUser', '*int64'),
      ptr('RunAsGroup', '*int64'),
      ptr('RunAsNonRoot', '*bool'),
      ptr('ReadOnlyRootFilesystem', '*bool'),
      ptr('AllowPrivilegeEscalation', '*bool'),
      ptr('ProcMount', '*core.ProcMountType'),
      ptr('SeccompProfile', '*core.SeccompProfile'),
      ptr('AppArmorProfile', '*core.AppArmorProfile'),
    ].join(', ')}}`,
  );
}

const PROC_MOUNT_TYPES = ['Default', 'Unmasked'];

/** ValidateSecurityContext for one container: `path` is `...containers[i].securityContext`. */
export function validateContainerSecurityContext(value: unknown, podSpec: Obj, path: string): FieldError[] {
  const sc = obj(value);
  if (!sc) return [];
  const errs: FieldError[] = [];
  errs.push(...idRange(sc.runAsUser, `${path}.runAsUser`));
  errs.push(...idRange(sc.runAsGroup, `${path}.runAsGroup`));
  if (isSet(sc.procMount)) {
    const pm = str(sc.procMount);
    if (!PROC_MOUNT_TYPES.includes(pm)) errs.push(fieldErrors.notSupported(`${path}.procMount`, sc.procMount, PROC_MOUNT_TYPES));
    if (podSpec.hostUsers !== false && pm === 'Unmasked') {
      errs.push(fieldErrors.invalid(`${path}.procMount`, pm, '`hostUsers` must be false to use `Unmasked`'));
    }
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, `${path}.seccompProfile`));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      errs.push(
        fieldErrors.invalid(path, goSecurityContext(sc), 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'),
      );
    }
    const add = obj(sc.capabilities)?.add;
    for (const cap of Array.isArray(add) ? add : []) {
      if (cap === 'CAP_SYS_ADMIN') {
        errs.push(
          fieldErrors.invalid(
            path,
            goSecurityContext(sc),
            'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
          ),
        );
      }
    }
  }
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, `${path}.appArmorProfile`));
  return errs;
}

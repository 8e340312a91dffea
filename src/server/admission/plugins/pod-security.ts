// kube's PodSecurity admission (k8s.io/pod-security-admission/admission): the
// namespace's pod-security.kubernetes.io/{enforce,warn,audit}[-version] labels
// pick a level; pods violating `enforce` are refused with kube's message, `warn`
// violations come back as warnings (pods, and the pod templates of workloads),
// invalid labels are refused on namespaces, and changing a namespace's enforce
// level warns about its existing pods. No exemptions are configured, and the
// checks are the latest version's whatever version label is set.

import { fieldErrors, forbidden, invalid } from '../../api/errors.js';
import { deepEqual, type KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';
import { evaluatePod, forbiddenDetail, type Level } from './pod-security-checks.js';
import { type Obj, obj, objects, podTemplateOf } from './util.js';

const PREFIX = 'pod-security.kubernetes.io/';
const LEVELS = ['privileged', 'baseline', 'restricted'];
const VERSION_RE = /^v1\.([0-9]|[1-9][0-9]*)$/;

interface LevelVersion {
  level: Level;
  version: string;
}

interface Policy {
  enforce: LevelVersion;
  warn: LevelVersion;
  audit: LevelVersion;
  errors: Array<{ label: string; value: string; detail: string }>;
}

const lvString = (lv: LevelVersion): string => `${lv.level}:${lv.version}`;

/** PolicyToEvaluate: labels over the privileged:latest defaults; an invalid enforce level is restricted, warn and audit fail open. */
export function policyFromLabels(labels: Record<string, string> | undefined): Policy {
  const p: Policy = {
    enforce: { level: 'privileged', version: 'latest' },
    warn: { level: 'privileged', version: 'latest' },
    audit: { level: 'privileged', version: 'latest' },
    errors: [],
  };
  for (const mode of ['enforce', 'audit', 'warn'] as const) {
    const level = labels?.[`${PREFIX}${mode}`];
    if (level !== undefined) {
      if (LEVELS.includes(level)) p[mode].level = level as Level;
      else {
        p[mode].level = mode === 'enforce' ? 'restricted' : 'privileged';
        p.errors.push({ label: `${PREFIX}${mode}`, value: level, detail: `must be one of ${LEVELS.join(', ')}` });
      }
    }
    const version = labels?.[`${PREFIX}${mode}-version`];
    if (version !== undefined) {
      if (version === 'latest' || VERSION_RE.test(version)) p[mode].version = version;
      else p.errors.push({ label: `${PREFIX}${mode}-version`, value: version, detail: 'must be "latest" or "v1.x"' });
    }
  }
  return p;
}

const POD_CONTROLLERS = new Set([
  'apps/deployments',
  'apps/replicasets',
  'apps/statefulsets',
  'apps/daemonsets',
  'batch/jobs',
  'batch/cronjobs',
  '/replicationcontrollers',
  '/podtemplates',
]);

const SECURITY_ANNOTATION =
  /^(seccomp\.security\.alpha\.kubernetes\.io\/|container\.seccomp\.security\.alpha\.kubernetes\.io\/|container\.apparmor\.security\.beta\.kubernetes\.io\/)/;

/** isSignificantPodUpdate: anything but image changes in the spec, or a security annotation. */
function significantUpdate(pod: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const spec = structuredClone(obj(o.spec) ?? {});
    for (const key of ['containers', 'initContainers', 'ephemeralContainers']) for (const c of objects(spec[key])) delete c.image;
    const ann = Object.entries(o.metadata?.annotations ?? {}).filter(([k]) => SECURITY_ANNOTATION.test(k));
    return { spec, ann };
  };
  return !deepEqual(strip(pod), strip(old));
}

export class PodSecurity implements ValidatingPlugin {
  readonly name = 'PodSecurity';
  constructor(private readonly objects: ObjectAccess) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if (!a.object) return;
    const { group, resource } = a.resource;
    if (group === '' && resource === 'namespaces' && !a.subresource) return this.validateNamespace(a);
    if (!a.namespace) return;
    if (group === '' && resource === 'pods' && (a.subresource === '' || a.subresource === 'ephemeralcontainers'))
      return this.validatePod(a);
    if (!a.subresource && POD_CONTROLLERS.has(`${group}/${resource}`)) return this.validateController(a);
  }

  private async policy(namespace: string): Promise<Policy> {
    const ns = await this.objects.get(CORE('namespaces'), '', namespace);
    return policyFromLabels(ns?.metadata?.labels);
  }

  private async validatePod(a: AdmissionAttributes): Promise<void> {
    const pod = a.object!;
    if (a.operation === 'UPDATE' && a.oldObject && !significantUpdate(pod, a.oldObject)) return;
    const p = await this.policy(a.namespace);
    const meta = (pod.metadata ?? {}) as Obj;
    const spec = obj(pod.spec) ?? {};
    const enforce = evaluatePod(p.enforce.level, meta, spec);
    if (enforce.length) {
      throw forbidden(
        { group: '', resource: 'pods' },
        a.name,
        `violates PodSecurity "${lvString(p.enforce)}": ${forbiddenDetail(enforce)}`,
      );
    }
    this.warn(a, p, meta, spec);
  }

  private async validateController(a: AdmissionAttributes): Promise<void> {
    const t = podTemplateOf(a.object!);
    if (!t) return;
    if (a.operation === 'UPDATE' && a.oldObject) {
      const old = podTemplateOf(a.oldObject);
      if (old && deepEqual(old, t)) return;
    }
    this.warn(a, await this.policy(a.namespace), t.metadata, t.spec);
  }

  private warn(a: AdmissionAttributes, p: Policy, meta: Obj, spec: Obj): void {
    const results = evaluatePod(p.warn.level, meta, spec);
    if (results.length) a.warnings?.push(`would violate PodSecurity "${lvString(p.warn)}": ${forbiddenDetail(results)}`);
  }

  private async validateNamespace(a: AdmissionAttributes): Promise<void> {
    const next = policyFromLabels(a.object!.metadata?.labels);
    const errs = next.errors.map((e) => fieldErrors.invalid(`metadata.labels[${e.label}]`, e.value, e.detail));
    if (a.operation === 'CREATE') {
      if (errs.length) throw invalid({ group: '', kind: 'Namespace' }, a.name, errs);
      return;
    }
    const prev = policyFromLabels(a.oldObject?.metadata?.labels);
    if (errs.length && (!prev.errors.length || !deepEqual(prev.errors, next.errors)))
      throw invalid({ group: '', kind: 'Namespace' }, a.name, errs);
    // Existing pods are dry-run only when the enforce level tightened (or its version changed).
    if (deepEqual(prev.enforce, next.enforce) || next.enforce.level === 'privileged') return;
    const relaxed =
      prev.enforce.version === next.enforce.version && LEVELS.indexOf(next.enforce.level) < LEVELS.indexOf(prev.enforce.level);
    if (relaxed) return;
    const pods = await this.objects.list(CORE('pods'), a.name);
    const byReason = new Map<string, string[]>();
    for (const pod of pods) {
      const r = evaluatePod(next.enforce.level, (pod.metadata ?? {}) as Obj, obj(pod.spec) ?? {});
      if (!r.length) continue;
      const reason = r.map(([x]) => x).join(', ');
      byReason.set(reason, [...(byReason.get(reason) ?? []), pod.metadata?.name ?? '']);
    }
    if (!byReason.size) return;
    a.warnings?.push(`existing pods in namespace "${a.name}" violate the new PodSecurity enforce level "${lvString(next.enforce)}"`);
    for (const [reason, names] of byReason) {
      const who = names.length === 1 ? names[0] : `${names[0]} (and ${names.length - 1} other ${names.length === 2 ? 'pod' : 'pods'})`;
      a.warnings?.push(`${who}: ${reason}`);
    }
  }
}

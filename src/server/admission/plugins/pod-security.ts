// kube's PodSecurity admission (k8s.io/pod-security-admission/admission, v0.32):
// the namespace's pod-security.kubernetes.io/{enforce,warn,audit}[-version]
// labels (over the configuration's defaults) pick a level and version; pods
// violating `enforce` are refused with kube's message, `warn` violations come
// back as warnings (pods, and the pod templates of workloads), `audit`
// violations and the enforced policy become audit annotations
// (pod-security.kubernetes.io/audit-violations, enforce-policy, exempt), invalid
// labels are refused on namespaces, and changing a namespace's enforce level
// warns about its existing pods. The PodSecurityConfiguration's exemptions
// (usernames, runtimeClasses, namespaces) are honoured.

import { fieldErrors, forbidden, invalid } from '../../api/errors.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';
import { evaluatePod, forbiddenDetail, type Level } from './pod-security-checks.js';
import { type Obj, obj, objects, podTemplateOf } from './util.js';

const PREFIX = 'pod-security.kubernetes.io/';
const LEVELS = ['privileged', 'baseline', 'restricted'];
const VERSION_RE = /^v1\.([0-9]|[1-9][0-9]*)$/;
const MODES = ['enforce', 'audit', 'warn'] as const;
type Mode = (typeof MODES)[number];

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

/** The PodSecurityConfiguration (pod-security.admission.config.k8s.io/v1) from the admission configuration file. */
export interface PodSecurityConfig {
  defaults: Record<Mode, LevelVersion>;
  exemptions: { usernames: string[]; runtimeClasses: string[]; namespaces: string[] };
}

const lvString = (lv: LevelVersion): string => `${lv.level}:${lv.version}`;
const PRIVILEGED_LATEST: LevelVersion = { level: 'privileged', version: 'latest' };

/** The configuration's defaults and exemptions (SetDefaults_PodSecurityConfiguration: privileged:latest, none exempt). */
export function podSecurityConfig(raw: unknown): PodSecurityConfig {
  const c = obj(raw) ?? {};
  const d = obj(c.defaults) ?? {};
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  const ex = obj(c.exemptions) ?? {};
  const defaults = {} as Record<Mode, LevelVersion>;
  for (const mode of MODES) {
    const level = typeof d[mode] === 'string' && LEVELS.includes(d[mode] as string) ? (d[mode] as Level) : 'privileged';
    const version = typeof d[`${mode}-version`] === 'string' ? (d[`${mode}-version`] as string) : 'latest';
    defaults[mode] = { level, version: version === 'latest' || VERSION_RE.test(version) ? version : 'latest' };
  }
  return {
    defaults,
    exemptions: { usernames: strings(ex.usernames), runtimeClasses: strings(ex.runtimeClasses), namespaces: strings(ex.namespaces) },
  };
}

const DEFAULT_CONFIG = podSecurityConfig(undefined);
const levelRank = (l: Level): number => LEVELS.indexOf(l);

/**
 * PolicyToEvaluate: labels over the defaults; an invalid enforce level is restricted, warn and audit fail
 * open to privileged, an invalid version is latest. Without a warn label, warn follows a stricter enforce.
 */
export function policyFromLabels(labels: Record<string, string> | undefined, defaults = DEFAULT_CONFIG.defaults): Policy {
  const p: Policy = {
    enforce: { ...defaults.enforce },
    warn: { ...defaults.warn },
    audit: { ...defaults.audit },
    errors: [],
  };
  if (!labels || !Object.keys(labels).length) return p;
  let enforceLevelSet = false;
  for (const mode of MODES) {
    const level = labels[`${PREFIX}${mode}`];
    if (level !== undefined) {
      if (LEVELS.includes(level)) {
        p[mode].level = level as Level;
        if (mode === 'enforce') enforceLevelSet = true;
      } else {
        p[mode].level = mode === 'enforce' ? 'restricted' : 'privileged';
        p.errors.push({ label: `${PREFIX}${mode}`, value: level, detail: `must be one of ${LEVELS.join(', ')}` });
      }
    }
    const version = labels[`${PREFIX}${mode}-version`];
    if (version !== undefined) {
      if (version === 'latest' || VERSION_RE.test(version)) p[mode].version = version;
      else {
        p[mode].version = 'latest';
        p.errors.push({ label: `${PREFIX}${mode}-version`, value: version, detail: 'must be "latest" or "v1.x"' });
      }
    }
  }
  if (labels[`${PREFIX}warn`] === undefined && enforceLevelSet && levelRank(p.enforce.level) > levelRank(p.warn.level)) {
    p.warn.level = p.enforce.level;
    if (labels[`${PREFIX}warn-version`] === undefined) p.warn.version = p.enforce.version;
  }
  return p;
}

const fullyPrivileged = (p: Policy): boolean => MODES.every((m) => p[m].level === 'privileged');
const equivalent = (a: LevelVersion, b: LevelVersion): boolean =>
  (a.level === 'privileged' && b.level === 'privileged') || (a.level === b.level && a.version === b.version);

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

/** isSignificantPodUpdate: more or fewer containers, a changed image, an added or changed ephemeral container. */
function significantUpdate(pod: KubeObject, old: KubeObject): boolean {
  const spec = obj(pod.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  for (const key of ['containers', 'initContainers']) {
    const now = objects(spec[key]);
    const before = objects(oldSpec[key]);
    if (now.length !== before.length) return true;
    if (now.some((c, i) => c.image !== before[i].image)) return true;
  }
  const before = objects(oldSpec.ephemeralContainers);
  return objects(spec.ephemeralContainers).some((c) => {
    const o = before.find((x) => x.name === c.name);
    return !o || o.image !== c.image;
  });
}

/** Pods first by controller: one pod per controller before the other replicas (prioritizePods), exempt runtime classes skipped. */
function prioritize(pods: KubeObject[], exemptRuntimeClass: (rc: unknown) => boolean): KubeObject[] {
  const first: KubeObject[] = [];
  const duplicates: KubeObject[] = [];
  const seen = new Set<string>();
  for (const pod of pods) {
    if (exemptRuntimeClass(obj(pod.spec)?.runtimeClassName)) continue;
    const owner = (pod.metadata?.ownerReferences ?? []).find((r) => isPlainObject(r) && r.controller === true);
    if (!owner) first.push(pod);
    else if (seen.has(String(owner.uid))) duplicates.push(pod);
    else {
      seen.add(String(owner.uid));
      first.push(pod);
    }
  }
  return [...first, ...duplicates];
}

/** kube's defaultNamespaceMaxPodsToCheck. */
const MAX_PODS_TO_CHECK = 3000;

export class PodSecurity implements ValidatingPlugin {
  readonly name = 'PodSecurity';
  constructor(
    private readonly objects: ObjectAccess,
    private readonly config: PodSecurityConfig = DEFAULT_CONFIG,
  ) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if (!a.object) return;
    const { group, resource } = a.resource;
    if (group === '' && resource === 'namespaces') {
      if (!a.subresource) await this.validateNamespace(a);
      return;
    }
    if (!a.namespace) return;
    if (group === '' && resource === 'pods') {
      if (a.subresource === '' || a.subresource === 'ephemeralcontainers' || a.subresource === 'resize') await this.validatePod(a);
      return;
    }
    if (!a.subresource && POD_CONTROLLERS.has(`${group}/${resource}`)) await this.validateController(a);
  }

  private exemptNamespace(ns: string): boolean {
    return !!ns && this.config.exemptions.namespaces.includes(ns);
  }

  private exemptUser(user: string): boolean {
    return !!user && this.config.exemptions.usernames.includes(user);
  }

  private exemptRuntimeClass(rc: unknown): boolean {
    return typeof rc === 'string' && rc !== '' && this.config.exemptions.runtimeClasses.includes(rc);
  }

  /** The plugin's audit annotations, under kube's `pod-security.kubernetes.io/` prefix; an existing key is kept. */
  private annotate(a: AdmissionAttributes, values: Record<string, string>): void {
    a.auditAnnotations ??= {};
    for (const [k, v] of Object.entries(values)) if (!(`${PREFIX}${k}` in a.auditAnnotations)) a.auditAnnotations[`${PREFIX}${k}`] = v;
  }

  /** Namespace or user exemption (recorded as `exempt`); true when the request is exempt. */
  private exempt(a: AdmissionAttributes): boolean {
    const reason = this.exemptNamespace(a.namespace) ? 'namespace' : this.exemptUser(a.user.username) ? 'user' : undefined;
    if (reason) this.annotate(a, { exempt: reason });
    return !!reason;
  }

  private async policy(namespace: string): Promise<Policy> {
    const ns = await this.objects.get(CORE('namespaces'), '', namespace);
    return policyFromLabels(ns?.metadata?.labels, this.config.defaults);
  }

  private async validatePod(a: AdmissionAttributes): Promise<void> {
    if (this.exempt(a)) return;
    const pod = a.object!;
    const p = await this.policy(a.namespace);
    if (!p.errors.length && fullyPrivileged(p)) {
      this.annotate(a, { 'enforce-policy': lvString(PRIVILEGED_LATEST) });
      return;
    }
    if (a.operation === 'UPDATE' && a.oldObject && !significantUpdate(pod, a.oldObject)) return;
    this.evaluate(a, p, (pod.metadata ?? {}) as Obj, obj(pod.spec) ?? {}, true);
  }

  private async validateController(a: AdmissionAttributes): Promise<void> {
    if (this.exempt(a)) return;
    const p = await this.policy(a.namespace);
    if (!p.errors.length && p.warn.level === 'privileged' && p.audit.level === 'privileged') return;
    const t = podTemplateOf(a.object!);
    if (!t) return;
    this.evaluate(a, p, t.metadata, t.spec, false);
  }

  /** EvaluatePod: enforce (pods only), then audit, then warn when still allowed. */
  private evaluate(a: AdmissionAttributes, p: Policy, meta: Obj, spec: Obj, enforce: boolean): void {
    if (this.exemptRuntimeClass(spec.runtimeClassName)) {
      this.annotate(a, { exempt: 'runtimeClass' });
      return;
    }
    const annotations: Record<string, string> = {};
    if (p.errors.length) {
      annotations.error = `Failed to parse policy: ${aggregate(p.errors.map((e) => `metadata.labels[${e.label}]: Invalid value: ${JSON.stringify(e.value)}: ${e.detail}`))}`;
    }
    const cache = new Map<string, Array<[string, string]>>();
    const results = (lv: LevelVersion) => {
      const key = lvString(lv);
      let r = cache.get(key);
      if (!r) cache.set(key, (r = evaluatePod(lv.level, meta, spec, lv.version)));
      return r;
    };
    let refusal: Error | undefined;
    if (enforce) {
      annotations['enforce-policy'] = lvString(p.enforce);
      const r = results(p.enforce);
      if (r.length)
        refusal = forbidden(
          { group: '', resource: 'pods' },
          a.name,
          `violates PodSecurity "${lvString(p.enforce)}": ${forbiddenDetail(r)}`,
        );
    }
    const audit = results(p.audit);
    if (audit.length) annotations['audit-violations'] = `would violate PodSecurity "${lvString(p.audit)}": ${forbiddenDetail(audit)}`;
    this.annotate(a, annotations);
    if (refusal) throw refusal;
    const warn = results(p.warn);
    if (warn.length) a.warnings?.push(`would violate PodSecurity "${lvString(p.warn)}": ${forbiddenDetail(warn)}`);
  }

  /** exemptNamespaceWarning: an exempt namespace labelled with a non-privileged policy is told it is ignored. */
  private exemptNamespaceWarning(a: AdmissionAttributes, p: Policy, labels: Record<string, string>): void {
    const d = this.config.defaults;
    if (fullyPrivileged(p) || MODES.every((m) => equivalent(p[m], d[m]))) return;
    const parts: string[] = [];
    for (const mode of MODES) {
      const labelled = `${PREFIX}${mode}` in labels || `${PREFIX}${mode}-version` in labels;
      if (p[mode].level !== 'privileged' && labelled) parts.push(`${mode}=${lvString(p[mode])}`);
    }
    a.warnings?.push(
      `namespace ${JSON.stringify(a.name)} is exempt from Pod Security, and the policy (${parts.join(', ')}) will be ignored`,
    );
  }

  private async validateNamespace(a: AdmissionAttributes): Promise<void> {
    const labels = a.object!.metadata?.labels ?? {};
    const next = policyFromLabels(labels, this.config.defaults);
    const errs = next.errors.map((e) => fieldErrors.invalid(`metadata.labels[${e.label}]`, e.value, e.detail));
    if (a.operation === 'CREATE') {
      if (errs.length) throw invalid({ group: '', kind: 'Namespace' }, a.name, errs);
      if (this.exemptNamespace(a.namespace)) this.exemptNamespaceWarning(a, next, labels);
      return;
    }
    const prev = policyFromLabels(a.oldObject?.metadata?.labels, this.config.defaults);
    if (errs.length && (!prev.errors.length || !deepEqual(prev.errors, next.errors)))
      throw invalid({ group: '', kind: 'Namespace' }, a.name, errs);
    // Existing pods are dry-run only when the enforce level tightened (or its version changed).
    if (deepEqual(prev.enforce, next.enforce) || next.enforce.level === 'privileged') return;
    if (prev.enforce.version === next.enforce.version && levelRank(next.enforce.level) <= levelRank(prev.enforce.level)) return;
    // kube's RequestInfo puts a namespace's own name in the namespace of requests on /namespaces/<name>.
    if (this.exemptNamespace(a.namespace || a.name)) {
      this.exemptNamespaceWarning(a, next, labels);
      return;
    }
    a.warnings?.push(...(await this.evaluatePodsInNamespace(a.name, next.enforce)));
  }

  /** EvaluatePodsInNamespace: one warning per distinct reason, the first pod by name and how many others. */
  private async evaluatePodsInNamespace(namespace: string, enforce: LevelVersion): Promise<string[]> {
    const all = prioritize(await this.objects.list(CORE('pods'), namespace), (rc) => this.exemptRuntimeClass(rc));
    const pods = all.slice(0, MAX_PODS_TO_CHECK);
    const byReason = new Map<string, { name: string; count: number }>();
    for (const pod of pods) {
      const r = evaluatePod(enforce.level, (pod.metadata ?? {}) as Obj, obj(pod.spec) ?? {}, enforce.version);
      if (!r.length) continue;
      const reason = r.map(([x]) => x).join(', ');
      const name = pod.metadata?.name ?? '';
      const c = byReason.get(reason);
      if (!c) byReason.set(reason, { name, count: 1 });
      else {
        c.count++;
        if (name < c.name) c.name = name;
      }
    }
    const warnings: string[] = [];
    if (pods.length < all.length)
      warnings.push(`new PodSecurity enforce level only checked against the first ${pods.length} of ${all.length} existing pods`);
    if (byReason.size)
      warnings.push(`existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${lvString(enforce)}"`);
    const podWarnings = [...byReason].map(([reason, { name, count }]) => {
      if (count === 1) return `${name}: ${reason}`;
      return `${name} (and ${count - 1} other ${count === 2 ? 'pod' : 'pods'}): ${reason}`;
    });
    return [...warnings, ...podWarnings.sort()];
  }
}

/** utilerrors.NewAggregate's text: one error as it is, several as `[a, b]`. */
function aggregate(msgs: string[]): string {
  return msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
}

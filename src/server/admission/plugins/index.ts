// The admission plugins by name (names.ts: their order, the default set, the
// flags' checks) and the chain built from the enabled names, as kube's
// admission.Plugins.NewFromPlugins: a name's factory makes its plugin.
// registerAdmissionPlugin fills a slot at run time.

import type { AdmissionChain, MutatingPlugin, ValidatingPlugin } from '../index.js';
import { AlwaysAdmit, AlwaysDeny } from './always.js';
import { AlwaysPullImages } from './always-pull-images.js';
import { CertificateApproval, CertificateSigning, CertificateSubjectRestriction } from './certificates.js';
import { DefaultIngressClass } from './default-ingress-class.js';
import { DefaultStorageClass } from './default-storage-class.js';
import { DefaultTolerationSeconds } from './default-toleration-seconds.js';
import { DenyServiceExternalIPs } from './deny-service-external-ips.js';
import type { AdmissionDeps } from './deps.js';
import { EventRateLimit, eventRateLimitConfig } from './event-rate-limit.js';
import { ExtendedResourceToleration } from './extended-resource-toleration.js';
import { ImagePolicyWebhook, imagePolicyConfig } from './image-policy-webhook.js';
import { LimitPodHardAntiAffinityTopology } from './limit-pod-hard-anti-affinity-topology.js';
import { LimitRanger } from './limit-ranger.js';
import type { PluginName } from './names.js';
import { NamespaceAutoProvision, NamespaceExists } from './namespace-exists.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';
import { NodeRestriction } from './node-restriction.js';
import { OwnerReferencesPermissionEnforcement } from './owner-references-permission-enforcement.js';
import { PersistentVolumeClaimResize } from './persistent-volume-claim-resize.js';
import { PodNodeSelector, podNodeSelectorConfig } from './pod-node-selector.js';
import { PodSecurity, podSecurityConfig } from './pod-security.js';
import { PodTolerationRestriction, tolerationConfig } from './pod-toleration-restriction.js';
import { Priority } from './priority.js';
import { limitedResourcesFrom, ResourceQuota } from './resource-quota.js';
import { RuntimeClass } from './runtime-class.js';
import { ServiceAccount } from './service-account.js';
import { StorageObjectInUseProtection } from './storage-object-in-use-protection.js';
import { TaintNodesByCondition } from './taint-nodes-by-condition.js';

export type AdmissionPlugin = { name: string } & Partial<Pick<MutatingPlugin, 'admit'> & Pick<ValidatingPlugin, 'validate'>>;

/** Makes a plugin from what the chain's builder hands every plugin; undefined when the plugin has nothing to do here. */
export type PluginFactory = (deps: AdmissionDeps) => AdmissionPlugin | undefined;

const FACTORIES = new Map<string, PluginFactory>([
  ['AlwaysAdmit', () => new AlwaysAdmit()],
  ['NamespaceAutoProvision', (d) => new NamespaceAutoProvision(d.objects)],
  [
    'NamespaceLifecycle',
    (d) =>
      new NamespaceLifecycle((name) =>
        d.objects.get({ group: '', version: 'v1', resource: 'namespaces' }, '', name).then((n) => n ?? null),
      ),
  ],
  ['NamespaceExists', (d) => new NamespaceExists(d.objects)],
  ['LimitPodHardAntiAffinityTopology', () => new LimitPodHardAntiAffinityTopology()],
  ['LimitRanger', (d) => new LimitRanger(d.objects)],
  ['ServiceAccount', (d) => new ServiceAccount(d.objects)],
  ['NodeRestriction', (d) => new NodeRestriction(d.objects)],
  ['TaintNodesByCondition', () => new TaintNodesByCondition()],
  ['AlwaysPullImages', () => new AlwaysPullImages()],
  ['ImagePolicyWebhook', (d) => new ImagePolicyWebhook(imagePolicyConfig(d.config))],
  ['PodSecurity', (d) => new PodSecurity(d.objects, podSecurityConfig(d.config))],
  ['PodNodeSelector', (d) => new PodNodeSelector(d.objects, podNodeSelectorConfig(d.config))],
  ['Priority', (d) => new Priority(d.objects)],
  ['DefaultTolerationSeconds', () => new DefaultTolerationSeconds()],
  ['PodTolerationRestriction', (d) => new PodTolerationRestriction(d.objects, tolerationConfig(d.config))],
  ['EventRateLimit', (d) => new EventRateLimit(eventRateLimitConfig(d.config))],
  ['ExtendedResourceToleration', () => new ExtendedResourceToleration()],
  ['DefaultStorageClass', (d) => new DefaultStorageClass(d.objects)],
  ['StorageObjectInUseProtection', () => new StorageObjectInUseProtection()],
  ['OwnerReferencesPermissionEnforcement', (d) => new OwnerReferencesPermissionEnforcement(d.authorizer, d.objects)],
  ['PersistentVolumeClaimResize', (d) => new PersistentVolumeClaimResize(d.objects)],
  ['RuntimeClass', (d) => new RuntimeClass(d.objects)],
  ['CertificateApproval', (d) => new CertificateApproval(d.authorizer)],
  ['CertificateSigning', (d) => new CertificateSigning(d.authorizer)],
  ['CertificateSubjectRestriction', () => new CertificateSubjectRestriction()],
  ['DefaultIngressClass', (d) => new DefaultIngressClass(d.objects)],
  ['DenyServiceExternalIPs', () => new DenyServiceExternalIPs()],
  ['ResourceQuota', (d) => new ResourceQuota(d.objects, limitedResourcesFrom(d.config))],
  ['AlwaysDeny', () => new AlwaysDeny()],
]);

/**
 * Fills a name's slot (MutatingAdmissionWebhook, ValidatingAdmissionPolicy, ValidatingAdmissionWebhook...)
 * with its factory, as kube's plugins register themselves; the name must be one of ALL_ORDERED_PLUGINS.
 */
export function registerAdmissionPlugin(name: PluginName, factory: PluginFactory): void {
  FACTORIES.set(name, factory);
}

/** Whether a name has a plugin here (the others are accepted by the flags and do nothing). */
export function implementedPlugin(name: string): boolean {
  return FACTORIES.has(name);
}

/**
 * Adds the named plugins to the chain in order: each plugin's admit joins the mutating phase and its
 * validate the validating phase (a plugin with both runs in both, as kube's do). Returns the names that
 * ran no plugin (no implementation here).
 */
export function addAdmissionPlugins(
  chain: AdmissionChain,
  names: readonly string[],
  deps: Omit<AdmissionDeps, 'config'>,
  configs: ReadonlyMap<string, unknown> = new Map(),
): string[] {
  const missing: string[] = [];
  for (const name of names) {
    const plugin = FACTORIES.get(name)?.({ ...deps, config: configs.get(name) });
    if (!plugin) {
      missing.push(name);
      continue;
    }
    const { admit, validate } = plugin;
    if (admit) chain.addMutating({ name, admit: admit.bind(plugin) });
    if (validate) chain.addValidating({ name, validate: validate.bind(plugin) });
  }
  return missing;
}

export { ALL_ORDERED_PLUGINS, admissionFlagErrors, DEFAULT_ON_PLUGINS, enabledPluginNames, type PluginName } from './names.js';

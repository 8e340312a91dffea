// The admission plugins' names in kube-apiserver 1.32's order
// (pkg/kubeapiserver/options/plugins.go AllOrderedPlugins), the default-on set
// (DefaultOffAdmissionPlugins' complement) and the --enable/--disable-admission-plugins
// checks (k8s.io/apiserver/pkg/server/options/admission.go): what the flags need,
// without loading the plugins.

/** AllOrderedPlugins of kube-apiserver 1.32: the order plugins run in (mutating ones first, then validating ones). */
export const ALL_ORDERED_PLUGINS = [
  'AlwaysAdmit',
  'NamespaceAutoProvision',
  'NamespaceLifecycle',
  'NamespaceExists',
  'LimitPodHardAntiAffinityTopology',
  'LimitRanger',
  'ServiceAccount',
  'NodeRestriction',
  'TaintNodesByCondition',
  'AlwaysPullImages',
  'ImagePolicyWebhook',
  'PodSecurity',
  'PodNodeSelector',
  'Priority',
  'DefaultTolerationSeconds',
  'PodTolerationRestriction',
  'EventRateLimit',
  'ExtendedResourceToleration',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'OwnerReferencesPermissionEnforcement',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'DenyServiceExternalIPs',
  // webhook, resourcequota, and deny plugins must go at the end
  'MutatingAdmissionPolicy',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
  'AlwaysDeny',
] as const;

export type PluginName = (typeof ALL_ORDERED_PLUGINS)[number];

/** kube-apiserver's default-on plugins (the complement of DefaultOffAdmissionPlugins). */
const KUBE_DEFAULT_ON = new Set<string>([
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'TaintNodesByCondition',
  'PodSecurity',
  'Priority',
  'DefaultTolerationSeconds',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
]);

/**
 * What is on unless --disable-admission-plugins turns it off: kube-apiserver's default set less
 * ServiceAccount, which envtest turns off too (nothing here issues tokens; `--enable-admission-plugins=ServiceAccount`
 * turns it back on).
 */
export const DEFAULT_ON_PLUGINS: ReadonlySet<string> = new Set([...KUBE_DEFAULT_ON].filter((n) => n !== 'ServiceAccount'));

/** AdmissionOptions.Validate: unknown names and names both enabled and disabled, in kube's words. */
export function admissionFlagErrors(enable: string[], disable: string[]): string[] {
  const known = new Set<string>(ALL_ORDERED_PLUGINS);
  const errs: string[] = [];
  for (const n of enable) if (!known.has(n)) errs.push(`enable-admission-plugins plugin "${n}" is unknown`);
  for (const n of disable) if (!known.has(n)) errs.push(`disable-admission-plugins plugin "${n}" is unknown`);
  const both = [...new Set(enable)].filter((n) => disable.includes(n)).sort();
  if (both.length) errs.push(`[${both.join(' ')}] in enable-admission-plugins and disable-admission-plugins overlapped`);
  return errs;
}

/** enabledPluginNames: the default set, plus --enable, less --disable, in AllOrderedPlugins' order. */
export function enabledPluginNames(enable: string[] = [], disable: string[] = []): PluginName[] {
  const on = new Set([...DEFAULT_ON_PLUGINS, ...enable]);
  for (const n of disable) if (!enable.includes(n)) on.delete(n);
  return ALL_ORDERED_PLUGINS.filter((n) => on.has(n));
}

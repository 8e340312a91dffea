import { describe, expect, it } from 'vitest';
import { AdmissionChain } from '../../src/server/admission/index.js';
import { AlwaysPullImages } from '../../src/server/admission/plugins/always-pull-images.js';
import { CertificateApproval, CertificateSigning, CertificateSubjectRestriction } from '../../src/server/admission/plugins/certificates.js';
import { DefaultIngressClass } from '../../src/server/admission/plugins/default-ingress-class.js';
import { DefaultStorageClass } from '../../src/server/admission/plugins/default-storage-class.js';
import { DenyServiceExternalIPs } from '../../src/server/admission/plugins/deny-service-external-ips.js';
import { type AdmissionAuthorizer, CORE } from '../../src/server/admission/plugins/deps.js';
import { ExtendedResourceToleration } from '../../src/server/admission/plugins/extended-resource-toleration.js';
import {
  ALL_ORDERED_PLUGINS,
  addAdmissionPlugins,
  admissionFlagErrors,
  DEFAULT_ON_PLUGINS,
  enabledPluginNames,
} from '../../src/server/admission/plugins/index.js';
import { LimitPodHardAntiAffinityTopology } from '../../src/server/admission/plugins/limit-pod-hard-anti-affinity-topology.js';
import { OwnerReferencesPermissionEnforcement } from '../../src/server/admission/plugins/owner-references-permission-enforcement.js';
import { PersistentVolumeClaimResize } from '../../src/server/admission/plugins/persistent-volume-claim-resize.js';
import { PodNodeSelector, podNodeSelectorConfig } from '../../src/server/admission/plugins/pod-node-selector.js';
import { PodTolerationRestriction } from '../../src/server/admission/plugins/pod-toleration-restriction.js';
import { Priority } from '../../src/server/admission/plugins/priority.js';
import { RuntimeClass } from '../../src/server/admission/plugins/runtime-class.js';
import { ServiceAccount } from '../../src/server/admission/plugins/service-account.js';
import { StorageObjectInUseProtection } from '../../src/server/admission/plugins/storage-object-in-use-protection.js';
import type { KubeObject } from '../../src/server/api/types.js';
import { makeCSR } from '../helpers/csr.js';
import { attrs, descriptor, FakeObjects, PODS, pod, refusal } from './fake-objects.js';

const PVCS = descriptor('', 'persistentvolumeclaims', 'PersistentVolumeClaim');
const SC = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' };
const pvc = (spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'c', namespace: 'ns' },
  spec,
});
const defaultClass = (name: string, created: string) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, creationTimestamp: created, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'p',
});

describe('the ordered plugin list', () => {
  it("runs kube's default set less ServiceAccount, in AllOrderedPlugins order, and takes --enable/--disable", () => {
    expect(DEFAULT_ON_PLUGINS.has('ServiceAccount')).toBe(false);
    const names = enabledPluginNames();
    expect(names.slice(0, 3)).toEqual(['NamespaceLifecycle', 'LimitRanger', 'TaintNodesByCondition']);
    expect(names.slice(-5)).toEqual([
      'MutatingAdmissionPolicy',
      'MutatingAdmissionWebhook',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionWebhook',
      'ResourceQuota',
    ]);
    const changed = enabledPluginNames(['AlwaysPullImages', 'ServiceAccount'], ['LimitRanger']);
    expect(changed).toContain('AlwaysPullImages');
    expect(changed.indexOf('ServiceAccount')).toBeLessThan(changed.indexOf('AlwaysPullImages'));
    expect(changed).not.toContain('LimitRanger');
    expect(ALL_ORDERED_PLUGINS.at(-1)).toBe('AlwaysDeny');
  });

  it("refuses unknown and overlapping names with kube's messages", () => {
    expect(admissionFlagErrors(['Foo'], ['Bar', 'LimitRanger'])).toEqual([
      'enable-admission-plugins plugin "Foo" is unknown',
      'disable-admission-plugins plugin "Bar" is unknown',
    ]);
    expect(admissionFlagErrors(['LimitRanger', 'AlwaysPullImages'], ['LimitRanger'])).toEqual([
      '[LimitRanger] in enable-admission-plugins and disable-admission-plugins overlapped',
    ]);
  });

  it('puts each plugin in its phases, in order', async () => {
    const chain = new AdmissionChain();
    const missing = addAdmissionPlugins(chain, ['AlwaysPullImages', 'StorageObjectInUseProtection', 'ClusterTrustBundleAttest'], {
      objects: new FakeObjects(),
      authorizer: { allowed: () => true },
    });
    expect(missing).toEqual(['ClusterTrustBundleAttest']);
    const p = pod('p', [{ name: 'c', imagePullPolicy: 'IfNotPresent' }]);
    await chain.admit(attrs('CREATE', PODS, p));
    expect((p.spec as { containers: Array<{ imagePullPolicy: string }> }).containers[0].imagePullPolicy).toBe('Always');
  });
});

describe('class defaults', () => {
  it('DefaultStorageClass gives a classless claim the newest default class', async () => {
    const objects = new FakeObjects()
      .add(SC, defaultClass('old', '2024-01-01T00:00:00Z'))
      .add(SC, defaultClass('new', '2025-01-01T00:00:00Z'));
    const c = pvc();
    await new DefaultStorageClass(objects).admit(attrs('CREATE', PVCS, c));
    expect(c.spec).toEqual({ storageClassName: 'new' });
    const explicit = pvc({ storageClassName: '' });
    await new DefaultStorageClass(objects).admit(attrs('CREATE', PVCS, explicit));
    expect(explicit.spec).toEqual({ storageClassName: '' });
  });

  it('DefaultIngressClass sets spec.ingressClassName unless the annotation names one', async () => {
    const IC = { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses' };
    const objects = new FakeObjects().add(IC, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
    });
    const ing = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i', namespace: 'ns' }, spec: {} };
    await new DefaultIngressClass(objects).admit(attrs('CREATE', descriptor('networking.k8s.io', 'ingresses', 'Ingress'), ing));
    expect(ing.spec).toEqual({ ingressClassName: 'nginx' });
  });
});

describe('Priority', () => {
  const PC = { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses' };
  const objects = new FakeObjects()
    .add(PC, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 } as KubeObject)
    .add(PC, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'dflt' },
      value: 5,
      globalDefault: true,
      preemptionPolicy: 'Never',
    } as KubeObject);

  it('resolves the class, the global default, and refuses unknown classes or a stated priority', async () => {
    const p = pod('p', [{ name: 'c' }], { priorityClassName: 'high' });
    await new Priority(objects).admit(attrs('CREATE', PODS, p));
    expect(p.spec).toMatchObject({ priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
    const d = pod('d', [{ name: 'c' }]);
    await new Priority(objects).admit(attrs('CREATE', PODS, d));
    expect(d.spec).toMatchObject({ priorityClassName: 'dflt', priority: 5, preemptionPolicy: 'Never' });
    expect(await refusal(new Priority(objects).admit(attrs('CREATE', PODS, pod('x', [], { priorityClassName: 'nope' }))))).toBe(
      'pods "x" is forbidden: no PriorityClass with name nope was found',
    );
    expect(
      await refusal(new Priority(objects).admit(attrs('CREATE', PODS, pod('y', [], { priorityClassName: 'high', priority: 3 })))),
    ).toBe(
      'pods "y" is forbidden: the integer value of priority (3) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    );
  });

  it('allows one global default', async () => {
    const second = {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'other' },
      value: 1,
      globalDefault: true,
    } as KubeObject;
    expect(
      await refusal(
        new Priority(objects).validate(attrs('CREATE', descriptor('scheduling.k8s.io', 'priorityclasses', 'PriorityClass', false), second)),
      ),
    ).toBe(
      'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass dflt is already marked as default. Only one default can exist',
    );
  });
});

describe('storage', () => {
  it('StorageObjectInUseProtection adds the protection finalizers', () => {
    const c = pvc();
    new StorageObjectInUseProtection().admit(attrs('CREATE', PVCS, c));
    expect(c.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
  });

  it('PersistentVolumeClaimResize lets a claim grow only with allowVolumeExpansion', async () => {
    const objects = new FakeObjects()
      .add(SC, {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'grow' },
        allowVolumeExpansion: true,
      } as KubeObject)
      .add(SC, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fixed' } } as KubeObject);
    const claim = (cls: string, size: string) => pvc({ storageClassName: cls, resources: { requests: { storage: size } } });
    const plugin = new PersistentVolumeClaimResize(objects);
    await plugin.validate(attrs('UPDATE', PVCS, claim('grow', '2Gi'), { oldObject: claim('grow', '1Gi') }));
    expect(await refusal(plugin.validate(attrs('UPDATE', PVCS, claim('fixed', '2Gi'), { oldObject: claim('fixed', '1Gi') })))).toBe(
      'persistentvolumeclaims "c" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    );
  });
});

describe('RuntimeClass', () => {
  it('requires the class, copies its overhead and merges its scheduling', async () => {
    const RC = { group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses' };
    const objects = new FakeObjects().add(RC, {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'kata' },
      handler: 'kata',
      overhead: { podFixed: { cpu: '250m' } },
      scheduling: { nodeSelector: { sandbox: 'yes' } },
    } as KubeObject);
    const p = pod('p', [{ name: 'c' }], { runtimeClassName: 'kata' });
    await new RuntimeClass(objects).admit(attrs('CREATE', PODS, p));
    expect(p.spec).toMatchObject({ overhead: { cpu: '250m' }, nodeSelector: { sandbox: 'yes' } });
    expect(await refusal(new RuntimeClass(objects).admit(attrs('CREATE', PODS, pod('q', [], { runtimeClassName: 'gvisor' }))))).toBe(
      'pods "q" is forbidden: pod rejected: RuntimeClass "gvisor" not found',
    );
  });
});

describe('certificates', () => {
  const CSRS = descriptor('certificates.k8s.io', 'certificatesigningrequests', 'CertificateSigningRequest', false);
  const deny: AdmissionAuthorizer = { allowed: (_u, a) => a.name === 'example.com/*' };
  const csr = (signerName: string, status: Record<string, unknown> = {}) =>
    ({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'r' },
      spec: { signerName, request: '' },
      status,
    }) as KubeObject;

  it('CertificateApproval and CertificateSigning ask the authorizer about the signer (then its domain wildcard)', async () => {
    await new CertificateApproval(deny).validate(attrs('UPDATE', CSRS, csr('example.com/a'), { subresource: 'approval' }));
    expect(
      await refusal(new CertificateApproval(deny).validate(attrs('UPDATE', CSRS, csr('other.io/a'), { subresource: 'approval' }))),
    ).toBe(
      'certificatesigningrequests.certificates.k8s.io "r" is forbidden: user not permitted to approve requests with signerName "other.io/a"',
    );
    expect(
      await refusal(
        new CertificateSigning(deny).validate(
          attrs('UPDATE', CSRS, csr('other.io/a', { certificate: 'Zm9v' }), { subresource: 'status', oldObject: csr('other.io/a') }),
        ),
      ),
    ).toBe(
      'certificatesigningrequests.certificates.k8s.io "r" is forbidden: user not permitted to sign requests with signerName "other.io/a"',
    );
  });

  it('CertificateSubjectRestriction refuses system:masters for the kube-apiserver-client signer', async () => {
    const pem = makeCSR('evil', ['system:masters']);
    const obj = csr('kubernetes.io/kube-apiserver-client');
    (obj.spec as Record<string, unknown>).request = Buffer.from(pem).toString('base64');
    expect(() => new CertificateSubjectRestriction().validate(attrs('CREATE', CSRS, obj))).toThrow(
      'certificatesigningrequests.certificates.k8s.io "r" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed',
    );
    (obj.spec as Record<string, unknown>).request = Buffer.from(makeCSR('ok', ['devs'])).toString('base64');
    new CertificateSubjectRestriction().validate(attrs('CREATE', CSRS, obj));
  });
});

describe('OwnerReferencesPermissionEnforcement', () => {
  it('needs delete on the object to change its references, and finalizers update on a blocked owner', async () => {
    const cm = (refs: unknown[]) =>
      ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', namespace: 'ns', ownerReferences: refs } }) as KubeObject;
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u1', blockOwnerDeletion: true };
    const noFinalizers: AdmissionAuthorizer = { allowed: (_u, a) => a.subresource !== 'finalizers' };
    const plugin = new OwnerReferencesPermissionEnforcement(noFinalizers, new FakeObjects());
    const CMS = descriptor('', 'configmaps', 'ConfigMap');
    expect(await refusal(plugin.validate(attrs('CREATE', CMS, cm([ref]))))).toBe(
      'configmaps "m" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can\'t set finalizers on: ',
    );
    const noDelete = new OwnerReferencesPermissionEnforcement({ allowed: (_u, a) => a.verb !== 'delete' }, new FakeObjects());
    expect(await refusal(noDelete.validate(attrs('UPDATE', CMS, cm([{ ...ref, blockOwnerDeletion: false }]), { oldObject: cm([]) })))).toBe(
      'configmaps "m" is forbidden: cannot set an ownerRef on a resource you can\'t delete: , <nil>',
    );
  });
});

describe('ServiceAccount', () => {
  it('assigns default, mounts the projected token volume, and refuses a missing account', async () => {
    const objects = new FakeObjects().add(CORE('serviceaccounts'), {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'ns' },
    });
    const p = pod('p', [{ name: 'c' }]);
    const plugin = new ServiceAccount(objects);
    await plugin.admit(attrs('CREATE', PODS, p));
    const spec = p.spec as { serviceAccountName: string; volumes: Array<{ name: string }>; containers: Array<{ volumeMounts: unknown[] }> };
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.volumes[0].name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(spec.containers[0].volumeMounts).toEqual([
      { name: spec.volumes[0].name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);
    await plugin.validate(attrs('CREATE', PODS, p));
    expect(await refusal(plugin.validate(attrs('CREATE', PODS, pod('q', [], { serviceAccountName: 'robot' }))))).toBe(
      'pods "q" is forbidden: error looking up service account ns/robot: serviceaccount "robot" not found',
    );
  });

  it('AlwaysPullImages refuses other pull policies', () => {
    const a = attrs('CREATE', PODS, pod('p', [{ name: 'c', imagePullPolicy: 'Never' }]));
    expect(() => new AlwaysPullImages().validate(a)).toThrow(
      'pods "p" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: "Never": supported values: "Always"',
    );
  });
});

describe('opt-in pod and service restrictions', () => {
  it('DenyServiceExternalIPs refuses new external IPs, keeps old ones', () => {
    const SVCS = descriptor('', 'services', 'Service');
    const svc = (ips: string[]) =>
      ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns' }, spec: { externalIPs: ips } }) as KubeObject;
    const plugin = new DenyServiceExternalIPs();
    expect(() => plugin.validate(attrs('CREATE', SVCS, svc(['1.2.3.4'])))).toThrow(
      'services "s" is forbidden: Use of external IPs is denied by admission control',
    );
    plugin.validate(attrs('UPDATE', SVCS, svc(['1.2.3.4']), { oldObject: svc(['1.2.3.4', '5.6.7.8']) }));
  });

  it('LimitPodHardAntiAffinityTopology allows only the hostname topology', () => {
    const term = (topologyKey: string) => ({
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey, labelSelector: {} }] } },
    });
    new LimitPodHardAntiAffinityTopology().validate(attrs('CREATE', PODS, pod('p', [], term('kubernetes.io/hostname'))));
    expect(() => new LimitPodHardAntiAffinityTopology().validate(attrs('CREATE', PODS, pod('p', [], term('zone'))))).toThrow(
      'pods "p" is forbidden: affinity.PodAntiAffinity.RequiredDuringScheduling has TopologyKey zone but only key kubernetes.io/hostname is allowed',
    );
  });

  it('ExtendedResourceToleration tolerates the extended resources a pod asks for', () => {
    const p = pod('p', [{ name: 'c', resources: { limits: { 'example.com/gpu': '1', cpu: '1' } } }]);
    new ExtendedResourceToleration().admit(attrs('CREATE', PODS, p));
    expect((p.spec as { tolerations: unknown }).tolerations).toEqual([
      { key: 'example.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });
});

describe('PodNodeSelector', () => {
  it("merges the namespace's node selector, refuses conflicts and selectors outside the whitelist", async () => {
    const objects = new FakeObjects().add(CORE('namespaces'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns', annotations: { 'scheduler.alpha.kubernetes.io/node-selector': 'env=prod' } },
    });
    const plugin = new PodNodeSelector(objects, podNodeSelectorConfig({ podNodeSelectorPluginConfig: { ns: 'env=prod,zone=a' } }));
    const p = pod('p', [{ name: 'c' }], { nodeSelector: { zone: 'a' } });
    await plugin.admit(attrs('CREATE', PODS, p));
    expect((p.spec as { nodeSelector: unknown }).nodeSelector).toEqual({ env: 'prod', zone: 'a' });
    expect(await refusal(plugin.admit(attrs('CREATE', PODS, pod('q', [], { nodeSelector: { env: 'dev' } }))))).toBe(
      'pods "q" is forbidden: pod node label selector conflicts with its namespace node label selector',
    );
    expect(await refusal(plugin.admit(attrs('CREATE', PODS, pod('r', [], { nodeSelector: { zone: 'b' } }))))).toBe(
      'pods "r" is forbidden: pod node label selector labels conflict with its namespace whitelist',
    );
  });
});

describe('PodTolerationRestriction', () => {
  const nsWith = (annotations: Record<string, string>) =>
    new FakeObjects().add(CORE('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', annotations } });

  it('adds the namespace defaults and memory-pressure, and refuses what the whitelist does not allow', async () => {
    const objects = nsWith({
      'scheduler.alpha.kubernetes.io/defaultTolerations': '[{"key":"dedicated","operator":"Equal","value":"team-a","effect":"NoSchedule"}]',
      'scheduler.alpha.kubernetes.io/tolerationsWhitelist':
        '[{"key":"dedicated","operator":"Equal","value":"team-a"},{"key":"node.kubernetes.io/memory-pressure","operator":"Exists"}]',
    });
    const plugin = new PodTolerationRestriction(objects);
    const p = pod('p', [{ name: 'c', resources: { requests: { cpu: '1' } } }]);
    await plugin.admit(attrs('CREATE', PODS, p));
    expect((p.spec as { tolerations: unknown }).tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'team-a', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const other = pod('q', [{ name: 'c' }], { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(await refusal(plugin.admit(attrs('CREATE', PODS, other)))).toBe(
      'pods "q" is forbidden: pod tolerations (possibly merged with namespace default tolerations) conflict with its namespace whitelist',
    );
    const clash = pod('r', [{ name: 'c' }], {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'team-b', effect: 'NoSchedule' }],
    });
    expect(await refusal(plugin.admit(attrs('CREATE', PODS, clash)))).toBe('namespace tolerations and pod tolerations conflict');
  });
});

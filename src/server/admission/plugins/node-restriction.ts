// kube's NodeRestriction (plugin/pkg/admission/noderestriction): a kubelet's
// credentials (user `system:node:<name>` in `system:nodes`) may only change its
// own Node (no taints, no configSource, no node-restriction.kubernetes.io/ or
// other non-kubelet kubernetes.io labels), create and delete its own mirror
// pods, update the status of and evict pods bound to it, request tokens for
// those pods, and touch its own Lease and CSINode. Refusals are kube's
// admission.NewForbidden (the object's name, or "Unknown" when there is none).

import { forbidden, notFound } from '../../api/errors.js';
import { deepEqual, type KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, MutatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';
import { allContainers, type Obj, obj, objects } from './util.js';

const NODE_USER_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** nodeidentifier.NodeIdentity: the node name of a kubelet's user, or undefined for any other user. */
export function nodeIdentity(user: { username: string; groups: string[] }): string | undefined {
  if (!user.username.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length);
}

/** kubeletapis.IsKubeletLabel: the labels a kubelet may set on its Node. */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const labelNamespace = (key: string): string => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inNamespace = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(labelNamespace(key), d));
}

/** getForbiddenLabels over getModifiedLabels: keys added, removed or changed that a node may not touch, sorted. */
function forbiddenLabels(next: Record<string, string> | undefined, prev: Record<string, string> | undefined): string[] {
  const a = next ?? {};
  const b = prev ?? {};
  const modified = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => a[k] !== b[k] || !(k in a) || !(k in b)));
  const out = [...modified].filter((label) => {
    const ns = labelNamespace(label);
    if (inNamespace(ns, 'node-restriction.kubernetes.io')) return true;
    const kubernetes = inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io');
    return kubernetes && !isKubeletLabel(label);
  });
  return out.sort();
}

/** podutil.VisitPodSecretNames: whether the pod names a Secret anywhere. */
function referencesSecrets(spec: Obj): boolean {
  if (objects(spec.imagePullSecrets).length) return true;
  for (const { c } of allContainers(spec)) {
    if (objects(c.envFrom).some((e) => obj(e.secretRef))) return true;
    if (objects(c.env).some((e) => obj(obj(e.valueFrom)?.secretKeyRef))) return true;
  }
  return objects(spec.volumes).some((v) => {
    if (obj(v.secret)) return true;
    if (objects(obj(v.projected)?.sources).some((s) => obj(s.secret))) return true;
    // Volume sources with a secret reference (azureFile, cephfs, cinder, flexVolume, iscsi, rbd, scaleIO, storageos, csi).
    return Object.values(v).some((src) => {
      const o = obj(src);
      return !!o && (obj(o.secretRef) || obj(o.nodePublishSecretRef) || (v.azureFile === src && typeof o.secretName === 'string'));
    });
  });
}

/** podutil.VisitPodConfigmapNames: whether the pod names a ConfigMap anywhere. */
function referencesConfigMaps(spec: Obj): boolean {
  for (const { c } of allContainers(spec)) {
    if (objects(c.envFrom).some((e) => obj(e.configMapRef))) return true;
    if (objects(c.env).some((e) => obj(obj(e.valueFrom)?.configMapKeyRef))) return true;
  }
  return objects(spec.volumes).some((v) => obj(v.configMap) || objects(obj(v.projected)?.sources).some((s) => obj(s.configMap)));
}

export class NodeRestriction implements MutatingPlugin {
  readonly name = 'NodeRestriction';
  constructor(private readonly objects: ObjectAccess) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation === 'CONNECT') return;
    const node = nodeIdentity(a.user);
    if (node === undefined) return;
    if (!node) throw this.forbidden(a, `could not determine node from user ${JSON.stringify(a.user.username)}`);
    const { group, resource } = a.resource;
    if (group === '' && resource === 'pods') {
      if (a.subresource === '') return this.admitPod(node, a);
      if (a.subresource === 'status') return this.admitPodStatus(node, a);
      if (a.subresource === 'eviction') return this.admitPodEviction(node, a);
      throw this.forbidden(a, `unexpected pod subresource ${JSON.stringify(a.subresource)}, only 'status' and 'eviction' are allowed`);
    }
    if (group === '' && resource === 'nodes') return this.admitNode(node, a);
    if (group === '' && resource === 'persistentvolumeclaims') {
      if (a.subresource !== 'status') throw this.forbidden(a, 'may only update PVC status');
      return;
    }
    if (group === '' && resource === 'serviceaccounts') return this.admitServiceAccount(node, a);
    if (group === 'coordination.k8s.io' && resource === 'leases') return this.admitNamed(node, a, 'lease');
    if (group === 'storage.k8s.io' && resource === 'csinodes') return this.admitNamed(node, a, 'csinode');
  }

  /** admission.NewForbidden: named after the object (its generateName before one is generated), else "Unknown". */
  private forbidden(a: AdmissionAttributes, why: string): Error {
    const m = a.object?.metadata;
    const name = a.object ? m?.name || m?.generateName || 'Unknown' : 'Unknown';
    return forbidden({ group: a.resource.group, resource: a.resource.resource }, name, why);
  }

  private async pod(a: AdmissionAttributes, name: string): Promise<KubeObject> {
    const pod = await this.objects.get(CORE('pods'), a.namespace, name);
    if (!pod) throw notFound({ group: '', resource: 'pods' }, name);
    return pod;
  }

  private async admitPod(node: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation === 'CREATE') return this.admitPodCreate(node, a);
    if (a.operation === 'DELETE') {
      const existing = await this.pod(a, a.name);
      if (obj(existing.spec)?.nodeName !== node)
        throw this.forbidden(a, `node ${JSON.stringify(node)} can only delete pods with spec.nodeName set to itself`);
      return;
    }
    throw this.forbidden(
      a,
      `unexpected operation ${JSON.stringify(a.operation)}, node ${JSON.stringify(node)} can only create and delete mirror pods`,
    );
  }

  private async admitPodCreate(node: string, a: AdmissionAttributes): Promise<void> {
    const pod = a.object!;
    const q = JSON.stringify(node);
    if (!(MIRROR_POD_ANNOTATION in (pod.metadata?.annotations ?? {})))
      throw this.forbidden(a, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node ${q} can only create mirror pods`);
    const spec = obj(pod.spec) ?? {};
    if ((spec.nodeName ?? '') !== node) throw this.forbidden(a, `node ${q} can only create pods with spec.nodeName set to itself`);
    const owners = pod.metadata?.ownerReferences ?? [];
    if (owners.length > 1) throw this.forbidden(a, `node ${q} can only create pods with a single owner reference set to itself`);
    if (owners.length === 0) throw this.forbidden(a, `node ${q} can only create pods with an owner reference set to itself`);
    const owner = owners[0];
    if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node)
      throw this.forbidden(a, `node ${q} can only create pods with an owner reference set to itself`);
    if (owner.controller !== true)
      throw this.forbidden(a, `node ${q} can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion === true) throw this.forbidden(a, `node ${q} must not set blockOwnerDeletion on an owner reference`);
    const stored = await this.objects.get(CORE('nodes'), '', node);
    if (!stored) throw notFound({ group: '', resource: 'nodes' }, node);
    if (owner.uid !== stored.metadata?.uid)
      throw this.forbidden(a, `node ${node} UID mismatch: expected ${owner.uid} got ${stored.metadata?.uid ?? ''}`);
    if (spec.serviceAccountName) throw this.forbidden(a, `node ${q} can not create pods that reference a service account`);
    if (referencesSecrets(spec)) throw this.forbidden(a, `node ${q} can not create pods that reference secrets`);
    if (referencesConfigMaps(spec)) throw this.forbidden(a, `node ${q} can not create pods that reference configmaps`);
    const volumes = objects(spec.volumes);
    if (volumes.some((v) => objects(obj(v.projected)?.sources).some((s) => obj(s.clusterTrustBundle))))
      throw this.forbidden(a, `node ${q} can not create pods that reference clustertrustbundles`);
    if (volumes.some((v) => obj(v.persistentVolumeClaim)))
      throw this.forbidden(a, `node ${q} can not create pods that reference persistentvolumeclaims`);
  }

  private admitPodStatus(node: string, a: AdmissionAttributes): void {
    if (a.operation !== 'UPDATE') throw this.forbidden(a, `unexpected operation ${JSON.stringify(a.operation)}`);
    const q = JSON.stringify(node);
    if (obj(a.oldObject?.spec)?.nodeName !== node)
      throw this.forbidden(a, `node ${q} can only update pod status for pods with spec.nodeName set to itself`);
    if (!deepEqual(a.object?.metadata?.labels ?? {}, a.oldObject?.metadata?.labels ?? {}))
      throw this.forbidden(a, `node ${q} cannot update labels through pod status`);
    const claims = (o: KubeObject | null) =>
      objects(obj(o?.status)?.resourceClaimStatuses).map((c) => [c.name, c.resourceClaimName ?? null] as const);
    if (!deepEqual(claims(a.object), claims(a.oldObject))) throw this.forbidden(a, `node ${q} cannot update resource claim statues`);
  }

  private async admitPodEviction(node: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE') throw this.forbidden(a, `unexpected operation ${a.operation}`);
    const name = a.name || a.object?.metadata?.name;
    if (!name) throw this.forbidden(a, 'could not determine pod from request data');
    const existing = await this.pod(a, name);
    if (obj(existing.spec)?.nodeName !== node) throw this.forbidden(a, `node ${node} can only evict pods with spec.nodeName set to itself`);
  }

  private admitNode(node: string, a: AdmissionAttributes): void {
    const q = JSON.stringify(node);
    if (a.name !== node) throw this.forbidden(a, `node ${q} is not allowed to modify node ${JSON.stringify(a.name)}`);
    const spec = obj(a.object?.spec) ?? {};
    if (a.operation === 'CREATE') {
      if (spec.configSource) throw this.forbidden(a, `node ${q} is not allowed to create pods with a non-nil configSource`);
      const labels = forbiddenLabels(a.object?.metadata?.labels, undefined);
      if (labels.length) throw this.forbidden(a, `node ${q} is not allowed to set the following labels: ${labels.join(', ')}`);
      return;
    }
    if (a.operation !== 'UPDATE') return;
    const old = obj(a.oldObject?.spec) ?? {};
    if (spec.configSource && !deepEqual(spec.configSource, old.configSource))
      throw this.forbidden(a, `node ${q} is not allowed to update configSource to a new non-nil configSource`);
    if (!deepEqual(objects(spec.taints), objects(old.taints))) throw this.forbidden(a, `node ${q} is not allowed to modify taints`);
    const labels = forbiddenLabels(a.object?.metadata?.labels, a.oldObject?.metadata?.labels);
    if (labels.length) throw this.forbidden(a, `is not allowed to modify labels: ${labels.join(', ')}`);
  }

  private async admitServiceAccount(node: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
    const ref = obj(obj(a.object?.spec)?.boundObjectRef);
    if (ref?.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw this.forbidden(a, 'node requested token not bound to a pod');
    if (!ref.uid) throw this.forbidden(a, 'node requested token with a pod binding without a uid');
    const pod = await this.pod(a, String(ref.name));
    if (ref.uid !== pod.metadata?.uid)
      throw this.forbidden(
        a,
        `the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    if (obj(pod.spec)?.nodeName !== node) throw this.forbidden(a, 'node requested token bound to a pod scheduled on a different node');
  }

  /** Leases (only in kube-node-lease) and CSINodes: only the node's own, by name. */
  private admitNamed(node: string, a: AdmissionAttributes, kind: 'lease' | 'csinode'): void {
    if (kind === 'lease' && a.namespace !== NODE_LEASE_NAMESPACE)
      throw this.forbidden(a, `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    const name = a.operation === 'CREATE' ? a.object?.metadata?.name : a.name;
    if (name !== node)
      throw this.forbidden(
        a,
        kind === 'lease'
          ? 'can only access node lease with the same name as the requesting node'
          : 'can only access CSINode with the same name as the requesting node',
      );
  }
}

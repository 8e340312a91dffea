// kube's Node authorizer (plugin/pkg/auth/authorizer/node), a subset: a kubelet's
// identity (user `system:node:<name>` in group `system:nodes`) may
// - read (get) the secrets, configmaps and persistentvolumeclaims that a pod bound to
//   its node references (volumes, projected sources, env, envFrom, imagePullSecrets),
//   and the persistentvolumes those claims are bound to;
// - create a token (serviceaccounts/token) for the service account of a pod on its node;
// - get, create, update, patch and delete its own Lease in kube-node-lease and its own CSINode;
// - everything else the `system:node` rules allow (NodeRules: nodes, pods, events, status...).
// Not reproduced: the graph's other edges (resourceclaims, volumeattachments, pods'
// node-scoped list/watch selectors of AuthorizeNodeWithSelectors). Other users: no opinion.

import type { AuthorizationAttributes, PolicyRule } from '../api/authorization.js';
import type { KubeObject } from '../api/types.js';
import type { Authorizer, Decision } from './index.js';
import { ruleAllows } from './rbac/rules.js';

const NODE_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** What the authorizer reads: pods bound to a node, and one claim (the watch caches answer both). */
export interface NodeGraph {
  podsOnNode(nodeName: string): Promise<KubeObject[]>;
  getPVC(namespace: string, name: string): Promise<KubeObject | undefined>;
}

const noOpinion = (reason = ''): Decision => ({ decision: 'noOpinion', reason });
const ALLOW: Decision = { decision: 'allow', reason: '' };

type Refs = { secrets: Set<string>; configmaps: Set<string>; pvcs: Set<string>; serviceAccount: string };

const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'object' && x !== null) : []);
const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What one pod references (kube's graph_populator AddPod edges). */
function podRefs(pod: KubeObject): Refs {
  const spec = rec(pod.spec);
  const refs: Refs = {
    secrets: new Set(),
    configmaps: new Set(),
    pvcs: new Set(),
    serviceAccount: s(spec.serviceAccountName) || 'default',
  };
  for (const p of arr(spec.imagePullSecrets)) refs.secrets.add(s(p.name));
  for (const v of arr(spec.volumes)) {
    if (v.secret) refs.secrets.add(s(rec(v.secret).secretName));
    if (v.configMap) refs.configmaps.add(s(rec(v.configMap).name));
    if (v.persistentVolumeClaim) refs.pvcs.add(s(rec(v.persistentVolumeClaim).claimName));
    if (v.ephemeral) refs.pvcs.add(`${s(pod.metadata?.name)}-${s(v.name)}`);
    for (const src of arr(rec(v.projected).sources)) {
      if (src.secret) refs.secrets.add(s(rec(src.secret).name));
      if (src.configMap) refs.configmaps.add(s(rec(src.configMap).name));
    }
    for (const k of ['azureFile', 'cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos', 'csi']) {
      const ref = rec(rec(v[k]).secretRef);
      if (ref.name) refs.secrets.add(s(ref.name));
      if (k === 'azureFile' && rec(v[k]).secretName) refs.secrets.add(s(rec(v[k]).secretName));
      if (k === 'csi' && rec(rec(v[k]).nodePublishSecretRef).name) refs.secrets.add(s(rec(rec(v[k]).nodePublishSecretRef).name));
    }
  }
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers), ...arr(spec.ephemeralContainers)]) {
    for (const e of arr(c.envFrom)) {
      if (e.secretRef) refs.secrets.add(s(rec(e.secretRef).name));
      if (e.configMapRef) refs.configmaps.add(s(rec(e.configMapRef).name));
    }
    for (const e of arr(c.env)) {
      const from = rec(e.valueFrom);
      if (from.secretKeyRef) refs.secrets.add(s(rec(from.secretKeyRef).name));
      if (from.configMapKeyRef) refs.configmaps.add(s(rec(from.configMapKeyRef).name));
    }
  }
  return refs;
}

export class NodeAuthorizer implements Authorizer {
  constructor(
    private readonly graph: NodeGraph,
    private readonly nodeRules: PolicyRule[],
  ) {}

  async authorize(attrs: AuthorizationAttributes): Promise<Decision> {
    const u = attrs.user;
    if (!u.groups.includes(NODES_GROUP) || !u.username.startsWith(NODE_PREFIX)) return noOpinion();
    const node = u.username.slice(NODE_PREFIX.length);
    if (!node) return noOpinion('unknown node');
    if (attrs.isResourceRequest) {
      const g = attrs.apiGroup;
      const r = attrs.resource;
      if (g === '' && (r === 'secrets' || r === 'configmaps' || r === 'persistentvolumeclaims')) return this.readNamespaced(node, attrs);
      if (g === '' && r === 'persistentvolumes') return this.readPV(node, attrs);
      if (g === '' && r === 'serviceaccounts' && attrs.subresource === 'token') return this.createToken(node, attrs);
      if (g === 'coordination.k8s.io' && r === 'leases') return this.ownObject(node, attrs, 'node lease', NODE_LEASE_NAMESPACE);
      if (g === 'storage.k8s.io' && r === 'csinodes') return this.ownObject(node, attrs, 'CSINode');
    }
    return this.nodeRules.some((rule) => ruleAllows(attrs, rule)) ? ALLOW : noOpinion();
  }

  private noRelationship(node: string): Decision {
    return noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private async readNamespaced(node: string, attrs: AuthorizationAttributes): Promise<Decision> {
    if (!['get', 'list', 'watch'].includes(attrs.verb)) return noOpinion('can only read resources of this type');
    if (attrs.subresource) return noOpinion('cannot read subresource');
    if (!attrs.namespace) return noOpinion('can only read namespaced object of this type');
    if (!attrs.name) return noOpinion('No Object name found');
    const field = attrs.resource === 'secrets' ? 'secrets' : attrs.resource === 'configmaps' ? 'configmaps' : 'pvcs';
    for (const pod of await this.graph.podsOnNode(node)) {
      if (pod.metadata?.namespace === attrs.namespace && podRefs(pod)[field].has(attrs.name)) return ALLOW;
    }
    return this.noRelationship(node);
  }

  private async readPV(node: string, attrs: AuthorizationAttributes): Promise<Decision> {
    if (!['get', 'list', 'watch'].includes(attrs.verb)) return noOpinion('can only read resources of this type');
    if (attrs.subresource) return noOpinion('cannot read subresource');
    if (!attrs.name) return noOpinion('No Object name found');
    for (const pod of await this.graph.podsOnNode(node)) {
      for (const claim of podRefs(pod).pvcs) {
        const pvc = await this.graph.getPVC(pod.metadata?.namespace ?? '', claim);
        if (s(rec(pvc?.spec).volumeName) === attrs.name) return ALLOW;
      }
    }
    return this.noRelationship(node);
  }

  private async createToken(node: string, attrs: AuthorizationAttributes): Promise<Decision> {
    if (attrs.verb !== 'create' || !attrs.name) return noOpinion('can only create tokens for individual service accounts');
    for (const pod of await this.graph.podsOnNode(node)) {
      if (pod.metadata?.namespace === attrs.namespace && podRefs(pod).serviceAccount === attrs.name) return ALLOW;
    }
    return this.noRelationship(node);
  }

  /** authorizeLease / authorizeCSINode: a node's own object (any name on create: NodeRestriction checks it). */
  private ownObject(node: string, attrs: AuthorizationAttributes, what: string, namespace?: string): Decision {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(attrs.verb))
      return noOpinion(`can only get, create, update, patch, or delete a ${what}`);
    if (namespace !== undefined && attrs.namespace !== namespace)
      return noOpinion(`can only access leases in the ${JSON.stringify(namespace)} system namespace`);
    if (attrs.verb !== 'create' && attrs.name !== node)
      return noOpinion(`can only access ${what} with the same name as the requesting node`);
    return ALLOW;
  }

  rulesFor(user: AuthorizationAttributes['user']) {
    const isNode = user.groups.includes(NODES_GROUP) && user.username.startsWith(NODE_PREFIX);
    return isNode
      ? {
          resourceRules: [],
          nonResourceRules: [],
          incomplete: true,
          evaluationError: 'node authorizer does not support user rule resolution',
        }
      : { resourceRules: [], nonResourceRules: [], incomplete: false };
  }
}

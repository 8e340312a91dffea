// NodeRestriction: what a kubelet's credentials may change, with kube's Forbidden messages.

import { describe, expect, it } from 'vitest';
import { CORE } from '../../src/server/admission/plugins/deps.js';
import { NodeRestriction, nodeIdentity } from '../../src/server/admission/plugins/node-restriction.js';
import type { KubeObject } from '../../src/server/api/types.js';
import { attrs, descriptor, FakeObjects, PODS, pod, refusal } from './fake-objects.js';

const KUBELET = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const NODES = descriptor('', 'nodes', 'Node', false);
const node = (name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}`, labels }, spec }) as KubeObject;

function mirror(extra: Record<string, unknown> = {}): KubeObject {
  const p = pod('static-web', [{ name: 'c', image: 'nginx' }], { nodeName: 'n1', ...extra });
  p.metadata!.annotations = { 'kubernetes.io/config.mirror': 'hash' };
  p.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1', controller: true }];
  return p;
}

const objects = () =>
  new FakeObjects()
    .add(CORE('nodes'), node('n1'))
    .add(CORE('pods'), pod('mine', [{ name: 'c' }], { nodeName: 'n1' }))
    .add(CORE('pods'), pod('theirs', [{ name: 'c' }], { nodeName: 'n2' }));

const plugin = () => new NodeRestriction(objects());

describe('NodeRestriction', () => {
  it('identifies kubelets by user name and group only', () => {
    expect(nodeIdentity(KUBELET)).toBe('n1');
    expect(nodeIdentity({ username: 'system:node:n1', groups: [] })).toBeUndefined();
    expect(nodeIdentity({ username: 'alice', groups: ['system:nodes'] })).toBeUndefined();
  });

  it('a node modifies only its own Node, never its taints or restricted labels', async () => {
    expect(await refusal(plugin().admit(attrs('UPDATE', NODES, node('n2'), { user: KUBELET, oldObject: node('n2') })))).toBe(
      'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"',
    );
    await plugin().admit(
      attrs('UPDATE', NODES, node('n1', { 'kubernetes.io/hostname': 'n1', 'example.com/x': 'y' }), {
        user: KUBELET,
        oldObject: node('n1'),
      }),
    );
    expect(
      await refusal(
        plugin().admit(
          attrs('UPDATE', NODES, node('n1', { 'node-restriction.kubernetes.io/pool': 'a', 'node-role.kubernetes.io/master': '' }), {
            user: KUBELET,
            oldObject: node('n1'),
          }),
        ),
      ),
    ).toBe('nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool, node-role.kubernetes.io/master');
    expect(
      await refusal(
        plugin().admit(
          attrs('UPDATE', NODES, node('n1', {}, { taints: [] }), {
            user: KUBELET,
            oldObject: node('n1', {}, { taints: [{ key: 'k', effect: 'NoSchedule' }] }),
          }),
        ),
      ),
    ).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    expect(
      await refusal(plugin().admit(attrs('CREATE', NODES, node('n1', { 'foo.node-restriction.kubernetes.io/x': '1' }), { user: KUBELET }))),
    ).toBe('nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: foo.node-restriction.kubernetes.io/x');
    // Anyone else is not restricted.
    await plugin().admit(attrs('UPDATE', NODES, node('n2', { 'node-restriction.kubernetes.io/pool': 'a' }), { oldObject: node('n2') }));
  });

  it('a node creates only mirror pods bound to itself and owned by its Node, referencing no other objects', async () => {
    await plugin().admit(attrs('CREATE', PODS, mirror(), { user: KUBELET }));
    expect(await refusal(plugin().admit(attrs('CREATE', PODS, pod('p', [{ name: 'c' }], { nodeName: 'n1' }), { user: KUBELET })))).toBe(
      'pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
    );
    expect(await refusal(plugin().admit(attrs('CREATE', PODS, mirror({ nodeName: 'n2' }), { user: KUBELET })))).toBe(
      'pods "static-web" is forbidden: node "n1" can only create pods with spec.nodeName set to itself',
    );
    const stranger = mirror();
    stranger.metadata!.ownerReferences = [];
    expect(await refusal(plugin().admit(attrs('CREATE', PODS, stranger, { user: KUBELET })))).toBe(
      'pods "static-web" is forbidden: node "n1" can only create pods with an owner reference set to itself',
    );
    const wrongUid = mirror();
    wrongUid.metadata!.ownerReferences![0].uid = 'other';
    expect(await refusal(plugin().admit(attrs('CREATE', PODS, wrongUid, { user: KUBELET })))).toBe(
      'pods "static-web" is forbidden: node n1 UID mismatch: expected other got uid-n1',
    );
    const withSecret = mirror({ volumes: [{ name: 's', secret: { secretName: 'x' } }] });
    expect(await refusal(plugin().admit(attrs('CREATE', PODS, withSecret, { user: KUBELET })))).toBe(
      'pods "static-web" is forbidden: node "n1" can not create pods that reference secrets',
    );
    const withClaim = mirror({ volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'x' } }] });
    expect(await refusal(plugin().admit(attrs('CREATE', PODS, withClaim, { user: KUBELET })))).toBe(
      'pods "static-web" is forbidden: node "n1" can not create pods that reference persistentvolumeclaims',
    );
  });

  it('a node deletes, evicts and updates the status of only its own pods', async () => {
    const theirs = pod('theirs', [{ name: 'c' }], { nodeName: 'n2' });
    await plugin().admit(attrs('DELETE', PODS, null, { user: KUBELET, name: 'mine', namespace: 'ns' }));
    expect(
      await refusal(plugin().admit(attrs('DELETE', PODS, null, { user: KUBELET, name: 'theirs', namespace: 'ns', oldObject: theirs }))),
    ).toBe('pods "Unknown" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'theirs', namespace: 'ns' } } as KubeObject;
    expect(await refusal(plugin().admit(attrs('CREATE', PODS, eviction, { user: KUBELET, subresource: 'eviction' })))).toBe(
      'pods "theirs" is forbidden: node n1 can only evict pods with spec.nodeName set to itself',
    );
    expect(await refusal(plugin().admit(attrs('UPDATE', PODS, theirs, { user: KUBELET, subresource: 'status', oldObject: theirs })))).toBe(
      'pods "theirs" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself',
    );
    const mine = pod('mine', [{ name: 'c' }], { nodeName: 'n1' });
    const relabelled = structuredClone(mine);
    relabelled.metadata!.labels = { a: 'b' };
    expect(
      await refusal(plugin().admit(attrs('UPDATE', PODS, relabelled, { user: KUBELET, subresource: 'status', oldObject: mine }))),
    ).toBe('pods "mine" is forbidden: node "n1" cannot update labels through pod status');
    expect(await refusal(plugin().admit(attrs('UPDATE', PODS, mine, { user: KUBELET, oldObject: mine })))).toBe(
      'pods "mine" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods',
    );
    expect(await refusal(plugin().admit(attrs('CREATE', PODS, mine, { user: KUBELET, subresource: 'binding' })))).toBe(
      `pods "mine" is forbidden: unexpected pod subresource "binding", only 'status' and 'eviction' are allowed`,
    );
  });

  it('leases only in kube-node-lease and by the node name; claims only through status', async () => {
    const leases = descriptor('coordination.k8s.io', 'leases', 'Lease');
    const lease = (name: string, ns: string) =>
      ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: ns } }) as KubeObject;
    await plugin().admit(attrs('CREATE', leases, lease('n1', 'kube-node-lease'), { user: KUBELET }));
    expect(await refusal(plugin().admit(attrs('CREATE', leases, lease('n1', 'default'), { user: KUBELET })))).toBe(
      'leases.coordination.k8s.io "n1" is forbidden: can only access leases in the "kube-node-lease" system namespace',
    );
    expect(await refusal(plugin().admit(attrs('CREATE', leases, lease('n2', 'kube-node-lease'), { user: KUBELET })))).toBe(
      'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node',
    );
    const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'ns' } } as KubeObject;
    expect(
      await refusal(
        plugin().admit(
          attrs('UPDATE', descriptor('', 'persistentvolumeclaims', 'PersistentVolumeClaim'), pvc, { user: KUBELET, oldObject: pvc }),
        ),
      ),
    ).toBe('persistentvolumeclaims "c" is forbidden: may only update PVC status');
  });
});

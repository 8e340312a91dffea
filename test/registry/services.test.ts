// Services over the generic Store and the memory storage, without HTTP: ClusterIP and
// NodePort allocation (unique, also across two servers on one storage; released on
// delete, on failed writes and on type changes; requested values; range exhaustion),
// defaults, and the validation messages kube-apiserver answers with.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import type { ServerOptions } from '../../src/server/registry/builtin.js';
import { formatIP, parseCIDR, parseIP } from '../../src/server/registry/resources/netutil.js';
import type { Store } from '../../src/server/registry/store.js';
import type { Storage } from '../../src/server/storage/interface.js';
import { requestContext as ctx, rejection as failure, catalogRow as row, useRowStores } from '../helpers/rows.js';

type Spec = Record<string, unknown>;

function svc(name: string, spec: Spec = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } } as KubeObject;
}

const specOf = (o: KubeObject) => o.spec as Record<string, unknown> & { clusterIP: string; clusterIPs: string[]; ports: Spec[] };

describe('Services on the registry Store', () => {
  const stores = useRowStores();

  const storeOn = (s: Storage, options: Partial<ServerOptions> = {}): Store => {
    const r = row('services');
    const opts = { serviceClusterIPRange: '10.0.0.0/24', serviceNodePortRange: '30000-32767', ...options };
    return stores.store(r, { strategy: r.configure!(s, opts), storage: s });
  };

  it('defaults a ClusterIP Service as kube-apiserver does', async () => {
    const created = await storeOn(stores.storage).create(
      ctx(),
      svc('web', {
        selector: { app: 'web' },
        ports: [
          { name: 'a', port: 80, targetPort: 0 },
          { name: 'b', port: 81 },
        ],
      }),
    );
    const s = specOf(created);
    expect(s.type).toBe('ClusterIP');
    expect(s.sessionAffinity).toBe('None');
    expect(s.internalTrafficPolicy).toBe('Cluster');
    expect(s.ipFamilies).toEqual(['IPv4']);
    expect(s.ipFamilyPolicy).toBe('SingleStack');
    expect(s.clusterIPs).toEqual([s.clusterIP]);
    expect(s.ports).toEqual([
      { name: 'a', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'b', port: 81, targetPort: 81, protocol: 'TCP' },
    ]);
    expect(s.externalTrafficPolicy).toBeUndefined();
    expect(created.status).toEqual({ loadBalancer: {} });
    expect(created.metadata?.generation).toBeUndefined();
  });

  it('allocates distinct ClusterIPs inside the range, never the network or broadcast address', async () => {
    const store = storeOn(stores.storage, { serviceClusterIPRange: '10.0.0.0/26' });
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => store.create(ctx(), svc(`s${i}`))));
    const ips = created.map((o) => specOf(o).clusterIP);
    expect(new Set(ips).size).toBe(40);
    const range = parseCIDR('10.0.0.0/26')!;
    for (const ip of ips) {
      const v = parseIP(ip)!.value;
      expect(v > range.base && v < range.base + 63n).toBe(true);
    }
  });

  it('never hands out one IP twice across two servers sharing a storage', async () => {
    const a = storeOn(stores.storage, { serviceClusterIPRange: '10.0.0.0/27' });
    const b = storeOn(stores.storage, { serviceClusterIPRange: '10.0.0.0/27' });
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).create(ctx(), svc(`x${i}`))));
    expect(new Set(created.map((o) => specOf(o).clusterIP)).size).toBe(30);
    const full = await failure(a.create(ctx(), svc('one-more')));
    expect(full.code).toBe(500);
    expect(full.message).toBe('Internal error occurred: failed to allocate a serviceIP: range is full');
  });

  it('releases the IP on delete, and a requested IP is honoured or refused with kube messages', async () => {
    const store = storeOn(stores.storage);
    const first = await store.create(ctx(), svc('pinned', { clusterIP: '10.0.0.5' }));
    expect(specOf(first).clusterIPs).toEqual(['10.0.0.5']);
    const taken = await failure(store.create(ctx(), svc('again', { clusterIP: '10.0.0.5' })));
    expect(taken.code).toBe(422);
    expect(taken.message).toBe(
      'Service "again" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: provided IP is already allocated',
    );
    const outside = await failure(store.create(ctx(), svc('outside', { clusterIP: '10.1.0.5' })));
    expect(outside.message).toBe(
      'Service "outside" is invalid: spec.clusterIPs: Invalid value: []string{"10.1.0.5"}: failed to allocate IP 10.1.0.5: the provided IP (10.1.0.5) is not in the valid range. The range of valid IPs is 10.0.0.0/24',
    );
    const broadcast = await failure(store.create(ctx(), svc('bcast', { clusterIP: '10.0.0.255' })));
    expect(broadcast.message).toContain('is not in the valid range');
    const bad = await failure(store.create(ctx(), svc('bad', { clusterIP: 'ten' })));
    expect(bad.message).toBe(
      'Service "bad" is invalid: spec.clusterIPs[0]: Invalid value: "ten": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    );
    // Deleting a Service removes the Endpoints of its name too (kube's afterDelete).
    await stores.storage.create('/services/endpoints/default/pinned', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'pinned', namespace: 'default' },
    });
    await store.delete(ctx(), 'pinned', {});
    expect(await stores.storage.get('/services/endpoints/default/pinned')).toBeNull();
    expect(specOf(await store.create(ctx(), svc('again', { clusterIP: '10.0.0.5' }))).clusterIP).toBe('10.0.0.5');
  });

  it('gives back what a write that fails after allocation reserved, and reserves nothing on dry run', async () => {
    // A /29 holds six usable addresses.
    const store = storeOn(stores.storage, { serviceClusterIPRange: '10.0.0.0/29' });
    const invalid = await failure(store.create(ctx(), svc('Bad-Name')));
    expect(invalid.code).toBe(422);
    const dup = await failure(
      store.create(
        ctx(),
        svc('dup-ports', {
          ports: [
            { name: 'a', port: 80 },
            { name: 'a', port: 81 },
          ],
        }),
      ),
    );
    expect(dup.message).toBe('Service "dup-ports" is invalid: spec.ports[1].name: Duplicate value: "a"');
    const dry = await store.create(ctx({ dryRun: true }), svc('dry'));
    expect(specOf(dry).clusterIP).toBe('10.0.0.0');
    for (let i = 0; i < 6; i++) await store.create(ctx(), svc(`f${i}`));
    expect((await failure(store.create(ctx(), svc('f6')))).message).toContain('range is full');
  });

  it('allocates NodePorts from 30000-32767 for NodePort and LoadBalancer Services and releases them', async () => {
    const store = storeOn(stores.storage);
    const np = await store.create(
      ctx(),
      svc('np', {
        type: 'NodePort',
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 443 },
        ],
      }),
    );
    const ports = specOf(np).ports.map((p) => p.nodePort as number);
    expect(ports.every((p) => p >= 30000 && p <= 32767)).toBe(true);
    expect(new Set(ports).size).toBe(2);
    expect(specOf(np).externalTrafficPolicy).toBe('Cluster');
    const lb = await store.create(ctx(), svc('lb', { type: 'LoadBalancer' }));
    expect(specOf(lb).allocateLoadBalancerNodePorts).toBe(true);
    expect(specOf(lb).ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    const taken = await failure(store.create(ctx(), svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: ports[0] }] })));
    expect(taken.message).toBe(
      `Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: ${ports[0]}: provided port is already allocated`,
    );
    const outside = await failure(store.create(ctx(), svc('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })));
    expect(outside.message).toBe(
      'Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    // A type change to ClusterIP wipes the NodePorts it had and gives them back.
    const { object } = await store.update(ctx(), 'np', (cur) => ({ ...cur!, spec: { ...specOf(cur!), type: 'ClusterIP' } }) as KubeObject);
    expect(specOf(object).ports.map((p) => p.nodePort)).toEqual([undefined, undefined]);
    expect(specOf(object).externalTrafficPolicy).toBeUndefined();
    const again = await store.create(ctx(), svc('np4', { type: 'NodePort', ports: [{ port: 80, nodePort: ports[0] }] }));
    expect(specOf(again).ports[0].nodePort).toBe(ports[0]);
  });

  it('keeps the ClusterIP on updates that omit it and refuses to change it', async () => {
    const store = storeOn(stores.storage);
    const created = await store.create(ctx(), svc('keep'));
    const ip = specOf(created).clusterIP;
    // A re-applied manifest without the allocated values keeps them (patchAllocatedValues).
    const { object } = await store.update(ctx(), 'keep', () => svc('keep', { ports: [{ port: 8080 }] }));
    expect(specOf(object).clusterIP).toBe(ip);
    const changed = await failure(
      store.update(ctx(), 'keep', (cur) => ({ ...cur!, spec: { ...specOf(cur!), clusterIP: '10.0.0.9', clusterIPs: ['10.0.0.9'] } })),
    );
    expect(changed.message).toBe(
      `Service "keep" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.0.0.9"}: may not change once set`,
    );
    // To ExternalName and back: the IP goes, a new one comes.
    const ext = await store.update(ctx(), 'keep', (cur) => ({
      ...cur!,
      spec: { ...specOf(cur!), type: 'ExternalName', externalName: 'example.com' },
    }));
    expect(specOf(ext.object).clusterIP).toBeUndefined();
    expect(specOf(ext.object).ipFamilies).toBeUndefined();
    const pinned = await store.create(ctx(), svc('takes-it', { clusterIP: ip }));
    expect(specOf(pinned).clusterIP).toBe(ip);
  });

  it('creates headless and ExternalName Services without allocating', async () => {
    const store = storeOn(stores.storage, { serviceClusterIPRange: '10.0.0.0/30' });
    const headless = await store.create(ctx(), svc('hl', { clusterIP: 'None', selector: { app: 'x' }, ports: undefined }));
    expect(specOf(headless).clusterIPs).toEqual(['None']);
    expect(specOf(headless).ipFamilyPolicy).toBe('SingleStack');
    const selectorless = await store.create(ctx(), svc('hl2', { clusterIP: 'None' }));
    expect(specOf(selectorless).ipFamilyPolicy).toBe('RequireDualStack');
    expect(specOf(selectorless).ipFamilies).toEqual(['IPv4', 'IPv6']);
    const ext = await store.create(ctx(), svc('ext', { type: 'ExternalName', externalName: 'db.example.com', ports: undefined }));
    expect(specOf(ext).clusterIP).toBeUndefined();
    expect(specOf(ext).internalTrafficPolicy).toBeUndefined();
    // A /30 has two usable addresses: both still free.
    await store.create(ctx(), svc('a'));
    await store.create(ctx(), svc('b'));
  });

  it('allocates one address per family on a dual-stack range', async () => {
    const store = storeOn(stores.storage, { serviceClusterIPRange: '10.0.0.0/24,fd00::/108' });
    const single = await store.create(ctx(), svc('v4'));
    expect(specOf(single).ipFamilies).toEqual(['IPv4']);
    const dual = await store.create(ctx(), svc('dual', { ipFamilyPolicy: 'PreferDualStack' }));
    expect(specOf(dual).ipFamilies).toEqual(['IPv4', 'IPv6']);
    expect(specOf(dual).clusterIPs).toHaveLength(2);
    expect(specOf(dual).clusterIPs[1]).toMatch(/^fd00::[0-9a-f:]+$/);
    const v6 = await store.create(ctx(), svc('v6', { ipFamilies: ['IPv6'], clusterIP: 'fd00::a', clusterIPs: ['fd00::a'] }));
    expect(specOf(v6).clusterIPs).toEqual(['fd00::a']);
    const required = await failure(storeOn(stores.storage).create(ctx(), svc('req', { ipFamilyPolicy: 'RequireDualStack' })));
    expect(required.message).toBe(
      'Service "req" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    );
  });

  it('answers validation failures with kube field paths and messages', async () => {
    const store = storeOn(stores.storage);
    const msg = async (o: KubeObject) => (await failure(store.create(ctx(), o))).message;
    expect(await msg(svc('noports', { ports: [] }))).toBe('Service "noports" is invalid: spec.ports: Required value');
    expect(await msg(svc('unnamed', { ports: [{ port: 80 }, { port: 81 }] }))).toBe(
      'Service "unnamed" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]',
    );
    expect(await msg(svc('range', { ports: [{ port: 70000 }] }))).toContain(
      'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    expect(await msg(svc('proto', { ports: [{ port: 80, protocol: 'HTTP' }] }))).toContain(
      'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    );
    expect(await msg(svc('1bad'))).toContain(
      'metadata.name: Invalid value: "1bad": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character',
    );
    expect(await msg(svc('cip-np', { ports: [{ port: 80, nodePort: 30001 }] }))).toBe(
      'Service "cip-np" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\'',
    );
    expect(await msg(svc('ext', { type: 'ExternalName' }))).toBe('Service "ext" is invalid: spec.externalName: Required value');
    expect(await msg(svc('lbnone', { type: 'LoadBalancer', clusterIP: 'None' }))).toContain(
      'spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for LoadBalancer services',
    );
  });

  it('formats the table row as printService does', async () => {
    const store = storeOn(stores.storage);
    const np = await store.create(
      ctx(),
      svc('np', { type: 'NodePort', selector: { b: '2', a: '1' }, ports: [{ port: 80, nodePort: 30080 }] }),
    );
    const cells = row('services').strategy.tableRow!(np);
    expect(cells).toEqual(['np', 'NodePort', specOf(np).clusterIP, '<none>', '80:30080/TCP', expect.stringMatching(/^\d+s$/), 'a=1,b=2']);
    const lb = await store.create(ctx(), svc('lb', { type: 'LoadBalancer' }));
    expect(row('services').strategy.tableRow!(lb)[3]).toBe('<pending>');
    expect(formatIP(parseIP('::ffff:10.0.0.1')!)).toBe('10.0.0.1');
  });
});

// The generic Store over the memory storage, without HTTP: the shared create and
// update steps (rest.BeforeCreate / BeforeUpdate), create-on-update, the strategy
// flags in kube's sense, delete with finalizers and preconditions, deletecollection.

import { describe, expect, it } from 'vitest';
import type { StatusError } from '../../src/server/api/errors.js';
import type { KubeObject } from '../../src/server/api/types.js';
import type { Store } from '../../src/server/registry/store.js';
import type { Strategy } from '../../src/server/registry/strategy.js';
import { requestContext as ctx, rejection, catalogRow as row, useRowStores } from '../helpers/rows.js';

function cm(name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' }, ...extra } as KubeObject;
}

/** Rejects with a Status of this code (and, when given, reason and message part). */
async function expectStatus(p: Promise<unknown>, code: number, message?: string): Promise<StatusError> {
  const s = await rejection(p);
  expect(s.code, s.message).toBe(code);
  if (message) expect(s.message).toContain(message);
  return s;
}

describe('registry Store', () => {
  const stores = useRowStores();
  const storeFor = (resource: string, strategy?: Partial<Strategy>): Promise<Store> => {
    const r = row(resource);
    return stores.storeFor(r, { strategy: { ...r.strategy, ...strategy } });
  };

  describe('create', () => {
    it('fills the server fields and refuses a second object of the same name', async () => {
      const store = await storeFor('configmaps');
      const input = cm('one');
      input.metadata!.uid = 'client-uid';
      input.metadata!.resourceVersion = '42';
      const created = await store.create(ctx(), input);
      expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata?.uid).not.toBe('client-uid');
      expect(created.metadata?.namespace).toBe('default');
      expect(created.metadata?.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
      await expectStatus(store.create(ctx(), cm('one')), 409, 'configmaps "one" already exists');
    });

    it('generates a name from generateName', async () => {
      const store = await storeFor('configmaps');
      const created = await store.create(ctx(), { ...cm(''), metadata: { generateName: 'gen-' } } as KubeObject);
      expect(created.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
      expect((await store.get(ctx(), created.metadata!.name!)).metadata?.uid).toBe(created.metadata?.uid);
    });

    it('refuses a namespace that differs from the request', async () => {
      const store = await storeFor('configmaps');
      await expectStatus(store.create(ctx(), cm('x', { metadata: { name: 'x', namespace: 'other' } })), 400, 'does not match');
    });

    it('stores nothing on dryRun', async () => {
      const store = await storeFor('configmaps');
      const created = await store.create(ctx({ dryRun: true }), cm('dry'));
      expect(created.metadata?.uid).toBeTruthy();
      await expectStatus(store.get(ctx(), 'dry'), 404, 'configmaps "dry" not found');
    });

    it('runs strategy validation', async () => {
      const store = await storeFor('configmaps');
      await expectStatus(store.create(ctx(), cm('bad', { data: { 'a b': '1' } })), 422, 'ConfigMap "bad" is invalid');
    });
  });

  describe('update', () => {
    it('is unconditional without a resourceVersion when the strategy allows it (allowUnconditionalUpdate)', async () => {
      const store = await storeFor('configmaps');
      const created = await store.create(ctx(), cm('u'));
      const { object, created: wasCreated } = await store.update(ctx(), 'u', () => cm('u', { data: { a: '2' } }));
      expect(wasCreated).toBe(false);
      expect(object.data).toEqual({ a: '2' });
      expect(object.metadata?.uid).toBe(created.metadata?.uid);
      expect(object.metadata?.creationTimestamp).toBe(created.metadata?.creationTimestamp);
      expect(Number(object.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    });

    it('requires a resourceVersion when unconditional updates are not allowed', async () => {
      const store = await storeFor('configmaps', { allowUnconditionalUpdate: false });
      const created = await store.create(ctx(), cm('strict'));
      await expectStatus(
        store.update(ctx(), 'strict', () => cm('strict', { data: { a: '2' } })),
        422,
        'configmaps "strict" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
      );
      const rv = created.metadata!.resourceVersion!;
      const { object } = await store.update(ctx(), 'strict', () =>
        cm('strict', { metadata: { name: 'strict', resourceVersion: rv }, data: { a: '2' } }),
      );
      expect(object.data).toEqual({ a: '2' });
      expect(object.metadata?.resourceVersion).not.toBe(rv);
    });

    it('refuses a stale resourceVersion with a conflict', async () => {
      const store = await storeFor('configmaps');
      const created = await store.create(ctx(), cm('c'));
      const rv = created.metadata!.resourceVersion!;
      await store.update(ctx(), 'c', () => cm('c', { data: { a: '2' } }));
      await expectStatus(
        store.update(ctx(), 'c', () => cm('c', { metadata: { name: 'c', resourceVersion: rv } })),
        409,
        'the object has been modified',
      );
    });

    it('refuses a body naming another object', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('n'));
      await expectStatus(
        store.update(ctx(), 'n', () => cm('other')),
        400,
        'does not match the name on the URL (n)',
      );
    });

    it('does not store a dryRun update', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('d'));
      const { object } = await store.update(ctx({ dryRun: true }), 'd', () => cm('d', { data: { a: '2' } }));
      expect(object.data).toEqual({ a: '2' });
      expect((await store.get(ctx(), 'd')).data).toEqual({ a: '1' });
    });
  });

  describe('create on update', () => {
    const lease = (name: string): KubeObject =>
      ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: 'me' } }) as KubeObject;

    it('creates through the create path when the strategy allows it (allowCreateOnUpdate)', async () => {
      const store = await storeFor('leases');
      const input = lease('l');
      input.metadata!.uid = 'client-uid';
      const { object, created } = await store.update(ctx(), 'l', () => input);
      expect(created).toBe(true);
      // The server fields rest.BeforeCreate fills, as for POST.
      expect(object.metadata?.uid).not.toBe('client-uid');
      expect(object.metadata?.creationTimestamp).toBeTruthy();
      expect(object.metadata?.namespace).toBe('default');
      expect((await store.get(ctx(), 'l')).spec).toEqual({ holderIdentity: 'me' });
    });

    it('refuses a body naming another object', async () => {
      const store = await storeFor('leases');
      await expectStatus(
        store.update(ctx(), 'l', () => lease('m')),
        400,
        'the name of the object (m) does not match the name on the URL (l)',
      );
    });

    it('is NotFound where the strategy does not allow it', async () => {
      const store = await storeFor('configmaps');
      await expectStatus(
        store.update(ctx(), 'missing', () => cm('missing')),
        404,
        'configmaps "missing" not found',
      );
    });

    it('is NotFound on a subresource', async () => {
      const store = await storeFor('leases');
      await expectStatus(
        store.update(ctx({ subresource: 'status' }), 'l', () => lease('l')),
        404,
      );
    });
  });

  describe('delete', () => {
    it('deletes an object without finalizers at once', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('g'));
      const { immediate, object } = await store.delete(ctx(), 'g', {});
      expect(immediate).toBe(true);
      expect(object.metadata?.name).toBe('g');
      await expectStatus(store.get(ctx(), 'g'), 404);
      await expectStatus(store.delete(ctx(), 'g', {}), 404, 'configmaps "g" not found');
    });

    it('only marks an object with finalizers; it goes when the last finalizer is removed', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('f', { metadata: { name: 'f', finalizers: ['example.com/hold'] } }));
      const { immediate, object } = await store.delete(ctx(), 'f', {});
      expect(immediate).toBe(false);
      expect(object.metadata?.deletionTimestamp).toBeTruthy();
      expect(object.metadata?.deletionGracePeriodSeconds).toBe(0);
      expect((await store.get(ctx(), 'f')).metadata?.deletionTimestamp).toBe(object.metadata?.deletionTimestamp);
      await store.update(ctx(), 'f', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, finalizers: [] } }));
      await expectStatus(store.get(ctx(), 'f'), 404);
    });

    it('adds the propagation finalizer (Orphan, Foreground)', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('o', { metadata: { name: 'o', finalizers: ['example.com/hold'] } }));
      const orphan = await store.delete(ctx(), 'o', { propagationPolicy: 'Orphan' });
      expect(orphan.object.metadata?.finalizers).toEqual(['example.com/hold', 'orphan']);
      const fg = await store.delete(ctx(), 'o', { propagationPolicy: 'Foreground' });
      expect(fg.object.metadata?.finalizers).toEqual(['example.com/hold', 'foregroundDeletion']);
    });

    it('checks uid and resourceVersion preconditions', async () => {
      const store = await storeFor('configmaps');
      const created = await store.create(ctx(), cm('p'));
      await expectStatus(
        store.delete(ctx(), 'p', { preconditions: { uid: 'nope' } }),
        409,
        'the UID in the precondition (nope) does not match the UID in record',
      );
      await expectStatus(
        store.delete(ctx(), 'p', { preconditions: { resourceVersion: '1' } }),
        409,
        'the ResourceVersion in the precondition (1) does not match',
      );
      const { immediate } = await store.delete(ctx(), 'p', {
        preconditions: { uid: created.metadata!.uid, resourceVersion: created.metadata!.resourceVersion },
      });
      expect(immediate).toBe(true);
    });

    it('keeps the object on dryRun', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('k'));
      await store.delete(ctx({ dryRun: true }), 'k', {});
      expect((await store.get(ctx(), 'k')).metadata?.name).toBe('k');
    });
  });

  describe('deleteCollection', () => {
    it('deletes what the selectors list, with the same options, and returns it', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('a', { metadata: { name: 'a', labels: { app: 'x' } } }));
      await store.create(ctx(), cm('b', { metadata: { name: 'b', labels: { app: 'x' }, finalizers: ['example.com/hold'] } }));
      await store.create(ctx(), cm('c', { metadata: { name: 'c', labels: { app: 'y' } } }));
      await store.create(ctx({ namespace: 'other' }), cm('d', { metadata: { name: 'd', labels: { app: 'x' } } }));

      const list = await store.deleteCollection(ctx(), { namespace: 'default', labelSelector: 'app=x' }, {});
      expect(list.kind).toBe('ConfigMapList');
      expect(list.items.map((o) => o.metadata?.name)).toEqual(['a', 'b']);
      // b has a finalizer: it is only marked, and listed as marked.
      expect(list.items[1].metadata?.deletionTimestamp).toBeTruthy();
      await expectStatus(store.get(ctx(), 'a'), 404);
      expect((await store.get(ctx(), 'b')).metadata?.deletionTimestamp).toBeTruthy();
      expect((await store.get(ctx(), 'c')).metadata?.deletionTimestamp).toBeUndefined();
      expect((await store.get(ctx({ namespace: 'other' }), 'd')).metadata?.deletionTimestamp).toBeUndefined();
    });

    it('spans namespaces without one and honours field selectors', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('a'));
      await store.create(ctx({ namespace: 'other' }), cm('a'));
      await store.create(ctx({ namespace: 'other' }), cm('b'));
      const list = await store.deleteCollection(ctx({ namespace: '' }), { namespace: '', fieldSelector: 'metadata.name=a' }, {});
      expect(list.items.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort()).toEqual(['default/a', 'other/a']);
      expect((await store.get(ctx({ namespace: 'other' }), 'b')).metadata?.name).toBe('b');
    });

    it('fails on a failed precondition and leaves the rest', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('a'));
      await expectStatus(store.deleteCollection(ctx(), { namespace: 'default' }, { preconditions: { uid: 'nope' } }), 409);
      expect((await store.get(ctx(), 'a')).metadata?.name).toBe('a');
    });

    it('deletes nothing on dryRun', async () => {
      const store = await storeFor('configmaps');
      await store.create(ctx(), cm('a'));
      const list = await store.deleteCollection(ctx({ dryRun: true }), { namespace: 'default' }, {});
      expect(list.items.map((o) => o.metadata?.name)).toEqual(['a']);
      expect((await store.get(ctx(), 'a')).metadata?.name).toBe('a');
    });
  });
});

// The server's wire behaviour with a raw client: health, version, auth, content
// negotiation, bad input, metadata semantics, finalizers, dry run, deletecollection.

import { gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

const NS = '/api/v1/namespaces/default';
interface Obj {
  metadata: { name: string; uid: string; resourceVersion: string; generation?: number; deletionTimestamp?: string; finalizers?: string[] };
  [k: string]: unknown;
}
interface StatusBody {
  kind: string;
  code: number;
  reason: string;
  message: string;
  status: string;
  details?: Record<string, unknown>;
}

describe.each(BACKENDS)('server basics on %s storage', (storage) => {
  const s = useEnv(storage);

  it('serves version and health endpoints, anonymous included', async () => {
    const anon = new Agent({ connect: { ca: s.env.ca } });
    const v = await request(`${s.env.server}/version`, { dispatcher: anon });
    expect(await v.body.json()).toMatchObject({ major: '1', minor: '32' });
    const r = await request(`${s.env.server}/readyz?verbose`, { dispatcher: anon });
    expect(r.statusCode).toBe(200);
    const text = await r.body.text();
    expect(text).toContain('[+]ping ok');
    expect(text).toContain('[+]etcd ok');
    expect(text.trim().endsWith('readyz check passed')).toBe(true);
    const api = await request(`${s.env.server}/api`, { dispatcher: anon });
    expect(api.statusCode).toBe(403);
    expect(await api.body.json()).toMatchObject({
      reason: 'Forbidden',
      message: 'forbidden: User "system:anonymous" cannot get path "/api"',
    });
    const cms = await request(`${s.env.server}${NS}/configmaps`, { dispatcher: anon });
    expect(((await cms.body.json()) as StatusBody).message).toBe(
      'configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "default"',
    );
    await anon.destroy();
  });

  it('sets server-owned metadata, generateName and Audit-Id', async () => {
    const r = await s.client.post<Obj>(
      `${NS}/configmaps`,
      { metadata: { generateName: 'gen-', uid: 'mine', resourceVersion: '7' } },
      { 'audit-id': 'abc-123' },
    );
    expect(r.status).toBe(201);
    expect(r.headers['audit-id']).toBe('abc-123');
    expect(r.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(r.body.metadata.uid).not.toBe('mine');
    expect(r.body.metadata.generation).toBeUndefined();
    expect(r.body.kind).toBe('ConfigMap');
  });

  it('answers bad input with a Status and writes nothing', async () => {
    const bad = await s.client.call<StatusBody>('POST', `${NS}/configmaps`, '{"metadata": {', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest' });
    const big = await s.client.post<StatusBody>(`${NS}/configmaps`, {
      metadata: { name: 'big' },
      data: { x: 'a'.repeat(4 * 1024 * 1024) },
    });
    expect(big.status).toBe(413);
    expect(big.body.reason).toBe('RequestEntityTooLarge');
    const deep = await s.client.call<StatusBody>('POST', `${NS}/configmaps`, '['.repeat(20_000) + ']'.repeat(20_000), {
      'content-type': 'application/json',
    });
    expect(deep.status).toBe(400);
    const wrongNs = await s.client.post<StatusBody>(`${NS}/configmaps`, { metadata: { name: 'x', namespace: 'other' } });
    expect(wrongNs.body.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
    const wrongVersion = await s.client.post<StatusBody>(`${NS}/configmaps`, {
      apiVersion: 'v2',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
    });
    expect(wrongVersion.body.message).toBe('the API version in the data (v2) does not match the expected API version (v1)');
    await s.client.post(`${NS}/configmaps`, { metadata: { name: 'named' } });
    const wrongName = await s.client.call<StatusBody>('PUT', `${NS}/configmaps/named`, { metadata: { name: 'other' } });
    expect(wrongName.body.message).toBe('the name of the object (other) does not match the name on the URL (named)');
    const badType = await s.client.call<StatusBody>('POST', `${NS}/configmaps`, 'x', { 'content-type': 'text/plain' });
    expect(badType.status).toBe(415);
    const notAcceptable = await s.client.get<StatusBody>(`${NS}/configmaps`, { accept: 'text/html' });
    expect(notAcceptable.status).toBe(406);
    const badTimeout = await s.client.get<StatusBody>(`${NS}/configmaps?timeout=soon`);
    expect(badTimeout.body).toMatchObject({ code: 400, message: 'invalid timeout specified in the request URL' });
    expect((await s.client.get(`${NS}/configmaps?timeout=32s`)).status).toBe(200);
    const unknown = await s.client.get<StatusBody>('/api/v1/widgets');
    expect(unknown.body).toMatchObject({ code: 404, message: 'the server could not find the requested resource' });
    expect((await s.client.get<Obj[]>(`${NS}/configmaps`)).status).toBe(200);
  });

  it('speaks YAML and gzip', async () => {
    const y = await s.client.call('POST', `${NS}/configmaps`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yml\ndata:\n  a: b\n', {
      'content-type': 'application/yaml',
      accept: 'application/yaml',
    });
    expect(y.status).toBe(201);
    expect(y.text).toContain('name: yml');
    for (let i = 0; i < 40; i++) await s.client.post(`${NS}/configmaps`, { metadata: { name: `gz${i}` }, data: { k: 'x'.repeat(5000) } });
    const raw = await request(`${s.env.server}${NS}/configmaps`, { dispatcher: s.client.agent, headers: { 'accept-encoding': 'gzip' } });
    expect(raw.headers['content-encoding']).toBe('gzip');
    const body = JSON.parse(gunzipSync(Buffer.from(await raw.body.arrayBuffer())).toString());
    expect(body.items.length).toBeGreaterThan(40);
  });

  it('dry runs validate and persist nothing', async () => {
    const dry = await s.client.post<Obj>(`${NS}/configmaps?dryRun=All`, { metadata: { name: 'dry' } });
    expect(dry.status).toBe(201);
    expect((await s.client.get(`${NS}/configmaps/dry`)).status).toBe(404);
    const bad = await s.client.post<StatusBody>(`${NS}/configmaps?dryRun=Some`, { metadata: { name: 'dry' } });
    expect(bad.status).toBe(422);
  });

  it('marks objects with finalizers and deletes them when the last one goes', async () => {
    const c = await s.client.post<Obj>(`${NS}/configmaps`, { metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
    const pre = await s.client.call<StatusBody>('DELETE', `${NS}/configmaps/fin`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { uid: 'nope' },
    });
    expect(pre.status).toBe(409);
    expect(pre.body.message).toBe(
      `Operation cannot be fulfilled on ConfigMap "fin": the UID in the precondition (nope) does not match the UID in record (${c.body.metadata.uid}). The object might have been deleted and then recreated`,
    );
    const del = await s.client.call<Obj>('DELETE', `${NS}/configmaps/fin`);
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toBeTruthy();
    const add = await s.client.call<StatusBody>(
      'PATCH',
      `${NS}/configmaps/fin`,
      { metadata: { finalizers: ['example.com/hold', 'x.io/new'] } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(add.status).toBe(422);
    expect(add.body.message).toContain('no new finalizers can be added if the object is being deleted');
    const rm = await s.client.call(
      'PATCH',
      `${NS}/configmaps/fin`,
      { metadata: { finalizers: null } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(rm.status).toBe(200);
    expect((await s.client.get(`${NS}/configmaps/fin`)).status).toBe(404);
  });

  it('deletes collections by selector and answers delete with a Status', async () => {
    for (const n of ['dc1', 'dc2', 'dc3'])
      await s.client.post(`${NS}/configmaps`, { metadata: { name: n, labels: { batch: n === 'dc3' ? 'b' : 'a' } } });
    const r = await s.client.call<{ items: Obj[] }>('DELETE', `${NS}/configmaps?labelSelector=batch%3Da`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((i) => i.metadata.name).sort()).toEqual(['dc1', 'dc2']);
    const one = await s.client.call<StatusBody>('DELETE', `${NS}/configmaps/dc3`);
    expect(one.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'dc3', kind: 'configmaps' } });
  });

  it('folds Secret stringData into data and serves Leases', async () => {
    const sec = await s.client.post<{ data: Record<string, string>; stringData?: unknown; type: string }>(`${NS}/secrets`, {
      metadata: { name: 'sd' },
      stringData: { pw: 'hunter2' },
    });
    expect(sec.body.data).toEqual({ pw: Buffer.from('hunter2').toString('base64') });
    expect(sec.body.stringData).toBeUndefined();
    expect(sec.body.type).toBe('Opaque');
    const lease = await s.client.post<Obj>('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      metadata: { name: 'node-a' },
      spec: { holderIdentity: 'node-a', leaseDurationSeconds: 40 },
    });
    expect(lease.status).toBe(201);
    const up = await s.client.call<Obj>('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b', {
      metadata: { name: 'node-b' },
      spec: { holderIdentity: 'node-b' },
    });
    expect(up.status).toBe(201);
  });
});

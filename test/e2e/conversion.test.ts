// Two served versions with a conversion webhook served by the test, on every backend.

import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from '../../src/pki/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';
import { watchH1 } from '../helpers/watch.js';

interface Obj {
  apiVersion: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** v1 stores spec.color; v2 calls it spec.colour. */
function convert(obj: Obj, to: string): Obj {
  const spec = { ...obj.spec };
  if (to.endsWith('/v2') && 'color' in spec) {
    spec.colour = spec.color;
    delete spec.color;
  }
  if (to.endsWith('/v1') && 'colour' in spec) {
    spec.color = spec.colour;
    delete spec.colour;
  }
  return { ...obj, apiVersion: to, spec };
}

let server: https.Server;
let caBundle = '';
let port = 0;
let calls = 0;
let broken = false;

beforeAll(async () => {
  const pki = await createPki();
  caBundle = Buffer.from(pki.ca.certPem).toString('base64');
  server = https.createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls++;
      if (broken) {
        res.statusCode = 500;
        res.end('down for maintenance');
        return;
      }
      const review = JSON.parse(body) as { request: { uid: string; desiredAPIVersion: string; objects: Obj[] } };
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'ConversionReview',
          response: {
            uid: review.request.uid,
            result: { status: 'Success' },
            convertedObjects: review.request.objects.map((o) => convert(o, review.request.desiredAPIVersion)),
          },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const schema = (field: string): unknown => ({
  openAPIV3Schema: {
    type: 'object',
    properties: { spec: { type: 'object', properties: { [field]: { type: 'string' }, size: { type: 'integer', default: 1 } } } },
  },
});

describe.each(BACKENDS)('CRD conversion webhook on %s storage', (storage) => {
  const s = useEnv(storage);

  it('converts reads, writes, lists and watches through the webhook', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        conversion: {
          strategy: 'Webhook',
          webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: `https://127.0.0.1:${port}/convert`, caBundle } },
        },
        versions: [
          { name: 'v1', served: true, storage: true, schema: schema('color') },
          { name: 'v2', served: true, storage: false, schema: schema('colour') },
        ],
      },
    };
    expect((await s.client.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    const v2 = '/apis/example.com/v2/namespaces/default/gadgets';
    const v1 = '/apis/example.com/v1/namespaces/default/gadgets';
    for (let i = 0; i < 200 && (await s.client.get(v2)).status !== 200; i++) await new Promise((r) => setTimeout(r, 10));
    const w = await watchH1(s.client, `${v2}?watch=true`);
    const created = await s.client.post<Obj>(v2, {
      apiVersion: 'example.com/v2',
      kind: 'Gadget',
      metadata: { name: 'g1' },
      spec: { colour: 'red' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: 'example.com/v2', spec: { colour: 'red', size: 1 } });
    const asV1 = await s.client.get<Obj>(`${v1}/g1`);
    expect(asV1.body).toMatchObject({ apiVersion: 'example.com/v1', spec: { color: 'red', size: 1 } });
    const list = await s.client.get<{ items: Obj[] }>(v2);
    expect(list.body.items.map((i) => i.spec.colour)).toEqual(['red']);
    const [ev] = await w.next(1);
    expect(ev.object).toMatchObject({ apiVersion: 'example.com/v2', spec: { colour: 'red' } });
    w.close();
    expect(calls).toBeGreaterThan(0);
    const table = await s.kubectl(['get', 'gadgets.v2.example.com', 'g1', '-o', 'jsonpath={.spec.colour}']);
    expect(table.stdout).toBe('red');
    broken = true;
    const failed = await s.client.get<{ code: number; message: string }>(`${v2}/g1`);
    broken = false;
    expect(failed.status).toBe(500);
    expect(failed.body.message).toMatch(/^Internal error occurred: conversion webhook for example\.com\/v2, Kind=Gadget failed: /);
  });

  it('strategy None only rewrites apiVersion', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'plain.example.org' },
      spec: {
        group: 'example.org',
        scope: 'Cluster',
        names: { plural: 'plain', singular: 'plain', kind: 'Plain' },
        versions: [
          { name: 'v1beta1', served: true, storage: false, schema: schema('x') },
          { name: 'v1', served: true, storage: true, schema: schema('x') },
        ],
      },
    };
    expect((await s.client.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    for (let i = 0; i < 200 && (await s.client.get('/apis/example.org/v1beta1/plain')).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 10));
    const c = await s.client.post<Obj>('/apis/example.org/v1beta1/plain', {
      apiVersion: 'example.org/v1beta1',
      kind: 'Plain',
      metadata: { name: 'p' },
      spec: { x: 'y' },
    });
    expect(c.body.apiVersion).toBe('example.org/v1beta1');
    const got = await s.client.get<Obj>('/apis/example.org/v1/plain/p');
    expect(got.body).toMatchObject({ apiVersion: 'example.org/v1', spec: { x: 'y' } });
    const crdNow = await s.client.get<{ status: { storedVersions: string[] } }>(
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/plain.example.org',
    );
    expect(crdNow.body.status.storedVersions).toEqual(['v1']);
  });
});

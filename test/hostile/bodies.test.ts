// Hostile request bodies: nesting depth (JSON, YAML, patches), JSON Patch
// copy amplification, merge and strategic merge patch bombs, duplicate keys,
// prototype-named fields, and query/continue/header parsing. Every refused
// write must leave the store unchanged and the server answering.

import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH } from '../../src/server/http/body.js';
import { BACKENDS } from '../helpers/backends.js';
import { CRDS_PATH, testCRD, waitServed } from '../helpers/crds.js';
import { type SuiteEnv, useEnv } from '../helpers/env.js';
import { watchH1 } from '../helpers/watch.js';
import { expectAlive, expectRefused, seeded } from './helpers.js';

const NS = '/api/v1/namespaces/default';
const CMS = `${NS}/configmaps`;
const BLOBS = '/apis/hostile.example.com/v1/namespaces/default/blobs';
const PATCH_JSON = { 'content-type': 'application/json-patch+json' };
const PATCH_MERGE = { 'content-type': 'application/merge-patch+json' };
const PATCH_SMP = { 'content-type': 'application/strategic-merge-patch+json' };

interface StatusBody {
  kind: string;
  code: number;
  reason: string;
  message: string;
}

/** JSON text of `{"a":{"a":...leaf...}}` with `levels` objects. */
function nestedText(levels: number, leaf = '1'): string {
  return '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);
}

/** The same value built without recursion. */
function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

function depthOf(v: unknown): number {
  let d = 0;
  let cur = v;
  while (typeof cur === 'object' && cur !== null) {
    d++;
    cur = (cur as Record<string, unknown>).a;
  }
  return d;
}

async function installBlobs(s: SuiteEnv): Promise<void> {
  const crd = testCRD({
    group: 'hostile.example.com',
    plural: 'blobs',
    kind: 'Blob',
    listKind: 'BlobList',
    schema: {
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { size: { type: 'integer' } } },
        data: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  });
  const r = await s.client.post(CRDS_PATH, crd);
  expect([201, 409]).toContain(r.status);
  await waitServed(s.client, BLOBS);
}

describe.each(BACKENDS)('hostile bodies on %s storage', (storage) => {
  const s = useEnv(storage);

  it('refuses a preserve-unknown-fields custom resource nested deeper than the limit, before storing it', async () => {
    await installBlobs(s);
    const text = `{"apiVersion":"hostile.example.com/v1","kind":"Blob","metadata":{"name":"poison"},"data":${nestedText(3_000)}}`;
    const r = await expectRefused(s, [BLOBS], () => s.client.post(BLOBS, text), [400]);
    expect(r.body.reason).toBe('BadRequest');
    expect(r.body.message).toBe(
      `the object provided is unrecognized (must be of type Blob): couldn't get version/kind; json parse error: invalid character '{' exceeded max depth (${text.slice(0, 30)} ...)`,
    );
    expect((await s.client.get(`${BLOBS}/poison`)).status).toBe(404);
  });

  it('stores an object just under the limit and serves it back by GET, YAML, LIST, watch and Table', async () => {
    await installBlobs(s);
    // The root object plus MAX - 1 levels under data: exactly the limit.
    const body = { apiVersion: 'hostile.example.com/v1', kind: 'Blob', metadata: { name: 'deep' }, data: nested(MAX_NESTING_DEPTH - 1) };
    const w = await watchH1(s.client, `${BLOBS}?watch=true&fieldSelector=metadata.name%3Ddeep`);
    try {
      const created = await s.client.post<{ data: unknown }>(BLOBS, body);
      expect(created.status, created.text.slice(0, 300)).toBe(201);
      expect(depthOf(created.body.data)).toBe(MAX_NESTING_DEPTH - 1);
      const got = await s.client.get<{ data: unknown }>(`${BLOBS}/deep`);
      expect(got.status).toBe(200);
      expect(depthOf(got.body.data)).toBe(MAX_NESTING_DEPTH - 1);
      const yaml = await s.client.get(`${BLOBS}/deep`, { accept: 'application/yaml' });
      expect(yaml.status).toBe(200);
      expect(yaml.text).toContain('"name":"deep"');
      const list = await s.client.get<{ items: Array<{ data: unknown }> }>(BLOBS);
      expect(list.status).toBe(200);
      expect(depthOf(list.body.items.find((i) => depthOf(i.data) > 1)?.data)).toBe(MAX_NESTING_DEPTH - 1);
      const table = await s.client.get<{ kind: string; rows: Array<{ cells: unknown[] }> }>(`${BLOBS}/deep`, {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      });
      expect(table.status).toBe(200);
      expect(table.body.kind).toBe('Table');
      expect(table.body.rows[0].cells[0]).toBe('deep');
      const [ev] = await w.next(1);
      expect(ev.type).toBe('ADDED');
      expect(depthOf(ev.object.data)).toBe(MAX_NESTING_DEPTH - 1);
      const patched = await s.client.call('PATCH', `${BLOBS}/deep`, { metadata: { labels: { a: 'b' } } }, PATCH_MERGE);
      expect(patched.status).toBe(200);
    } finally {
      w.close();
    }
    expect((await s.client.call('DELETE', `${BLOBS}/deep`)).status).toBe(200);
  });

  it('answers a deep value in a typed field or an unknown field of a built-in with 400', async () => {
    for (const inner of [
      `"metadata":{"name":"deep-ann","annotations":{"x":${nestedText(9_990, '"v"')}}}`,
      `"metadata":{"name":"deep-unknown"},"extra":${nestedText(9_990)}`,
    ]) {
      const text = `{"apiVersion":"v1","kind":"ConfigMap",${inner}}`;
      const r = await expectRefused(s, [CMS], () => s.client.post(CMS, text), [400]);
      expect(r.body.message).toMatch(
        /^the object provided is unrecognized \(must be of type ConfigMap\): couldn't get version\/kind; json parse error: invalid character '\{' exceeded max depth \(/,
      );
    }
  });

  it('refuses deep YAML bodies, flow and block', async () => {
    const flow = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep-yaml\nextra: ${'{a: '.repeat(3_000)}1${'}'.repeat(3_000)}\n`;
    let block = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep-yaml\nextra:\n';
    for (let i = 1; i <= 1_500; i++) block += `${' '.repeat(i)}a:\n`;
    block += `${' '.repeat(1_501)}b: 1\n`;
    for (const text of [flow, block]) {
      const r = await expectRefused(s, [CMS], () => s.client.post(CMS, text, { 'content-type': 'application/yaml' }), [400]);
      expect(r.body.message).toContain('(must be of type ConfigMap): error converting YAML to JSON: yaml: exceeded max depth of');
    }
  });

  it("answers a JSON Patch copy bomb quickly with kube's 422, memory bounded", async () => {
    expect((await s.client.post(CMS, { metadata: { name: 'copy-target' }, data: { a: 'b' } })).status).toBe(201);
    const ops: unknown[] = [{ op: 'add', path: '/a', value: { v: 'y'.repeat(100) } }];
    for (let i = 0; i < 30; i++) ops.push({ op: 'copy', from: '/a', path: `/a/c${i}` });
    const text = JSON.stringify(ops);
    expect(text.length).toBeLessThan(3_000);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const r = await expectRefused(s, [CMS], () => s.client.call('PATCH', `${CMS}/copy-target`, text, PATCH_JSON), [422]);
    const took = performance.now() - t0;
    expect(r.body).toMatchObject({ reason: 'Invalid', message: 'the server rejected our request due to an error in our request' });
    expect(took, `copy bomb took ${took.toFixed(0)} ms`).toBeLessThan(5_000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(400 * 1024 * 1024);
  });

  it('bounds JSON Patch operations and depth, and never leaks library messages', async () => {
    expect((await s.client.post(CMS, { metadata: { name: 'ops-target' }, data: { a: 'b' } })).status).toBe(201);
    const many = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/a', value: 'b' }));
    const r1 = await expectRefused(s, [CMS], () => s.client.call('PATCH', `${CMS}/ops-target`, many, PATCH_JSON), [413]);
    expect(r1.body.message).toBe('Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
    // A value almost at the limit added under a deep path: the result is too deep to serve.
    const deep = [
      { op: 'add', path: '/x', value: nested(10) },
      { op: 'add', path: `/x${'/a'.repeat(9)}/b`, value: nested(MAX_NESTING_DEPTH - 5) },
    ];
    const r2 = await expectRefused(s, [CMS], () => s.client.call('PATCH', `${CMS}/ops-target`, deep, PATCH_JSON), [422]);
    expect(r2.body.message).toContain('exceeded max depth');
    for (const bad of [
      [{ op: 'remove', path: '/nope/deeper' }],
      [{ op: 'frobnicate', path: '/x' }],
      [{ op: 'move', from: '/missing', path: '/x' }],
      [null],
    ]) {
      const r = await expectRefused(s, [CMS], () => s.client.call('PATCH', `${CMS}/ops-target`, bad, PATCH_JSON), [422]);
      expect(r.body.message).toBe('the server rejected our request due to an error in our request');
    }
    const r3 = await expectRefused(s, [CMS], () => s.client.call('PATCH', `${CMS}/ops-target`, ['op'], PATCH_JSON), [400]);
    expect(r3.body.message).toBe('json: cannot unmarshal string into Go value of type jsonpatch.Operation');
    // test and move over a large array stay linear.
    const big = Array.from({ length: 50_000 }, (_, i) => `v${i}`);
    const ok = await s.client.call(
      'PATCH',
      `${CMS}/ops-target`,
      [
        { op: 'add', path: '/big', value: big },
        { op: 'test', path: '/big', value: big },
        { op: 'move', from: '/big', path: '/big2' },
      ],
      PATCH_JSON,
    );
    expect(ok.status).toBe(200);
    await expectAlive(s);
  });

  it('refuses too-deep merge and strategic merge patches, and keeps strategic list directives linear', async () => {
    expect((await s.client.post(CMS, { metadata: { name: 'merge-target' }, data: { a: 'b' } })).status).toBe(201);
    const deepMerge = `{"metadata":{"annotations":${nestedText(3_000)}}}`;
    for (const headers of [PATCH_MERGE, PATCH_SMP]) {
      const r = await expectRefused(s, [CMS], () => s.client.call('PATCH', `${CMS}/merge-target`, deepMerge, headers), [400]);
      expect(r.body.message).toBe("invalid character '{' exceeded max depth");
    }
    // 20,000 finalizers against a 120,000-entry $deleteFromPrimitiveList: quadratic work would stall the server.
    const rand = seeded(9);
    const finalizers = Array.from({ length: 20_000 }, (_, i) => `example.com/f${i}`);
    const cm = await s.client.post(CMS, { metadata: { name: 'smp-bomb', finalizers } });
    expect(cm.status, cm.text.slice(0, 200)).toBe(201);
    const drop = Array.from({ length: 120_000 }, (_, i) => (i < 20_000 ? finalizers[i] : `example.com/x${Math.floor(rand() * 1e9)}`));
    const t0 = performance.now();
    const r = await s.client.call<{ metadata: { finalizers?: string[] } }>(
      'PATCH',
      `${CMS}/smp-bomb`,
      { metadata: { '$deleteFromPrimitiveList/finalizers': drop } },
      PATCH_SMP,
    );
    const took = performance.now() - t0;
    expect(r.status, r.text.slice(0, 200)).toBe(200);
    expect(r.body.metadata.finalizers ?? []).toEqual([]);
    expect(took, `strategic merge took ${took.toFixed(0)} ms`).toBeLessThan(5_000);
    await expectAlive(s);
  });

  it('warns on duplicate keys by default, refuses them under Strict and says nothing under Ignore', async () => {
    const text = (name: string): string =>
      `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}","name":"${name}"},"data":{"a":"1","a":"2"}}`;
    const warn = await s.client.post<{ data: Record<string, string> }>(CMS, text('dup-warn'));
    expect(warn.status).toBe(201);
    expect(warn.body.data.a).toBe('2');
    expect([warn.headers.warning].flat()).toEqual(['299 - "duplicate field \\"metadata.name\\""', '299 - "duplicate field \\"data.a\\""']);
    const strict = await expectRefused(s, [CMS], () => s.client.post(`${CMS}?fieldValidation=Strict`, text('dup-strict')), [400]);
    expect(strict.body.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.name", duplicate field "data.a"',
    );
    const ignore = await s.client.post(`${CMS}?fieldValidation=Ignore`, text('dup-ignore'));
    expect(ignore.status).toBe(201);
    expect(ignore.headers.warning).toBeUndefined();
    await installBlobs(s);
    const cr = await s.client.post(
      BLOBS,
      '{"apiVersion":"hostile.example.com/v1","kind":"Blob","metadata":{"name":"dup"},"spec":{"size":1,"size":2}}',
    );
    expect(cr.status).toBe(201);
    expect([cr.headers.warning].flat()).toEqual(['299 - "duplicate field \\"spec.size\\""']);
  });

  it('prunes unknown fields named like Object.prototype members', async () => {
    const text =
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"proto","__proto__":{"x":1},"constructor":"c"},' +
      '"__proto__":{"polluted":true},"toString":"t","hasOwnProperty":1,"data":{"__proto__":"kept","constructor":"kept"}}';
    const r = await s.client.post<Record<string, unknown>>(CMS, text);
    expect(r.status, r.text.slice(0, 300)).toBe(201);
    const warnings = [r.headers.warning].flat();
    for (const f of ['metadata.__proto__', 'metadata.constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(warnings).toContain(`299 - "unknown field \\"${f}\\""`);
    }
    const got = await s.client.get<Record<string, Record<string, unknown>>>(`${CMS}/proto`);
    for (const k of ['__proto__', 'toString', 'hasOwnProperty']) expect(Object.hasOwn(got.body, k)).toBe(false);
    expect(Object.hasOwn(got.body.metadata, '__proto__')).toBe(false);
    expect(Object.hasOwn(got.body.metadata, 'constructor')).toBe(false);
    expect(Object.getOwnPropertyDescriptor(got.body.data, '__proto__')?.value).toBe('kept');
    expect(got.body.data.constructor).toBe('kept');
    const strict = await expectRefused(
      s,
      [CMS],
      () => s.client.post(`${CMS}?fieldValidation=Strict`, text.replace('"proto"', '"proto2"')),
      [400],
    );
    expect(strict.body.message).toContain('strict decoding error: unknown field "metadata.__proto__"');
    await installBlobs(s);
    const cr = await s.client.post<Record<string, Record<string, unknown>>>(
      BLOBS,
      '{"apiVersion":"hostile.example.com/v1","kind":"Blob","metadata":{"name":"proto"},"spec":{"size":1,"__proto__":{"a":1},"constructor":2},"toString":3}',
    );
    expect(cr.status).toBe(201);
    expect(Object.keys(cr.body.spec)).toEqual(['size']);
    expect(Object.hasOwn(cr.body, 'toString')).toBe(false);
  });

  it("answers limit=abc and bad continue tokens with kube's 400s", async () => {
    const r = await expectRefused(s, [CMS], () => s.client.get(`${CMS}?limit=abc`), [400]);
    expect(r.body.message).toBe('strconv.ParseInt: parsing "abc": invalid syntax');
    const token = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const cases: Array<[string, string]> = [
      [
        token({ v: 'meta.k8s.io/v1', rv: 0, start: 'default/a' }),
        'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
      ],
      [
        token({ v: 'meta.k8s.io/v1', rv: 5, start: '' }),
        'invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)',
      ],
      [
        token({ v: 'meta.k8s.io/v1', rv: 5, start: '../../secrets/default/x' }),
        'invalid continue token: continue key is not valid: ../../secrets/default/x',
      ],
      [
        token({ v: 'meta.k8s.io/v9', rv: 5, start: 'default/a' }),
        'invalid continue token: continue key is not valid: server does not recognize this encoded version meta.k8s.io/v9',
      ],
    ];
    for (const [c, message] of cases) {
      const bad = await expectRefused(s, [CMS], () => s.client.get(`${CMS}?limit=1&continue=${encodeURIComponent(c)}`), [400]);
      expect(bad.body.message).toBe(message);
    }
    const garbage = await expectRefused(s, [CMS], () => s.client.get(`${CMS}?continue=%21%21%21`), [400]);
    expect(garbage.body.message).toMatch(/^invalid continue token: continue key is not valid/);
    // A negative revision is kube's "continue at the latest revision" (the token a 410 carries): accepted.
    const latest = await s.client.get(`${CMS}?limit=1&continue=${token({ v: 'meta.k8s.io/v1', rv: -1, start: 'default/a' })}`);
    expect(latest.status).toBe(200);
  });

  it('refuses a PUT whose body names another object before looking anything up', async () => {
    const r = await expectRefused(
      s,
      [CMS],
      () => s.client.call('PUT', `${CMS}/no-such-object`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } }),
      [400],
    );
    expect(r.body.message).toBe('the name of the object (other) does not match the name on the URL (no-such-object)');
  });

  it('accepts headers up to 1 MiB and answers larger ones with 431', async () => {
    const ok = await request(`${s.env.server}${CMS}`, { dispatcher: s.client.agent, headers: { 'x-filler': 'a'.repeat(64 * 1024) } });
    await ok.body.text();
    expect(ok.statusCode).toBe(200);
    const big = await request(`${s.env.server}${CMS}`, { dispatcher: s.client.agent, headers: { 'x-filler': 'a'.repeat(1_100_000) } });
    const body = (await big.body.json()) as StatusBody;
    expect(big.statusCode).toBe(431);
    expect(body).toMatchObject({ kind: 'Status', code: 431 });
    await expectAlive(s);
  });
});

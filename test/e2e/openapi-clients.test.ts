// OpenAPI as clients consume it, on every backend: kubectl's client-side
// validation reads /openapi/v2 as gnostic protobuf (a `kind: List`, an
// unknown kind), generated clients read the watch paths from the JSON document.

import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { decodeOpenAPIV2Protobuf } from '../../src/server/endpoints/openapi/gnostic.js';
import { BACKENDS } from '../helpers/backends.js';
import { type SuiteEnv, useEnv } from '../helpers/env.js';

const FIXTURES = path.resolve(__dirname, '../../fixtures');
const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const cm = (name: string, extra = ''): string => `- apiVersion: v1
  kind: ConfigMap
  metadata: {name: ${name}, namespace: default}
  data: {a: b}
${extra}`;

/** GET with the admin certificate, body as bytes (the protobuf must not go through text decoding). */
async function raw(
  s: SuiteEnv,
  p: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const res = await request(s.client.creds.server + p, { method: 'GET', dispatcher: s.client.agent, headers });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

describe.each(BACKENDS)('OpenAPI clients on %s storage', (storage) => {
  const s = useEnv(storage, { crds: [path.join(FIXTURES, 'crds')] });

  it('kubectl create -f of a v1 List creates every item (client-side validation from the v2 protobuf)', async () => {
    const r = await s.kubectl(['create', '-f', '-'], `apiVersion: v1\nkind: List\nitems:\n${cm('list-a')}${cm('list-b')}`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('configmap/list-a created\nconfigmap/list-b created\n');
    expect((await s.client.get('/api/v1/namespaces/default/configmaps/list-b')).status).toBe(200);
    // An unknown field inside a List item is found by kubectl's own validation, worded as against a cluster.
    const bad = await s.kubectl(['create', '-f', '-'], `apiVersion: v1\nkind: List\nitems:\n${cm('list-c', '  bogus: 1\n')}`);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      'error validating data: ValidationError(ConfigMap): unknown field "bogus" in io.k8s.api.core.v1.ConfigMap',
    );
    expect((await s.client.get('/api/v1/namespaces/default/configmaps/list-c')).status).toBe(404);
  });

  it('an unknown kind is a mapping error, not a content-type error', async () => {
    const r = await s.kubectl(['create', '-f', '-'], 'apiVersion: example.com/v1\nkind: Nope\nmetadata: {name: x, namespace: default}\n');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'error: resource mapping not found for name: "x" namespace: "default" from "STDIN": no matches for kind "Nope" in version "example.com/v1"',
    );
    expect(r.stderr).toContain('ensure CRDs are installed first');
    expect(r.stderr).not.toContain('content type');
  });

  it('--validate=strict refuses unknown fields with the strict decoding error (create and apply)', async () => {
    const obj = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: strict-x, namespace: default}\nbogus: 1\n';
    const create = await s.kubectl(['create', '--validate=strict', '-f', '-'], obj);
    expect(create.stderr).toContain(
      'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"',
    );
    const apply = await s.kubectl(['apply', '--validate=strict', '-f', '-'], obj);
    expect(apply.stderr).toContain('strict decoding error: unknown field "bogus"');
    const explain = await s.kubectl(['explain', 'widgets.spec']);
    expect(explain.code).toBe(0);
  });

  it("serves /openapi/v2 as gnostic protobuf with the JSON document's ETag, 304 and gzip; 406 for other types", async () => {
    const json = await raw(s, '/openapi/v2', { accept: 'application/json' });
    const etag = json.headers.etag;
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    const pb = await raw(s, '/openapi/v2', { accept: PROTOBUF });
    expect(pb.status).toBe(200);
    expect(pb.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(pb.headers.etag).toBe(etag);
    expect(pb.headers.vary).toContain('Accept');
    expect(pb.headers['last-modified']).toBeDefined();
    const doc = decodeOpenAPIV2Protobuf(pb.body) as {
      paths: { path: Array<{ name: string }> };
      definitions: { additionalProperties: Array<{ name: string }> };
    };
    const paths = doc.paths.path.map((p) => p.name);
    expect(paths).toEqual(Object.keys((JSON.parse(json.body.toString()) as { paths: object }).paths));
    expect(paths).toContain('/apis/example.com/v1/watch/namespaces/{namespace}/widgets');
    expect(doc.definitions.additionalProperties.map((d) => d.name)).toContain('com.example.v1.Widget');
    const other = await raw(s, '/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' });
    expect(other.body.equals(pb.body)).toBe(true);
    expect((await raw(s, '/openapi/v2', { accept: PROTOBUF, 'if-none-match': String(etag) })).status).toBe(304);
    const gz = await raw(s, '/openapi/v2', { accept: PROTOBUF, 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(pb.body)).toBe(true);
    const refused = await raw(s, '/openapi/v2', { accept: 'text/html' });
    expect(refused.status).toBe(406);
  });

  it('/openapi/v2 lists the watch paths of built-in and custom resources, and they serve watches', async () => {
    const v2 = (
      await s.client.get<{
        paths: Record<string, { get?: { operationId: string; 'x-kubernetes-action': string } }>;
        definitions: Record<string, unknown>;
      }>('/openapi/v2')
    ).body;
    expect(v2.paths['/api/v1/watch/namespaces/{namespace}/configmaps'].get).toMatchObject({
      operationId: 'watchCoreV1NamespacedConfigMapList',
      'x-kubernetes-action': 'watchlist',
    });
    expect(v2.paths['/api/v1/watch/namespaces/{namespace}/configmaps/{name}'].get).toMatchObject({
      operationId: 'watchCoreV1NamespacedConfigMap',
      'x-kubernetes-action': 'watch',
    });
    expect(v2.paths['/api/v1/watch/configmaps'].get?.operationId).toBe('watchCoreV1ConfigMapListForAllNamespaces');
    expect(v2.paths['/apis/example.com/v1/watch/namespaces/{namespace}/widgets'].get).toMatchObject({
      operationId: 'watchExampleComV1NamespacedWidgetList',
      'x-kubernetes-action': 'watchlist',
    });
    expect(v2.paths['/apis/example.com/v1/watch/widgets'].get?.operationId).toBe('watchExampleComV1WidgetListForAllNamespaces');
    expect(v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent']).toBeDefined();
    // The published path answers a watch stream (closed by the server's timeout).
    const w = await raw(s, '/api/v1/watch/namespaces/default/configmaps?timeoutSeconds=1', { accept: 'application/json' });
    expect(w.status).toBe(200);
  });
});

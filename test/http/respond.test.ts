// Output negotiated once per request and the one respond() every API answer goes through
// (kube's NegotiateOutputMediaType and transformResponseObject), and the request they are kept on.

import { describe, expect, it } from 'vitest';
import { badRequest, successStatus, timeout } from '../../src/server/api/errors.js';
import { negotiateOutputs, outputMedia } from '../../src/server/http/negotiation.js';
import { respond } from '../../src/server/http/response.js';
import { fakeRequest } from '../helpers/fake-http.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } };
const table = () => ({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [] });

describe('negotiateOutputs', () => {
  it('answers objects and plain responses apart, and defers 406 to the response that needs the encoding', () => {
    const both = negotiateOutputs(`${TABLE},application/json`, undefined);
    expect(outputMedia(both, true).format).toBe('table');
    expect(outputMedia(both, false).format).toBe('json');
    const tableOnly = negotiateOutputs(TABLE, undefined);
    expect(outputMedia(tableOnly, true).format).toBe('table');
    expect(() => outputMedia(tableOnly, false)).toThrow(/only the following media types are accepted/);
    const none = negotiateOutputs('text/html', undefined);
    expect(() => outputMedia(none, true)).toThrow(/only the following media types are accepted/);
    expect(outputMedia(negotiateOutputs(undefined, undefined), true)).toEqual({ format: 'json', contentType: 'application/json' });
    expect(outputMedia(negotiateOutputs('application/yaml;q=0.9,text/html', undefined), true).format).toBe('yaml');
  });

  it('skips Table ranges kube does not serve and reads gzip from Accept-Encoding', () => {
    const partial = negotiateOutputs('application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/yaml', 'br, gzip');
    expect(outputMedia(partial, true).format).toBe('yaml');
    expect(partial.gzip).toBe(true);
    expect(negotiateOutputs(undefined, 'deflate').gzip).toBe(false);
  });
});

describe('respond', () => {
  it('encodes objects as negotiated, with the Warning headers recorded', () => {
    const r = fakeRequest('GET', '/api/v1/namespaces/d/configmaps/a', { accept: 'application/yaml' });
    r.warnings.push('deprecated "x"');
    respond(r, 200, cm, { table });
    expect(r.fake.statusCode).toBe(200);
    expect(r.fake.getHeader('content-type')).toBe('application/yaml');
    expect(r.fake.getHeader('cache-control')).toBe('no-cache, private');
    expect(r.fake.getHeader('warning')).toEqual(['299 - "deprecated \\"x\\""']);
    expect(r.fake.text()).toContain('kind: ConfigMap');
  });

  it('keeps warnings whole within 4096 runes, drops duplicates, and cuts each to 256 once past it (kube’s recorder)', () => {
    const long = 'w'.repeat(400);
    const r = fakeRequest('GET', '/api/v1/namespaces/d/configmaps/a', {});
    r.warnings.push(long, long, 'short');
    respond(r, 200, cm, { table });
    expect(r.fake.getHeader('warning')).toEqual([`299 - "${long}"`, '299 - "short"']);
    const many = fakeRequest('GET', '/api/v1/namespaces/d/configmaps/a', {});
    many.warnings.push(...Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(300, 'x')));
    respond(many, 200, cm, { table });
    const got = many.fake.getHeader('warning') as string[];
    expect(got.length).toBe(16);
    expect(got[0]).toBe(`299 - "${'0'.padEnd(256, 'x')}"`);
  });

  it('answers a Table only where the response gives one', () => {
    const r = fakeRequest('GET', '/api/v1/namespaces/d/configmaps/a', { accept: `${TABLE},application/json` });
    respond(r, 200, cm, { table });
    expect(r.fake.json().kind).toBe('Table');
    const plain = fakeRequest('GET', '/api/v1/namespaces/d/configmaps/a', { accept: `${TABLE},application/json` });
    respond(plain, 200, cm);
    expect(plain.fake.json().kind).toBe('ConfigMap');
  });

  it('never answers a success Status as a Table: 406 when nothing else is accepted', () => {
    const r = fakeRequest('DELETE', '/api/v1/namespaces/d/configmaps/a', { accept: `${TABLE},application/yaml` });
    respond(r, 200, successStatus({ name: 'a', kind: 'configmaps' }), { table });
    expect(r.fake.getHeader('content-type')).toBe('application/yaml');
    const only = fakeRequest('DELETE', '/api/v1/namespaces/d/configmaps/a', { accept: TABLE });
    expect(() => respond(only, 200, successStatus(), { table })).toThrow(/only the following media types are accepted/);
  });

  it('answers a failure Status in JSON whatever the Accept, with Retry-After when it names one', () => {
    const r = fakeRequest('GET', '/api/v1/namespaces/d/configmaps/a', { accept: 'text/html' });
    const s = timeout('slow', 3).status;
    respond(r, s.code, s);
    expect(r.fake.statusCode).toBe(504);
    expect(r.fake.getHeader('content-type')).toBe('application/json');
    expect(r.fake.getHeader('retry-after')).toBe('3');
    expect(r.fake.json()).toMatchObject({ kind: 'Status', reason: 'Timeout', code: 504 });
  });

  it('only ends a response already under way when it fails', () => {
    const r = fakeRequest('GET', '/api/v1/namespaces/d/configmaps?watch=1');
    r.fake.headersSent = true;
    const s = badRequest('late').status;
    respond(r, s.code, s);
    expect(r.fake.writableEnded).toBe(true);
    expect(r.fake.body.length).toBe(0);
  });

  it('compresses bodies over 128 KiB for clients that accept gzip', () => {
    const big = { ...cm, data: { v: 'x'.repeat(200 * 1024) } };
    const r = fakeRequest('GET', '/api/v1/namespaces/d/configmaps/a', { 'accept-encoding': 'gzip' });
    respond(r, 200, big);
    expect(r.fake.getHeader('content-encoding')).toBe('gzip');
    expect(r.fake.json()).toEqual(big);
    const small = fakeRequest('GET', '/api/v1/namespaces/d/configmaps/a', { 'accept-encoding': 'gzip' });
    respond(small, 200, cm);
    expect(small.fake.getHeader('content-encoding')).toBeUndefined();
  });

  it('serves fixed-type documents whatever the Accept', () => {
    const r = fakeRequest('GET', '/version', { accept: 'text/html' });
    respond(r, 200, { major: '1' }, { contentType: 'application/json' });
    expect(r.fake.getHeader('content-type')).toBe('application/json');
  });
});

describe('apiRequest', () => {
  it('reads a request-target no URL parser takes as a plain path', () => {
    for (const target of ['//[', 'http://[', '//a:b@c:99999/api']) {
      const r = fakeRequest('GET', target);
      expect(r.info.isResourceRequest).toBe(false);
      expect(r.path.startsWith('/')).toBe(true);
    }
  });
});

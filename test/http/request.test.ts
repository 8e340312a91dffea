// The request pipeline's pure stages: RequestInfo as kube-apiserver's RequestInfoFactory parses it,
// and output media type negotiation.

import { describe, expect, it } from 'vitest';
import { negotiateOutputs, outputMedia } from '../../src/server/http/negotiation.js';

const negotiateOutput = (accept: string, opts: { tableAllowed: boolean }) =>
  outputMedia(negotiateOutputs(accept, undefined), opts.tableAllowed);

import { parseRequestInfo } from '../../src/server/http/request-info.js';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);

describe('RequestInfo', () => {
  it('parses resource URLs as kube-apiserver does', () => {
    expect(parseRequestInfo('GET', '/api/v1/namespaces/ns/configmaps/a', q())).toMatchObject({
      verb: 'get',
      apiGroup: '',
      apiVersion: 'v1',
      namespace: 'ns',
      resource: 'configmaps',
      name: 'a',
    });
    expect(parseRequestInfo('GET', '/apis/example.com/v1/widgets', q())).toMatchObject({
      verb: 'list',
      apiGroup: 'example.com',
      resource: 'widgets',
      namespace: '',
    });
    expect(parseRequestInfo('GET', '/api/v1/namespaces/ns/configmaps', q('watch=true')).verb).toBe('watch');
    expect(parseRequestInfo('GET', '/api/v1/watch/namespaces/ns/configmaps', q())).toMatchObject({
      verb: 'watch',
      namespace: 'ns',
      resource: 'configmaps',
    });
    expect(parseRequestInfo('DELETE', '/api/v1/namespaces/ns/configmaps', q()).verb).toBe('deletecollection');
    expect(parseRequestInfo('PUT', '/api/v1/namespaces/ns/status', q())).toMatchObject({
      resource: 'namespaces',
      name: 'ns',
      subresource: 'status',
    });
    expect(parseRequestInfo('PATCH', '/apis/example.com/v1/namespaces/d/widgets/w/scale', q())).toMatchObject({
      verb: 'patch',
      subresource: 'scale',
      name: 'w',
    });
    expect(parseRequestInfo('GET', '/healthz', q()).isResourceRequest).toBe(false);
    expect(parseRequestInfo('GET', '/apis/apps/v1', q()).isResourceRequest).toBe(false);
  });
});

describe('negotiation', () => {
  it("picks tables, YAML and JSON; refuses other media types with kube-apiserver's 406 wording", () => {
    expect(negotiateOutput('application/json;as=Table;v=v1;g=meta.k8s.io,application/json', { tableAllowed: true }).format).toBe('table');
    expect(negotiateOutput('application/yaml', { tableAllowed: true }).format).toBe('yaml');
    expect(() => negotiateOutput('text/html', { tableAllowed: true })).toThrow(/only the following media types are accepted/);
  });
});

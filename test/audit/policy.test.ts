// The audit policy: kube's decoding and validation messages, and checker.go's rule matching.

import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../../src/server/api/types.js';
import { loadPolicy, PolicyEvaluator } from '../../src/server/audit/policy.js';
import { parseRequestInfo } from '../../src/server/http/request-info.js';

const alice: UserInfo = { username: 'alice', groups: ['dev', 'system:authenticated'] };

function levelOf(policy: string, method: string, url: string, user: UserInfo | undefined = alice): string {
  const u = new URL(url, 'https://x');
  return new PolicyEvaluator(loadPolicy(policy)).evaluate(parseRequestInfo(method, u.pathname, u.searchParams), user).level;
}

const head = 'apiVersion: audit.k8s.io/v1\nkind: Policy\n';

describe('loadPolicy', () => {
  it('takes YAML and JSON audit.k8s.io/v1 Policies only', () => {
    expect(loadPolicy(`${head}rules: [{level: Metadata}]`).rules).toHaveLength(1);
    expect(loadPolicy(JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'None' }] })).rules[0].level).toBe(
      'None',
    );
    expect(() => loadPolicy('apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: [{level: None}]')).toThrow(
      'failed decoding: no kind "Policy" is registered for version "audit.k8s.io/v1beta1"',
    );
    expect(() => loadPolicy('rules: []')).toThrow("failed decoding: Object 'Kind' is missing in 'rules: []'");
    expect(() => loadPolicy(`${head}rules: []`)).toThrow('loaded illegal policy with 0 rules');
  });

  it('validates as pkg/apis/audit/validation does', () => {
    expect(() => loadPolicy(`${head}rules: [{}]`)).toThrow('rules[0].level: Required value');
    expect(() =>
      loadPolicy(
        `${head}omitStages: [Never]\nrules: [{level: None, resources: [{group: "Bad_Group", resourceNames: [x]}], nonResourceURLs: ["/a*b"]}]`,
      ),
    ).toThrow(
      '[omitStages[0]: Invalid value: "Never": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic, ' +
        `rules[0].nonResourceURLs[0]: Invalid value: "/a*b": non-resource URL wildcards '*' must be the final character of the rule, ` +
        "rules[0].resources.group: Invalid value: \"Bad_Group\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), " +
        'rules[0].resources.resourceNames: Invalid value: []string{"x"}: using resourceNames requires at least one resource, ' +
        'rules[0].nonResourceURLs: Invalid value: []string{"/a*b"}: rules cannot apply to both regular resources and non-resource URLs]',
    );
  });
});

describe('rule matching (first match wins, None when nothing matches)', () => {
  it('matches users, groups and verbs', () => {
    const p = `${head}rules:\n- {level: Request, users: [bob]}\n- {level: Metadata, userGroups: [dev], verbs: [get]}`;
    expect(levelOf(p, 'GET', '/api/v1/namespaces/a/pods/x')).toBe('Metadata');
    expect(levelOf(p, 'DELETE', '/api/v1/namespaces/a/pods/x')).toBe('None');
    expect(levelOf(p, 'GET', '/api/v1/pods', { username: 'bob', groups: [] })).toBe('Request');
    // A request whose authentication failed has no user: user and group rules never match it.
    expect(levelOf(p, 'GET', '/api/v1/pods', undefined)).toBe('None');
  });

  it('matches resources as group/resource, resource/subresource, */subresource, resource/* and resourceNames', () => {
    const p = `${head}rules:
- {level: RequestResponse, resources: [{group: "", resources: [pods/status]}]}
- {level: Request, resources: [{group: apps, resources: ["*/scale"]}]}
- {level: Metadata, resources: [{group: "", resources: ["services/*"]}], namespaces: [kube-system]}
- {level: Request, resources: [{group: "", resources: [configmaps], resourceNames: [special]}]}
- {level: Metadata, resources: [{group: batch}]}`;
    expect(levelOf(p, 'PUT', '/api/v1/namespaces/a/pods/x/status')).toBe('RequestResponse');
    expect(levelOf(p, 'GET', '/api/v1/namespaces/a/pods/x')).toBe('None');
    expect(levelOf(p, 'GET', '/apis/apps/v1/namespaces/a/deployments/d/scale')).toBe('Request');
    expect(levelOf(p, 'GET', '/apis/apps/v1/namespaces/a/deployments/d')).toBe('None');
    expect(levelOf(p, 'GET', '/api/v1/namespaces/kube-system/services/s/proxy')).toBe('Metadata');
    expect(levelOf(p, 'GET', '/api/v1/namespaces/kube-system/services/s')).toBe('Metadata');
    expect(levelOf(p, 'GET', '/api/v1/namespaces/default/services/s')).toBe('None');
    expect(levelOf(p, 'GET', '/api/v1/namespaces/a/configmaps/special')).toBe('Request');
    expect(levelOf(p, 'GET', '/api/v1/namespaces/a/configmaps/other')).toBe('None');
    expect(levelOf(p, 'GET', '/apis/batch/v1/jobs')).toBe('Metadata');
    expect(levelOf(p, 'GET', '/version')).toBe('None');
  });

  it('matches non-resource URLs exactly, by a trailing *, or *', () => {
    const p = `${head}rules:\n- {level: None, nonResourceURLs: [/healthz*]}\n- {level: Request, nonResourceURLs: [/version]}\n- {level: Metadata, nonResourceURLs: ["*"]}`;
    expect(levelOf(p, 'GET', '/healthz/etcd')).toBe('None');
    expect(levelOf(p, 'GET', '/version')).toBe('Request');
    expect(levelOf(p, 'GET', '/openapi/v2')).toBe('Metadata');
    expect(levelOf(p, 'GET', '/api/v1/pods')).toBe('None');
  });

  it("merges the policy's omitStages into each rule's; a rule's omitManagedFields overrides the policy's", () => {
    const e = new PolicyEvaluator(
      loadPolicy(
        `${head}omitStages: [RequestReceived]\nomitManagedFields: true\nrules:\n- {level: Metadata, verbs: [get], omitStages: [ResponseStarted], omitManagedFields: false}\n- {level: Request}`,
      ),
    );
    const get = e.evaluate(parseRequestInfo('GET', '/api/v1/namespaces/a/pods/x', new URLSearchParams()), alice);
    expect([...get.omitStages].sort()).toEqual(['RequestReceived', 'ResponseStarted']);
    expect(get.omitManagedFields).toBe(false);
    const post = e.evaluate(parseRequestInfo('POST', '/api/v1/namespaces/a/pods', new URLSearchParams()), alice);
    expect(post).toEqual({ level: 'Request', omitStages: ['RequestReceived'], omitManagedFields: true });
  });
});

import { describe, expect, it } from 'vitest';
import type { AuthorizationAttributes, PolicyRule } from '../../src/server/api/authorization.js';
import type { KubeObject, UserInfo } from '../../src/server/api/types.js';
import { authorize, forbiddenWithReason, PrivilegedGroups } from '../../src/server/authz/index.js';
import { buildAuthorizers, validateAuthorizationModes } from '../../src/server/authz/modes.js';
import { NodeAuthorizer } from '../../src/server/authz/node.js';
import { confirmNoEscalation, RBACAuthorizer } from '../../src/server/authz/rbac/authorizer.js';
import { RBACPolicy } from '../../src/server/authz/rbac/policy.js';
import { compactString, covers, ruleAllows } from '../../src/server/authz/rbac/rules.js';
import { minimalRoles, minimalRolesYAML, PermissionsRecorder } from '../../src/server/authz/usage.js';
import { parseServeFlags, serverConfigFromFlags } from '../../src/server/config.js';
import { aggregatedRules } from '../../src/server/controllers/rbac.js';
import { bootstrapPolicy } from '../../src/server/registry/resources/rbac-policy.js';

const alice: UserInfo = { username: 'alice', groups: ['dev', 'system:authenticated'] };

function res(verb: string, resource: string, o: Partial<AuthorizationAttributes> = {}): AuthorizationAttributes {
  return {
    user: alice,
    verb,
    isResourceRequest: true,
    path: '',
    apiGroup: '',
    apiVersion: 'v1',
    namespace: 'ns1',
    resource,
    subresource: '',
    name: '',
    ...o,
  };
}
function path(verb: string, p: string, user: UserInfo = alice): AuthorizationAttributes {
  return {
    user,
    verb,
    isResourceRequest: false,
    path: p,
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
}

describe('rule matching (RuleAllows)', () => {
  const rule = (r: Partial<PolicyRule>): PolicyRule => ({ verbs: ['get'], apiGroups: [''], resources: ['pods'], ...r });

  it('matches verbs, groups and resources exactly or by *', () => {
    expect(ruleAllows(res('get', 'pods'), rule({}))).toBe(true);
    expect(ruleAllows(res('list', 'pods'), rule({}))).toBe(false);
    expect(ruleAllows(res('list', 'pods'), rule({ verbs: ['*'] }))).toBe(true);
    expect(ruleAllows(res('get', 'deployments', { apiGroup: 'apps' }), rule({ resources: ['deployments'] }))).toBe(false);
    expect(ruleAllows(res('get', 'deployments', { apiGroup: 'apps' }), rule({ apiGroups: ['*'], resources: ['deployments'] }))).toBe(true);
    expect(ruleAllows(res('get', 'anything', { apiGroup: 'x.io' }), rule({ apiGroups: ['*'], resources: ['*'] }))).toBe(true);
  });

  it('matches subresources as resource/subresource and */subresource only', () => {
    expect(ruleAllows(res('get', 'pods', { subresource: 'log' }), rule({}))).toBe(false);
    expect(ruleAllows(res('get', 'pods', { subresource: 'log' }), rule({ resources: ['pods/log'] }))).toBe(true);
    expect(ruleAllows(res('get', 'pods'), rule({ resources: ['pods/log'] }))).toBe(false);
    const scale = rule({ apiGroups: ['*'], resources: ['*/scale'] });
    expect(ruleAllows(res('get', 'deployments', { apiGroup: 'apps', subresource: 'scale' }), scale)).toBe(true);
    expect(ruleAllows(res('get', 'deployments', { apiGroup: 'apps', subresource: 'status' }), scale)).toBe(false);
    expect(ruleAllows(res('get', 'deployments', { apiGroup: 'apps' }), scale)).toBe(false);
    // `*` covers subresources too.
    expect(ruleAllows(res('get', 'pods', { subresource: 'exec' }), rule({ resources: ['*'] }))).toBe(true);
  });

  it('limits to resourceNames when given (a list has no name)', () => {
    const named = rule({ resourceNames: ['a'] });
    expect(ruleAllows(res('get', 'pods', { name: 'a' }), named)).toBe(true);
    expect(ruleAllows(res('get', 'pods', { name: 'b' }), named)).toBe(false);
    expect(ruleAllows(res('get', 'pods'), named)).toBe(false);
  });

  it('matches non-resource URLs exactly, by * and by a trailing *', () => {
    const urls: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    expect(ruleAllows(path('get', '/healthz'), urls)).toBe(true);
    expect(ruleAllows(path('get', '/healthz/etcd'), urls)).toBe(false);
    expect(ruleAllows(path('get', '/apis/apps/v1'), urls)).toBe(true);
    expect(ruleAllows(path('get', '/apis'), urls)).toBe(false);
    expect(ruleAllows(path('post', '/healthz'), urls)).toBe(false);
    expect(ruleAllows(path('get', '/x'), { verbs: ['*'], nonResourceURLs: ['*'] })).toBe(true);
    // A resource rule never allows a path, nor a URL rule a resource.
    expect(ruleAllows(res('get', 'pods'), urls)).toBe(false);
  });
});

function policyWith(objects: Array<[Parameters<RBACPolicy['set']>[0], KubeObject]>): RBACPolicy {
  const p = new RBACPolicy();
  for (const [k, o] of objects) p.set(k, o);
  return p;
}

const role = (name: string, rules: PolicyRule[], namespace?: string): KubeObject =>
  ({ metadata: { name, namespace }, rules }) as KubeObject;
const binding = (name: string, kind: string, roleName: string, subjects: object[], namespace?: string): KubeObject =>
  ({ metadata: { name, namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName }, subjects }) as KubeObject;

describe('RBAC authorizer', () => {
  const cmReader = role('cm-reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] }], 'ns1');
  const policy = policyWith([
    ['Role', cmReader],
    ['RoleBinding', binding('read-cm', 'Role', 'cm-reader', [{ kind: 'User', name: 'alice' }], 'ns1')],
    ['ClusterRole', role('node-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }])],
    ['ClusterRoleBinding', binding('devs-nodes', 'ClusterRole', 'node-reader', [{ kind: 'Group', name: 'dev' }])],
    ['ClusterRole', role('secret-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }])],
    // A ClusterRole bound in one namespace by a RoleBinding, to a service account of the binding's namespace.
    ['RoleBinding', binding('sa-secrets', 'ClusterRole', 'secret-reader', [{ kind: 'ServiceAccount', name: 'bot' }], 'ns2')],
    ['ClusterRoleBinding', binding('all-sas', 'ClusterRole', 'node-reader', [{ kind: 'Group', name: 'system:serviceaccounts:ns3' }])],
  ]);
  const rbac = new RBACAuthorizer(policy);

  it('allows what a RoleBinding grants in its namespace only, naming the binding', () => {
    expect(rbac.authorize(res('list', 'configmaps'))).toEqual({
      decision: 'allow',
      reason: 'RBAC: allowed by RoleBinding "read-cm/ns1" of Role "cm-reader" to User "alice"',
    });
    expect(rbac.authorize(res('list', 'configmaps', { namespace: 'ns2' })).decision).toBe('noOpinion');
    expect(rbac.authorize(res('delete', 'configmaps')).decision).toBe('noOpinion');
  });

  it('allows through a ClusterRoleBinding to a group', () => {
    expect(rbac.authorize(res('get', 'nodes', { namespace: '' }))).toEqual({
      decision: 'allow',
      reason: 'RBAC: allowed by ClusterRoleBinding "devs-nodes" of ClusterRole "node-reader" to Group "dev"',
    });
  });

  it('matches service accounts by their user name, the binding namespace defaulting theirs', () => {
    const bot: UserInfo = {
      username: 'system:serviceaccount:ns2:bot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns2', 'system:authenticated'],
    };
    expect(rbac.authorize({ ...res('get', 'secrets', { namespace: 'ns2' }), user: bot })).toEqual({
      decision: 'allow',
      reason: 'RBAC: allowed by RoleBinding "sa-secrets/ns2" of ClusterRole "secret-reader" to ServiceAccount "bot/ns2"',
    });
    expect(rbac.authorize({ ...res('get', 'secrets', { namespace: 'ns1' }), user: bot }).decision).toBe('noOpinion');
    const other: UserInfo = { username: 'system:serviceaccount:ns3:x', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns3'] };
    expect(rbac.authorize({ ...res('get', 'nodes', { namespace: '' }), user: other }).decision).toBe('allow');
  });

  it('reports a binding to a missing role as the reason, and forgets deleted objects', () => {
    const p = policyWith([['RoleBinding', binding('b', 'Role', 'gone', [{ kind: 'User', name: 'alice' }], 'ns1')]]);
    const d = new RBACAuthorizer(p).authorize(res('get', 'pods'));
    expect(d).toEqual({ decision: 'noOpinion', reason: 'RBAC: role.rbac.authorization.k8s.io "gone" not found' });
    expect(forbiddenWithReason(res('get', 'pods'), d.reason)).toBe(
      'User "alice" cannot get resource "pods" in API group "" in the namespace "ns1": RBAC: role.rbac.authorization.k8s.io "gone" not found',
    );
    const q = policyWith([
      ['Role', cmReader],
      ['RoleBinding', binding('read-cm', 'Role', 'cm-reader', [{ kind: 'User', name: 'alice' }], 'ns1')],
    ]);
    q.delete('RoleBinding', binding('read-cm', 'Role', 'cm-reader', [], 'ns1'));
    expect(new RBACAuthorizer(q).authorize(res('get', 'configmaps')).decision).toBe('noOpinion');
  });

  it('lists the rules a user has (SelfSubjectRulesReview)', () => {
    const r = rbac.rulesFor(alice, 'ns1');
    expect(r.resourceRules).toEqual([
      { verbs: ['get'], apiGroups: [''], resources: ['nodes'], resourceNames: [] },
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: [] },
    ]);
    expect(r.incomplete).toBe(false);
  });
});

describe('bootstrap policy', () => {
  const table = bootstrapPolicy();
  const all = new RBACPolicy();
  all.replace('ClusterRole', table.clusterRoles);
  all.replace('ClusterRoleBinding', table.clusterRoleBindings);
  all.replace('Role', table.roles);
  all.replace('RoleBinding', table.roleBindings);
  const rbac = new RBACAuthorizer(all);
  const anonymous: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

  it('holds kube 1.32 roles and bindings, each with the autoupdate annotation', () => {
    const names = table.clusterRoles.map((r) => r.metadata?.name);
    for (const n of [
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'system:discovery',
      'system:basic-user',
      'system:public-info-viewer',
      'system:node',
      'system:controller:deployment-controller',
    ]) {
      expect(names).toContain(n);
    }
    expect(table.clusterRoleBindings.find((b) => b.metadata?.name === 'cluster-admin')?.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' },
    ]);
    for (const o of [...table.clusterRoles, ...table.clusterRoleBindings, ...table.roles, ...table.roleBindings]) {
      expect(o.metadata?.annotations).toEqual({ 'rbac.authorization.kubernetes.io/autoupdate': 'true' });
    }
    expect(table.clusterRoles.find((r) => r.metadata?.name === 'view')?.aggregationRule).toEqual({
      clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }],
    });
  });

  it('gives system:masters everything through cluster-admin, anonymous only the public paths', () => {
    const admin: UserInfo = { username: 'kapi-env-admin', groups: ['system:masters', 'system:authenticated'] };
    expect(rbac.authorize({ ...res('delete', 'nodes'), user: admin }).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
    );
    for (const p of ['/healthz', '/livez', '/readyz', '/version', '/version/'])
      expect(rbac.authorize(path('get', p, anonymous)).decision).toBe('allow');
    for (const p of ['/api', '/apis', '/openapi/v2', '/healthz/etcd', '/metrics'])
      expect(rbac.authorize(path('get', p, anonymous)).decision).toBe('noOpinion');
    expect(rbac.authorize({ ...res('list', 'namespaces', { namespace: '' }), user: anonymous }).decision).toBe('noOpinion');
    // Discovery and the self reviews need authentication.
    expect(rbac.authorize(path('get', '/apis/apps/v1')).decision).toBe('allow');
    expect(rbac.authorize(res('create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io', namespace: '' })).decision).toBe(
      'allow',
    );
  });

  it('aggregates labelled ClusterRoles into view, edit and admin', () => {
    const extra = {
      metadata: { name: 'crd-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ verbs: ['get'], apiGroups: ['x.io'], resources: ['widgets'] }],
    } as KubeObject;
    const roles = [...table.clusterRoles, extra];
    const view = aggregatedRules(roles.find((r) => r.metadata?.name === 'view')!, roles)!;
    expect(view).toContainEqual({ verbs: ['get'], apiGroups: ['x.io'], resources: ['widgets'] });
    expect(view).toContainEqual(table.clusterRoles.find((r) => r.metadata?.name === 'system:aggregate-to-view')!.rules![0]);
    expect(aggregatedRules(roles.find((r) => r.metadata?.name === 'cluster-admin')!, roles)).toBeUndefined();
  });
});

describe('escalation (ConfirmNoEscalation)', () => {
  const policy = policyWith([
    [
      'Role',
      role(
        'cm',
        [
          { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] },
          { verbs: ['*'], apiGroups: ['apps'], resources: ['*/scale'] },
        ],
        'ns1',
      ),
    ],
    ['RoleBinding', binding('cm', 'Role', 'cm', [{ kind: 'User', name: 'alice' }], 'ns1')],
  ]);

  it('passes rules the user holds, including through * and */scale', () => {
    expect(
      confirmNoEscalation(policy, alice, 'ns1', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['x'] }]),
    ).toBeUndefined();
    expect(
      confirmNoEscalation(policy, alice, 'ns1', [{ verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] }]),
    ).toBeUndefined();
  });

  it("names the missing rules compacted and sorted, in kube's words", () => {
    const msg = confirmNoEscalation(policy, alice, 'ns1', [
      { verbs: ['get', 'delete'], apiGroups: [''], resources: ['secrets', 'configmaps'] },
      { verbs: ['get'], nonResourceURLs: ['/metrics'] },
    ]);
    expect(msg).toBe(
      'user "alice" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["configmaps"], Verbs:["delete"]}\n' +
        '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}\n' +
        '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
    );
    expect(confirmNoEscalation(policy, alice, 'ns2', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }])).toContain(
      'Verbs:["get"]',
    );
  });

  it('covers: resourceNames narrow what the owner holds', () => {
    const owner: PolicyRule[] = [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }];
    expect(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }]).covered).toBe(true);
    expect(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).covered).toBe(false);
    expect(compactString({ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] })).toBe(
      '{APIGroups:[""], Resources:["secrets"], ResourceNames:["a"], Verbs:["get"]}',
    );
  });
});

describe('authorization modes', () => {
  it("validates with kube-apiserver's messages", () => {
    expect(validateAuthorizationModes([], undefined)).toEqual(['at least one authorization-mode must be passed']);
    expect(validateAuthorizationModes(['RBAC', 'Foo'], undefined)).toEqual(['authorization-mode "Foo" is not a valid mode']);
    expect(validateAuthorizationModes(['Webhook'], undefined)).toEqual([
      "authorization-mode Webhook's authorization config file not passed",
    ]);
    expect(validateAuthorizationModes(['RBAC'], '/x')).toEqual(['cannot specify --authorization-webhook-config-file without mode Webhook']);
    expect(validateAuthorizationModes(['RBAC', 'RBAC'], undefined)).toEqual([
      'authorization-mode ["RBAC" "RBAC"] has mode specified more than once',
    ]);
    expect(validateAuthorizationModes(['Node', 'RBAC'], undefined)).toEqual([]);
  });

  it('puts system:masters first and asks the modes in order; AlwaysDeny has no opinion, with its reason', async () => {
    const chain = buildAuthorizers(['AlwaysDeny'], {
      RBAC: () => new PrivilegedGroups([]),
      Node: () => new PrivilegedGroups([]),
      Webhook: () => new PrivilegedGroups([]),
    });
    expect(await authorize(chain, res('get', 'pods'))).toEqual({ decision: 'noOpinion', reason: 'Everything is forbidden.' });
    expect((await authorize(chain, { ...res('get', 'pods'), user: { username: 'root', groups: ['system:masters'] } })).decision).toBe(
      'allow',
    );
    const denyThenAllow = buildAuthorizers(['AlwaysDeny', 'AlwaysAllow'], {
      RBAC: () => new PrivilegedGroups([]),
      Node: () => new PrivilegedGroups([]),
      Webhook: () => new PrivilegedGroups([]),
    });
    expect((await authorize(denyThenAllow, res('get', 'pods'))).decision).toBe('allow');
    const allow = buildAuthorizers(['AlwaysAllow'], {
      RBAC: () => new PrivilegedGroups([]),
      Node: () => new PrivilegedGroups([]),
      Webhook: () => new PrivilegedGroups([]),
    });
    expect(
      (await authorize(allow, path('get', '/api', { username: 'system:anonymous', groups: ['system:unauthenticated'] }))).decision,
    ).toBe('allow');
  });
});

describe('--authorization-mode flags', () => {
  it('defaults to Node,RBAC and refuses what kube-apiserver refuses', () => {
    expect(parseServeFlags([]).authorizationModes).toEqual(['Node', 'RBAC']);
    expect(parseServeFlags(['--authorization-mode=AlwaysAllow']).authorizationModes).toEqual(['AlwaysAllow']);
    expect(() => parseServeFlags(['--authorization-mode=RBAC,Magic'])).toThrow('authorization-mode "Magic" is not a valid mode');
    expect(() => parseServeFlags(['--authorization-mode=Webhook'])).toThrow(
      "authorization-mode Webhook's authorization config file not passed",
    );
    expect(() => parseServeFlags(['--authorization-webhook-version=v2'])).toThrow('invalid authorization version');
    const flags = parseServeFlags([
      '--authorization-mode=RBAC,Webhook',
      '--authorization-webhook-config-file=/x',
      '--authorization-webhook-cache-authorized-ttl=1m',
      '--authorization-webhook-cache-unauthorized-ttl=0s',
    ]);
    expect(serverConfigFromFlags(flags, { storage: {} as never, tls: { certPem: '', keyPem: '', clientCaPem: '' } }).authorization).toEqual(
      {
        modes: ['RBAC', 'Webhook'],
        webhook: { configFile: '/x', version: undefined, authorizedTTLMs: 60_000, unauthorizedTTLMs: 0 },
      },
    );
  });
});

describe('Node authorizer', () => {
  const pod = {
    metadata: { name: 'p', namespace: 'ns1' },
    spec: {
      nodeName: 'n1',
      serviceAccountName: 'runner',
      volumes: [
        { name: 'v', secret: { secretName: 's1' } },
        { name: 'c', persistentVolumeClaim: { claimName: 'claim' } },
      ],
      containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cm1' } }] }],
    },
  } as unknown as KubeObject;
  const nodeRules = bootstrapPolicy().clusterRoles.find((r) => r.metadata?.name === 'system:node')!.rules as PolicyRule[];
  const node = new NodeAuthorizer(
    {
      podsOnNode: async (n) => (n === 'n1' ? [pod] : []),
      getPVC: async (ns, name) =>
        ns === 'ns1' && name === 'claim' ? ({ spec: { volumeName: 'pv1' } } as unknown as KubeObject) : undefined,
    },
    nodeRules,
  );
  const n1: UserInfo = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  const as = (a: AuthorizationAttributes, user = n1) => node.authorize({ ...a, user });

  it('reads what its pods reference, nothing else', async () => {
    expect((await as(res('get', 'secrets', { name: 's1' }))).decision).toBe('allow');
    expect((await as(res('get', 'configmaps', { name: 'cm1' }))).decision).toBe('allow');
    expect((await as(res('get', 'persistentvolumes', { name: 'pv1', namespace: '' }))).decision).toBe('allow');
    expect(await as(res('get', 'secrets', { name: 'other' }))).toEqual({
      decision: 'noOpinion',
      reason: "no relationship found between node 'n1' and this object",
    });
    expect(await as(res('update', 'secrets', { name: 's1' }))).toEqual({
      decision: 'noOpinion',
      reason: 'can only read resources of this type',
    });
    expect((await as(res('get', 'secrets', { name: 's1' }), { username: 'system:node:n2', groups: ['system:nodes'] })).decision).toBe(
      'noOpinion',
    );
    expect((await as(res('create', 'serviceaccounts', { name: 'runner', subresource: 'token' }))).decision).toBe('allow');
  });

  it('manages its own lease; the system:node rules for the rest; other users have no opinion', async () => {
    const lease = (name: string, verb = 'update') =>
      res(verb, 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name });
    expect((await as(lease('n1'))).decision).toBe('allow');
    expect(await as(lease('n2'))).toEqual({
      decision: 'noOpinion',
      reason: 'can only access node lease with the same name as the requesting node',
    });
    expect((await as(res('get', 'pods'))).decision).toBe('allow');
    expect((await as(res('delete', 'nodes', { namespace: '' }))).decision).toBe('noOpinion');
    expect(await node.authorize(res('get', 'pods'))).toEqual({ decision: 'noOpinion', reason: '' });
  });
});

describe('least-privilege report', () => {
  it('records distinct decisions per user and prints the minimal roles', () => {
    const rec = new PermissionsRecorder(10, 100);
    rec.record(res('get', 'configmaps', { name: 'a' }), true);
    rec.record(res('get', 'configmaps', { name: 'a' }), true);
    rec.record(res('list', 'configmaps'), true);
    rec.record(res('watch', 'configmaps'), true);
    rec.record(res('update', 'deployments', { apiGroup: 'apps', subresource: 'scale', name: 'web' }), false);
    rec.record(res('list', 'nodes', { namespace: '' }), true);
    rec.record(path('get', '/version'), true);
    const report = rec.report('alice');
    expect(report.uses).toHaveLength(6);
    expect(report.uses.find((u) => u.resource === 'deployments')).toMatchObject({ verb: 'update', subresource: 'scale', allowed: false });
    const roles = minimalRoles(report, { name: 'ctrl' });
    expect(roles).toEqual([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'ctrl' },
        rules: [
          { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
          { nonResourceURLs: ['/version'], verbs: ['get'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'ctrl', namespace: 'ns1' },
        rules: [
          // Only the one ConfigMap was read by name; list and watch need them all.
          { apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['get'] },
          { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
          { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['web'], verbs: ['update'] },
        ],
      },
    ]);
    expect(minimalRoles(report, { name: 'ctrl', allowedOnly: true })[1]!.rules).toHaveLength(2);
    expect(minimalRolesYAML(report, { name: 'ctrl' })).toContain('---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n');
  });

  it('keeps memory bounded', () => {
    const rec = new PermissionsRecorder(1, 2);
    for (const n of ['a', 'b', 'c']) rec.record(res('get', 'pods', { name: n }), true);
    rec.record({ ...res('get', 'pods'), user: { username: 'bob', groups: [] } }, true);
    expect(rec.report('alice')).toMatchObject({ dropped: 1 });
    expect(rec.report('alice').uses).toHaveLength(2);
    expect(rec.report('bob').uses).toHaveLength(0);
  });
});

// ValidatingAdmissionPolicy at the admission level: matching, params, variables, messages,
// validation actions and kube's denial wording.

import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../src/server/admission/index.js';
import { type PolicySources, ValidatingAdmissionPolicy } from '../../src/server/admission/policy/plugin.js';
import type { ResourceDescriptor } from '../../src/server/api/descriptor.js';
import { StatusError } from '../../src/server/api/errors.js';
import type { KubeObject } from '../../src/server/api/types.js';

const DEPLOYMENTS: ResourceDescriptor = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  singular: 'deployment',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  namespaced: true,
  verbs: ['create'],
};

const obj = (o: Record<string, unknown>): KubeObject => o as KubeObject;

const capPolicy = (validation: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject =>
  obj({
    metadata: { name: 'replica-cap', uid: 'p1', resourceVersion: '1' },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: {
        resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }],
      },
      variables: [{ name: 'max', expression: 'int(params.data.maxReplicas)' }],
      validations: [validation],
      ...extra,
    },
  });

const binding = (spec: Record<string, unknown>): KubeObject =>
  obj({
    metadata: { name: 'replica-cap-binding', uid: 'b1', resourceVersion: '1' },
    spec: { policyName: 'replica-cap', validationActions: ['Deny'], ...spec },
  });

function sources(policies: KubeObject[], bindings: KubeObject[], configmaps: KubeObject[] = []): PolicySources {
  return {
    policies: async () => policies,
    bindings: async () => bindings,
    namespace: async (n) =>
      obj({ metadata: { name: n, labels: { 'kubernetes.io/metadata.name': n, env: n === 'prod' ? 'prod' : 'dev' } } }),
    paramResource: (av, kind) =>
      av === 'v1' && kind === 'ConfigMap'
        ? { resource: { group: '', version: 'v1', resource: 'configmaps' }, namespaced: true }
        : undefined,
    get: async (_r, ns, name) => configmaps.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    list: async (_r, ns) => configmaps.filter((c) => c.metadata?.namespace === ns),
    equivalents: () => [],
  };
}

function attrs(replicas: number, over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE',
    resource: DEPLOYMENTS,
    subresource: '',
    namespace: 'default',
    name: 'web',
    object: obj({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: { replicas },
    }),
    oldObject: null,
    user: { username: 'alice', groups: [] },
    dryRun: false,
    warnings: [],
    ...over,
  };
}

const limits = obj({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'limits', namespace: 'default', labels: { kind: 'limits' } },
  data: { maxReplicas: '3' },
});

async function refusal(p: Promise<unknown>): Promise<StatusError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(StatusError);
  return e as StatusError;
}

describe('ValidatingAdmissionPolicy', () => {
  const validation = { expression: 'object.spec.replicas <= variables.max' };

  it('caps replicas with a param object: allowed under the cap, denied above it with kube wording (422 Invalid)', async () => {
    const plugin = new ValidatingAdmissionPolicy(
      sources([capPolicy(validation)], [binding({ paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } })], [limits]),
    );
    await plugin.validate(attrs(3));
    const e = await refusal(plugin.validate(attrs(5)));
    expect(e.status.code).toBe(422);
    expect(e.status.reason).toBe('Invalid');
    expect(e.status.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'replica-cap' with binding 'replica-cap-binding' denied request: failed expression: object.spec.replicas <= variables.max",
    );
    expect(e.status.details).toEqual({
      name: 'web',
      group: 'apps',
      kind: 'deployments',
      causes: [
        {
          message:
            "ValidatingAdmissionPolicy 'replica-cap' with binding 'replica-cap-binding' denied request: failed expression: object.spec.replicas <= variables.max",
        },
      ],
    });
  });

  it('message, messageExpression and reason', async () => {
    const withMessage = capPolicy({ ...validation, message: 'too many replicas', reason: 'Forbidden' });
    const b = [binding({ paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } })];
    let e = await refusal(new ValidatingAdmissionPolicy(sources([withMessage], b, [limits])).validate(attrs(5)));
    expect(e.status.code).toBe(403);
    expect(e.status.message).toMatch(/denied request: too many replicas$/);
    const withExpr = capPolicy({
      ...validation,
      message: 'static',
      messageExpression: "'replicas must be at most ' + string(variables.max)",
    });
    e = await refusal(new ValidatingAdmissionPolicy(sources([withExpr], b, [limits])).validate(attrs(5)));
    expect(e.status.message).toMatch(/denied request: replicas must be at most 3$/);
  });

  it('parameterNotFoundAction: Deny refuses without the param, Allow admits', async () => {
    const deny = new ValidatingAdmissionPolicy(
      sources([capPolicy(validation)], [binding({ paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } })]),
    );
    const e = await refusal(deny.validate(attrs(1)));
    expect(e.status.message).toBe(
      "deployments.apps \"web\" is forbidden: ValidatingAdmissionPolicy 'replica-cap' with binding 'replica-cap-binding' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction",
    );
    const allow = new ValidatingAdmissionPolicy(
      sources([capPolicy(validation)], [binding({ paramRef: { name: 'limits', parameterNotFoundAction: 'Allow' } })]),
    );
    await allow.validate(attrs(100));
  });

  it('params by selector: each selected param is evaluated', async () => {
    const strict = obj({
      ...limits,
      metadata: { name: 'strict', namespace: 'default', labels: { kind: 'limits' } },
      data: { maxReplicas: '1' },
    });
    const p = new ValidatingAdmissionPolicy(
      sources(
        [capPolicy(validation)],
        [binding({ paramRef: { selector: { matchLabels: { kind: 'limits' } }, parameterNotFoundAction: 'Deny' } })],
        [limits, strict],
      ),
    );
    await p.validate(attrs(1));
    await refusal(p.validate(attrs(2)));
  });

  it('validationActions Warn and Audit do not refuse', async () => {
    const p = new ValidatingAdmissionPolicy(
      sources(
        [capPolicy({ ...validation, message: 'too many' })],
        [binding({ validationActions: ['Warn', 'Audit'], paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } })],
        [limits],
      ),
    );
    const a = attrs(9);
    await p.validate(a);
    expect(a.warnings).toEqual([
      "Validation failed for ValidatingAdmissionPolicy 'replica-cap' with binding 'replica-cap-binding': too many",
    ]);
    expect(JSON.parse(a.auditAnnotations!['validation.policy.admission.k8s.io/validation_failure'])).toEqual([
      {
        message: 'too many',
        policy: 'replica-cap',
        binding: 'replica-cap-binding',
        expressionIndex: 0,
        validationActions: ['Warn', 'Audit'],
      },
    ]);
  });

  it('matchConditions, binding matchResources and the namespace object', async () => {
    const policy = obj({
      metadata: { name: 'no-latest', uid: 'p2', resourceVersion: '1' },
      spec: {
        matchConstraints: {
          resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }],
        },
        matchConditions: [{ name: 'not-system', expression: "!request.userInfo.username.startsWith('system:')" }],
        validations: [
          { expression: "namespaceObject.metadata.labels.env != 'prod' || object.spec.replicas >= 2", message: 'prod needs two replicas' },
        ],
        auditAnnotations: [{ key: 'replicas', valueExpression: 'string(object.spec.replicas)' }],
      },
    });
    const b = obj({
      metadata: { name: 'prod-only', uid: 'b2', resourceVersion: '1' },
      spec: {
        policyName: 'no-latest',
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } } },
      },
    });
    const p = new ValidatingAdmissionPolicy(sources([policy], [b]));
    const a = attrs(1);
    await p.validate(a);
    const prod = attrs(1, { namespace: 'prod' });
    const e = await refusal(p.validate(prod));
    expect(e.status.message).toMatch(/denied request: prod needs two replicas$/);
    expect(prod.auditAnnotations).toEqual({ 'no-latest/replicas': '1' });
    await p.validate(attrs(1, { namespace: 'prod', user: { username: 'system:serviceaccount:x:y', groups: [] } }));
  });

  it('the authorizer library: checks ask the server authorizer for the request user', async () => {
    const asked: string[] = [];
    const policy = obj({
      metadata: { name: 'authz', uid: 'p3', resourceVersion: '1' },
      spec: {
        matchConstraints: {
          resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }],
        },
        validations: [
          {
            expression:
              "authorizer.group('apps').resource('deployments').subresource('scale').namespace('default').name('web').check('update').allowed() && authorizer.requestResource.check('patch').allowed()",
            message: 'may not scale',
          },
        ],
      },
    });
    const b = obj({ metadata: { name: 'ab' }, spec: { policyName: 'authz', validationActions: ['Deny'] } });
    const src = {
      ...sources([policy], [b]),
      authorize: async (
        user: { username: string },
        a: { verb: string; apiGroup: string; resource: string; subresource?: string; namespace?: string; name?: string },
      ) => {
        asked.push(`${user.username} ${a.verb} ${a.apiGroup}/${a.resource}/${a.subresource ?? ''} ${a.namespace ?? ''}/${a.name ?? ''}`);
        return user.username === 'alice';
      },
    };
    await new ValidatingAdmissionPolicy(src).validate(attrs(1));
    expect(asked).toEqual(['alice update apps/deployments/scale default/web', 'alice patch apps/deployments/ default/web']);
    const e = await refusal(new ValidatingAdmissionPolicy(src).validate(attrs(1, { user: { username: 'bob', groups: [] } })));
    expect(e.status.message).toMatch(/denied request: may not scale$/);
  });

  it("the authorizer library's path(): a non-resource check with the path and verb only", async () => {
    const asked: unknown[] = [];
    const policy = obj({
      metadata: { name: 'paths', uid: 'p4', resourceVersion: '1' },
      spec: {
        matchConstraints: {
          resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }],
        },
        validations: [
          {
            expression: "authorizer.path('/metrics').check('get').allowed() && !authorizer.path('/healthz').check('post').errored()",
            message: 'may not read metrics',
          },
        ],
      },
    });
    const b = obj({ metadata: { name: 'pb' }, spec: { policyName: 'paths', validationActions: ['Deny'] } });
    const src = {
      ...sources([policy], [b]),
      authorize: async (user: { username: string }, a: { verb: string; path?: string; resource: string }) => {
        asked.push({ user: user.username, ...a });
        return user.username === 'alice' && a.path === '/metrics';
      },
    };
    await new ValidatingAdmissionPolicy(src).validate(attrs(1));
    expect(asked).toEqual([
      { user: 'alice', verb: 'get', path: '/metrics', apiGroup: '', resource: '' },
      { user: 'alice', verb: 'post', path: '/healthz', apiGroup: '', resource: '' },
    ]);
    const e = await refusal(new ValidatingAdmissionPolicy(src).validate(attrs(1, { user: { username: 'bob', groups: [] } })));
    expect(e.status.message).toMatch(/denied request: may not read metrics$/);
  });

  it('an expression error follows failurePolicy', async () => {
    const broken = (fp: string) =>
      obj({
        metadata: { name: 'broken', uid: `p-${fp}`, resourceVersion: '1' },
        spec: {
          failurePolicy: fp,
          matchConstraints: { resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'] }] },
          validations: [{ expression: 'object.spec.nope.deeper == 1' }],
        },
      });
    const b = obj({ metadata: { name: 'bb' }, spec: { policyName: 'broken', validationActions: ['Deny'] } });
    const e = await refusal(new ValidatingAdmissionPolicy(sources([broken('Fail')], [b])).validate(attrs(1)));
    expect(e.status.message).toMatch(
      /^deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'broken' with binding 'bb' denied request: expression 'object.spec.nope.deeper == 1' resulted in error: /,
    );
    await new ValidatingAdmissionPolicy(sources([broken('Ignore')], [b])).validate(attrs(1));
  });
});

// CEL compiled when admission configurations are written (undeclared references, syntax
// errors, bad regex literals refused with kube's `compilation failed: ...` detail), and
// ValidatingAdmissionPolicy type checking against the matched kinds' schemas.

import { describe, expect, it } from 'vitest';
import { type TypeCheckResolver, typeCheckPolicy } from '../../src/server/admission/policy/typecheck.js';
import { fieldErrorMessage } from '../../src/server/api/errors.js';
import type { KubeObject } from '../../src/server/api/types.js';
import { admissionRegistrationResources } from '../../src/server/registry/resources/admissionregistration.js';
import type { RequestContext } from '../../src/server/registry/strategy.js';
import { checkExpression } from '../../src/server/schema/cel-check.js';

const ADMISSION = { variables: new Set(['object', 'oldObject', 'request', 'namespaceObject', 'authorizer']) };

describe('checkExpression', () => {
  it('refuses undeclared references with cel-go wording and position', () => {
    expect(checkExpression('foo > 1', ADMISSION)).toEqual({
      stage: 'compilation',
      issues: "ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo > 1\n | ^",
    });
    expect(checkExpression('params.x == 1', ADMISSION)?.issues).toContain("undeclared reference to 'params'");
    expect(checkExpression('cel.bind(x, 1, x + y)', ADMISSION)?.issues).toBe(
      "ERROR: <input>:1:20: undeclared reference to 'y' (in container '')\n | cel.bind(x, 1, x + y)\n | ...................^",
    );
  });

  it('accepts macros, bindings, type names and library namespaces', () => {
    for (const e of [
      'object.spec.containers.all(c, c.image != "")',
      'object.metadata.labels.exists(k, k.startsWith("a"))',
      'cel.bind(n, object.metadata.name, n.size() < 10)',
      'type(object) == map && optional.of(1).hasValue()',
      'math.greatest(1, 2) == 2 && has(object.spec) && request.operation == "CREATE"',
      'authorizer.group("apps").resource("deployments").check("get").allowed()',
      'object.?spec.?replicas.orValue(1) > 0',
      '!format.dns1123Label().validate(object.metadata.name).hasValue() && quantity("1").isGreaterThan(quantity("0"))',
    ])
      expect(checkExpression(e, ADMISSION), e).toBeUndefined();
  });

  it('reports syntax errors and bad regex literals at their column', () => {
    const syntax = checkExpression('object.spec.(', ADMISSION)!;
    expect(syntax.stage).toBe('compilation');
    expect(syntax.issues).toMatch(/^ERROR: <input>:1:13: Syntax error: .*\n \| object\.spec\.\(\n \| \.{12}\^$/);
    // cel-go's ANTLR wording for the common shapes: an operand missing at the end, input left over, a character no token starts with.
    expect(checkExpression('object.spec.replicas <', ADMISSION)?.issues).toBe(
      "ERROR: <input>:1:23: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | object.spec.replicas <\n | ......................^",
    );
    expect(checkExpression('object.a object.b', ADMISSION)?.issues).toBe(
      "ERROR: <input>:1:10: Syntax error: mismatched input 'object' expecting <EOF>\n | object.a object.b\n | .........^",
    );
    expect(checkExpression('object.a | object.b', ADMISSION)?.issues).toBe(
      "ERROR: <input>:1:10: Syntax error: token recognition error at: '| '\n | object.a | object.b\n | .........^\nERROR: <input>:1:12: Syntax error: mismatched input 'object' expecting <EOF>\n | object.a | object.b\n | ...........^",
    );
    expect(checkExpression('object.a ==== 1', ADMISSION)?.issues).toBe(
      "ERROR: <input>:1:12: Syntax error: extraneous input '==' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | object.a ==== 1\n | ...........^",
    );
    expect(checkExpression("object.name.matches('(')", ADMISSION)?.issues).toBe(
      "ERROR: <input>:1:21: invalid matches argument\n | object.name.matches('(')\n | ....................^",
    );
  });

  it('with a typed variable, reports fields its schema lacks at the `.` before them', () => {
    const definitions = {
      Deployment: {
        type: 'object',
        properties: { metadata: { $ref: 'ObjectMeta' }, spec: { $ref: 'DeploymentSpec' } },
      },
      ObjectMeta: {
        type: 'object',
        properties: { name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } },
      },
      DeploymentSpec: {
        type: 'object',
        properties: {
          replicas: { type: 'integer' },
          containers: { type: 'array', items: { type: 'object', properties: { image: { type: 'string' } } } },
        },
      },
    };
    const env = { ...ADMISSION, types: { object: { schema: definitions.Deployment, definitions } } };
    expect(checkExpression('object.spec.replicass > 1', env)?.issues).toBe(
      "ERROR: <input>:1:12: undefined field 'replicass'\n | object.spec.replicass > 1\n | ...........^",
    );
    expect(checkExpression('object.spec.containers.all(c, c.imag != "")', env)?.issues).toContain("1:32: undefined field 'imag'");
    expect(checkExpression('object.spec.containers[0].imagee == ""', env)?.issues).toContain("undefined field 'imagee'");
    expect(checkExpression('object.metadata.labels.anything == "x" && object.spec.replicas > 1', env)).toBeUndefined();
  });

  it('reports operands no overload accepts (cel-go: found no matching overload), at the operator', () => {
    const definitions = {
      Deployment: {
        type: 'object',
        properties: {
          metadata: {
            type: 'object',
            properties: { name: { type: 'string' }, creationTimestamp: { type: 'string', format: 'date-time' } },
          },
          spec: {
            type: 'object',
            properties: { replicas: { type: 'integer' }, paused: { type: 'boolean' }, port: { type: 'string', format: 'int-or-string' } },
          },
        },
      },
    };
    const env = { ...ADMISSION, types: { object: { schema: definitions.Deployment, definitions } } };
    expect(checkExpression("object.spec.replicas == 'x'", env)?.issues).toBe(
      "ERROR: <input>:1:22: found no matching overload for '_==_' applied to '(int, string)'\n | object.spec.replicas == 'x'\n | .....................^",
    );
    expect(checkExpression('object.spec.replicas > 1 && object.metadata.name', env)?.issues).toContain(
      "1:26: found no matching overload for '_&&_' applied to '(bool, string)'",
    );
    expect(checkExpression('object.metadata.name + 1 == "a1"', env)?.issues).toContain(
      "found no matching overload for '_+_' applied to '(string, int)'",
    );
    expect(checkExpression('!object.spec.replicas', env)?.issues).toContain("1:1: found no matching overload for '!_' applied to '(int)'");
    expect(checkExpression('object.spec.paused ? 1 : "one"', env)?.issues).toContain(
      "1:20: found no matching overload for '_?_:_' applied to '(bool, int, string)'",
    );
    // Literals alone are typed too (kube refuses these when the policy is written); cross-type numeric ordering is fine.
    expect(checkExpression('1 == 1u', ADMISSION)?.issues).toContain("found no matching overload for '_==_' applied to '(int, uint)'");
    for (const ok of [
      'object.spec.replicas < 2.5 && size(object.metadata.name) > 1',
      'object.spec.port == 80 || object.spec.port == "http"',
      'object.metadata.creationTimestamp == object.metadata.creationTimestamp',
      'object.spec.replicas % 2 == 0 && object.metadata.name + "x" == "yx"',
      'object.spec == 1',
    ])
      expect(checkExpression(ok, env), ok).toBeUndefined();
  });
});

const resolver: TypeCheckResolver = {
  kindsFor: (gvr) =>
    gvr.group === 'apps' && gvr.resource === 'deployments' ? [{ group: 'apps', version: gvr.version, kind: 'Deployment' }] : [],
  schemaOf: (gvk) => {
    const definitions: Record<string, Record<string, unknown>> = {
      Deployment: { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } } },
      ConfigMap: { type: 'object', properties: { data: { type: 'object', additionalProperties: { type: 'string' } } } },
    };
    const schema = definitions[gvk.kind];
    return schema ? { schema, definitions } : undefined;
  },
};

const policy = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: 'p', generation: 1 },
  spec: {
    failurePolicy: 'Fail',
    matchConstraints: {
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'], scope: '*' }],
    },
    ...spec,
  },
});

describe('typeCheckPolicy', () => {
  it('warns per matched kind for expressions and message expressions, as kube writes status.typeChecking', () => {
    const warnings = typeCheckPolicy(
      policy({
        validations: [
          { expression: 'object.spec.replicass > 1', messageExpression: 'object.spec.x' },
          { expression: 'object.spec.replicas > 1' },
        ],
      }),
      resolver,
    );
    expect(warnings).toEqual([
      {
        fieldRef: 'spec.validations[0].expression',
        warning:
          "apps/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'replicass'\n | object.spec.replicass > 1\n | ...........^\n",
      },
      {
        fieldRef: 'spec.validations[0].messageExpression',
        warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'x'\n | object.spec.x\n | ...........^\n",
      },
    ]);
  });

  it('reports type mismatches with kube wording in the warnings', () => {
    expect(typeCheckPolicy(policy({ validations: [{ expression: "object.spec.replicas == 'x'" }] }), resolver)).toEqual([
      {
        fieldRef: 'spec.validations[0].expression',
        warning:
          "apps/v1, Kind=Deployment: ERROR: <input>:1:22: found no matching overload for '_==_' applied to '(int, string)'\n | object.spec.replicas == 'x'\n | .....................^\n",
      },
    ]);
  });

  it('types params by the paramKind; leaves params undeclared when its schema is unknown', () => {
    const withKind = (kind: string) =>
      typeCheckPolicy(
        policy({ paramKind: { apiVersion: 'v1', kind }, validations: [{ expression: 'object.spec.replicas <= int(params.data.max)' }] }),
        resolver,
      );
    expect(withKind('ConfigMap')).toEqual([]);
    expect(withKind('Unknown')[0].warning).toContain("undeclared reference to 'params'");
  });

  it('checks nothing when the rules only have wildcards or kinds without schemas', () => {
    const wild = policy({ validations: [{ expression: 'object.nope' }] });
    (wild.spec as { matchConstraints: { resourceRules: Array<{ apiGroups: string[] }> } }).matchConstraints.resourceRules[0].apiGroups = [
      '*',
    ];
    expect(typeCheckPolicy(wild, resolver)).toEqual([]);
    const variables = policy({
      variables: [{ name: 'r', expression: 'object.spec.replicas' }],
      validations: [{ expression: 'variables.r > 1 && variables.q' }],
    });
    expect(typeCheckPolicy(variables, resolver)[0].warning).toContain("undefined field 'q'");
  });
});

describe('compiled when written (pkg/apis/admissionregistration/validation)', () => {
  const ctx = { user: { username: 'u', groups: [] }, dryRun: false, warnings: [] } as unknown as RequestContext;
  const strategy = (resource: string) => admissionRegistrationResources.find((r) => r.descriptor.resource === resource)!.strategy;
  const messages = (resource: string, obj: KubeObject): string[] => {
    const s = strategy(resource);
    s.prepareForCreate?.(obj, ctx);
    return (s.validate?.(obj, ctx) ?? []).map(fieldErrorMessage);
  };

  it('refuses a policy whose validations, messageExpression, variables, matchConditions or audit annotations do not compile', () => {
    const got = messages(
      'validatingadmissionpolicies',
      policy({
        matchConditions: [{ name: 'm', expression: 'nope' }],
        variables: [
          { name: 'a', expression: 'variables.b' },
          { name: 'b', expression: 'object.spec' },
        ],
        validations: [{ expression: 'params.x', messageExpression: '"x" +' }, { expression: 'variables.b != null' }],
        auditAnnotations: [{ key: 'k', valueExpression: 'undefinedThing' }],
      }),
    );
    expect(got).toEqual([
      `spec.matchConditions[0].expression: Invalid value: "nope": compilation failed: ERROR: <input>:1:1: undeclared reference to 'nope' (in container '')\n | nope\n | ^`,
      `spec.variables[0].expression: Invalid value: "variables.b": compilation failed: ERROR: <input>:1:10: undefined field 'b'\n | variables.b\n | .........^`,
      `spec.validations[0].expression: Invalid value: "params.x": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.x\n | ^`,
      `spec.validations[0].messageExpression: Invalid value: "\\"x\\" +": compilation failed: ERROR: <input>:1:6: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | "x" +\n | .....^`,
      `spec.auditAnnotations[0].valueExpression: Invalid value: "undefinedThing": compilation failed: ERROR: <input>:1:1: undeclared reference to 'undefinedThing' (in container '')\n | undefinedThing\n | ^`,
    ]);
    expect(
      messages(
        'validatingadmissionpolicies',
        policy({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, validations: [{ expression: 'params.data.x == "1"' }] }),
      ),
    ).toEqual([]);
  });

  it('refuses an output type the field does not allow when it is known without the variables', () => {
    const got = messages(
      'validatingadmissionpolicies',
      policy({
        validations: [
          { expression: "'yes'", messageExpression: '1 + 1' },
          { expression: 'object.spec.replicas > 1', messageExpression: "'n: ' + string(object.spec.replicas)" },
        ],
        auditAnnotations: [
          { key: 'a', valueExpression: '1' },
          { key: 'b', valueExpression: 'null' },
          { key: 'c', valueExpression: 'object.metadata.name' },
        ],
      }),
    );
    expect(got).toEqual([
      `spec.validations[0].expression: Invalid value: "'yes'": must evaluate to bool but got string`,
      'spec.validations[0].messageExpression: Invalid value: "1 + 1": must evaluate to string but got int',
      'spec.auditAnnotations[0].valueExpression: Invalid value: "1": must evaluate to one of [string null_type] but got int',
    ]);
  });

  it("refuses a webhook's matchConditions that do not compile (no params there)", () => {
    const hook = (expression: string): KubeObject => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'w' },
      webhooks: [
        {
          name: 'w.example.com',
          clientConfig: { url: 'https://example.com/x' },
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          matchConditions: [{ name: 'c', expression }],
        },
      ],
    });
    expect(messages('validatingwebhookconfigurations', hook("object.metadata.name == 'x' && request.dryRun != true"))).toEqual([]);
    expect(messages('validatingwebhookconfigurations', hook('params.x'))).toEqual([
      `webhooks[0].matchConditions[0].expression: Invalid value: "params.x": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.x\n | ^`,
    ]);
  });
});

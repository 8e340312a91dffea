import { describe, expect, it } from 'vitest';
import { StatusError } from '../../src/server/api/errors.js';
import { OpenAPIRegistry } from '../../src/server/endpoints/openapi/registry.js';
import { schemaDecoder } from '../../src/server/schema/builtin/decode.js';
import {
  applyFieldValidation,
  findDuplicateFields,
  pruneUnknownFields,
  strictDecodingIssues,
  strictDecodingMessage,
} from '../../src/server/schema/builtin/fields.js';
import { configmaps, deployments } from '../helpers/descriptors.js';

const r = new OpenAPIRegistry();
const deploy = r.addBuiltin(deployments, 'V1Deployment');
const cm = r.addBuiltin(configmaps, 'V1ConfigMap');
const target = (k: typeof deploy) => ({
  kind: k.descriptor.kind,
  version: k.descriptor.version,
  schema: k.definitions[k.name],
  definitions: k.definitions,
});

function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { any: 'label' }, bar: 1, annotations: { 'a/b': 'c' } },
    spec: {
      replicas: 1,
      foo: true,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'c', image: 'nginx', imagePull: 'x', ports: [{ containerPort: 80, bogus: 1 }], resources: { limits: { cpu: '1' } } },
          ],
        },
      },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    },
    status: { replicas: 1 },
  };
}

describe('unknown fields of built-in kinds', () => {
  it('prunes them and names them as kube does', () => {
    const obj = deployment();
    expect(pruneUnknownFields(deploy.definitions[deploy.name], deploy.definitions, obj)).toEqual([
      'metadata.bar',
      'spec.foo',
      'spec.template.spec.containers[0].imagePull',
      'spec.template.spec.containers[0].ports[0].bogus',
    ]);
    expect((obj.metadata as Record<string, unknown>).bar).toBeUndefined();
    expect((obj.spec as Record<string, unknown>).foo).toBeUndefined();
    const spec = obj.spec as { template: { spec: { containers: unknown[] } }; strategy: { rollingUpdate: unknown } };
    expect(spec.template.spec.containers[0]).toEqual({
      name: 'c',
      image: 'nginx',
      ports: [{ containerPort: 80 }],
      resources: { limits: { cpu: '1' } },
    });
    expect(spec.strategy.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: 1 });
  });

  it("Strict: 400 with kube's strict decoding message, nothing changed", () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' }, spec: { foo: 1 } };
    let err: unknown;
    try {
      applyFieldValidation('Strict', target(cm), obj, ['metadata.name']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(400);
    expect((err as Error).message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec", duplicate field "metadata.name"',
    );
    expect(obj.spec).toEqual({ foo: 1 });
  });

  it('Warn returns one warning per issue and drops the fields; Ignore drops silently', () => {
    const obj = deployment();
    expect(applyFieldValidation('Warn', target(deploy), obj)).toEqual([
      'unknown field "metadata.bar"',
      'unknown field "spec.foo"',
      'unknown field "spec.template.spec.containers[0].imagePull"',
      'unknown field "spec.template.spec.containers[0].ports[0].bogus"',
    ]);
    const again = deployment();
    expect(applyFieldValidation('Ignore', target(deploy), again)).toEqual([]);
    expect((again.spec as Record<string, unknown>).foo).toBeUndefined();
  });

  it('the decoder seam pushes warnings and throws for Strict', () => {
    const decode = schemaDecoder('ConfigMap', 'v1', cm.definitions[cm.name], cm.definitions);
    const warnings: string[] = [];
    decode({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', foo: 1 } }, { fieldValidation: 'Warn', warnings });
    expect(warnings).toEqual(['unknown field "metadata.foo"']);
    expect(() => decode({ apiVersion: 'v1', kind: 'ConfigMap', x: 1 }, { fieldValidation: 'Strict', warnings })).toThrow(
      'strict decoding error: unknown field "x"',
    );
  });

  it('finds duplicate JSON keys with their paths', () => {
    expect(findDuplicateFields('{"metadata":{"name":"a","name":"b"},"spec":{"containers":[{"image":"x","image":"y"}]},"spec":{}}')).toEqual(
      ['metadata.name', 'spec.containers[0].image', 'spec'],
    );
    expect(findDuplicateFields('{"a": "\\"}", "b": [1, 2, {"c": null}]}')).toEqual([]);
    expect(findDuplicateFields('not json')).toEqual([]);
  });

  it('words messages as kube', () => {
    expect(strictDecodingMessage('Deployment', 'v1', strictDecodingIssues(['spec.foo'], ['x']))).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", duplicate field "x"',
    );
  });
});

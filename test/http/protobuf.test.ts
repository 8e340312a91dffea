// Kubernetes protobuf request bodies: objects encoded with the generated descriptor inside the
// runtime.Unknown envelope decode to the JSON kube's decoder would produce.

import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import descriptor from '../../src/server/http/k8s-proto.json' with { type: 'json' };
import { decodeProtobuf } from '../../src/server/http/protobuf.js';

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);

function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const body = unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw })).finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), body]);
}

function encode(type: string, apiVersion: string, kind: string, value: Record<string, unknown>): Buffer {
  const t = root.lookupType(type);
  return envelope(apiVersion, kind, t.encode(t.fromObject(value)).finish());
}

// What Go's marshaller writes for an ObjectMeta: value fields even when empty, the zero creationTimestamp.
const meta = (name: string) => ({ name, generateName: '', namespace: '', generation: 0, creationTimestamp: { seconds: -62135596800 } });

describe('decodeProtobuf', () => {
  it('decodes a Deployment with a pod template', () => {
    const body = encode('k8s.io.api.apps.v1.Deployment', 'apps/v1', 'Deployment', {
      metadata: { ...meta('web'), labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { ...meta(''), labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }] },
        },
        strategy: { rollingUpdate: { maxSurge: { type: 1, strVal: '25%' }, maxUnavailable: { type: 0, intVal: 1 } } },
      },
      status: {},
    });
    expect(decodeProtobuf(body)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }] },
        },
        strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      },
      status: {},
    });
  });

  it('writes bytes as base64 (Secret data) and keeps string maps as strings', () => {
    const bin = Buffer.from([0, 1, 2, 0xff]);
    const body = encode('k8s.io.api.core.v1.Secret', 'v1', 'Secret', {
      metadata: meta('s'),
      data: { bin, a: Buffer.from('b') },
      stringData: { x: 'y' },
      type: 'Opaque',
    });
    expect(decodeProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { bin: bin.toString('base64'), a: 'Yg==' },
      stringData: { x: 'y' },
      type: 'Opaque',
    });
  });

  it('turns IntOrString into a number or a string and keeps int64 numbers', () => {
    const body = encode('k8s.io.api.core.v1.Service', 'v1', 'Service', {
      metadata: meta('np'),
      spec: {
        type: 'NodePort',
        ports: [
          { name: '80-8080', protocol: 'TCP', port: 80, targetPort: { type: 0, intVal: 8080 } },
          { name: 'web', protocol: '', port: 81, targetPort: { type: 1, strVal: 'http' }, nodePort: 0 },
        ],
        selector: { app: 'np' },
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      },
    });
    const obj = decodeProtobuf(body);
    expect(obj.spec).toEqual({
      type: 'NodePort',
      ports: [
        { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'web', port: 81, targetPort: 'http' },
      ],
      selector: { app: 'np' },
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    });
  });

  it('decodes a CronJob with a schedule and times as RFC 3339', () => {
    const body = encode('k8s.io.api.batch.v1.CronJob', 'batch/v1', 'CronJob', {
      metadata: { name: 'c', creationTimestamp: { seconds: 1700000000 } },
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: {
          metadata: meta('c'),
          spec: { template: { metadata: meta(''), spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } },
        },
      },
      status: { lastScheduleTime: { seconds: 1700000300, nanos: 5 } },
    });
    expect(decodeProtobuf(body)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c', creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: {
          metadata: { name: 'c' },
          spec: { template: { metadata: {}, spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } },
        },
      },
      status: { lastScheduleTime: '2023-11-14T22:18:20Z' },
    });
  });

  it('decodes an Ingress with a pathType and a Lease with MicroTime', () => {
    const ingress = encode('k8s.io.api.networking.v1.Ingress', 'networking.k8s.io/v1', 'Ingress', {
      metadata: meta('i'),
      spec: {
        rules: [
          {
            host: 'foo.com',
            // Go inlines IngressRuleValue in JSON; protobuf keeps it as a field of its own.
            ingressRuleValue: {
              http: {
                paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { name: '', number: 8080 } } } }],
              },
            },
          },
        ],
      },
    });
    expect(decodeProtobuf(ingress).spec).toEqual({
      rules: [
        {
          host: 'foo.com',
          http: { paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } }] },
        },
      ],
    });
    const lease = encode('k8s.io.api.coordination.v1.Lease', 'coordination.k8s.io/v1', 'Lease', {
      metadata: meta('l'),
      spec: { holderIdentity: 'me', renewTime: { seconds: 1700000000, nanos: 123456789 } },
    });
    expect(decodeProtobuf(lease).spec).toEqual({ holderIdentity: 'me', renewTime: '2023-11-14T22:13:20.123456Z' });
  });

  it('decodes a ResourceQuota with Quantities and a ControllerRevision with raw JSON', () => {
    const quota = encode('k8s.io.api.core.v1.ResourceQuota', 'v1', 'ResourceQuota', {
      metadata: meta('q'),
      spec: { hard: { pods: { string: '10' }, 'requests.cpu': { string: '500m' } } },
    });
    expect(decodeProtobuf(quota).spec).toEqual({ hard: { pods: '10', 'requests.cpu': '500m' } });
    const rev = encode('k8s.io.api.apps.v1.ControllerRevision', 'apps/v1', 'ControllerRevision', {
      metadata: meta('r'),
      data: { raw: Buffer.from('{"spec":{"a":[1]}}') },
      revision: 3,
    });
    expect(decodeProtobuf(rev)).toMatchObject({ data: { spec: { a: [1] } }, revision: 3 });
  });

  it('decodes an Eviction with its DeleteOptions, and a bare DeleteOptions', () => {
    const options = { gracePeriodSeconds: 30, preconditions: { uid: 'u1' }, dryRun: ['All'] };
    const eviction = encode('k8s.io.api.policy.v1.Eviction', 'policy/v1', 'Eviction', { metadata: meta('p'), deleteOptions: options });
    expect(decodeProtobuf(eviction)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p' },
      deleteOptions: { gracePeriodSeconds: 30, preconditions: { uid: 'u1' }, dryRun: ['All'] },
    });
    const del = encode('k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions', 'v1', 'DeleteOptions', { propagationPolicy: 'Foreground' });
    expect(decodeProtobuf(del)).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
  });

  it('refuses kinds it has no message for, and malformed bodies', () => {
    const raw = new Uint8Array(0);
    expect(() => decodeProtobuf(envelope('example.com/v1', 'Widget', raw))).toThrow(
      'protobuf decoding is not supported for kind "Widget": send JSON or YAML',
    );
    expect(() => decodeProtobuf(envelope('apps/v1', 'DeploymentSpec', raw))).toThrow('not supported for kind "DeploymentSpec"');
    expect(() => decodeProtobuf(Buffer.from('{}'))).toThrow('missing the Kubernetes magic prefix');
    const body = encode('k8s.io.api.core.v1.ConfigMap', 'v1', 'ConfigMap', { metadata: meta('cm'), data: { a: 'b' } });
    expect(() => decodeProtobuf(body.subarray(0, body.length - 2))).toThrow('unable to decode protobuf body');
  });
});

// The built-in admission plugins through kubectl, on every backend: ResourceQuota (with the quota
// controller keeping status.used), PodSecurity, LimitRanger, DefaultStorageClass, and the
// --enable/--disable-admission-plugins flags.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/output.js';
import { runServe } from '../../src/cli/serve.js';
import { BACKENDS } from '../helpers/backends.js';
import { type SuiteEnv, useEnv } from '../helpers/env.js';

const privilegedPod = (ns: string) => `apiVersion: v1
kind: Pod
metadata:
  name: x
  namespace: ${ns}
spec:
  containers:
  - name: c
    image: nginx
    securityContext:
      privileged: true
`;

const pvc = (ns: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: ${ns}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
`;

const defaultStorageClass = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: example.com/fake
`;

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON, read field by field in assertions
async function json(s: SuiteEnv, args: string[]): Promise<Record<string, any>> {
  const r = await s.kubectl([...args, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : {};
}

describe.each(BACKENDS)('admission plugins on %s storage', (storage) => {
  const s = useEnv(storage, { apiserverArgs: ['--controllers=resourcequota'] });

  it('ResourceQuota refuses the second pod with kube’s message and keeps status.used', async () => {
    expect((await s.kubectl(['create', 'namespace', 'quota'])).code).toBe(0);
    expect((await s.kubectl(['create', 'quota', 'q', '-n', 'quota', '--hard=pods=1,configmaps=5'])).code).toBe(0);
    // The quota controller computes usage first (until then kube refuses with "status unknown for quota").
    const computed = await until(
      () => json(s, ['get', 'resourcequota', 'q', '-n', 'quota']),
      (q) => q.status?.used?.pods === '0',
    );
    expect(computed.status).toEqual({ hard: { configmaps: '5', pods: '1' }, used: { configmaps: '0', pods: '0' } });
    expect((await s.kubectl(['run', 'p1', '--image=nginx', '-n', 'quota'])).code).toBe(0);
    expect((await json(s, ['get', 'resourcequota', 'q', '-n', 'quota'])).status.used).toEqual({ configmaps: '0', pods: '1' });
    const second = await s.kubectl(['run', 'p2', '--image=nginx', '-n', 'quota']);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      'Error from server (Forbidden): pods "p2" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1\n',
    );
    // Deleting the pod gives the usage back (the controller recomputes).
    expect((await s.kubectl(['delete', 'pod', 'p1', '-n', 'quota', '--wait=false'])).code).toBe(0);
    const released = await until(
      () => json(s, ['get', 'resourcequota', 'q', '-n', 'quota']),
      (q) => q.status?.used?.pods === '0',
    );
    expect(released.status.used.pods).toBe('0');
  });

  it('ResourceQuota limits object counts (count/configmaps)', async () => {
    expect((await s.kubectl(['create', 'namespace', 'cmquota'])).code).toBe(0);
    expect((await s.kubectl(['create', 'quota', 'q', '-n', 'cmquota', '--hard=count/configmaps=1'])).code).toBe(0);
    await until(
      () => json(s, ['get', 'resourcequota', 'q', '-n', 'cmquota']),
      (q) => q.status?.used !== undefined,
    );
    expect((await s.kubectl(['create', 'configmap', 'a', '-n', 'cmquota'])).code).toBe(0);
    const refused = await s.kubectl(['create', 'configmap', 'b', '-n', 'cmquota']);
    expect(refused.stderr).toBe(
      'error: failed to create configmap: configmaps "b" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1\n',
    );
  });

  it('PodSecurity restricted refuses a privileged pod with kubectl’s exact output', async () => {
    expect((await s.kubectl(['create', 'namespace', 'secure'])).code).toBe(0);
    expect((await s.kubectl(['label', 'namespace', 'secure', 'pod-security.kubernetes.io/enforce=restricted'])).code).toBe(0);
    const r = await s.kubectl(['apply', '-f', '-'], privilegedPod('secure'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")\n',
    );
    // warn mode: admitted, with kube's warning on stderr.
    expect((await s.kubectl(['create', 'namespace', 'warned'])).code).toBe(0);
    expect((await s.kubectl(['label', 'namespace', 'warned', 'pod-security.kubernetes.io/warn=baseline'])).code).toBe(0);
    const w = await s.kubectl(['apply', '-f', '-'], privilegedPod('warned'));
    expect(w.code).toBe(0);
    expect(w.stderr).toBe(
      'Warning: would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)\n',
    );
  });

  it('LimitRanger applies the namespace defaults', async () => {
    expect((await s.kubectl(['create', 'namespace', 'limits'])).code).toBe(0);
    const lr = `apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: limits}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
`;
    expect((await s.kubectl(['apply', '-f', '-'], lr)).code).toBe(0);
    expect((await s.kubectl(['run', 'web', '--image=nginx', '-n', 'limits'])).code).toBe(0);
    const pod = await json(s, ['get', 'pod', 'web', '-n', 'limits']);
    expect(pod.spec.containers[0].resources).toEqual({
      limits: { cpu: '500m', memory: '256Mi' },
      requests: { cpu: '100m', memory: '128Mi' },
    });
    expect(pod.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web',
    );
  });

  it('DefaultStorageClass gives a classless claim the default class', async () => {
    expect((await s.kubectl(['apply', '-f', '-'], defaultStorageClass)).code).toBe(0);
    expect((await s.kubectl(['create', 'namespace', 'claims'])).code).toBe(0);
    expect((await s.kubectl(['apply', '-f', '-'], pvc('claims'))).code).toBe(0);
    const claim = await json(s, ['get', 'pvc', 'data', '-n', 'claims']);
    expect(claim.spec.storageClassName).toBe('standard');
    expect(claim.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
  });

  describe('with limitedResources from --admission-control-config-file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kapi-admission-e2e-'));
    const file = path.join(dir, 'admission.yaml');
    writeFileSync(
      file,
      `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ResourceQuota
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: ResourceQuotaConfiguration
    limitedResources:
    - resource: pods
      matchContains: [memory]
`,
    );
    const limited = useEnv(storage, { apiserverArgs: [`--admission-control-config-file=${file}`] });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses consumption no quota covers', async () => {
      const r = await limited.kubectl([
        'run',
        'big',
        '--image=nginx',
        '--overrides={"spec":{"containers":[{"name":"big","image":"nginx","resources":{"requests":{"memory":"1Gi"}}}]}}',
      ]);
      expect(r.stderr).toBe(
        'Error from server (Forbidden): pods "big" is forbidden: insufficient quota to consume: memory,requests.memory\n',
      );
      expect((await limited.kubectl(['run', 'small', '--image=nginx'])).code).toBe(0);
    });
  });

  describe('with --disable-admission-plugins=DefaultStorageClass,PodSecurity', () => {
    const off = useEnv(storage, { apiserverArgs: ['--disable-admission-plugins=DefaultStorageClass,PodSecurity'] });

    it('leaves the claim classless and the privileged pod admitted', async () => {
      expect((await off.kubectl(['apply', '-f', '-'], defaultStorageClass)).code).toBe(0);
      expect((await off.kubectl(['apply', '-f', '-'], pvc('default'))).code).toBe(0);
      expect((await json(off, ['get', 'pvc', 'data'])).spec.storageClassName).toBeUndefined();
      expect((await off.kubectl(['label', 'namespace', 'default', 'pod-security.kubernetes.io/enforce=restricted'])).code).toBe(0);
      const r = await off.kubectl(['apply', '-f', '-'], privilegedPod('default'));
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('pod/x created\n');
    });
  });
});

describe('kapi-env serve with admission plugin flags', () => {
  it("refuses an unknown plugin name with kube's message (exit code 2)", async () => {
    const err = await runServe(['--storage-backend=memory', '--secure-port=0', '--enable-admission-plugins=LimitRanger,Foo']).catch(
      (e) => e,
    );
    expect(err.message).toBe('enable-admission-plugins plugin "Foo" is unknown');
    const writes: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => writes.push(chunk)) as typeof process.stderr.write;
    try {
      expect(reportError(err)).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(writes.join('')).toBe('kapi-env: enable-admission-plugins plugin "Foo" is unknown\n');
    const both = await runServe([
      '--storage-backend=memory',
      '--disable-admission-plugins=Bar',
      '--enable-admission-plugins=PodSecurity',
      '--disable-admission-plugins=PodSecurity',
    ]).catch((e) => e);
    expect(both.message).toBe(
      '[disable-admission-plugins plugin "Bar" is unknown, [PodSecurity] in enable-admission-plugins and disable-admission-plugins overlapped]',
    );
  });
});

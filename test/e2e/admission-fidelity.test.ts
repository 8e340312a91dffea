// Admission as kube-apiserver answers it, through kubectl and the REST client, on one server:
// a webhook-patched object decoded and defaulted again (pods and custom resources), PodSecurity's
// version labels, exemptions and namespace warnings, ValidatingAdmissionPolicy type checking and
// CEL syntax errors, NodeRestriction refusing a kubelet what is not its own, and EventRateLimit.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useEnv } from '../helpers/env.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kapi-admission-fidelity-'));
const configFile = path.join(dir, 'admission.yaml');
writeFileSync(
  configFile,
  `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: privileged}
    exemptions: {namespaces: [exempt-ns]}
- name: EventRateLimit
  configuration:
    apiVersion: eventratelimit.admission.k8s.io/v1alpha1
    kind: Configuration
    limits:
    - {type: Namespace, qps: 0.01, burst: 2}
`,
);

// biome-ignore lint/suspicious/noExplicitAny: JSON read field by field in assertions
type Json = Record<string, any>;

const privilegedPod = (ns: string, name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers:
  - name: c
    image: nginx
    securityContext: {privileged: true}
`;

describe('admission fidelity', () => {
  // Inline: the sources under test, not a build that may predate them.
  const s = useEnv('memory', {
    serverThread: 'inline',
    apiserverArgs: ['--enable-admission-plugins=NodeRestriction,EventRateLimit', `--admission-control-config-file=${configFile}`],
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a container a mutating webhook adds is defaulted, and fields the type lacks are dropped', async () => {
    const hook = await s.env.webhooks.mutate({
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      objectSelector: { matchLabels: { sidecar: 'yes' } },
      handler: () => ({
        allowed: true,
        patch: [{ op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'busybox:1.36', bogus: true } }],
      }),
    });
    try {
      const created = await s.client.call<Json>('POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'with-sidecar', labels: { sidecar: 'yes' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      });
      expect(created.status).toBe(201);
      const sidecar = created.body.spec.containers[1];
      expect(sidecar).toEqual({
        name: 'sidecar',
        image: 'busybox:1.36',
        imagePullPolicy: 'IfNotPresent',
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      });
    } finally {
      await hook.remove();
    }
  });

  it('a custom resource patched by a webhook gets its schema defaults and is pruned', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.fidelity.example.com' },
      spec: {
        group: 'fidelity.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: {
                      size: { type: 'integer' },
                      tuning: { type: 'object', properties: { mode: { type: 'string', default: 'fast' } } },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    };
    expect((await s.client.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    expect((await s.kubectl(['wait', '--for=condition=Established', 'crd/widgets.fidelity.example.com', '--timeout=20s'])).code).toBe(0);
    const hook = await s.env.webhooks.mutate({
      rules: [{ operations: ['CREATE'], apiGroups: ['fidelity.example.com'], apiVersions: ['v1'], resources: ['widgets'] }],
      handler: () => ({
        allowed: true,
        patch: [
          { op: 'add', path: '/spec/tuning', value: {} },
          { op: 'add', path: '/spec/junk', value: 1 },
        ],
      }),
    });
    try {
      const out = await s.kubectl(
        ['create', '-f', '-', '-o', 'json'],
        'apiVersion: fidelity.example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\nspec: {size: 1}\n',
      );
      expect(out.stderr).toBe('');
      expect(JSON.parse(out.stdout).spec).toEqual({ size: 1, tuning: { mode: 'fast' } });
    } finally {
      await hook.remove();
    }
  });

  it('PodSecurity: version labels, kube’s warnings, invalid labels and exempt namespaces', async () => {
    expect((await s.kubectl(['create', 'namespace', 'psa'])).code).toBe(0);
    const invalid = await s.kubectl(['label', 'ns', 'psa', 'pod-security.kubernetes.io/enforce-version=1.30']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe(
      'The Namespace "psa" is invalid: metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.30": must be "latest" or "v1.x"\n',
    );
    expect((await s.kubectl(['apply', '-f', '-'], privilegedPod('psa', 'priv'))).code).toBe(0);
    const tightened = await s.kubectl(['label', 'ns', 'psa', 'pod-security.kubernetes.io/enforce=baseline']);
    expect(tightened.stderr).toBe(
      'Warning: existing pods in namespace "psa" violate the new PodSecurity enforce level "baseline:latest"\nWarning: priv: privileged\n',
    );
    // warn at v1.22: runAsUser (from 1.23) is not checked yet.
    expect(
      (
        await s.kubectl([
          'label',
          'ns',
          'psa',
          'pod-security.kubernetes.io/warn=restricted',
          'pod-security.kubernetes.io/warn-version=v1.22',
        ])
      ).code,
    ).toBe(0);
    const warned = await s.kubectl([
      'run',
      'root',
      '-n',
      'psa',
      '--image=nginx',
      '--overrides={"spec":{"securityContext":{"runAsUser":0}}}',
    ]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe(
      'Warning: would violate PodSecurity "restricted:v1.22": allowPrivilegeEscalation != false (container "root" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "root" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "root" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "root" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")\n',
    );
    expect((await s.kubectl(['create', 'namespace', 'exempt-ns'])).code).toBe(0);
    const exempt = await s.kubectl(['label', 'ns', 'exempt-ns', 'pod-security.kubernetes.io/enforce=restricted']);
    expect(exempt.stderr).toBe(
      'Warning: namespace "exempt-ns" is exempt from Pod Security, and the policy (enforce=restricted:latest) will be ignored\n',
    );
    expect((await s.kubectl(['apply', '-f', '-'], privilegedPod('exempt-ns', 'priv'))).code).toBe(0);
  });

  it('ValidatingAdmissionPolicy: type mismatches in status.typeChecking, syntax errors refused in cel-go’s words', async () => {
    const policy = (name: string, expression: string) => `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ${name}}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "${expression}"
`;
    const bad = await s.kubectl(['apply', '-f', '-'], policy('syntax', 'object.spec.replicas <'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `spec.validations[0].expression: Invalid value: "object.spec.replicas <": compilation failed: ERROR: <input>:1:23: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | object.spec.replicas <\n | ......................^`,
    );
    expect((await s.kubectl(['apply', '-f', '-'], policy('mismatch', "object.spec.replicas == 'x'"))).code).toBe(0);
    let status: Json | undefined;
    for (let i = 0; i < 100 && !status?.typeChecking; i++) {
      status = (await s.client.call<Json>('GET', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/mismatch')).body.status;
      if (!status?.typeChecking) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status?.typeChecking).toEqual({
      expressionWarnings: [
        {
          fieldRef: 'spec.validations[0].expression',
          warning:
            "apps/v1, Kind=Deployment: ERROR: <input>:1:22: found no matching overload for '_==_' applied to '(int, string)'\n | object.spec.replicas == 'x'\n | .....................^\n",
        },
      ],
    });
  });

  it('EventRateLimit: events past the namespace’s burst are refused with 429', async () => {
    const post = () =>
      s.client.call<Json>('POST', '/api/v1/namespaces/default/events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: 'e-' },
        involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
        reason: 'Test',
      });
    expect((await post()).status).toBe(201);
    expect((await post()).status).toBe(201);
    const refused = await post();
    expect([refused.status, refused.body.reason, refused.body.message]).toEqual([
      429,
      'TooManyRequests',
      'Too many requests: limit reached on type Namespace for key default',
    ]);
  });

  it('NodeRestriction: a kubelet may label its own Node, not another, and not with restricted labels', async () => {
    for (const name of ['n1', 'n2'])
      expect((await s.client.call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } })).status).toBe(201);
    // system:masters lets the authorizer allow everything: what is refused is NodeRestriction's doing.
    const kubelet = await s.env.addUser({ name: 'system:node:n1', groups: ['system:nodes', 'system:masters'] });
    try {
      const as = (args: string[]) => s.kubectl(['--kubeconfig', kubelet.kubeconfigPath, ...args]);
      expect((await as(['label', 'node', 'n1', 'kubernetes.io/hostname=n1'])).code).toBe(0);
      const other = await as(['label', 'node', 'n2', 'x=y']);
      expect(other.stderr).toBe('Error from server (Forbidden): nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"\n');
      const restricted = await as(['label', 'node', 'n1', 'node-restriction.kubernetes.io/pool=a']);
      expect(restricted.stderr).toBe(
        'Error from server (Forbidden): nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool\n',
      );
      const pod = await as(['run', 'p', '--image=nginx']);
      expect(pod.stderr).toBe(
        'Error from server (Forbidden): pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods\n',
      );
    } finally {
      await kubelet.client.close();
    }
  });
});

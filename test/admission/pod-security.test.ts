import { describe, expect, it } from 'vitest';
import { CORE } from '../../src/server/admission/plugins/deps.js';
import { PodSecurity, policyFromLabels } from '../../src/server/admission/plugins/pod-security.js';
import { attrs, descriptor, FakeObjects, PODS, pod, refusal } from './fake-objects.js';

const ns = (labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels } });
const enforce = (level: string) => new FakeObjects().add(CORE('namespaces'), ns({ 'pod-security.kubernetes.io/enforce': level }));

const RESTRICTED_OK = {
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  },
};

describe('PodSecurity', () => {
  it('refuses a privileged pod under restricted with every violation, in kube order', async () => {
    const p = pod('x', [{ name: 'c', image: 'nginx', securityContext: { privileged: true } }]);
    expect(await refusal(new PodSecurity(enforce('restricted')).validate(attrs('CREATE', PODS, p)))).toBe(
      'pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('admits a restricted-conformant pod, and baseline checks host namespaces, ports and hostPath', async () => {
    await new PodSecurity(enforce('restricted')).validate(attrs('CREATE', PODS, pod('ok', [{ name: 'c', ...RESTRICTED_OK }])));
    const p = pod('h', [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }], {
      hostNetwork: true,
      hostPID: true,
      volumes: [{ name: 'root', hostPath: { path: '/' } }],
    });
    expect(await refusal(new PodSecurity(enforce('baseline:')).validate(attrs('CREATE', PODS, p)))).toContain(
      'violates PodSecurity "restricted:latest"',
    );
    expect(await refusal(new PodSecurity(enforce('baseline')).validate(attrs('CREATE', PODS, p)))).toBe(
      'pods "h" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "root"), hostPort (container "c" uses hostPort 8080)',
    );
  });

  it('warns (warn label) without refusing, for pods and workload templates', async () => {
    const objects = new FakeObjects().add(
      CORE('namespaces'),
      ns({ 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.32' }),
    );
    const a = attrs('CREATE', PODS, pod('p', [{ name: 'c', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }]));
    await new PodSecurity(objects).validate(a);
    expect(a.warnings).toEqual([
      'would violate PodSecurity "baseline:v1.32": non-default capabilities (container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
    ]);
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns' },
      spec: { template: { spec: { containers: [{ name: 'c', securityContext: { privileged: true } }] } } },
    };
    const da = attrs('CREATE', descriptor('apps', 'deployments', 'Deployment'), d);
    await new PodSecurity(objects).validate(da);
    expect(da.warnings).toEqual([
      'would violate PodSecurity "baseline:v1.32": privileged (container "c" must not set securityContext.privileged=true)',
    ]);
  });

  it('refuses invalid labels on namespaces and warns about existing pods when enforce tightens', async () => {
    const bad = ns({ 'pod-security.kubernetes.io/enforce': 'strict' });
    expect(
      await refusal(new PodSecurity(new FakeObjects()).validate(attrs('CREATE', descriptor('', 'namespaces', 'Namespace', false), bad))),
    ).toBe(
      'Namespace "ns" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
    );
    const objects = new FakeObjects().add(CORE('pods'), pod('priv', [{ name: 'c', securityContext: { privileged: true } }]));
    const a = attrs('UPDATE', descriptor('', 'namespaces', 'Namespace', false), ns({ 'pod-security.kubernetes.io/enforce': 'baseline' }), {
      oldObject: ns({}) as never,
    });
    await new PodSecurity(objects).validate(a);
    expect(a.warnings).toEqual([
      'existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"',
      'priv: privileged',
    ]);
  });

  it('parses policies as PolicyToEvaluate does', () => {
    const p = policyFromLabels({ 'pod-security.kubernetes.io/enforce': 'nope', 'pod-security.kubernetes.io/warn': 'nope' });
    expect([p.enforce.level, p.warn.level, p.errors.length]).toEqual(['restricted', 'privileged', 2]);
  });
});

import { describe, expect, it } from 'vitest';
import { CORE } from '../../src/server/admission/plugins/deps.js';
import { PodSecurity, podSecurityConfig, policyFromLabels } from '../../src/server/admission/plugins/pod-security.js';
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

describe('PodSecurity versions, exemptions and audit', () => {
  const labelled = (labels: Record<string, string>) => new FakeObjects().add(CORE('namespaces'), ns(labels));
  const restrictedRoot = () =>
    pod('root', [{ name: 'c', ...RESTRICTED_OK, securityContext: { ...RESTRICTED_OK.securityContext, runAsUser: 0 } }]);

  it('the version label picks the checks registered for that version (runAsUser from 1.23, sysctls by version)', async () => {
    const v122 = labelled({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.22' });
    await new PodSecurity(v122).validate(attrs('CREATE', PODS, restrictedRoot()));
    expect(await refusal(new PodSecurity(enforce('restricted')).validate(attrs('CREATE', PODS, restrictedRoot())))).toBe(
      'pods "root" is forbidden: violates PodSecurity "restricted:latest": runAsUser=0 (container "c" must not set runAsUser=0)',
    );
    const rmem = pod('s', [{ name: 'c' }], { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '4096 87380 6291456' }] } });
    const v131 = labelled({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.31' });
    expect(await refusal(new PodSecurity(v131).validate(attrs('CREATE', PODS, rmem)))).toBe(
      'pods "s" is forbidden: violates PodSecurity "baseline:v1.31": forbidden sysctls (net.ipv4.tcp_rmem)',
    );
    await new PodSecurity(enforce('baseline')).validate(attrs('CREATE', PODS, rmem));
    // Before 1.19 the seccomp check reads the alpha annotations; a version beyond the newest check is the newest.
    const annotated = pod('a', [{ name: 'c' }]);
    annotated.metadata!.annotations = { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' };
    const v118 = labelled({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.18' });
    expect(await refusal(new PodSecurity(v118).validate(attrs('CREATE', PODS, annotated)))).toBe(
      'pods "a" is forbidden: violates PodSecurity "baseline:v1.18": seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
    );
    const v140 = labelled({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.40' });
    await new PodSecurity(v140).validate(attrs('CREATE', PODS, rmem));
  });

  it('a Windows pod needs no allowPrivilegeEscalation, capabilities or seccomp profile from 1.25 on', async () => {
    const win = pod('w', [{ name: 'c' }], { os: { name: 'windows' }, securityContext: { runAsNonRoot: true } });
    await new PodSecurity(enforce('restricted')).validate(attrs('CREATE', PODS, win));
    const v124 = labelled({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.24' });
    expect(await refusal(new PodSecurity(v124).validate(attrs('CREATE', PODS, win)))).toContain('allowPrivilegeEscalation != false');
  });

  it('warn follows a stricter enforce level when unlabelled, so workload templates are warned about', async () => {
    const p = policyFromLabels({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.30',
    });
    expect(p.warn).toEqual({ level: 'restricted', version: 'v1.30' });
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns' },
      spec: { template: { spec: { containers: [{ name: 'c', securityContext: { privileged: true } }] } } },
    };
    const da = attrs('CREATE', descriptor('apps', 'deployments', 'Deployment'), d);
    await new PodSecurity(enforce('baseline')).validate(da);
    expect(da.warnings).toEqual([
      'would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)',
    ]);
  });

  it('audit violations and the enforced policy become audit annotations', async () => {
    const objects = labelled({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/audit': 'restricted' });
    const a = attrs('CREATE', PODS, pod('p', [{ name: 'c' }]));
    await new PodSecurity(objects).validate(a);
    expect(a.auditAnnotations).toEqual({
      'pod-security.kubernetes.io/enforce-policy': 'baseline:latest',
      'pod-security.kubernetes.io/audit-violations':
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    });
    const privileged = attrs('CREATE', PODS, pod('p', [{ name: 'c' }]));
    await new PodSecurity(new FakeObjects().add(CORE('namespaces'), ns({}))).validate(privileged);
    expect(privileged.auditAnnotations).toEqual({ 'pod-security.kubernetes.io/enforce-policy': 'privileged:latest' });
  });

  it('exemptions from the configuration: usernames, runtimeClasses, namespaces; defaults apply to unlabelled namespaces', async () => {
    const config = podSecurityConfig({
      apiVersion: 'pod-security.admission.config.k8s.io/v1',
      kind: 'PodSecurityConfiguration',
      defaults: { enforce: 'baseline', 'enforce-version': 'v1.30' },
      exemptions: { usernames: ['ci-bot'], runtimeClasses: ['kata'], namespaces: ['ns'] },
    });
    const privileged = () => pod('x', [{ name: 'c', securityContext: { privileged: true } }], {}, 'other');
    const objects = new FakeObjects().add(CORE('namespaces'), { metadata: { name: 'other' } });
    expect(await refusal(new PodSecurity(objects, config).validate(attrs('CREATE', PODS, privileged())))).toBe(
      'pods "x" is forbidden: violates PodSecurity "baseline:v1.30": privileged (container "c" must not set securityContext.privileged=true)',
    );
    const byUser = attrs('CREATE', PODS, privileged(), { user: { username: 'ci-bot', groups: [] } });
    await new PodSecurity(objects, config).validate(byUser);
    expect(byUser.auditAnnotations).toEqual({ 'pod-security.kubernetes.io/exempt': 'user' });
    const kata = privileged();
    (kata.spec as Record<string, unknown>).runtimeClassName = 'kata';
    const byClass = attrs('CREATE', PODS, kata);
    await new PodSecurity(objects, config).validate(byClass);
    expect(byClass.auditAnnotations).toEqual({ 'pod-security.kubernetes.io/exempt': 'runtimeClass' });
    const inNs = attrs('CREATE', PODS, pod('x', [{ name: 'c', securityContext: { privileged: true } }]));
    await new PodSecurity(enforce('restricted'), config).validate(inNs);
    expect(inNs.auditAnnotations).toEqual({ 'pod-security.kubernetes.io/exempt': 'namespace' });
    // Labelling an exempt namespace is allowed, with kube's warning that the policy is ignored.
    const nsd = descriptor('', 'namespaces', 'Namespace', false);
    const label = attrs('UPDATE', nsd, ns({ 'pod-security.kubernetes.io/enforce': 'restricted' }), {
      oldObject: ns({}) as never,
      namespace: 'ns',
    });
    await new PodSecurity(new FakeObjects(), config).validate(label);
    expect(label.warnings).toEqual([
      'namespace "ns" is exempt from Pod Security, and the policy (enforce=restricted:v1.30) will be ignored',
    ]);
  });

  it('an invalid version label is refused on the namespace; existing pods are reported sorted, counted per reason', async () => {
    const nsd = descriptor('', 'namespaces', 'Namespace', false);
    expect(
      await refusal(
        new PodSecurity(new FakeObjects()).validate(attrs('CREATE', nsd, ns({ 'pod-security.kubernetes.io/warn-version': '1.30' }))),
      ),
    ).toBe(
      'Namespace "ns" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": must be "latest" or "v1.x"',
    );
    const objects = new FakeObjects()
      .add(CORE('pods'), pod('z-host', [{ name: 'c' }], { hostNetwork: true }))
      .add(CORE('pods'), pod('b-priv', [{ name: 'c', securityContext: { privileged: true } }]))
      .add(CORE('pods'), pod('a-priv', [{ name: 'c', securityContext: { privileged: true } }]));
    const a = attrs('UPDATE', nsd, ns({ 'pod-security.kubernetes.io/enforce': 'baseline' }), { oldObject: ns({}) as never });
    await new PodSecurity(objects).validate(a);
    expect(a.warnings).toEqual([
      'existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"',
      'a-priv (and 1 other pod): privileged',
      'z-host: host namespaces',
    ]);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitedResourcesFrom } from '../../src/server/admission/plugins/resource-quota.js';
import { readAdmissionConfiguration } from '../../src/server/admission-setup.js';
import { parseServeFlags } from '../../src/server/config.js';

describe('--admission-control-config-file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kapi-admission-'));
    await writeFile(
      path.join(dir, 'admission.yaml'),
      `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ResourceQuota
  path: quota.yaml
- name: PodSecurity
  configuration: {apiVersion: pod-security.admission.config.k8s.io/v1, kind: PodSecurityConfiguration}
`,
    );
    await writeFile(
      path.join(dir, 'quota.yaml'),
      `apiVersion: apiserver.config.k8s.io/v1
kind: ResourceQuotaConfiguration
limitedResources:
- resource: pods
  matchContains: [cpu]
`,
    );
    await writeFile(path.join(dir, 'wrong.yaml'), 'apiVersion: v1\nkind: ConfigMap\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads each plugin's configuration, from a path relative to the file or inline", async () => {
    const config = await readAdmissionConfiguration(path.join(dir, 'admission.yaml'));
    expect(limitedResourcesFrom(config.get('ResourceQuota'))).toEqual([{ apiGroup: '', resource: 'pods', matchContains: ['cpu'] }]);
    expect(config.get('PodSecurity')).toMatchObject({ kind: 'PodSecurityConfiguration' });
  });

  it('fails as kube-apiserver does on a missing file or another kind', async () => {
    await expect(readAdmissionConfiguration(path.join(dir, 'none.yaml'))).rejects.toThrow(
      `failed to read plugin config: unable to read admission control configuration from "${path.join(dir, 'none.yaml')}"`,
    );
    await expect(readAdmissionConfiguration(path.join(dir, 'wrong.yaml'))).rejects.toThrow(
      'failed to read plugin config: unexpected type: ConfigMap',
    );
  });

  it('parses the flags as pflag string slices', () => {
    const f = parseServeFlags([
      '--enable-admission-plugins=AlwaysPullImages,ServiceAccount',
      '--disable-admission-plugins',
      'LimitRanger',
      '--admission-control-config-file=/x.yaml',
    ]);
    expect([f.enableAdmissionPlugins, f.disableAdmissionPlugins, f.admissionControlConfigFile]).toEqual([
      ['AlwaysPullImages', 'ServiceAccount'],
      ['LimitRanger'],
      '/x.yaml',
    ]);
    expect(() => parseServeFlags(['--disable-admission-plugins=Nope'])).toThrow('disable-admission-plugins plugin "Nope" is unknown');
  });
});

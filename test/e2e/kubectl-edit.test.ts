// `kubectl edit` end to end on every backend, non-interactively: KUBE_EDITOR is a `sed` script run on
// the YAML kubectl opens. kubectl then diffs the edited object against the original and sends a
// two-way strategic merge patch (a list of containers merged by name, a removed map key as null);
// what is stored must be that merge, and kubectl prints its `edited` line.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { type SuiteEnv, useEnv } from '../helpers/env.js';

const NS = 'default';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        ports: [{name: http, containerPort: 8080}]
        env: [{name: LOG_LEVEL, value: info}]
      - name: sidecar
        image: busybox:1.36
`;

const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${NS}}
data:
  color: blue
  size: large
  stale: "yes"
`;

describe.each(BACKENDS)('kubectl edit on %s storage', (storage) => {
  const s: SuiteEnv = useEnv(storage);

  /** kubectl with KUBE_EDITOR set (kubectl runs it through `sh -c` with the temp file appended). */
  const edit = (args: string[], editor: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        'kubectl',
        ['--kubeconfig', s.env.kubeconfigPath, 'edit', ...args],
        { timeout: 30_000, env: { ...process.env, KUBE_EDITOR: editor, EDITOR: '' } },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk decoded JSON
  const get = async (kind: string, name: string): Promise<Record<string, any>> => {
    const r = await s.kubectl(['get', kind, name, '-n', NS, '-o', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };

  it('edits a Deployment: the containers list is merged by name (strategic merge patch)', async () => {
    expect((await s.kubectl(['create', '-f', '-'], DEPLOYMENT)).stdout).toBe('deployment.apps/web created\n');
    const before = await get('deployment', 'web');
    // -v=8: kubectl logs the request it sends (stderr) — a strategic merge patch of what changed.
    const r = await edit(
      ['deployment', 'web', '-n', NS, '-v=8'],
      `sed -i -e 's/image: nginx:1.25/image: nginx:1.27/' -e 's/^  replicas: 1$/  replicas: 3/'`,
    );
    expect(r.stdout).toBe('deployment.apps/web edited\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      '"Request Body" body="{\\"spec\\":{\\"replicas\\":3,\\"template\\":{\\"spec\\":{\\"$setElementOrder/containers\\":[{\\"name\\":\\"app\\"},{\\"name\\":\\"sidecar\\"}],\\"containers\\":[{\\"image\\":\\"nginx:1.27\\",\\"name\\":\\"app\\"}]}}}}"',
    );
    expect(r.stderr).toMatch(/PATCH https:\/\/[^ ]+\/apis\/apps\/v1\/namespaces\/default\/deployments\/web\?fieldManager=kubectl-edit/);
    expect(r.stderr).toContain('Content-Type: application/strategic-merge-patch+json');
    expect(r.stderr).toMatch(/Response Status: 200 OK/);
    const d = await get('deployment', 'web');
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.generation).toBe(before.metadata.generation + 1);
    // Only the image changed in the first container; its ports, env and defaults and the second
    // container are kept (a JSON merge patch would have replaced the whole list).
    const [app, sidecar] = d.spec.template.spec.containers;
    expect(app).toEqual({ ...before.spec.template.spec.containers[0], image: 'nginx:1.27' });
    expect(app.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(app.env).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
    expect(sidecar).toEqual(before.spec.template.spec.containers[1]);
  });

  it('edits a ConfigMap: a changed value, an added key, a removed key', async () => {
    expect((await s.kubectl(['create', '-f', '-'], CONFIGMAP)).stdout).toBe('configmap/settings created\n');
    const r = await edit(
      ['configmap', 'settings', '-n', NS],
      `sed -i -e 's/^  color: blue$/  color: green\\n  shape: round/' -e '/^  stale: /d'`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('configmap/settings edited\n');
    const cm = await get('configmap', 'settings');
    expect(cm.data).toEqual({ color: 'green', shape: 'round', size: 'large' });
  });

  it('an edit that changes nothing is cancelled and sends nothing', async () => {
    const before = await get('configmap', 'settings');
    const r = await edit(['configmap', 'settings', '-n', NS], 'true');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Edit cancelled, no changes made.\n');
    expect((await get('configmap', 'settings')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('an edit the server rejects reopens with kube’s causes, then is cancelled', async () => {
    // The editor logs each file kubectl opens: the second carries the Status causes as comments.
    const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-edit-'));
    try {
      const log = path.join(dir, 'opened.yaml');
      const r = await edit(
        ['deployment', 'web', '-n', NS],
        `f() { echo "$1" >> ${dir}/paths; cat "$1" >> ${log}; echo '---' >> ${log}; sed -i -e 's/^  replicas: 3$/  replicas: -1/' "$1"; }; f`,
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^error: deployments\.apps "web" is invalid\nA copy of your changes has been stored to "[^"]+"\nerror: Edit cancelled, no valid changes were saved\.\n$/,
      );
      const opened = readFileSync(log, 'utf8').split('---\n');
      expect(opened[1]).toContain(
        '# deployments.apps "web" was not valid:\n# * spec.replicas: Invalid value: -1: must be greater than or equal to 0\n',
      );
      expect((await get('deployment', 'web')).spec.replicas).toBe(3);
      // kubectl keeps the rejected edit (the file it opened, and a copy): removed here.
      const kept = [/stored to "([^"]+)"/.exec(r.stderr)?.[1], ...readFileSync(path.join(dir, 'paths'), 'utf8').split('\n')];
      for (const f of kept) if (f) rmSync(f, { force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// namespaces/finalize (kube's FinalizeREST): the only way to change a namespace's spec.finalizers, and how
// test suites without a namespace controller finish a namespace stuck in Terminating.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

interface Namespace {
  metadata: { name: string; resourceVersion?: string };
  spec?: { finalizers?: string[] };
  status?: { phase?: string };
}

describe.each(BACKENDS)('namespaces/finalize on %s storage', (storage) => {
  const s = useEnv(storage);
  const get = async (name: string): Promise<{ code: number; ns?: Namespace; stderr: string }> => {
    const r = await s.kubectl(['get', 'ns', name, '-o', 'json']);
    return { code: r.code, ns: r.code === 0 ? (JSON.parse(r.stdout) as Namespace) : undefined, stderr: r.stderr };
  };
  const finalize = (ns: Namespace) =>
    s.kubectl(['replace', '--raw', `/api/v1/namespaces/${ns.metadata.name}/finalize`, '-f', '-'], JSON.stringify(ns));

  it('empties spec.finalizers of a terminating namespace, which then goes', async () => {
    expect((await s.kubectl(['create', 'ns', 'fin'])).code).toBe(0);
    expect((await s.kubectl(['create', 'configmap', 'c', '-n', 'fin'])).code).toBe(0);
    expect((await s.kubectl(['delete', 'ns', 'fin', '--wait=false'])).code).toBe(0);
    const terminating = (await get('fin')).ns!;
    expect(terminating.status?.phase).toBe('Terminating');
    expect(terminating.spec?.finalizers).toEqual(['kubernetes']);
    const r = await finalize({ ...terminating, spec: { finalizers: [] } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'Namespace', metadata: { name: 'fin' } });
    const gone = await get('fin');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('namespaces "fin" not found');
  });

  it('is the only way to change spec.finalizers; names are checked as kube checks them', async () => {
    expect((await s.kubectl(['create', 'ns', 'fin2'])).code).toBe(0);
    const ns = (await get('fin2')).ns!;
    // The main resource ignores spec.finalizers.
    const replaced = await s.kubectl(['replace', '-f', '-'], JSON.stringify({ ...ns, spec: { finalizers: ['example.com/x'] } }));
    expect(replaced.code).toBe(0);
    expect((await get('fin2')).ns!.spec?.finalizers).toEqual(['kubernetes']);
    // /finalize changes them; a live namespace stays.
    const fresh = (await get('fin2')).ns!;
    expect((await finalize({ ...fresh, spec: { finalizers: ['kubernetes', 'example.com/x'] } })).code).toBe(0);
    expect((await get('fin2')).ns!.spec?.finalizers).toEqual(['kubernetes', 'example.com/x']);
    const bad = await finalize({ ...(await get('fin2')).ns!, spec: { finalizers: ['custom'] } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'Namespace "fin2" is invalid: spec.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    );
    // Discovery lists it as kube does: update only.
    const resources = JSON.parse((await s.kubectl(['get', '--raw', '/api/v1'])).stdout) as {
      resources: Array<{ name: string; verbs: string[] }>;
    };
    expect(resources.resources.find((r) => r.name === 'namespaces/finalize')).toMatchObject({ kind: 'Namespace', verbs: ['update'] });
  });
});

// Two `kapi-env serve` processes on one etcd (the built CLI, as kube-apiserver replicas run): a
// write through one is read and watched through the other at the same resourceVersion, a CRD
// created through one is served by the other, and each process's identity Lease lists it in the
// `kubernetes` endpoints.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/env/client.js';
import { type EtcdProcess, startNativeEtcd } from '../../src/etcd/index.js';
import { createPki, type PkiWithCA } from '../../src/pki/index.js';
import { etcdBinary } from '../helpers/backends.js';

const BIN = path.resolve(__dirname, '../../bin/kapi-env.js');

/** Starts `kapi-env serve` with these flags; resolves with its port once it prints its serving line. */
function serve(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /Serving securely on [^:]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d));
    child.once('exit', (code) => reject(new Error(`kapi-env serve exited ${code}: ${err}`)));
  });
}

describe.skipIf(!etcdBinary)('two kapi-env serve processes on one etcd (etcd)', () => {
  let etcd: EtcdProcess;
  let pki: PkiWithCA;
  let dir: string;
  const servers: Array<{ child: ChildProcess; port: number }> = [];
  const clients: RestClient[] = [];
  const client = (i: number): RestClient => clients[i]!;

  beforeAll(async () => {
    [etcd, pki, dir] = await Promise.all([
      startNativeEtcd({ binary: etcdBinary! }),
      createPki({ hosts: ['127.0.0.1'] }),
      mkdtemp(path.join(tmpdir(), 'kapi-ha-serve-')),
    ]);
    const files = { cert: 'serving.crt', key: 'serving.key', ca: 'ca.crt', sa: 'sa.key' } as const;
    await Promise.all([
      writeFile(path.join(dir, files.cert), pki.serving.certPem),
      writeFile(path.join(dir, files.key), pki.serving.keyPem),
      writeFile(path.join(dir, files.ca), pki.ca.certPem),
      writeFile(path.join(dir, files.sa), pki.serviceAccount.privateKeyPem),
    ]);
    const flags = [
      `--etcd-servers=${etcd.endpoint}`,
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--tls-cert-file=${path.join(dir, files.cert)}`,
      `--tls-private-key-file=${path.join(dir, files.key)}`,
      `--client-ca-file=${path.join(dir, files.ca)}`,
      `--service-account-signing-key-file=${path.join(dir, files.sa)}`,
    ];
    servers.push(...(await Promise.all([serve(flags), serve(flags)])));
    for (const s of servers)
      clients.push(
        new RestClient({
          server: `https://127.0.0.1:${s.port}`,
          caPem: pki.ca.certPem,
          certPem: pki.admin.certPem,
          keyPem: pki.admin.keyPem,
        }),
      );
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.close();
    // SIGTERM: each stops as kube-apiserver does (its Lease removed, requests drained).
    await Promise.all(
      servers.map(async (s) => {
        if (s.child.exitCode !== null) return;
        const exited = new Promise((resolve) => s.child.once('exit', resolve));
        s.child.kill('SIGTERM');
        await exited;
      }),
    );
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves a write through one to a read and a watch through the other, at the same resourceVersion', async () => {
    const list = await client(1).get<{ metadata: { resourceVersion: string } }>('/api/v1/namespaces/default/configmaps');
    const seen: Array<{ metadata: { name: string; resourceVersion: string } }> = [];
    const ctl = new AbortController();
    const watching = client(1).stream(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`,
      ctl.signal,
      (line) => {
        const ev = JSON.parse(line) as { type: string; object: (typeof seen)[number] };
        if (ev.type === 'ADDED' && ev.object.metadata.name === 'across') seen.push(ev.object);
        return seen.length === 0;
      },
    );
    const created = await client(0).post<{ metadata: { resourceVersion: string } }>('/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'across' },
      data: { a: 'b' },
    });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 10_000;
    while (!seen.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    ctl.abort();
    await watching.catch(() => undefined);
    expect(seen[0]?.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    const read = await client(1).get<{ metadata: { resourceVersion: string } }>('/api/v1/namespaces/default/configmaps/across');
    expect(read.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });

  it('serves a CRD created through one from the other', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.ha.example.com' },
      spec: {
        group: 'ha.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    expect((await client(0).post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    const path = '/apis/ha.example.com/v1/namespaces/default/widgets';
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await client(1).get(path)).status) !== 200) await new Promise((r) => setTimeout(r, 100));
    expect(status).toBe(200);
    const w = await client(1).post(path, { apiVersion: 'ha.example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { n: 1 } });
    expect(w.status).toBe(201);
    expect((await client(0).get(`${path}/w1`)).status).toBe(200);
  });

  it('lists both processes in the `kubernetes` endpoints from their identity Leases', async () => {
    const want = servers.map((s) => `127.0.0.1:${s.port}`).sort();
    const deadline = Date.now() + 15_000;
    let got: string[] = [];
    while (Date.now() < deadline) {
      const r = await client(0).get<{ subsets?: Array<{ addresses?: Array<{ ip: string }>; ports?: Array<{ port: number }> }> }>(
        '/api/v1/namespaces/default/endpoints/kubernetes',
      );
      got = (r.body.subsets ?? [])
        .flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`)))
        .sort();
      if (got.length === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(got).toEqual(want);
    const leases = await client(1).get<{ items: unknown[] }>(
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?labelSelector=apiserver.kubernetes.io%2Fidentity%3Dkube-apiserver',
    );
    expect(leases.body.items).toHaveLength(2);
  });
});

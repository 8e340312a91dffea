// The etcd driver's gRPC client (src/server/storage/etcd/grpc.ts) and the driver's own duties
// over it, against a real etcd: message framing, error mapping to StorageError kinds, and
// reconnecting after etcd goes away. The conformance suite (storage.test.ts) covers the
// Backend contract itself.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/etcd/index.js';
import { createPki, signClientCert } from '../../src/pki/index.js';
import type { BackendEvent } from '../../src/server/storage/backend.js';
import { FrameParser, frame, GrpcError } from '../../src/server/storage/etcd/grpc.js';
import { EtcdBackend } from '../../src/server/storage/etcd/index.js';
import { isStorageError, type StorageError } from '../../src/server/storage/interface.js';
import { etcdBinary } from '../helpers/backends.js';
import { type RestartableEtcd, restartableEtcd } from '../helpers/restartable-etcd.js';

describe('gRPC message framing', () => {
  it('prefixes a message with a zero flag and its big-endian length', () => {
    const f = frame(Buffer.from('abc'));
    expect([...f]).toEqual([0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
    expect([...frame(new Uint8Array(0))]).toEqual([0, 0, 0, 0, 0]);
    const big = frame(Buffer.alloc(0x10203));
    expect([...big.subarray(0, 5)]).toEqual([0, 0, 1, 2, 3]);
  });

  it('splits a byte stream into messages across chunk boundaries', () => {
    const stream = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.alloc(0)), frame(Buffer.from('three'))]);
    for (let cut = 0; cut <= stream.length; cut++) {
      for (let cut2 = cut; cut2 <= stream.length; cut2 += 3) {
        const p = new FrameParser();
        const out = [...p.push(stream.subarray(0, cut)), ...p.push(stream.subarray(cut, cut2)), ...p.push(stream.subarray(cut2))].map((b) =>
          b.toString(),
        );
        expect(out).toEqual(['one', '', 'three']);
      }
    }
    // Byte by byte.
    const p = new FrameParser();
    const out: string[] = [];
    for (const b of stream) out.push(...p.push(Buffer.from([b])).map((m) => m.toString()));
    expect(out).toEqual(['one', '', 'three']);
  });

  it('refuses compressed and oversized messages', () => {
    const compressed = frame(Buffer.from('x'));
    compressed[0] = 1;
    expect(() => new FrameParser().push(compressed)).toThrow(GrpcError);
    expect(() => new FrameParser(2).push(frame(Buffer.from('abc')))).toThrow(/larger than max/);
  });
});

function rejection(p: Promise<unknown>): Promise<StorageError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => {
      if (!isStorageError(e)) throw e;
      return e;
    },
  );
}

describe('etcd gRPC without etcd', () => {
  it('fails calls as Unreachable when nothing listens, and is not healthy', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const b = new EtcdBackend({ endpoints: [`http://127.0.0.1:${port}`] });
    try {
      const err = await rejection(b.get('/configmaps/default/a'));
      expect(err.code).toBe('Unreachable');
      expect(err.message).toMatch(/^etcd unreachable: 14 UNAVAILABLE: No connection established: .*ECONNREFUSED/);
      expect(await b.healthy()).toBe(false);
    } finally {
      await b.close();
    }
  });

  it('gives up on a peer that never speaks HTTP/2 after the dial timeout', async () => {
    const sockets: net.Socket[] = [];
    const srv = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const b = new EtcdBackend({ endpoints: [`http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`] });
    try {
      const t = Date.now();
      const err = await rejection(b.count('/configmaps/'));
      expect(err.code).toBe('Unreachable');
      expect(err.message).toMatch(/dial timeout/);
      expect(Date.now() - t).toBeGreaterThanOrEqual(2_900);
      expect(Date.now() - t).toBeLessThan(6_000);
    } finally {
      await b.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    }
  });
});

describe.skipIf(!etcdBinary)('etcd gRPC client (real etcd)', () => {
  let etcd: RestartableEtcd;
  let b: EtcdBackend;

  beforeAll(async () => {
    etcd = await restartableEtcd();
    b = new EtcdBackend({ endpoints: [etcd.endpoint], prefix: '/grpc-test' });
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    etcd?.remove();
  });

  it('reads and writes through Range and Txn: bytes, revisions, compare-and-swap', async () => {
    const value = Buffer.from([0, 1, 2, 0xff, 0x80]);
    const rev = await b.create('/things/a', value);
    expect(rev).toBeGreaterThan(0);
    expect(await b.create('/things/a', Buffer.from('again'))).toBe(0);
    const got = await b.get('/things/a');
    expect(got.revision).toBe(rev);
    expect(got.kv).toEqual({ key: '/things/a', value, createRevision: rev, modRevision: rev });
    expect(Buffer.isBuffer(got.kv!.value)).toBe(true);

    const stale = await b.update('/things/a', Buffer.from('x'), rev - 1);
    expect(stale).toEqual({ succeeded: false, current: got.kv });
    const ok = await b.update('/things/a', Buffer.from(''), rev);
    expect(ok).toEqual({ succeeded: true, revision: rev + 1 });
    const empty = await b.get('/things/a');
    expect(empty.kv!.value.length).toBe(0);
    expect(Buffer.isBuffer(empty.kv!.value)).toBe(true);
    expect(await b.delete('/things/missing', rev)).toEqual({ succeeded: false });
    expect(await b.currentRevision()).toBe(rev + 1);
    expect(await b.healthy()).toBe(true);
  });

  it('maps future and compacted revisions to TooLargeResourceVersion and Compacted', async () => {
    for (let i = 0; i < 3; i++) await b.create(`/compact/k${i}`, Buffer.from(String(i)));
    const current = await b.currentRevision();
    const future = await rejection(b.list('/compact/', { revision: current + 100, limit: 1 }));
    expect(future.code).toBe('TooLargeResourceVersion');

    await b.compact(current);
    await b.compact(current); // compacting again is not an error
    expect(await b.compactedRevision()).toBe(current);
    const old = await rejection(b.list('/compact/', { revision: current - 1 }));
    expect(old.code).toBe('Compacted');
    expect(old.message).toMatch(/required revision has been compacted/);
    expect(old.revision).toBe(current);

    // A watch from a compacted revision ends with Compacted and etcd's compact revision.
    const err = await new Promise<StorageError>((resolve) => {
      b.watch('/compact/', current - 2, { event: () => undefined, progress: () => undefined, error: resolve });
    });
    expect(err.code).toBe('Compacted');
    expect(err.revision).toBe(current);
  });

  it('watches from a revision with previous values, several watches at once', async () => {
    const start = await b.currentRevision();
    const seen: Record<string, BackendEvent[]> = { x: [], y: [] };
    const errors: StorageError[] = [];
    const watches = ['x', 'y'].map((w) =>
      b.watch(`/w/${w}/`, start, { event: (ev) => seen[w].push(ev), progress: () => undefined, error: (e) => errors.push(e) }),
    );
    const r1 = await b.create('/w/x/1', Buffer.from('a'));
    await b.create('/w/y/1', Buffer.from('b'));
    const r2 = (await b.update('/w/x/1', Buffer.from('c'), r1)) as { revision: number };
    await b.delete('/w/x/1', r2.revision);
    // Each watch is its own stream: wait for both to have delivered.
    for (const end = Date.now() + 5_000; (seen.x.length < 3 || seen.y.length < 1) && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 20));
    expect(seen.x.map((e) => [e.type, e.kv.key, e.kv.value.toString(), e.prevKv?.value.toString()])).toEqual([
      ['put', '/w/x/1', 'a', undefined],
      ['put', '/w/x/1', 'c', 'a'],
      ['delete', '/w/x/1', '', 'c'],
    ]);
    expect(seen.y.map((e) => e.kv.key)).toEqual(['/w/y/1']);
    for (const w of watches) w.stop();
    await b.create('/w/x/2', Buffer.from('after stop'));
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.x).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it('ends watches and in-flight calls as Unreachable when etcd goes, and reconnects with the next call', async () => {
    await b.create('/re/before', Buffer.from('1'));
    const ended = new Promise<StorageError>((resolve) => {
      b.watch('/re/', 0, { event: () => undefined, progress: () => undefined, error: resolve });
    });
    // The watch is running once etcd has answered a call after it.
    await b.count('/re/');
    await etcd.kill();
    const err = await ended;
    expect(err.code).toBe('Unreachable');
    expect(err.message).toMatch(/^etcd watch disconnected: /);
    const down = await rejection(b.get('/re/before'));
    expect(down.code).toBe('Unreachable');
    expect(down.message).toMatch(/^etcd unreachable: /);
    expect(await b.healthy()).toBe(false);

    await etcd.start();
    const got = await b.get('/re/before');
    expect(got.kv?.value.toString()).toBe('1');
    const events: BackendEvent[] = [];
    const w = b.watch('/re/', got.revision, { event: (ev) => events.push(ev), progress: () => undefined, error: () => undefined });
    await b.create('/re/after', Buffer.from('2'));
    for (const end = Date.now() + 5_000; events.length < 1 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    w.stop();
    expect(events.map((e) => e.kv.key)).toEqual(['/re/after']);
  }, 30_000);

  it('tries each endpoint in turn', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const dead = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
    await new Promise((r) => srv.close(r));
    const multi = new EtcdBackend({ endpoints: [dead, etcd.endpoint], prefix: '/grpc-test' });
    try {
      expect((await multi.get('/re/before')).kv?.value.toString()).toBe('1');
    } finally {
      await multi.close();
    }
  });
});

describe.skipIf(!etcdBinary)('etcd gRPC client over TLS (real etcd, client certificates)', () => {
  let dir: string;
  let proc: ChildProcess | undefined;
  let endpoint: string;
  let pki: Awaited<ReturnType<typeof createPki>>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-etcd-tls-test-'));
    pki = await createPki();
    const file = (name: string, text: string): string => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const [cp, pp] = await Promise.all([freePort(), freePort()]);
    endpoint = `https://127.0.0.1:${cp}`;
    proc = spawn(
      etcdBinary!,
      [
        `--data-dir=${path.join(dir, 'data')}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=http://127.0.0.1:${pp}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`,
        `--initial-cluster=default=http://127.0.0.1:${pp}`,
        `--cert-file=${file('server.crt', pki.serving.certPem)}`,
        `--key-file=${file('server.key', pki.serving.keyPem)}`,
        `--trusted-ca-file=${file('ca.crt', pki.ca.certPem)}`,
        '--client-cert-auth',
        '--log-level=error',
      ],
      { stdio: 'ignore' },
    );
  }, 30_000);
  afterAll(() => {
    proc?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the CA and a client certificate, and is refused without one', async () => {
    const tls = { ca: Buffer.from(pki.ca.certPem), cert: Buffer.from(pki.admin.certPem), key: Buffer.from(pki.admin.keyPem) };
    const b = new EtcdBackend({ endpoints: [endpoint], tls });
    try {
      for (const end = Date.now() + 15_000; !(await b.healthy()) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
      const rev = await b.create('/tls/a', Buffer.from('over tls'));
      expect((await b.get('/tls/a')).kv).toMatchObject({ value: Buffer.from('over tls'), modRevision: rev });
    } finally {
      await b.close();
    }
    // A CA that did not sign etcd's certificate: the TLS handshake fails, the call is Unreachable.
    const other = await createPki();
    const untrusted = new EtcdBackend({ endpoints: [endpoint], tls: { ...tls, ca: Buffer.from(other.ca.certPem) } });
    try {
      const err = await rejection(untrusted.get('/tls/a'));
      expect(err.code).toBe('Unreachable');
      expect(err.message).toMatch(/certificate/);
    } finally {
      await untrusted.close();
    }
    // etcd's CA trusted, but a client certificate etcd's CA did not sign.
    const stranger = await signClientCert(other.authority, { user: 'stranger' });
    const refused = new EtcdBackend({
      endpoints: [endpoint],
      tls: { ...tls, cert: Buffer.from(stranger.certPem), key: Buffer.from(stranger.keyPem) },
    });
    try {
      expect((await rejection(refused.get('/tls/a'))).code).toBe('Unreachable');
    } finally {
      await refused.close();
    }
  }, 30_000);
});

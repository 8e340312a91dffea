// A watcher that stops reading is closed once it falls 16 MiB behind, and never
// holds up the others or the server's memory (kube's cacheWatcher: a blocked
// watcher is terminated, its client relists). The stuck clients here really do
// not read: a raw TLS socket or an HTTP/2 stream that is paused right away, so
// the bytes pile up on the server's side (TCP and HTTP/2 flow control), not in a
// client-side buffer.

import http2 from 'node:http2';
import type tls from 'node:tls';
import v8 from 'node:v8';
import vm from 'node:vm';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { type SuiteEnv, useEnv } from '../helpers/env.js';
import { rawHttp1 } from '../helpers/watch.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const CUT_OFF = 16 * 1024 * 1024;
const OBJECTS = 16;
const ROUNDS = 3;
const VALUE = 'x'.repeat(900 * 1024);
const MiB = 1024 * 1024;

function rssAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}

/** A client that asked for a watch and then stopped reading. resume() reads to the end and counts the bytes. */
interface StuckWatch {
  resume(withinMs: number): Promise<{ received: number; ended: boolean }>;
  destroy(): void;
}

function rawTls(s: SuiteEnv, requestLines: string[]): Promise<tls.TLSSocket> {
  const url = new URL(s.env.server);
  const sock = rawHttp1(s.env.server, { ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey });
  return new Promise((resolve) =>
    sock.once('secureConnect', () => {
      sock.write([...requestLines, `Host: ${url.host}`, '', ''].join('\r\n'));
      // Nothing is read from here on: the kernel buffers fill, then the server's.
      sock.pause();
      resolve(sock);
    }),
  );
}

/** Reads a paused socket until `done(chunk, tail)` says the server ended the watch, or it closes. */
function drain(
  sock: tls.TLSSocket,
  done: (chunk: Buffer, tail: Buffer) => boolean,
  withinMs: number,
): Promise<{ received: number; ended: boolean }> {
  return new Promise((resolve) => {
    let received = 0;
    let tail = Buffer.alloc(0);
    const finish = (ended: boolean): void => {
      clearTimeout(timer);
      resolve({ received, ended });
    };
    const timer = setTimeout(() => finish(false), withinMs);
    sock.on('data', (d: Buffer) => {
      received += d.length;
      tail = Buffer.concat([tail, d]).subarray(-64 * 1024);
      if (done(d, tail)) finish(true);
    });
    sock.on('close', () => finish(true));
    sock.resume();
  });
}

async function stuckH1(s: SuiteEnv, path: string): Promise<StuckWatch> {
  const sock = await rawTls(s, [`GET ${path} HTTP/1.1`]);
  // The last chunk of a chunked body: the server ended the response.
  return { resume: (ms) => drain(sock, (_, tail) => tail.toString('latin1').endsWith('\r\n0\r\n\r\n'), ms), destroy: () => sock.destroy() };
}

/** Fed the server's bytes (the 101 answer, then unmasked frames): true once a close frame begins. Payloads are skipped, not kept. */
function closeFrameDetector(): (d: Buffer) => boolean {
  let buf = Buffer.alloc(0);
  let handshakeDone = false;
  let skip = 0;
  return (d) => {
    buf = Buffer.concat([buf, d]);
    if (!handshakeDone) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return false;
      buf = buf.subarray(end + 4);
      handshakeDone = true;
    }
    for (;;) {
      const n = Math.min(skip, buf.length);
      skip -= n;
      buf = buf.subarray(n);
      if (skip > 0 || buf.length < 2) return false;
      if ((buf[0] & 0x0f) === 0x8) return true;
      let len = buf[1] & 0x7f;
      let header = 2;
      if (len === 126) {
        if (buf.length < 4) return false;
        len = buf.readUInt16BE(2);
        header = 4;
      } else if (len === 127) {
        if (buf.length < 10) return false;
        len = Number(buf.readBigUInt64BE(2));
        header = 10;
      }
      buf = buf.subarray(header);
      skip = len;
    }
  };
}

async function stuckWebSocket(s: SuiteEnv, path: string): Promise<StuckWatch> {
  const sock = await rawTls(s, [
    `GET ${path} HTTP/1.1`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  ]);
  return {
    resume: (ms) => {
      const sawClose = closeFrameDetector();
      return drain(sock, (d) => sawClose(d), ms);
    },
    destroy: () => sock.destroy(),
  };
}

async function stuckH2(s: SuiteEnv, path: string): Promise<StuckWatch> {
  const session = http2.connect(s.env.server, { ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey });
  session.on('error', () => undefined);
  const stream = session.request({ ':path': path, accept: 'application/json' });
  stream.on('error', () => undefined);
  await new Promise((resolve) => stream.once('response', resolve));
  // A paused stream grants no flow-control window: the server cannot send past it.
  stream.pause();
  return {
    resume: (ms) =>
      new Promise((resolve) => {
        let received = 0;
        const finish = (ended: boolean): void => {
          clearTimeout(timer);
          resolve({ received, ended });
        };
        const timer = setTimeout(() => finish(false), ms);
        stream.on('data', (d: Buffer) => (received += d.length));
        stream.on('end', () => finish(true));
        stream.on('close', () => finish(true));
        stream.resume();
      }),
    destroy: () => session.destroy(),
  };
}

/** A watcher that reads everything and keeps only each event's type, name and resourceVersion. */
async function readingWatch(s: SuiteEnv, path: string): Promise<{ seen: string[]; close(): void }> {
  const seen: string[] = [];
  const ac = new AbortController();
  const res = await request(s.env.server + path, { dispatcher: s.client.agent, signal: ac.signal });
  expect(res.statusCode).toBe(200);
  void (async () => {
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += chunk.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buf.slice(0, i)) as { type: string; object: { metadata: { name: string; resourceVersion: string } } };
          buf = buf.slice(i + 1);
          seen.push(`${ev.type} ${ev.object.metadata.name}@${ev.object.metadata.resourceVersion}`);
        }
      }
    } catch {
      // aborted
    }
  })();
  return { seen, close: () => ac.abort() };
}

const STUCK = { 'HTTP/1.1': stuckH1, 'HTTP/2': stuckH2, WebSocket: stuckWebSocket } as const;

describe.each(BACKENDS)('slow watchers on %s storage', (storage) => {
  // In line: the RSS check collects garbage with gc(), which reaches only this thread's heap, not a worker's.
  const s = useEnv(storage, { serverThread: 'inline' });

  it.each(Object.keys(STUCK) as Array<keyof typeof STUCK>)(
    'closes a %s watcher that does not read, holds no backlog, and a reading watcher gets every event',
    async (proto) => {
      const ns = `slow-${proto.replace(/[^a-z0-9]/gi, '').toLowerCase()}`;
      expect((await s.client.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
      const path = `/api/v1/namespaces/${ns}/configmaps?watch=true`;
      const stuck = await STUCK[proto](s, path);
      const reader = await readingWatch(s, path);
      try {
        const rss0 = rssAfterGc();
        const expected: string[] = [];
        let written = 0;
        for (let round = 0; round < ROUNDS; round++) {
          for (let i = 0; i < OBJECTS; i++) {
            // The reading watcher keeps up before each write: a few events behind at most (4 MiB, well under the
            // cut-off), so a reader slowed by a busy machine is not itself cut off as slow. If the stuck watcher
            // held it up, this wait ends the test.
            const behind = Date.now() + 30_000;
            while (expected.length - reader.seen.length > 4 && Date.now() < behind) await new Promise((r) => setTimeout(r, 5));
            expect(expected.length - reader.seen.length, 'the reading watcher fell behind').toBeLessThanOrEqual(4);
            const body = { metadata: { name: `big${i}` }, data: { v: VALUE, round: String(round) } };
            const r =
              round === 0
                ? await s.client.post<{ metadata: { resourceVersion: string } }>(`/api/v1/namespaces/${ns}/configmaps`, body)
                : await s.client.call<{ metadata: { resourceVersion: string } }>(
                    'PUT',
                    `/api/v1/namespaces/${ns}/configmaps/big${i}`,
                    body,
                  );
            expect(r.status, r.text.slice(0, 200)).toBeLessThan(300);
            expected.push(`${round === 0 ? 'ADDED' : 'MODIFIED'} big${i}@${r.body.metadata.resourceVersion}`);
            written += VALUE.length;
          }
        }
        expect(written).toBeGreaterThan(2 * CUT_OFF);
        // The reading watcher is not held up by the stuck one.
        const end = Date.now() + 30_000;
        while (reader.seen.length < expected.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        expect(reader.seen).toEqual(expected);
        // What the stuck watch held is gone: its backlog was dropped when it was cut off. What stays is the
        // written values twice (the store's bytes and the watch cache's objects, 2 x 42 MiB), up to the 16 MiB
        // cut-off in flight and the allocator's slack (the first case also pays the process's warm-up); a backlog
        // kept for the stuck watcher would add its 42 MiB of events on top.
        const grown = rssAfterGc() - rss0;
        expect(
          grown / MiB,
          `RSS grew by ${(grown / MiB).toFixed(0)} MiB while ${(written / MiB).toFixed(0)} MiB of events were written`,
        ).toBeLessThan(240);
        // Once it reads again, the stuck client gets what was in flight and then the end of the watch:
        // well under the 16 MiB cut-off, so the server did not keep its backlog.
        const { received, ended } = await stuck.resume(20_000);
        expect(ended, `${proto} watch not ended after ${received} bytes`).toBe(true);
        expect(received).toBeLessThan(CUT_OFF);
      } finally {
        reader.close();
        stuck.destroy();
      }
    },
    120_000,
  );
});

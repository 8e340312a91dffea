// A watcher that stops reading is closed once it falls too far behind, and
// never holds up the others (k8s.io/apiserver cacher's blocked watchers).

import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { useEnv } from '../helpers/env.js';
import { watchH1 } from '../helpers/watch.js';

describe('slow watchers', () => {
  const s = useEnv('memory');

  it('closes a watcher that does not read while a reading one gets every event', async () => {
    const url = new URL(s.env.server);
    const sock = tls.connect({ host: url.hostname, port: Number(url.port), ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey });
    await new Promise((r) => sock.once('secureConnect', r));
    sock.write(`GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    sock.pause();
    const fast = await watchH1(s.client, '/api/v1/namespaces/default/configmaps?watch=true');
    const big = 'x'.repeat(200 * 1024);
    const n = 150;
    for (let i = 0; i < n; i++) await s.client.post('/api/v1/namespaces/default/configmaps', { metadata: { name: `big${i}` }, data: { v: big } });
    await fast.next(n, 20_000);
    // The paused watcher was cut off: reading it now ends before all 30 MB arrive.
    let received = 0;
    const ended = new Promise<void>((resolve) => {
      let tail = '';
      sock.on('data', (d: Buffer) => {
        received += d.length;
        tail = (tail + d.toString('latin1')).slice(-16);
        // The server ended the chunked response: the watch is over.
        if (tail.endsWith('\r\n0\r\n\r\n')) resolve();
      });
      sock.on('end', () => resolve());
      sock.on('close', () => resolve());
    });
    sock.resume();
    await Promise.race([ended, new Promise((r) => setTimeout(r, 10_000))]);
    sock.destroy();
    expect(received).toBeLessThan(n * big.length);
    fast.close();
  }, 60_000);
});

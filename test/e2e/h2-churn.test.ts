// Go clients reset an HTTP/2 stream every time they cancel a watch. Thousands of
// such resets must never cost a client its in-flight requests: the server asks
// for a new connection gracefully (GOAWAY NO_ERROR) well before nghttp2's
// rapid-reset guard would end the connection with INTERNAL_ERROR.

import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { useEnv } from '../helpers/env.js';

describe('HTTP/2 watch churn', () => {
  const s = useEnv('memory');

  it('survives 2,500 cancelled watches: graceful GOAWAYs only, and a long watch on the first connection keeps going', async () => {
    const connect = (): http2.ClientHttp2Session => {
      const session = http2.connect(s.env.server, { ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey });
      session.on('error', () => {});
      return session;
    };
    const goaways: number[] = [];
    let session = connect();
    session.on('goaway', (code) => goaways.push(code));
    // A long-lived watch on the first connection, like an informer's.
    const longLived = session.request({
      ':path': '/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dsurvivor',
    });
    let survivorEvents = '';
    longLived.setEncoding('utf8');
    longLived.on('data', (d: string) => {
      survivorEvents += d;
    });
    let reconnects = 0;
    let refused = 0;
    const cancelOne = (): Promise<'ok' | 'refused'> =>
      new Promise((resolve, reject) => {
        const st = session.request({ ':path': '/api/v1/namespaces/default/configmaps?watch=true' });
        st.on('response', () => {
          st.close(http2.constants.NGHTTP2_CANCEL);
          resolve('ok');
        });
        st.on('error', (e: NodeJS.ErrnoException) => (/REFUSED_STREAM|GOAWAY/.test(e.message) ? resolve('refused') : reject(e)));
      });
    for (let i = 0; i < 2500; i++) {
      if (session.closed || session.destroyed || goaways.length > reconnects) {
        // What Go's transport does on GOAWAY: new requests go to a new connection.
        reconnects++;
        session = connect();
        session.on('goaway', (code) => goaways.push(code));
      }
      // A stream sent before the client saw the GOAWAY is refused; Go retries those, and so do we.
      if ((await cancelOne()) === 'refused') {
        refused++;
        i--;
        if (goaways.length <= reconnects) await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(refused).toBeLessThan(50);
    expect(goaways.length).toBeGreaterThan(0);
    expect(goaways.every((c) => c === http2.constants.NGHTTP2_NO_ERROR)).toBe(true);
    await s.client.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'survivor' } });
    const end = Date.now() + 5000;
    while (!survivorEvents.includes('"ADDED"') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(survivorEvents).toContain('"ADDED"');
    longLived.close();
    session.close();
  }, 120_000);
});

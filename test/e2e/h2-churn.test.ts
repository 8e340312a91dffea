// Go clients reset an HTTP/2 stream every time they cancel a watch. Thousands of
// such resets on one connection must not make the server drop the connection.

import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { useEnv } from '../helpers/env.js';

const major = Number(process.versions.node.split('.')[0]);
const supported = major >= 22;
if (!supported) {
  console.warn(`[kapi-env tests] Node ${process.versions.node} cannot raise nghttp2's stream reset limit (streamResetBurst arrived in later Node releases): the HTTP/2 watch churn test is skipped`);
}

describe.skipIf(!supported)('HTTP/2 watch churn on one connection', () => {
  const s = useEnv('memory');

  it('survives 1,500 cancelled watches and keeps serving', async () => {
    const session = http2.connect(s.env.server, { ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey });
    let goaway = false;
    session.on('goaway', () => { goaway = true; });
    session.on('error', () => {});
    const ask = (path: string): Promise<number> => new Promise((resolve, reject) => {
      const st = session.request({ ':path': path });
      st.on('response', (h) => { resolve(Number(h[':status'])); st.close(http2.constants.NGHTTP2_CANCEL); });
      st.on('error', reject);
    });
    for (let i = 0; i < 1500; i++) {
      const status = await ask('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0');
      expect(status).toBe(200);
    }
    const final = await new Promise<number>((resolve, reject) => {
      const st = session.request({ ':path': '/api/v1/namespaces' });
      st.on('response', (h) => resolve(Number(h[':status'])));
      st.on('error', reject);
      st.resume();
    });
    expect(final).toBe(200);
    expect(goaway).toBe(false);
    session.close();
  }, 120_000);
});

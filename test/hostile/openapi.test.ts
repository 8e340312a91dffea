// Hostile requests to /openapi/v2: odd Accept, conditional and encoding
// headers are answered as kube-openapi's handler answers them (a document,
// 304, or 406 with no body), never with a crash or a stalled event loop.

import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useEnv } from '../helpers/env.js';
import { expectAlive, seeded } from './helpers.js';

const PIECES = [
  'application/json',
  'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
  '*/*',
  'application/*',
  'text/html',
  '*',
  '',
  ';',
  ';q=',
  ';q=abc',
  ';q=0',
  ';q=-1',
  ';q=1e309',
  ',',
  '/',
  'application/',
  '"',
  '\\',
  'application/com.github.proto-openapi.spec.v2.v1.0+protobuf;q=0.5',
];

describe('hostile /openapi/v2 requests', () => {
  const s = useEnv('memory');

  async function get(headers: Record<string, string>): Promise<{ status: number; type: unknown; length: number }> {
    const res = await request(`${s.client.creds.server}/openapi/v2`, { method: 'GET', dispatcher: s.client.agent, headers });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, type: res.headers['content-type'], length: body.length };
  }

  it('answers generated Accept headers with a document or an empty 406', async () => {
    const rnd = seeded(9);
    for (let i = 0; i < 60; i++) {
      const n = 1 + Math.floor(rnd() * 4);
      const accept = Array.from(
        { length: n },
        () => PIECES[Math.floor(rnd() * PIECES.length)] + (rnd() < 0.3 ? PIECES[Math.floor(rnd() * PIECES.length)] : ''),
      ).join(rnd() < 0.5 ? ',' : '');
      const r = await get({ accept });
      expect([200, 406], `Accept: ${accept}`).toContain(r.status);
      if (r.status === 406) expect(r.length, `Accept: ${accept}`).toBe(0);
      else expect(['application/json', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf']).toContain(r.type);
    }
    await expectAlive(s);
  });

  it('ignores malformed conditional headers and serves a 64 KiB Accept header', async () => {
    for (const h of [
      { 'if-none-match': '"' },
      { 'if-none-match': ',,,' },
      { 'if-modified-since': 'not a date' },
      { 'if-modified-since': '' },
      { 'accept-encoding': 'gzip;q=0,,gzip' },
    ] as Array<Record<string, string>>) {
      expect((await get({ accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf', ...h })).status, JSON.stringify(h)).toBe(
        200,
      );
    }
    const long = Array.from({ length: 4000 }, (_, i) => `x/y${i};q=0.${i % 10}`).join(',');
    expect((await get({ accept: long.slice(0, 65_000) })).status).toBe(406);
    await expectAlive(s);
  });

  it('serves concurrent protobuf requests from one encoding, the event loop free', async () => {
    const all = await Promise.all(
      Array.from({ length: 16 }, () => get({ accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' })),
    );
    expect(new Set(all.map((r) => `${r.status}:${r.length}`)).size).toBe(1);
    expect(all[0].status).toBe(200);
    await expectAlive(s);
  });
});

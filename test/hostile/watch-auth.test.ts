// Hostile credentials and headers: impersonation asked by a user not allowed
// it, invalid bearer tokens, certificates without a common name, and refused
// WebSocket upgrades, each answered as kube-apiserver answers it.

import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/env/index.js';
import { createPki, type PkiWithCA, signClientCert } from '../../src/pki/index.js';
import { type ApiServer, createApiServer } from '../../src/server/index.js';
import { createStorage } from '../../src/server/storage/factory.js';
import type { Storage } from '../../src/server/storage/interface.js';
import { BACKENDS } from '../helpers/backends.js';
import { kubectl, useEnv } from '../helpers/env.js';
import { rawHttp1 } from '../helpers/watch.js';
import { expectAlive, expectRefused } from './helpers.js';

const NS = '/api/v1/namespaces/default';
const CMS = `${NS}/configmaps`;

interface StatusBody {
  kind?: string;
  apiVersion?: string;
  status?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: Record<string, unknown>;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends one HTTP/1.1 request on a fresh TLS connection and reads until the server closes it. */
function rawRequest(server: string, opts: { ca: string; cert?: string; key?: string }, lines: string[]): Promise<RawResponse> {
  const url = new URL(server);
  return new Promise((resolve, reject) => {
    const sock = rawHttp1(server, opts);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer within 10 s: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    }, 10_000);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of headerLines) {
        const i = h.indexOf(':');
        if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: split < 0 ? '' : text.slice(split + 4) });
    });
    sock.once('secureConnect', () => sock.write([...lines, `Host: ${url.host}`, '', ''].join('\r\n')));
  });
}

/** A WebSocket watch handshake, as client-go's WebSocket watch client sends it. */
function websocketWatch(path: string, extra: string[] = []): string[] {
  return [
    `GET ${path} HTTP/1.1`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...extra,
  ];
}

function parseStatus(r: RawResponse): StatusBody {
  expect(r.headers['content-type'], `status ${r.status} body ${r.body.slice(0, 200)}`).toBe('application/json');
  return JSON.parse(r.body) as StatusBody;
}

describe.each(BACKENDS)('hostile credentials on %s storage', (storage) => {
  const s = useEnv(storage);
  let anon: Agent;
  beforeAll(() => {
    anon = new Agent({ connect: { ca: s.env.ca } });
  });
  afterAll(async () => {
    await anon?.destroy();
  });

  async function anonymous(
    path: string,
    headers: Record<string, string>,
    method = 'GET',
    body?: string,
  ): Promise<{ status: number; body: unknown }> {
    const r = await request(s.env.server + path, {
      method: method as 'GET',
      dispatcher: anon,
      headers: { accept: 'application/json', ...headers },
      body,
    });
    return { status: r.statusCode, body: await r.body.json() };
  }

  describe('impersonation headers', () => {
    // A user RBAC grants nothing: every impersonation it asks for is refused, before anything is served.
    let mallory: Awaited<ReturnType<Env['addUser']>>;
    beforeAll(async () => {
      mallory = await s.env.addUser({ name: 'mallory' });
    });
    afterAll(async () => {
      await mallory?.client.close();
    });

    it('refuses Impersonate-User with 403 instead of serving the caller, worded as kube', async () => {
      const r = await expectRefused(s, [CMS], () => mallory.client.get(CMS, { 'impersonate-user': 'system:anonymous' }), [403]);
      expect(r.body).toMatchObject({ reason: 'Forbidden', details: { name: 'system:anonymous', kind: 'users' } });
      expect(r.body.message).toBe(
        'users "system:anonymous" is forbidden: User "mallory" cannot impersonate resource "users" in API group "" at the cluster scope',
      );
    });

    it('refuses every Impersonate-* part it may not impersonate, writes nothing', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [
          { 'impersonate-user': 'admin', 'impersonate-group': 'system:masters' },
          'users "admin" is forbidden: User "mallory" cannot impersonate resource "users" in API group "" at the cluster scope',
        ],
        [
          { 'impersonate-user': 'system:serviceaccount:default:builder' },
          'serviceaccounts "builder" is forbidden: User "mallory" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "default"',
        ],
      ];
      for (const [headers, message] of cases) {
        const r = await expectRefused(s, [CMS], () => mallory.client.post(CMS, { metadata: { name: 'impersonated' } }, headers), [403]);
        expect(r.body.message, JSON.stringify(headers)).toBe(message);
      }
      // The admin may impersonate: the parts are checked in kube's order (user, groups, extras, uid), so
      // with the user allowed, the next refusal comes from the impersonated identity's own authorization.
      const asAnonymous = await expectRefused(
        s,
        [CMS],
        () => s.client.post(CMS, { metadata: { name: 'impersonated' } }, { 'impersonate-user': 'system:anonymous' }),
        [403],
      );
      expect(asAnonymous.body.message).toBe(
        'configmaps is forbidden: User "system:anonymous" cannot create resource "configmaps" in API group "" in the namespace "default"',
      );
      // Groups, extras or a uid without a user: kube's 500.
      const r = await expectRefused(s, [CMS], () => s.client.get('/api', { 'impersonate-group': 'system:masters' }), [500]);
      expect(r.body.message).toBe('Internal error occurred: requested [{Group  system:masters    }] without impersonating a user');
    });

    it('kubectl --as prints the Forbidden error', async () => {
      // With discovery cached, as after any earlier kubectl call: the refused request is the GET itself.
      // (Uncached, client-go's discovery client cannot decode any error body and prints "unknown", against kube too.)
      expect((await kubectl(mallory.kubeconfigPath, ['api-resources'])).code).toBe(0);
      const r = await kubectl(mallory.kubeconfigPath, ['--as=someone', 'get', 'cm']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'Error from server (Forbidden): users "someone" is forbidden: User "mallory" cannot impersonate resource "users" in API group "" at the cluster scope',
      );
      expect(r.stdout).toBe('');
    });

    it('refuses a WebSocket watch that asks to impersonate, with a Status body', async () => {
      const r = await rawRequest(
        s.env.server,
        { ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey },
        websocketWatch(`${CMS}?watch=true`, ['Impersonate-User: system:anonymous']),
      );
      expect(r.status).toBe(403);
      expect(parseStatus(r)).toMatchObject({
        kind: 'Status',
        code: 403,
        reason: 'Forbidden',
        message:
          'configmaps is forbidden: User "system:anonymous" cannot watch resource "configmaps" in API group "" in the namespace "default"',
      });
    });
  });

  describe('bearer tokens and other credentials', () => {
    it('answers an invalid bearer token with 401 Unauthorized, not as anonymous', async () => {
      for (const token of ['garbage', 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln']) {
        const r = await expectRefused(
          s,
          [CMS],
          () => anonymous(CMS, { authorization: `Bearer ${token}` }, 'POST', '{"metadata":{"name":"tok"}}'),
          [401],
        );
        expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
      }
      // Even where anonymous users are let in (kube's system:public-info-viewer).
      expect((await anonymous('/readyz', { authorization: 'Bearer garbage' })).status).toBe(401);
      await expectAlive(s);
    });

    it('passes over what is not a bearer credential, as kube does: Basic and empty tokens are anonymous', async () => {
      for (const authorization of ['Basic YWRtaW46YWRtaW4=', 'Bearer ', 'Bearer']) {
        const r = await expectRefused(s, [CMS], () => anonymous(CMS, { authorization }), [403]);
        expect(r.body.message, authorization).toBe(
          'configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "default"',
        );
      }
    });

    it('a valid client certificate wins over a bad bearer token (kube union authenticator order)', async () => {
      const r = await s.client.get(CMS, { authorization: 'Bearer garbage' });
      expect(r.status).toBe(200);
    });
  });

  describe('refused WebSocket upgrades', () => {
    it('answers an anonymous WebSocket watch with the 403 Status kube writes', async () => {
      const r = await rawRequest(s.env.server, { ca: s.env.ca }, websocketWatch(`${CMS}?watch=true`, ['Audit-Id: ws-anon']));
      expect(r.status).toBe(403);
      expect(r.headers['audit-id']).toBe('ws-anon');
      expect(r.headers.upgrade).toBeUndefined();
      expect(parseStatus(r)).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message:
          'configmaps is forbidden: User "system:anonymous" cannot watch resource "configmaps" in API group "" in the namespace "default"',
        details: { kind: 'configmaps' },
      });
    });

    it('answers a WebSocket watch with an invalid bearer token (header or subprotocol) with 401', async () => {
      const token = Buffer.from('garbage').toString('base64url');
      for (const extra of [
        ['Authorization: Bearer garbage'],
        [`Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.${token}, base64.binary.k8s.io`],
      ]) {
        const r = await rawRequest(s.env.server, { ca: s.env.ca }, websocketWatch(`${CMS}?watch=true`, extra));
        expect(r.status, extra[0]).toBe(401);
        expect(parseStatus(r)).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
      }
    });

    it('answers a WebSocket request for something that is not a served watch with its plain Status', async () => {
      const r = await rawRequest(
        s.env.server,
        { ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey },
        websocketWatch(`${NS}/nothings?watch=true`),
      );
      expect(r.status).toBe(404);
      expect(parseStatus(r)).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
      await expectAlive(s);
    });

    it('still upgrades an authorized WebSocket watch', async () => {
      const url = new URL(s.env.server);
      const sock = rawHttp1(s.env.server, { ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey });
      try {
        await new Promise((r) => sock.once('secureConnect', r));
        sock.write([...websocketWatch(`${CMS}?watch=true`), `Host: ${url.host}`, '', ''].join('\r\n'));
        const head = await new Promise<string>((resolve) => {
          let text = '';
          sock.on('data', (d: Buffer) => {
            text += d.toString('latin1');
            if (text.includes('\r\n\r\n')) resolve(text);
          });
        });
        expect(head.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
      } finally {
        sock.destroy();
      }
    });
  });
});

describe('client certificates signed by the cluster CA', () => {
  // Authentication does not depend on storage: one server on the memory store with a CA this test holds.
  let pki: PkiWithCA;
  let store: Storage;
  let server: ApiServer;
  beforeAll(async () => {
    pki = await createPki();
    store = await createStorage({ kind: 'memory' });
    server = await createApiServer({
      storage: store,
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCaPem: pki.ca.certPem },
      bindAddress: '127.0.0.1',
      port: 0,
      watchCache: true,
      compactionIntervalMs: 0,
    });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  async function get(path: string, cert: { certPem: string; keyPem: string }): Promise<{ status: number; body: StatusBody }> {
    const agent = new Agent({ connect: { ca: pki.ca.certPem, cert: cert.certPem, key: cert.keyPem } });
    try {
      const r = await request(server.url + path, { dispatcher: agent, headers: { accept: 'application/json' } });
      const text = await r.body.text();
      return {
        status: r.statusCode,
        body: (r.headers['content-type'] === 'application/json' ? JSON.parse(text) : { message: text }) as StatusBody,
      };
    } finally {
      await agent.destroy();
    }
  }

  /** A client certificate whose subject has no CN attribute at all. */
  async function withoutCommonName(): Promise<{ certPem: string; keyPem: string }> {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '01a2b3c4',
      subject: 'O=system:masters',
      issuer: pki.authority.cert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      publicKey: keys.publicKey,
      signingKey: await webcrypto.subtle.importKey('pkcs8', pki.authority.key.export({ type: 'pkcs8', format: 'der' }), alg, false, [
        'sign',
      ]),
      signingAlgorithm: alg,
      extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    });
    const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { certPem: cert.toString('pem'), keyPem: `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n` };
  }

  it('a certificate without a common name names nobody: the request is anonymous (CommonNameUserConversion)', async () => {
    for (const cert of [await withoutCommonName(), await signClientCert(pki.authority, { user: '', groups: ['system:masters'] })]) {
      const r = await get(`${NS}/configmaps`, cert);
      expect(r.status).toBe(403);
      expect(r.body.message).toBe(
        'configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "default"',
      );
      // Its O=system:masters grants nothing: what anonymous may read, it may read.
      expect((await get('/readyz', cert)).status).toBe(200);
    }
    // With a name, the same certificate is that user: RBAC decides (the bootstrap policy lets any
    // authenticated user ask what it may do, and no more).
    const named = await signClientCert(pki.authority, { user: 'someone', groups: ['devs'] });
    const list = await get(`${NS}/configmaps`, named);
    expect(list.status).toBe(403);
    expect(list.body.message).toBe(
      'configmaps is forbidden: User "someone" cannot list resource "configmaps" in API group "" in the namespace "default"',
    );
    expect((await get('/apis', named)).status).toBe(200);
    const masters = await signClientCert(pki.authority, { user: 'someone', groups: ['system:masters'] });
    expect((await get(`${NS}/configmaps`, masters)).status).toBe(200);
  });

  it('a certificate from another CA is 401 Unauthorized', async () => {
    const other = await createPki();
    const r = await get(`${NS}/configmaps`, other.admin);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
  });
});

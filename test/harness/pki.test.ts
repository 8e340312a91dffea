// The environment's PKI (certificates encoded by src/pki/der.ts) and its kubeconfig.

import { createPublicKey, generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as der from '../../src/pki/der.js';
import { createPki, loadCertificateAuthority, signClientCert } from '../../src/pki/index.js';
import { buildKubeconfig } from '../../src/pki/kubeconfig.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER encodings', () => {
  it('encodes INTEGERs minimally and never negative', () => {
    expect(hex(der.unsignedInteger(Buffer.from([0, 0, 0x7f])))).toBe('02017f');
    expect(hex(der.unsignedInteger(Buffer.from([0x80])))).toBe('02020080');
    expect(hex(der.unsignedInteger(Buffer.from([0])))).toBe('020100');
  });

  it('encodes OIDs with multi-byte arcs and long lengths', () => {
    expect(hex(der.oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    const long = der.octetString(Buffer.alloc(300));
    expect(hex(long.subarray(0, 4))).toBe('0482012c');
  });

  it('writes key usage bits with their unused-bit count (RFC 5280 4.2.1.3)', () => {
    expect(hex(der.namedBits([0, 5, 6]))).toBe('03020186');
    expect(hex(der.namedBits([0, 2]))).toBe('030205a0');
    expect(hex(der.namedBits([8]))).toBe('0303070080');
  });

  it('uses UTCTime through 2049 and GeneralizedTime after, in whole seconds', () => {
    expect(der.time(new Date('2049-12-31T23:59:59.999Z')).toString('latin1', 2)).toBe('491231235959Z');
    const late = der.time(new Date('2050-01-01T00:00:00Z'));
    expect(late[0]).toBe(0x18);
    expect(late.toString('latin1', 2)).toBe('20500101000000Z');
  });

  it('names IPv4, IPv6 (compressed, with an IPv4 tail) and DNS SANs', () => {
    const names = der.generalNames(['10.1.2.3', '::1', 'fe80::1:2', '::ffff:10.0.0.1', 'example.test']);
    expect(hex(names)).toBe(
      '30' +
        '4a' +
        '87040a010203' +
        '8710' +
        '00000000000000000000000000000001' +
        '8710' +
        'fe800000000000000000000000010002' +
        '8710' +
        '00000000000000000000ffff0a000001' +
        '820c' +
        hex(Buffer.from('example.test')),
    );
  });

  it('picks PrintableString when the characters allow it, else UTF8String', () => {
    expect(der.directoryString('system:masters')[0]).toBe(0x13);
    expect(der.directoryString('a"b')[0]).toBe(0x0c);
    expect(der.directoryString('système').toString('utf8', 2)).toBe('système');
  });
});

describe('createPki', () => {
  it('issues ECDSA P-256 certificates chained to the CA, with the serving SANs and usages', async () => {
    const pki = await createPki({ hosts: ['example.test', '10.1.2.3', '0.0.0.0'] });
    const ca = new X509Certificate(pki.ca.certPem);
    const serving = new X509Certificate(pki.serving.certPem);
    const admin = new X509Certificate(pki.admin.certPem);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.subject).toMatch(/^CN=kapi-env-ca-[0-9a-f]{8}$/);
    for (const c of [serving, admin]) {
      expect(c.ca).toBe(false);
      expect(c.checkIssued(ca)).toBe(true);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      // 16 random bytes, positive and minimally encoded.
      expect(c.serialNumber).toMatch(/^(0[1-9A-F]|[1-7][0-9A-F])[0-9A-F]{30}$/);
    }
    expect(serving.subject).toBe('CN=kapi-env-apiserver');
    expect(serving.subjectAltName).toBe(
      'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost, DNS:example.test, IP Address:10.1.2.3',
    );
    expect(serving.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(admin.subject).toBe('CN=kapi-env-admin\nO=system:masters');
    expect(admin.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(serving.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(pki.serving.keyPem)))).toBe(true);
    const validFor = Date.parse(serving.validTo) - Date.parse(serving.validFrom);
    expect(validFor).toBe(365 * 24 * 3600 * 1000 + 60_000);
  });

  it('signs client certificates for any user: CN = user, one O per group, UTF-8 kept', async () => {
    const pki = await createPki();
    const c = new X509Certificate((await signClientCert(pki.authority, { user: 'jane', groups: ['devs', 'équipe'] })).certPem);
    expect(c.subject).toBe('CN=jane\nO=devs\nO=équipe');
    expect(c.verify(new X509Certificate(pki.ca.certPem).publicKey)).toBe(true);
    expect(pki.authority.cert.subject).toBe(new X509Certificate(pki.ca.certPem).subject);
  });
});

describe('buildKubeconfig', () => {
  const creds = { server: 'https://127.0.0.1:6443', caPem: 'CA', clientCertPem: 'CERT', clientKeyPem: 'KEY' };

  it('embeds every credential as *-data under one name', () => {
    const kc = parse(buildKubeconfig(creds)) as Record<string, unknown>;
    expect(kc).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'kapi-env', cluster: { server: creds.server, 'certificate-authority-data': Buffer.from('CA').toString('base64') } },
      ],
      users: [
        {
          name: 'kapi-env',
          user: {
            'client-certificate-data': Buffer.from('CERT').toString('base64'),
            'client-key-data': Buffer.from('KEY').toString('base64'),
          },
        },
      ],
      contexts: [{ name: 'kapi-env', context: { cluster: 'kapi-env', user: 'kapi-env', namespace: 'default' } }],
      'current-context': 'kapi-env',
      preferences: {},
    });
  });

  it('quotes names a YAML 1.1 reader (kubectl) would read as something else', () => {
    for (const name of ['yes', 'off', '123', '1e3', 'a: b', 'x #y', 'end:', '', '-', '[x]', 'née']) {
      for (const version of ['1.1', '1.2'] as const) {
        const kc = parse(buildKubeconfig({ ...creds, server: `https://[::1]:6443`, name }), { version }) as {
          'current-context': unknown;
          clusters: Array<{ name: unknown; cluster: { server: unknown } }>;
        };
        expect(kc['current-context'], `${name} (YAML ${version})`).toBe(name);
        expect(kc.clusters[0].name).toBe(name);
        expect(kc.clusters[0].cluster.server).toBe('https://[::1]:6443');
      }
    }
  });
});

describe('a certificate authority loaded from its PEM files', () => {
  it('signs client certificates the CA verifies, and refuses a key that is not P-256', async () => {
    const pki = await createPki();
    const ca = await loadCertificateAuthority(pki.ca.certPem, pki.ca.keyPem);
    const cert = new X509Certificate((await signClientCert(ca, { user: 'jane', groups: ['dev'] })).certPem);
    expect(cert.verify(createPublicKey(pki.ca.certPem))).toBe(true);
    expect(cert.subject).toBe('CN=jane\nO=dev');
    // The key pair the PKI made: the private key signs what the certificate's public key verifies.
    const payload = Buffer.from('x');
    expect(ca.key.type).toBe('private');
    expect(verify('sha256', payload, createPublicKey(pki.ca.certPem), sign('sha256', payload, ca.key))).toBe(true);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(loadCertificateAuthority(pki.ca.certPem, rsa)).rejects.toThrow('not a P-256 EC key');
  });
});

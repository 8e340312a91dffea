// A fresh PKI per environment: CA, serving certificate, admin client
// certificate and a service-account key pair. ECDSA P-256 through WebCrypto
// (@peculiar/x509), as envtest uses P-256: the whole set takes a few
// milliseconds, where RSA-2048 key generation alone costs 100-500 ms.

import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface Pki {
  ca: KeyPairPem;
  serving: KeyPairPem;
  admin: KeyPairPem;
  serviceAccount: { publicKeyPem: string; privateKeyPem: string };
}

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  key: CryptoKey;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function privatePem(key: CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key));
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

function escapeDN(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

async function createCA(): Promise<CertificateAuthority> {
  const keys = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=kapi-env-ca-${serial().slice(0, 8)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey, certPem: cert.toString('pem') + '\n', keyPem: await privatePem(keys.privateKey) };
}

async function issue(ca: CertificateAuthority, subject: string, usage: 'server' | 'client', hosts: string[] = []): Promise<KeyPairPem> {
  const keys = await keyPair();
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (hosts.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }))));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ALG,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privatePem(keys.privateKey) };
}

/** A client certificate for any user: CN = user name, one O per group. */
export function signClientCert(ca: CertificateAuthority, user: { user: string; groups?: string[] }): Promise<KeyPairPem> {
  const dn = [`CN=${escapeDN(user.user)}`, ...(user.groups ?? []).map((g) => `O=${escapeDN(g)}`)].join(', ');
  return issue(ca, dn, 'client');
}

export interface PkiWithCA extends Pki {
  authority: CertificateAuthority;
}

export async function createPki(opts: { hosts?: string[] } = {}): Promise<PkiWithCA> {
  const ca = await createCA();
  const hosts = [...new Set(['127.0.0.1', '::1', 'localhost', ...(opts.hosts ?? []).filter((h) => h && h !== '0.0.0.0' && h !== '::')])];
  const [serving, admin, sa] = await Promise.all([
    issue(ca, 'CN=kapi-env-apiserver', 'server', hosts),
    signClientCert(ca, { user: 'kapi-env-admin', groups: ['system:masters'] }),
    keyPair(),
  ]);
  return {
    authority: ca,
    ca: { certPem: ca.certPem, keyPem: ca.keyPem },
    serving,
    admin,
    serviceAccount: {
      publicKeyPem: pem('PUBLIC KEY', await webcrypto.subtle.exportKey('spki', sa.publicKey)),
      privateKeyPem: await privatePem(sa.privateKey),
    },
  };
}

// A fresh PKI per environment: CA, serving certificate, admin client
// certificate and a service-account key pair. ECDSA P-256, as envtest uses:
// the whole set takes a few milliseconds, where RSA-2048 key generation alone
// costs 100-500 ms. Keys come from WebCrypto, signatures from node:crypto, and
// the certificates are encoded here (der.ts): no ASN.1 library to load.

import {
  createHash,
  createPrivateKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { promisify } from 'node:util';
import * as der from './der.js';

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
  cert: X509Certificate;
  key: KeyObject;
  /** The CA's subject Name (DER): the issuer of what it signs. */
  name: Buffer;
  /** Its subjectKeyIdentifier: the authorityKeyIdentifier of what it signs. */
  keyId: Buffer;
}

function pem(label: string, bytes: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(bytes as ArrayBuffer)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };

const generateEC = promisify(generateKeyPair);

const P256 = { namedCurve: 'P-256' } as const;

/**
 * A P-256 key pair, made on the thread pool. A PKI asks for all its pairs at once and signs with them on
 * this thread, synchronously: one wait in all, where a wait for each step (WebCrypto's every call) found the
 * main thread busy with the rest of a start each time.
 */
function keyPair(): Promise<KeyPair> {
  return generateEC('ec', P256);
}

/** The same, on this thread (a few milliseconds for two): for what is made when first read. */
function keyPairNow(): KeyPair {
  return generateKeyPairSync('ec', P256);
}

function privatePem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** 16 random bytes, positive and minimally encoded (first byte 0x01-0x7f), as RFC 5280 4.1.2.2 asks. */
function serial(): Buffer {
  const b = randomBytes(16);
  b[0] = b[0] & 0x7f || 1;
  return b;
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(der.subjectPublicKeyBits(spki)).digest();
}

interface CertificateTemplate {
  subject: Buffer;
  issuer: Buffer;
  spki: Buffer;
  extensions: Buffer[];
  signingKey: KeyObject;
}

/** A v3 TBSCertificate signed ecdsa-with-SHA256, valid from a minute ago for a year. */
function certificate(t: CertificateTemplate): Buffer {
  const now = Date.now();
  const algorithm = der.sequence(der.oid(der.OID.ecdsaWithSHA256));
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(serial()),
    algorithm,
    t.issuer,
    der.sequence(der.time(new Date(now - 60_000)), der.time(new Date(now + 365 * DAY))),
    t.subject,
    t.spki,
    der.explicit(3, der.sequence(...t.extensions)),
  );
  // node:crypto signs ECDSA in the DER (r, s) form that X.509 signatures carry.
  const signature = sign('sha256', tbs, t.signingKey);
  return der.sequence(tbs, algorithm, der.bitString(signature));
}

function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

function createCA(keys: KeyPair): CertificateAuthority {
  const spki = spkiOf(keys.publicKey);
  const keyId = keyIdentifier(spki);
  const name = der.name([[der.OID.commonName, `kapi-env-ca-${serial().toString('hex').slice(0, 8)}`]]);
  const raw = certificate({
    subject: name,
    issuer: name,
    spki,
    signingKey: keys.privateKey,
    extensions: [
      der.extension(der.OID.basicConstraints, true, der.sequence(der.boolean(true), der.smallInteger(0))),
      // digitalSignature (0), keyCertSign (5), cRLSign (6)
      der.extension(der.OID.keyUsage, true, der.namedBits([0, 5, 6])),
      der.extension(der.OID.subjectKeyIdentifier, false, der.octetString(keyId)),
    ],
  });
  return {
    cert: new X509Certificate(raw),
    key: keys.privateKey,
    name,
    keyId,
    certPem: pem('CERTIFICATE', raw),
    keyPem: privatePem(keys.privateKey),
  };
}

function issue(
  ca: CertificateAuthority,
  keys: KeyPair,
  subject: Array<[string, string]>,
  usage: 'server' | 'client',
  hosts: string[] = [],
): KeyPairPem {
  const extensions = [
    der.extension(der.OID.basicConstraints, true, der.sequence()),
    // digitalSignature (0), keyEncipherment (2)
    der.extension(der.OID.keyUsage, true, der.namedBits([0, 2])),
    der.extension(der.OID.extKeyUsage, false, der.sequence(der.oid(usage === 'server' ? der.OID.serverAuth : der.OID.clientAuth))),
    der.extension(der.OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, ca.keyId))),
  ];
  if (hosts.length) extensions.push(der.extension(der.OID.subjectAltName, false, der.generalNames(hosts)));
  const raw = certificate({
    subject: der.name(subject),
    issuer: ca.name,
    spki: spkiOf(keys.publicKey),
    signingKey: ca.key,
    extensions,
  });
  return { certPem: pem('CERTIFICATE', raw), keyPem: privatePem(keys.privateKey) };
}

/** A client certificate for any user: CN = user name, one O per group. */
export async function signClientCert(ca: CertificateAuthority, user: { user: string; groups?: string[] }): Promise<KeyPairPem> {
  return clientCert(ca, await keyPair(), user);
}

function clientCert(ca: CertificateAuthority, keys: KeyPair, user: { user: string; groups?: string[] }): KeyPairPem {
  return issue(
    ca,
    keys,
    [[der.OID.commonName, user.user], ...(user.groups ?? []).map((g): [string, string] => [der.OID.organizationName, g])],
    'client',
  );
}

/** A CA from its PEM certificate and PKCS#8 key (one createPki made), to sign more client certificates with. */
export async function loadCertificateAuthority(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const cert = new X509Certificate(certPem);
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error('the certificate authority key is not a P-256 EC key');
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return { cert, key, certPem, keyPem, name: der.certificateSubject(cert.raw), keyId: keyIdentifier(spki) };
}

export interface PkiWithCA extends Pki {
  authority: CertificateAuthority;
}

export async function createPki(opts: { hosts?: string[] } = {}): Promise<PkiWithCA> {
  const [caKeys, servingKeys, adminKeys, sa] = await Promise.all([keyPair(), keyPair(), keyPair(), keyPair()]);
  const ca = createCA(caKeys);
  const hosts = [...new Set(['127.0.0.1', '::1', 'localhost', ...(opts.hosts ?? []).filter((h) => h && h !== '0.0.0.0' && h !== '::')])];
  const serving = issue(ca, servingKeys, [[der.OID.commonName, 'kapi-env-apiserver']], 'server', hosts);
  const admin = clientCert(ca, adminKeys, { user: 'kapi-env-admin', groups: ['system:masters'] });
  return {
    authority: ca,
    ca: { certPem: ca.certPem, keyPem: ca.keyPem },
    serving,
    admin,
    serviceAccount: {
      publicKeyPem: pem('PUBLIC KEY', spkiOf(sa.publicKey)),
      privateKeyPem: privatePem(sa.privateKey),
    },
  };
}

/**
 * A CA and a serving certificate for a webhook server (the hosts it answers as: 127.0.0.1, localhost,
 * `<service>.<namespace>.svc`...), as envtest's WebhookInstallOptions generates them.
 */
export function createServingPki(hosts: string[]): { ca: KeyPairPem; serving: KeyPairPem } {
  // Made when first asked for (env.webhooks), synchronously: two keys, a few milliseconds.
  const ca = createCA(keyPairNow());
  const serving = issue(ca, keyPairNow(), [[der.OID.commonName, hosts[0] ?? 'localhost']], 'server', hosts);
  return { ca: { certPem: ca.certPem, keyPem: ca.keyPem }, serving };
}

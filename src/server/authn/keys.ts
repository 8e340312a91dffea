// Service-account keys as kube-apiserver reads them (k8s.io/client-go/util/keyutil):
// --service-account-key-file holds PEM public keys, private keys (their public half
// is used) or certificates, any number per file; --service-account-signing-key-file
// one private key. ES256/ES384/ES512 for EC keys, RS256 for RSA, as kube's
// serviceaccount.JWTTokenGenerator picks the algorithm from the key.

import { createHash, createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';

export interface PublicKeyEntry {
  key: KeyObject;
  /** kube's keyIDFromPublicKey: base64url(SHA-256(PKIX DER of the public key)). */
  kid: string;
  alg: string;
}

export interface SigningKey extends PublicKeyEntry {
  privateKey: KeyObject;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The JWS algorithm kube signs with for this key; undefined for a key type it does not sign with. */
export function algorithmFor(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return 'ES256';
    if (curve === 'secp384r1' || curve === 'P-384') return 'ES384';
    if (curve === 'secp521r1' || curve === 'P-521') return 'ES512';
  }
  return undefined;
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

function entry(key: KeyObject, source: string): PublicKeyEntry {
  const alg = algorithmFor(key);
  if (!alg) throw new Error(`${source}: unsupported key type ${key.asymmetricKeyType}`);
  return { key, kid: keyId(key), alg };
}

/** Every public key a PEM file holds (keyutil.ParsePublicKeysPEM): public keys, private keys' public halves, certificates'. */
export function parsePublicKeys(pem: string, source: string): PublicKeyEntry[] {
  const out: PublicKeyEntry[] = [];
  for (const m of pem.matchAll(PEM_BLOCK)) {
    const block = m[0];
    const label = m[1];
    if (label === 'CERTIFICATE') out.push(entry(new X509Certificate(block).publicKey, source));
    else if (label.endsWith('PRIVATE KEY')) out.push(entry(createPublicKey(createPrivateKey(block)), source));
    else if (label.endsWith('PUBLIC KEY')) out.push(entry(createPublicKey(block), source));
  }
  if (!out.length) throw new Error(`data does not contain any valid RSA or ECDSA public keys: ${source}`);
  return out;
}

/** The private key --service-account-signing-key-file names. */
export function parseSigningKey(pem: string, source: string): SigningKey {
  const block = [...pem.matchAll(PEM_BLOCK)].find((m) => m[1].endsWith('PRIVATE KEY'));
  if (!block) throw new Error(`data does not contain a valid RSA or ECDSA private key: ${source}`);
  const privateKey = createPrivateKey(block[0]);
  return { ...entry(createPublicKey(privateKey), source), privateKey };
}

// The two PEM checks a CertificateSigningRequest's validation makes: the
// request is a PKCS#10 CERTIFICATE REQUEST whose self-signature verifies
// (certificates.ParseCSR + CheckSignature), and an issued status.certificate
// is CERTIFICATE blocks only (validateCertificate). A PKCS#10 request is read
// with a few lines of DER: the info to verify, the key, the algorithm, the signature.

import { createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { children, oidString, pemDecode, readTlv, type Tlv } from '../../api/der.js';

/** Signature algorithms x509.CheckSignature supports for requests: hash and the error a bad signature gives. */
const SIGNATURE_ALGORITHMS: Record<string, { hash: string | null; failure: string }> = {
  '1.2.840.113549.1.1.5': { hash: 'sha1', failure: 'crypto/rsa: verification error' },
  '1.2.840.113549.1.1.11': { hash: 'sha256', failure: 'crypto/rsa: verification error' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', failure: 'crypto/rsa: verification error' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', failure: 'crypto/rsa: verification error' },
  '1.2.840.10045.4.3.2': { hash: 'sha256', failure: 'x509: ECDSA verification failure' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', failure: 'x509: ECDSA verification failure' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', failure: 'x509: ECDSA verification failure' },
  '1.3.101.112': { hash: null, failure: 'x509: Ed25519 verification failure' },
};

/** The parse or signature error of a PEM-encoded certificate request, or undefined when it verifies. */
export function certificateRequestError(pem: Buffer): string | undefined {
  const decoded = pemDecode(pem.toString('latin1'));
  if (decoded?.block.type !== 'CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  let info: Tlv;
  let algorithm: string;
  let signature: Buffer;
  let key: KeyObject;
  try {
    const outer = readTlv(decoded.block.bytes, 0);
    if (outer.end !== decoded.block.bytes.length) return 'asn1: syntax error: trailing data';
    const [reqInfo, alg, sig] = children(outer);
    if (!reqInfo || !alg || !sig || sig.tag !== 0x03) return 'x509: malformed certificate request';
    info = reqInfo;
    algorithm = oidString(children(alg)[0]?.content ?? Buffer.alloc(1));
    signature = sig.content.subarray(1);
    const spki = children(info)[2];
    if (!spki) return 'x509: malformed certificate request';
    key = createPublicKey({ key: spki.raw, format: 'der', type: 'spki' });
  } catch (e) {
    return e instanceof Error && e.message.startsWith('asn1:') ? e.message : 'x509: malformed certificate request';
  }
  const alg = SIGNATURE_ALGORITHMS[algorithm];
  if (!alg) return 'x509: cannot verify signature: algorithm unimplemented';
  try {
    return verify(alg.hash, info.raw, key, signature) ? undefined : alg.failure;
  } catch {
    return alg.failure;
  }
}

/** validateCertificate: CERTIFICATE PEM blocks only, no headers, each parses. Undefined when valid or empty. */
export function certificateChainError(pem: Buffer): string | undefined {
  if (pem.length === 0) return undefined;
  let data = pem.toString('latin1');
  let blocks = 0;
  for (let d = pemDecode(data); d; d = pemDecode(data)) {
    if (d.block.type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(d.block.type)}`;
    if (d.block.headers) return 'no PEM block headers are permitted';
    blocks++;
    try {
      new X509Certificate(d.block.bytes);
    } catch {
      return 'x509: malformed certificate';
    }
    data = d.rest;
  }
  return blocks === 0 ? 'must contain at least one CERTIFICATE PEM block' : undefined;
}

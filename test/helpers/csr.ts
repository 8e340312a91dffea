// A PKCS#10 certificate signing request for tests (an ECDSA P-256 key, signed
// with ecdsa-with-SHA256), PEM-encoded as clients put it in spec.request.

import { generateKeyPairSync, sign } from 'node:crypto';
import { bitString, explicit, name, OID, oid, sequence, smallInteger } from '../../src/pki/der.js';

export function makeCSR(commonName: string, groups: string[] = []): string {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const subject = name([...groups.map((g): [string, string] => [OID.organizationName, g]), [OID.commonName, commonName]]);
  const info = sequence(smallInteger(0), subject, spki, explicit(0, Buffer.alloc(0)));
  const signature = sign('sha256', info, privateKey);
  const der = sequence(info, sequence(oid(OID.ecdsaWithSHA256)), bitString(signature));
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}-----END CERTIFICATE REQUEST-----\n`;
}

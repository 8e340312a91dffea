// The few DER (X.690) encodings an X.509 v3 certificate (RFC 5280) needs. Small
// enough to write out: the general ASN.1 libraries cost more to load than the
// whole PKI takes to generate, and an environment starts with its PKI.

/** Tag, definite length, contents. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octetString = (b: Buffer): Buffer => tlv(0x04, b);
export const boolean = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
/** [n] EXPLICIT, constructed. */
export const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
/** [n] IMPLICIT over a primitive type. */
export const implicit = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);

/** A non-negative INTEGER from big-endian bytes, in its minimal two's-complement form. */
export function unsignedInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = bytes.subarray(i);
  return tlv(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const base128: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      base128.unshift((v & 0x7f) | (base128.length ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

export const bitString = (bytes: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));

/** A named-bit BIT STRING (KeyUsage): bit 0 is the most significant bit; trailing zero bits are dropped. */
export function namedBits(bits: number[]): Buffer {
  const top = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(top / 8) + 1);
  for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
  return bitString(bytes, 7 - (top & 7));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5); whole seconds, UTC. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  return d.getUTCFullYear() <= 2049
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1'))
    : tlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}

/** A directory string: PrintableString when its character set allows, else UTF8String. */
export function directoryString(v: string): Buffer {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(v) ? tlv(0x13, Buffer.from(v, 'latin1')) : tlv(0x0c, Buffer.from(v, 'utf8'));
}

export const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** A Name: one RDN (a SET of one attribute) per entry, in the order given. */
export function name(attrs: Array<[type: string, value: string]>): Buffer {
  return sequence(...attrs.map(([type, value]) => set(sequence(oid(type), directoryString(value)))));
}

export function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

// Hosts are IP literals or DNS names, and only IPv6 literals hold a colon. (net.isIP would do, but
// its IPv6 pattern costs a few milliseconds to compile on first use, on every cold start.)
const isIPv4 = (h: string): boolean => /^\d{1,3}(?:\.\d{1,3}){3}$/.test(h);
const isIPv6 = (h: string): boolean => h.includes(':');

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::", with an optional dotted IPv4 tail (::ffff:1.2.3.4).
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(parseInt(g, 16), i * 2);
  return out;
}

/** GeneralNames for subjectAltName: iPAddress [7] for IP literals, dNSName [2] otherwise. */
export function generalNames(hosts: string[]): Buffer {
  return sequence(...hosts.map((h) => (isIPv4(h) || isIPv6(h) ? implicit(7, ipBytes(h)) : implicit(2, Buffer.from(h, 'latin1')))));
}

/** The subjectPublicKey BIT STRING's bytes inside a DER SubjectPublicKeyInfo (for key identifiers). */
export function subjectPublicKeyBits(spki: Buffer): Buffer {
  // SEQUENCE { AlgorithmIdentifier SEQUENCE, BIT STRING }: skip the outer header and the algorithm.
  let p = headerLength(spki, 0);
  p += headerLength(spki, p) + contentLength(spki, p);
  const start = p + headerLength(spki, p);
  return spki.subarray(start + 1, start + contentLength(spki, p));
}

function headerLength(b: Buffer, at: number): number {
  const l = b[at + 1];
  return l < 0x80 ? 2 : 2 + (l & 0x7f);
}

function contentLength(b: Buffer, at: number): number {
  const l = b[at + 1];
  if (l < 0x80) return l;
  let n = 0;
  for (let i = 0; i < (l & 0x7f); i++) n = n * 256 + b[at + 2 + i];
  return n;
}

/** The subject Name (whole TLV) of a DER Certificate: the issuer of what that certificate signs. */
export function certificateSubject(cert: Buffer): Buffer {
  // Certificate SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, signature, issuer, validity, subject, ... } }
  let p = headerLength(cert, 0);
  p += headerLength(cert, p);
  const skip = (): void => {
    p += headerLength(cert, p) + contentLength(cert, p);
  };
  if (cert[p] === 0xa0) skip();
  for (let i = 0; i < 4; i++) skip(); // serial, signature, issuer, validity
  return cert.subarray(p, p + headerLength(cert, p) + contentLength(cert, p));
}

// PEM blocks and DER elements (encoding/pem and the little of encoding/asn1 the
// server needs): certificate requests are read with them (validation, admission).

export interface PemBlock {
  type: string;
  headers: boolean;
  bytes: Buffer;
}

/** pem.Decode: the first block, anywhere in the data, and what follows it. */
export function pemDecode(data: string): { block: PemBlock; rest: string } | undefined {
  const m = /-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)-----END \1-----[^\n]*\n?/.exec(data);
  if (!m) return undefined;
  // `Key: value` header lines come first (RFC 1421); the rest is base64.
  const lines = m[2].split(/\r?\n/);
  let i = 0;
  while (i < lines.length && lines[i].includes(':')) i++;
  const bytes = Buffer.from(lines.slice(i).join('').replace(/\s+/g, ''), 'base64');
  return { block: { type: m[1], headers: i > 0, bytes }, rest: data.slice(m.index + m[0].length) };
}

export interface Tlv {
  tag: number;
  /** The whole element (tag, length, contents). */
  raw: Buffer;
  content: Buffer;
  end: number;
}

const TRUNCATED = 'asn1: syntax error: data truncated';

/** One DER element at `at`. */
export function readTlv(b: Buffer, at: number): Tlv {
  if (at + 2 > b.length) throw new Error(TRUNCATED);
  const tag = b[at];
  let len = b[at + 1];
  let off = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + n > b.length) throw new Error('asn1: structure error: length too large');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[off + i];
    off += n;
  }
  if (off + len > b.length) throw new Error(TRUNCATED);
  return { tag, raw: b.subarray(at, off + len), content: b.subarray(off, off + len), end: off + len };
}

export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < t.content.length; ) {
    const c = readTlv(t.content, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

export function oidString(b: Buffer): string {
  const arcs = [Math.floor(b[0] / 40), b[0] % 40];
  let v = 0;
  for (const x of b.subarray(1)) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

/** The subject's organization (O) values of a PEM certificate request; undefined when it does not parse. */
export function csrSubjectOrganizations(pem: string): string[] | undefined {
  try {
    const decoded = pemDecode(pem);
    if (decoded?.block.type !== 'CERTIFICATE REQUEST') return undefined;
    const [info] = children(readTlv(decoded.block.bytes, 0));
    const subject = info ? children(info)[1] : undefined;
    if (!subject) return undefined;
    const out: string[] = [];
    for (const rdn of children(subject)) {
      for (const atv of children(rdn)) {
        const [oid, value] = children(atv);
        if (oid && value && oidString(oid.content) === '2.5.4.10') out.push(value.content.toString('utf8'));
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

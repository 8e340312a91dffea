// IP addresses, CIDRs and ports as k8s.io/utils/net and
// k8s.io/apimachinery/pkg/util/validation read and check them: sloppy parsing
// (IPv4 octets with leading zeros are decimal, as Go's old net.ParseIP took
// them), IPv4-mapped IPv6 addresses counted as IPv4, canonical printing, and
// the validators' exact messages.

import { type FieldError, fieldErrors } from '../../api/errors.js';

export type IPFamily = 'IPv4' | 'IPv6';

export interface IP {
  family: IPFamily;
  /** The address as an unsigned integer (32 or 128 bits). */
  value: bigint;
}

export interface CIDR {
  family: IPFamily;
  /** The network address (host bits cleared). */
  base: bigint;
  prefix: number;
  bits: 32 | 128;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined;
  let head = s;
  let tailV4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIPv4(s.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return undefined;
  const total = left.length + right.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...left, ...Array<string>(8 - total).fill('0'), ...right];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

/** netutils.ParseIPSloppy: undefined when not an IP. IPv4-mapped IPv6 addresses are IPv4, as net.IP.To4 sees them. */
export function parseIP(s: string): IP | undefined {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    if (v === undefined) return undefined;
    if (v >> 32n === 0xffffn) return { family: 'IPv4', value: v & 0xffffffffn };
    return { family: 'IPv6', value: v };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { family: 'IPv4', value: v };
}

/** net.IP.String(): dotted IPv4, RFC 5952 IPv6 (longest run of two or more zero groups compressed). */
export function formatIP(ip: IP): string {
  if (ip.family === 'IPv4') {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** netutils.ParseCIDRSloppy: the network with host bits cleared; undefined when not a CIDR. */
export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const bitsStr = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsStr)) return undefined;
  const prefix = Number(bitsStr);
  const v6 = addr.includes(':');
  const value = v6 ? parseIPv6(addr) : parseIPv4(addr);
  if (value === undefined) return undefined;
  const bits = v6 ? 128 : 32;
  if (prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  const base = (value >> hostBits) << hostBits;
  return { family: v6 ? 'IPv6' : 'IPv4', base, prefix, bits };
}

export function formatCIDR(c: CIDR): string {
  return `${formatIP({ family: c.family, value: c.base })}/${c.prefix}`;
}

/** Number of addresses in the CIDR (netutils.RangeSize, capped as kube caps it at int64). */
export function cidrSize(c: CIDR): bigint {
  return 1n << BigInt(c.bits - c.prefix);
}

export function cidrContains(c: CIDR, ip: IP): boolean {
  if (ip.family !== c.family) return false;
  const hostBits = BigInt(c.bits - c.prefix);
  return ip.value >> hostBits === c.base >> hostBits;
}

export function isIPv6String(s: string): boolean {
  return parseIP(s)?.family === 'IPv6';
}

export function ipFamilyOf(s: string): IPFamily | undefined {
  return parseIP(s)?.family;
}

// k8s.io/apimachinery/pkg/util/validation, with their field paths.

const IP_MESSAGE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
export const CIDR_MESSAGE = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** validation.IsValidIP. */
export function validateIP(path: string, value: string): FieldError[] {
  return parseIP(value) ? [] : [fieldErrors.invalid(path, value, IP_MESSAGE)];
}

/** validation.IsValidIPv4Address / IsValidIPv6Address. */
export function validateIPOfFamily(path: string, value: string, family: IPFamily): FieldError[] {
  const ip = parseIP(value);
  if (!ip || ip.family !== family || (family === 'IPv6' && value.includes('.') && !value.includes(':'))) {
    return [fieldErrors.invalid(path, value, `must be a valid ${family} address`)];
  }
  return [];
}

/** validation.IsValidCIDR. */
export function validateCIDR(path: string, value: string): FieldError[] {
  return parseCIDR(value) ? [] : [fieldErrors.invalid(path, value, CIDR_MESSAGE)];
}

/** ValidateNonSpecialIP (externalIPs, endpoint addresses): unspecified, loopback, link-local are refused. */
export function validateNonSpecialIP(path: string, value: string): FieldError[] {
  const ip = parseIP(value);
  if (!ip) return [fieldErrors.invalid(path, value, 'must be a valid IP address')];
  const v = ip.value;
  if (v === 0n) return [fieldErrors.invalid(path, value, `may not be unspecified (${value})`)];
  if (ip.family === 'IPv4') {
    if (v >> 24n === 127n) return [fieldErrors.invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
    if (v >> 16n === 0xa9fen) return [fieldErrors.invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
    if (v >> 8n === 0xe00000n)
      return [fieldErrors.invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  } else {
    if (v === 1n) return [fieldErrors.invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
    if (v >> 118n === 0x3fan) return [fieldErrors.invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
    if (((v >> 112n) & 0xff0fn) === 0xff02n)
      return [fieldErrors.invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  }
  return [];
}

/** validation.IsValidPortNum. */
export function portNumErrors(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** validation.IsValidPortName (IANA_SVC_NAME). */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  return errs;
}

/** ValidatePortNumOrName for an intstr.IntOrString. */
export function validatePortNumOrName(path: string, port: unknown): FieldError[] {
  if (typeof port === 'number') return portNumErrors(port).map((m) => fieldErrors.invalid(path, port, m));
  if (typeof port === 'string') return portNameErrors(port).map((m) => fieldErrors.invalid(path, port, m));
  return [];
}

export const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** A port's protocol: required, one of TCP/UDP/SCTP. */
export function validateProtocol(path: string, protocol: unknown): FieldError[] {
  if (protocol === undefined || protocol === null || protocol === '') return [fieldErrors.required(path)];
  if (!SUPPORTED_PROTOCOLS.includes(String(protocol))) return [fieldErrors.notSupported(path, protocol, SUPPORTED_PROTOCOLS)];
  return [];
}

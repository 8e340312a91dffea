// The string formats apiextensions-apiserver checks (pkg/apiserver/validation/formats.go);
// unknown formats pass, as there.

import net from 'node:net';

const checks: Record<string, (v: string) => boolean> = {
  int32: () => true,
  int64: () => true,
  byte: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0,
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v),
  duration: (v) => /^(-?\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$|^0$/.test(v),
  uuid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  ipv4: (v) => net.isIPv4(v),
  ipv6: (v) => net.isIPv6(v),
  cidr: (v) => {
    const [ip, bits, ...rest] = v.split('/');
    if (rest.length || bits === undefined || !/^\d+$/.test(bits)) return false;
    return (net.isIPv4(ip) && Number(bits) <= 32) || (net.isIPv6(ip) && Number(bits) <= 128);
  },
  email: (v) => /^[^@\s]+@[^@\s]+$/.test(v),
  hostname: (v) =>
    v.length <= 255 && /^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/.test(v),
  uri: (v) => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v),
  mac: (v) => /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(v),
};

/** Returns the format name when `v` does not conform, undefined when it does (or the format is unchecked). */
export function checkFormat(format: string, v: string): string | undefined {
  const f = checks[format];
  return f && !f(v) ? format : undefined;
}

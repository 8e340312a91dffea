// resource.Quantity (k8s.io/apimachinery/pkg/api/resource): parsing, comparison,
// rounding and the canonical string the API server writes back (`0.5` is
// `500m`, `1536Mi` stays, `1024Mi` is `1Gi`). Values are exact: a BigInt
// mantissa times a power of ten.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** value = mantissa * 10^scale */
  mantissa: bigint;
  scale: number;
  format: QuantityFormat;
}

const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENTS: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const NUMBER_RE = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;

/** The smallest scale a parsed quantity keeps (nano); finer values are rounded up, as ParseQuantity does. */
const MIN_SCALE = -9;

/** Parses a quantity (a string or a JSON number); undefined when it is not one. */
export function parseQuantity(input: unknown): Quantity | undefined {
  const str = typeof input === 'number' ? String(input) : typeof input === 'string' ? input.trim() : undefined;
  if (!str) return undefined;
  const m = NUMBER_RE.exec(str);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const [, sign, whole, frac = '', suffix] = m;
  let mantissa = BigInt(`${whole}${frac}` || '0');
  let scale = -frac.length;
  let format: QuantityFormat = 'DecimalSI';
  if (suffix in DECIMAL_EXPONENTS) scale += DECIMAL_EXPONENTS[suffix];
  else if (suffix in BINARY_EXPONENTS) {
    mantissa *= 1n << BigInt(BINARY_EXPONENTS[suffix]);
    format = 'BinarySI';
  } else if (/^[eE][-+]?\d+$/.test(suffix)) {
    scale += Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else return undefined;
  if (sign === '-') mantissa = -mantissa;
  return roundUp({ mantissa, scale, format }, MIN_SCALE);
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Rounds away from zero to at most `scale` decimal places (Quantity.RoundUp). */
export function roundUp(q: Quantity, scale: number): Quantity {
  if (q.scale >= scale) return q;
  const div = pow10(scale - q.scale);
  let m = q.mantissa / div;
  if (m * div !== q.mantissa) m += q.mantissa < 0n ? -1n : 1n;
  return { ...q, mantissa: m, scale };
}

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compareQuantity(a: Quantity, b: Quantity): number {
  const s = Math.min(a.scale, b.scale);
  const x = a.mantissa * pow10(a.scale - s);
  const y = b.mantissa * pow10(b.scale - s);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addQuantity(a: Quantity, b: Quantity): Quantity {
  const s = Math.min(a.scale, b.scale);
  return { mantissa: a.mantissa * pow10(a.scale - s) + b.mantissa * pow10(b.scale - s), scale: s, format: a.format };
}

export function isZeroQuantity(q: Quantity): boolean {
  return q.mantissa === 0n;
}

/** mantissa * 10^scale with the mantissa's trailing zeros folded into the scale. */
function normalize(mantissa: bigint, scale: number): { mantissa: bigint; scale: number } {
  let m = mantissa;
  let s = scale;
  while (m !== 0n && m % 10n === 0n) {
    m /= 10n;
    s++;
  }
  return { mantissa: m, scale: s };
}

const DECIMAL_SUFFIXES = new Map(Object.entries(DECIMAL_EXPONENTS).map(([k, v]) => [v, k]));

/** Quantity.String(): the canonical form kube-apiserver serialises. */
export function formatQuantity(q: Quantity): string {
  if (q.mantissa === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const n = normalize(q.mantissa, q.scale);
    const small = n.scale <= 3 && n.mantissa * pow10(Math.max(n.scale, 0)) < 1024n && n.mantissa * pow10(Math.max(n.scale, 0)) > -1024n;
    // Small values, and values with a fraction, are written in decimal so nothing is lost (CanonicalizeBytes).
    if (small || n.scale < 0) format = 'DecimalSI';
    else {
      let v = n.mantissa * pow10(n.scale);
      let exp = 0;
      while (exp < 60 && v % 1024n === 0n) {
        v /= 1024n;
        exp += 10;
      }
      const suffix = Object.entries(BINARY_EXPONENTS).find(([, e]) => e === exp)?.[0] ?? '';
      return `${v}${suffix}`;
    }
  }
  let { mantissa, scale } = normalize(q.mantissa, q.scale);
  // The exponent is kept a multiple of three (AsCanonicalBytes).
  const r = ((scale % 3) + 3) % 3;
  if (r === 1) {
    mantissa *= 10n;
    scale -= 1;
  } else if (r === 2) {
    mantissa *= 100n;
    scale -= 2;
  }
  if (format === 'DecimalExponent') return scale === 0 ? `${mantissa}` : `${mantissa}e${scale}`;
  while (scale > 18) {
    mantissa *= 1000n;
    scale -= 3;
  }
  return `${mantissa}${DECIMAL_SUFFIXES.get(scale) ?? ''}`;
}

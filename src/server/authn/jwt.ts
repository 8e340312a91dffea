// JWTs: the compact form read without a library (which authenticator a token is for is
// decided on its claims alone), and `jose` loaded on first use for signing and
// verifying: it costs 100+ ms to load, more than a memory-backed start.

type Jose = typeof import('jose');

let loaded: Promise<Jose> | undefined;

/** The jose module, imported once, when a token is first signed or verified. */
export function jose(): Promise<Jose> {
  loaded ??= import('jose');
  return loaded;
}

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  if (!part || !/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A compact JWS's header and claims, unverified; undefined when the token is no JWT. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = decodePart(parts[0]);
  const claims = decodePart(parts[1]);
  return header && claims ? { header, claims } : undefined;
}

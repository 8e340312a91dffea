// Bootstrap tokens (--enable-bootstrap-token-auth), kube's bootstrap token
// authenticator (plugin/pkg/auth/authenticator/token/bootstrap): `<id>.<secret>`
// names the Secret `bootstrap-token-<id>` of type bootstrap.kubernetes.io/token in
// kube-system. Any mismatch is "not this authenticator's token" (kube only logs
// why), so the request ends 401 with the other authenticators' reasons.

import { timingSafeEqual } from 'node:crypto';
import { isPlainObject, type KubeObject } from '../api/types.js';
import type { TokenAuthenticator, TokenResult } from './index.js';
import type { ObjectGetter } from './serviceaccount.js';

const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const SECRET_TYPE = 'bootstrap.kubernetes.io/token';
const DEFAULT_GROUP = 'system:bootstrappers';
const EXTRA_GROUP_PREFIX = 'system:bootstrappers:';

function dataOf(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = isPlainObject(secret.data) ? secret.data : {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

export class BootstrapTokenAuthenticator implements TokenAuthenticator {
  constructor(private readonly getObject: ObjectGetter) {}

  async authenticateToken(token: string): Promise<TokenResult> {
    const m = TOKEN.exec(token);
    if (!m) return { kind: 'none' };
    const [, id, secretPart] = m;
    const secret = await this.getObject('secrets', 'kube-system', `bootstrap-token-${id}`).catch(() => undefined);
    if (!secret || secret.metadata?.deletionTimestamp || secret.type !== SECRET_TYPE) return { kind: 'none' };
    const data = dataOf(secret);
    const stored = Buffer.from(data['token-secret'] ?? '');
    const given = Buffer.from(secretPart);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return { kind: 'none' };
    if (data['token-id'] !== id) return { kind: 'none' };
    if (data.expiration) {
      const exp = Date.parse(data.expiration);
      if (!Number.isFinite(exp) || exp < Date.now()) return { kind: 'none' };
    }
    if (data['usage-bootstrap-authentication'] !== 'true') return { kind: 'none' };
    const extra = (data['auth-extra-groups'] ?? '').split(',').filter(Boolean);
    if (extra.some((g) => !g.startsWith(EXTRA_GROUP_PREFIX))) return { kind: 'none' };
    // kube returns the groups as a sorted set.
    const groups = [...new Set([DEFAULT_GROUP, ...extra])].sort();
    return { kind: 'user', user: { username: `system:bootstrap:${id}`, groups } };
  }
}

// Service-account tokens (k8s.io/kubernetes pkg/serviceaccount): bound tokens
// from TokenRequest, signed with --service-account-signing-key-file and checked
// against --service-account-key-file, --service-account-issuer and the API
// audiences; and legacy tokens (issuer `kubernetes/serviceaccount`) that the
// token controller writes into kubernetes.io/service-account-token Secrets.
// Either is valid only while the ServiceAccount it names (and the pod or secret
// it is bound to) exists with the same uid.

import { randomUUID } from 'node:crypto';
import { isStatusError } from '../api/errors.js';
import { isPlainObject, type KubeObject, type UserInfo } from '../api/types.js';
import type { TokenAuthenticator, TokenResult } from './index.js';
import { decodeJwt, jose } from './jwt.js';
import type { PublicKeyEntry, SigningKey } from './keys.js';

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
export const SERVICE_ACCOUNT_TOKEN_KEY = 'token';

export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

/** Reads a served object (through the watch cache where there is one); undefined when it does not exist. */
export type ObjectGetter = (
  resource: 'serviceaccounts' | 'secrets' | 'pods' | 'nodes',
  namespace: string,
  name: string,
) => Promise<KubeObject | undefined>;

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
}

interface Ref {
  name?: string;
  uid?: string;
}

/** The `kubernetes.io` private claim of a bound token. */
interface KubernetesClaim {
  namespace?: string;
  serviceaccount?: Ref;
  pod?: Ref;
  secret?: Ref;
  node?: Ref;
  warnafter?: number;
}

function refOf(o: KubeObject): Ref {
  return { name: o.metadata?.name ?? '', uid: o.metadata?.uid ?? '' };
}

export interface TokenClaimsInput {
  serviceAccount: KubeObject;
  pod?: KubeObject;
  secret?: KubeObject;
  node?: KubeObject;
  expirationSeconds: number;
  audiences: string[];
}

/** Signs service-account tokens with the server's key (kube's JWTTokenGenerator). */
export class ServiceAccountTokenSigner {
  constructor(
    private readonly key: SigningKey,
    readonly issuer: string,
  ) {}

  /**
   * A bound token: kube's serviceaccount.Claims (sub, aud, iat, nbf, exp, jti; `kubernetes.io` with the
   * namespace, the service account, and the pod (with its node), secret or node it is bound to).
   */
  async bound(input: TokenClaimsInput, nowMs = Date.now()): Promise<{ token: string; expiresAtMs: number }> {
    const sa = input.serviceAccount;
    const namespace = sa.metadata?.namespace ?? '';
    const now = Math.floor(nowMs / 1000);
    const exp = now + input.expirationSeconds;
    const k8s: KubernetesClaim = { namespace, serviceaccount: refOf(sa) };
    if (input.pod) {
      k8s.pod = refOf(input.pod);
      if (input.node) k8s.node = refOf(input.node);
    } else if (input.secret) k8s.secret = refOf(input.secret);
    else if (input.node) k8s.node = refOf(input.node);
    const { SignJWT } = await jose();
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid })
      .setIssuer(this.issuer)
      .setSubject(serviceAccountUsername(namespace, sa.metadata?.name ?? ''))
      .setAudience(input.audiences)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key.privateKey);
    return { token, expiresAtMs: exp * 1000 };
  }

  /** A legacy Secret-based token (kube's LegacyClaims): no audience, no expiry, the secret's name inside. */
  async legacy(serviceAccount: KubeObject, secret: KubeObject): Promise<string> {
    const { SignJWT } = await jose();
    const namespace = serviceAccount.metadata?.namespace ?? '';
    const name = serviceAccount.metadata?.name ?? '';
    return new SignJWT({
      'kubernetes.io/serviceaccount/namespace': namespace,
      'kubernetes.io/serviceaccount/secret.name': secret.metadata?.name ?? '',
      'kubernetes.io/serviceaccount/service-account.name': name,
      'kubernetes.io/serviceaccount/service-account.uid': serviceAccount.metadata?.uid ?? '',
    })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid })
      .setIssuer(LEGACY_ISSUER)
      .setSubject(serviceAccountUsername(namespace, name))
      .sign(this.key.privateKey);
  }
}

const invalid = (reason: string): TokenResult => ({ kind: 'invalid', reason });

/** Go's %q of a []string: `["a" "b"]`. */
function goQuoteList(v: string[]): string {
  return `[${v.map((s) => JSON.stringify(s)).join(' ')}]`;
}

function deletionTimestampPassed(o: KubeObject, nowMs: number): boolean {
  const ts = o.metadata?.deletionTimestamp;
  // jwt.DefaultLeeway: an object deleted less than a minute ago still counts.
  return typeof ts === 'string' && Date.parse(ts) < nowMs - 60_000;
}

async function get(getObject: ObjectGetter, resource: Parameters<ObjectGetter>[0], ns: string, name: string): Promise<KubeObject | Error> {
  try {
    const o = await getObject(resource, ns, name);
    return o ?? new Error(`${resource} "${name}" not found`);
  } catch (e) {
    return isStatusError(e) ? new Error(e.message) : (e as Error);
  }
}

export interface ServiceAccountAuthenticatorOptions {
  /** --service-account-issuer: the first signs, all are accepted. */
  issuers: string[];
  /** --service-account-key-file (and the signing key's public half). */
  keys: PublicKeyEntry[];
  /** --api-audiences: a token without `aud` (legacy) is taken as meant for these. */
  apiAudiences: string[];
  getObject: ObjectGetter;
}

/**
 * kube's JWTTokenAuthenticator for both the bound issuers and the legacy one: a JWT from another issuer
 * (or no JWT) is not this authenticator's; one of ours is checked for signature, audience, time and the
 * objects it names.
 */
export class ServiceAccountTokenAuthenticator implements TokenAuthenticator {
  constructor(private readonly o: ServiceAccountAuthenticatorOptions) {}

  async authenticateToken(token: string, audiences: string[]): Promise<TokenResult> {
    const claims = decodeJwt(token)?.claims;
    if (!claims) return { kind: 'none' };
    const iss = claims.iss;
    const legacy = iss === LEGACY_ISSUER;
    if (typeof iss !== 'string' || (!legacy && !this.o.issuers.includes(iss))) return { kind: 'none' };
    const nowMs = Date.now();
    const { compactVerify } = await jose();
    let verified = false;
    for (const k of this.o.keys) {
      try {
        // The signature only: times are checked below, with kube's messages.
        await compactVerify(token, k.key, { algorithms: [k.alg] });
        verified = true;
        break;
      } catch {
        // The next key.
      }
    }
    if (!verified) return invalid('go-jose/go-jose: error in cryptographic primitive');
    const aud = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? (claims.aud as string[]) : [String(claims.aud)];
    const tokenAudiences = aud.length ? aud : this.o.apiAudiences;
    const requested = audiences.length ? audiences : this.o.apiAudiences;
    const accepted = tokenAudiences.filter((a) => requested.includes(a));
    if (!accepted.length && this.o.apiAudiences.length)
      return invalid(`token audiences ${goQuoteList(tokenAudiences)} is invalid for the target audiences ${goQuoteList(requested)}`);
    const r = legacy ? await this.validateLegacy(token, claims) : await this.validateBound(claims, nowMs);
    if (r.kind === 'user') r.audiences = accepted;
    return r;
  }

  private async validateBound(claims: Record<string, unknown>, nowMs: number): Promise<TokenResult> {
    const k8s = claims['kubernetes.io'];
    if (!isPlainObject(k8s)) return invalid('service account token claims could not be retrieved');
    const priv = k8s as KubernetesClaim;
    const now = nowMs / 1000;
    // jwt.Claims.Validate with go-jose's one-minute leeway.
    if (typeof claims.exp === 'number' && now > claims.exp + 60) return invalid('service account token has expired');
    if (typeof claims.nbf === 'number' && now < claims.nbf - 60) return invalid('service account token is not valid yet');
    const ns = priv.namespace ?? '';
    const saRef = priv.serviceaccount ?? {};
    const sa = await get(this.o.getObject, 'serviceaccounts', ns, saRef.name ?? '');
    if (sa instanceof Error) return invalid(sa.message);
    if (deletionTimestampPassed(sa, nowMs)) return invalid(`service account ${ns}/${saRef.name} has been deleted`);
    if (sa.metadata?.uid !== saRef.uid) return invalid(`service account UID (${sa.metadata?.uid}) does not match claim (${saRef.uid})`);
    if (priv.secret) {
      const secret = await get(this.o.getObject, 'secrets', ns, priv.secret.name ?? '');
      if (secret instanceof Error || deletionTimestampPassed(secret, nowMs)) return invalid('service account token has been invalidated');
      if (secret.metadata?.uid !== priv.secret.uid)
        return invalid(`secret UID (${secret.metadata?.uid}) does not match service account secret ref claim (${priv.secret.uid})`);
    }
    const user: UserInfo = { username: serviceAccountUsername(ns, saRef.name ?? ''), uid: saRef.uid, groups: serviceAccountGroups(ns) };
    const extra: Record<string, string[]> = {};
    if (priv.pod) {
      const pod = await get(this.o.getObject, 'pods', ns, priv.pod.name ?? '');
      if (pod instanceof Error || deletionTimestampPassed(pod, nowMs)) return invalid('service account token has been invalidated');
      if (pod.metadata?.uid !== priv.pod.uid)
        return invalid(`pod UID (${pod.metadata?.uid}) does not match service account pod ref claim (${priv.pod.uid})`);
      extra[EXTRA_POD_NAME] = [priv.pod.name ?? ''];
      extra[EXTRA_POD_UID] = [priv.pod.uid ?? ''];
    }
    if (priv.node?.name) {
      // A token bound to a node (not through a pod) is invalid once that node is gone (ServiceAccountTokenNodeBindingValidation).
      if (!priv.pod) {
        const node = await get(this.o.getObject, 'nodes', '', priv.node.name);
        if (node instanceof Error || deletionTimestampPassed(node, nowMs)) return invalid('service account token has been invalidated');
        if (node.metadata?.uid !== priv.node.uid)
          return invalid(`node UID (${node.metadata?.uid}) does not match service account node ref claim (${priv.node.uid})`);
      }
      extra[EXTRA_NODE_NAME] = [priv.node.name];
      if (priv.node.uid) extra[EXTRA_NODE_UID] = [priv.node.uid];
    }
    if (typeof claims.jti === 'string' && claims.jti) extra[EXTRA_CREDENTIAL_ID] = [`JTI=${claims.jti}`];
    if (Object.keys(extra).length) user.extra = extra;
    return { kind: 'user', user };
  }

  /** kube's legacy validator: the Secret still holds this very token, and the ServiceAccount is the one named. */
  private async validateLegacy(token: string, claims: Record<string, unknown>): Promise<TokenResult> {
    const claim = (k: string): string => String(claims[`kubernetes.io/serviceaccount/${k}`] ?? '');
    const sub = String(claims.sub ?? '');
    if (!sub) return invalid('sub claim is missing');
    const ns = claim('namespace');
    if (!ns) return invalid('namespace claim is missing');
    const secretName = claim('secret.name');
    if (!secretName) return invalid('secretName claim is missing');
    const saName = claim('service-account.name');
    if (!saName) return invalid('serviceAccountName claim is missing');
    const saUid = claim('service-account.uid');
    if (!saUid) return invalid('serviceAccountUID claim is missing');
    if (sub !== serviceAccountUsername(ns, saName)) return invalid('sub claim is invalid');
    const secret = await get(this.o.getObject, 'secrets', ns, secretName);
    if (secret instanceof Error || secret.metadata?.deletionTimestamp) return invalid('Token has been invalidated');
    const data = isPlainObject(secret.data) ? secret.data : {};
    const stored =
      typeof data[SERVICE_ACCOUNT_TOKEN_KEY] === 'string' ? Buffer.from(data[SERVICE_ACCOUNT_TOKEN_KEY], 'base64').toString('utf8') : '';
    if (stored !== token) return invalid("Token does not match server's copy");
    const sa = await get(this.o.getObject, 'serviceaccounts', ns, saName);
    if (sa instanceof Error) return invalid(sa.message);
    if (sa.metadata?.deletionTimestamp) return invalid(`ServiceAccount ${ns}/${saName} has been deleted`);
    if (sa.metadata?.uid !== saUid) return invalid(`ServiceAccount UID (${sa.metadata?.uid}) does not match claim (${saUid})`);
    return { kind: 'user', user: { username: sub, uid: saUid, groups: serviceAccountGroups(ns) } };
  }
}

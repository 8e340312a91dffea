// The authenticator chain kube-apiserver builds from its flags
// (pkg/kubeapiserver/authenticator/config.go): x509 client certificates, then
// bearer tokens (static tokens, service-account tokens, bootstrap tokens, OIDC),
// anonymous last; plus what TokenRequest, TokenReview and the service-account
// issuer discovery documents need of it.

import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { UserInfo } from '../api/types.js';
import { BootstrapTokenAuthenticator } from './bootstrap-token.js';
import { parseCertificates } from './client-cert.js';
import {
  type Authenticator,
  authenticateToken,
  BearerTokenAuthenticator,
  type TokenAuthenticator,
  withAuthenticatedGroup,
  X509Authenticator,
} from './index.js';
import { algorithmFor, keyId, type PublicKeyEntry, parsePublicKeys, parseSigningKey, type SigningKey } from './keys.js';
import { OidcAuthenticator, type OidcOptions } from './oidc.js';
import { RequestHeaderAuthenticator, type RequestHeaderConfig } from './requestheader.js';
import { type ObjectGetter, ServiceAccountTokenAuthenticator, ServiceAccountTokenSigner } from './serviceaccount.js';
import { parseTokenFile, TokenFileAuthenticator } from './token-file.js';

/** The issuer envtest and kubeadm clusters use when none is given. */
export const DEFAULT_SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface AuthenticationOptions {
  /** --anonymous-auth (default true). */
  anonymous?: boolean;
  /** --token-auth-file, parsed (token-file.ts parseTokenFile). */
  tokens?: Map<string, UserInfo>;
  /** --service-account-issuer (repeatable; the first one signs). Default DEFAULT_SERVICE_ACCOUNT_ISSUER. */
  serviceAccountIssuers?: string[];
  /** --service-account-signing-key-file's PEM; absent: a key generated for this server's lifetime. */
  serviceAccountSigningKeyPem?: string;
  /** --service-account-key-file PEMs (each may hold several keys); the signing key's public half is always accepted. */
  serviceAccountKeyPems?: string[];
  /** --api-audiences (default: the issuers). */
  apiAudiences?: string[];
  /** --enable-bootstrap-token-auth. */
  bootstrapTokens?: boolean;
  oidc?: OidcOptions;
  /** The front-proxy authenticator (--requestheader-*), when --requestheader-client-ca-file is given. */
  requestHeader?: RequestHeaderConfig;
  /** The client CA (--client-ca-file): with a request-header CA beside it, x509 users must chain to this one. */
  clientCaPem?: string;
}

/** The authentication flags as given (files named, not yet read); the harness may give the signing key's PEM itself. */
export interface AuthenticationConfig {
  anonymous?: boolean;
  tokenAuthFile?: string;
  serviceAccountIssuers?: string[];
  serviceAccountKeyFiles?: string[];
  serviceAccountSigningKeyFile?: string;
  /** Used when no --service-account-signing-key-file is named (the environment's PKI key). */
  serviceAccountSigningKeyPem?: string;
  apiAudiences?: string[];
  enableBootstrapTokenAuth?: boolean;
  oidc?: Omit<OidcOptions, 'caPem'> & { caFile?: string };
  /** --requestheader-client-ca-file and the header lists (--requestheader-*). */
  requestHeader?: Partial<RequestHeaderConfig> & { clientCaFile?: string };
  /** The server's client CA (ServerConfig.tls.clientCaPem), set by the server. */
  clientCaPem?: string;
}

/** Reads the files the flags name; a file that cannot be read or parsed is an error naming its flag. */
export async function loadAuthenticationOptions(c: AuthenticationConfig = {}): Promise<AuthenticationOptions> {
  const read = async (flag: string, file: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`--${flag}: ${code === 'ENOENT' ? `open ${file}: no such file or directory` : (e as Error).message}`);
    }
  };
  const out: AuthenticationOptions = {
    anonymous: c.anonymous,
    serviceAccountIssuers: c.serviceAccountIssuers,
    apiAudiences: c.apiAudiences,
    bootstrapTokens: c.enableBootstrapTokenAuth,
    serviceAccountSigningKeyPem: c.serviceAccountSigningKeyPem,
    clientCaPem: c.clientCaPem,
  };
  if (c.requestHeader?.clientCaFile || c.requestHeader?.caPem) {
    const { clientCaFile, caPem, ...lists } = c.requestHeader;
    out.requestHeader = {
      caPem: clientCaFile ? await read('requestheader-client-ca-file', clientCaFile) : caPem!,
      allowedNames: lists.allowedNames ?? [],
      usernameHeaders: lists.usernameHeaders ?? [],
      uidHeaders: lists.uidHeaders ?? [],
      groupHeaders: lists.groupHeaders ?? [],
      extraHeaderPrefixes: lists.extraHeaderPrefixes ?? [],
    };
  }
  if (c.tokenAuthFile) out.tokens = parseTokenFile(await read('token-auth-file', c.tokenAuthFile), c.tokenAuthFile);
  if (c.serviceAccountSigningKeyFile)
    out.serviceAccountSigningKeyPem = await read('service-account-signing-key-file', c.serviceAccountSigningKeyFile);
  if (c.serviceAccountKeyFiles?.length)
    out.serviceAccountKeyPems = await Promise.all(c.serviceAccountKeyFiles.map((f) => read('service-account-key-file', f)));
  if (c.oidc) {
    const { caFile, ...oidc } = c.oidc;
    out.oidc = { ...oidc, caPem: caFile ? await read('oidc-ca-file', caFile) : undefined };
  }
  return out;
}

export interface Authentication {
  authenticators: Authenticator[];
  /** The front-proxy configuration: its CA joins the TLS client CAs, its headers are stripped after authentication. */
  requestHeader?: RequestHeaderConfig;
  anonymous: boolean;
  /** The token authenticators, in order (TokenReview asks them). */
  tokens: TokenAuthenticator[];
  apiAudiences: string[];
  issuer: string;
  signer: ServiceAccountTokenSigner;
  /** The service-account verification keys (the JWKS document). */
  publicKeys: PublicKeyEntry[];
}

function ephemeralSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, key: publicKey, kid: keyId(publicKey), alg: algorithmFor(publicKey)! };
}

export function buildAuthentication(o: AuthenticationOptions, getObject: ObjectGetter): Authentication {
  const issuers = o.serviceAccountIssuers?.length ? o.serviceAccountIssuers : [DEFAULT_SERVICE_ACCOUNT_ISSUER];
  const apiAudiences = o.apiAudiences?.length ? o.apiAudiences : issuers;
  const signingKey = o.serviceAccountSigningKeyPem
    ? parseSigningKey(o.serviceAccountSigningKeyPem, '--service-account-signing-key-file')
    : ephemeralSigningKey();
  const publicKeys: PublicKeyEntry[] = [{ key: signingKey.key, kid: signingKey.kid, alg: signingKey.alg }];
  for (const pem of o.serviceAccountKeyPems ?? []) {
    for (const k of parsePublicKeys(pem, '--service-account-key-file')) if (!publicKeys.some((p) => p.kid === k.kid)) publicKeys.push(k);
  }
  const tokens: TokenAuthenticator[] = [];
  if (o.tokens?.size) tokens.push(new TokenFileAuthenticator(o.tokens));
  tokens.push(new ServiceAccountTokenAuthenticator({ issuers, keys: publicKeys, apiAudiences, getObject }));
  if (o.bootstrapTokens) tokens.push(new BootstrapTokenAuthenticator(getObject));
  if (o.oidc) tokens.push(new OidcAuthenticator(o.oidc));
  return {
    // kube's order: the front proxy first, then x509 client certificates, then bearer tokens.
    authenticators: [
      ...(o.requestHeader ? [new RequestHeaderAuthenticator(o.requestHeader)] : []),
      new X509Authenticator(o.requestHeader ? parseCertificates(o.clientCaPem ?? '') : undefined),
      new BearerTokenAuthenticator(tokens, apiAudiences),
    ],
    requestHeader: o.requestHeader,
    anonymous: o.anonymous ?? true,
    tokens,
    apiAudiences,
    issuer: issuers[0],
    signer: new ServiceAccountTokenSigner(signingKey, issuers[0]),
    publicKeys,
  };
}

/** TokenReview's view of the chain: the token authenticators for these audiences, kube's union errors. */
export async function reviewToken(
  a: Authentication,
  token: string,
  audiences: string[],
): Promise<{ authenticated: boolean; user?: UserInfo; audiences?: string[]; error?: string }> {
  const r = await authenticateToken(a.tokens, token, audiences);
  if (r.kind === 'user') {
    // Authenticators that know no audiences (static, bootstrap, OIDC tokens) are meant for the API audiences
    // only (kube's WrapAudienceAgnosticToken).
    const accepted = r.audiences ?? a.apiAudiences.filter((x) => audiences.includes(x));
    if (!accepted.length) return { authenticated: false };
    return { authenticated: true, user: withAuthenticatedGroup(r.user), audiences: accepted };
  }
  return { authenticated: false, error: r.kind === 'invalid' ? r.reason : undefined };
}

/** The service-account issuer discovery document (pkg/serviceaccount/openidmetadata.go); undefined unless the issuer is an https URL. */
export function openIDConfiguration(a: Authentication, jwksURI: string): Record<string, unknown> | undefined {
  let url: URL;
  try {
    url = new URL(a.issuer);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:') return undefined;
  return {
    issuer: a.issuer,
    jwks_uri: jwksURI,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(a.publicKeys.map((k) => k.alg))].sort(),
  };
}

/** The verification keys as a JWK set: `use: sig`, the key id and algorithm kube signs with. */
export function jwks(a: Authentication): { keys: Record<string, unknown>[] } {
  return {
    keys: a.publicKeys.map((k) => {
      const jwk = k.key.export({ format: 'jwk' }) as Record<string, unknown>;
      return { use: 'sig', kty: jwk.kty, kid: k.kid, alg: k.alg, ...jwk };
    }),
  };
}

// The service-account issuer discovery documents kube-apiserver serves
// (pkg/routes/openidmetadata.go): /.well-known/openid-configuration and
// /openid/v1/jwks, JSON with a one-hour public cache, so that relying parties
// (cloud IAM, OIDC clients) can verify service-account tokens.

import { type Authentication, jwks, openIDConfiguration } from '../authn/setup.js';
import type { ApiRequest } from '../http/request.js';

export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

/** Serves the two documents; false for any other path (or when the issuer is no https URL, as kube serves neither then). */
export function serveOpenIDMetadata(r: ApiRequest, authn: Authentication, externalAddress: string): boolean {
  if (r.path !== OPENID_CONFIGURATION_PATH && r.path !== JWKS_PATH) return false;
  const config = openIDConfiguration(authn, `https://${externalAddress}${JWKS_PATH}`);
  if (!config) return false;
  const [body, contentType] = r.path === JWKS_PATH ? [jwks(authn), 'application/jwk-set+json'] : [config, 'application/json'];
  const payload = Buffer.from(JSON.stringify(body));
  r.res.setHeader('Content-Type', contentType);
  // kube's handlers: cacheable by anyone for an hour.
  r.res.setHeader('Cache-Control', 'public, max-age=3600');
  r.res.setHeader('Content-Length', payload.length);
  r.res.statusCode = 200;
  r.res.end(payload);
  return true;
}

// What the authentication.k8s.io resources and serviceaccounts/token need of the
// server's authenticators (kube hands them to the REST storages' constructors):
// the API audiences, a token signer and the token authenticators, given to the
// catalog rows through ServerOptions.

import type { KubeObject, UserInfo } from '../api/types.js';

export interface TokenReviewResult {
  authenticated: boolean;
  user?: UserInfo;
  audiences?: string[];
  error?: string;
}

export interface AuthenticationAPI {
  /** --api-audiences (default: the service-account issuers): a TokenRequest's and TokenReview's default audiences. */
  apiAudiences: string[];
  /** Signs a bound service-account token (kube's TokenGenerator over serviceaccount.Claims). */
  issueToken(input: {
    serviceAccount: KubeObject;
    pod?: KubeObject;
    secret?: KubeObject;
    node?: KubeObject;
    expirationSeconds: number;
    audiences: string[];
  }): Promise<{ token: string; expiresAtMs: number }>;
  /** The token authenticators' verdict on a token, for these audiences (TokenReview). */
  reviewToken(token: string, audiences: string[]): Promise<TokenReviewResult>;
}

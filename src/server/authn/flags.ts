// kube-apiserver's authentication flags (pkg/kubeapiserver/options/authentication.go)
// as config.ts's parser takes them: their help, and each flag's value into an
// AuthenticationConfig. Repeatable flags (--service-account-issuer,
// --service-account-key-file, --oidc-required-claim) add to what is there.

import type { AuthenticationConfig } from './setup.js';

export const AUTHN_FLAG_HELP: Record<string, string> = {
  'anonymous-auth':
    'Enables anonymous requests to the secure port of the API server. Requests that are not rejected by another authentication method are treated as anonymous requests. Anonymous requests have a username of system:anonymous, and a group name of system:unauthenticated. (default true)',
  'token-auth-file': 'If set, the file that will be used to secure the secure port of the API server via token authentication.',
  'service-account-issuer':
    'Identifier of the service account token issuer. The issuer will assert this identifier in "iss" claim of issued tokens. When this flag is specified multiple times, the first is used to generate tokens and all are used to determine which issuers are accepted. (default https://kubernetes.default.svc.cluster.local)',
  'service-account-key-file':
    'File containing PEM-encoded x509 RSA or ECDSA private or public keys, used to verify ServiceAccount tokens. The specified file can contain multiple keys, and the flag can be specified multiple times with different files.',
  'service-account-signing-key-file':
    'Path to the file that contains the current private key of the service account token issuer. The issuer will sign issued ID tokens with this private key. (default: a key generated at start)',
  'api-audiences':
    'Identifiers of the API. The service account token authenticator will validate that tokens used against the API are bound to at least one of these audiences. If unset, the service account issuers are used.',
  'enable-bootstrap-token-auth':
    "Enable to allow secrets of type 'bootstrap.kubernetes.io/token' in the 'kube-system' namespace to be used for TLS bootstrapping authentication.",
  'oidc-issuer-url':
    'The URL of the OpenID issuer, only HTTPS scheme will be accepted. If set, it will be used to verify the OIDC JSON Web Token (JWT).',
  'oidc-client-id': 'The client ID for the OpenID Connect client, must be set if oidc-issuer-url is set.',
  'oidc-username-claim':
    'The OpenID claim to use as the user name. Note that claims other than the default (\'sub\') is not guaranteed to be unique and immutable. (default "sub")',
  'oidc-username-prefix':
    "If provided, all usernames will be prefixed with this value. If not provided, username claims other than 'email' are prefixed by the issuer URL to avoid clashes. To skip any prefixing, provide the value '-'.",
  'oidc-groups-claim':
    'If provided, the name of a custom OpenID Connect claim for specifying user groups. The claim value is expected to be a string or array of strings.',
  'oidc-groups-prefix':
    'If provided, all groups will be prefixed with this value to prevent conflicts with other authentication strategies.',
  'oidc-ca-file':
    "If set, the OpenID server's certificate will be verified by one of the authorities in the oidc-ca-file, otherwise the host's root CA set will be used.",
  'oidc-required-claim':
    'A key=value pair that describes a required claim in the ID Token. If set, the claim is verified to be present in the ID Token with a matching value. Repeat this flag to specify multiple claims.',
  'oidc-signing-algs': 'Comma-separated list of allowed JOSE asymmetric signing algorithms. (default [RS256])',
  'requestheader-client-ca-file':
    'Root certificate bundle to use to verify client certificates on incoming requests before trusting usernames in headers specified by --requestheader-username-headers. WARNING: generally do not depend on authorization being already done for incoming requests.',
  'requestheader-allowed-names':
    'List of client certificate common names to allow to provide usernames in headers specified by --requestheader-username-headers. If empty, any client certificate validated by the authorities in --requestheader-client-ca-file is allowed.',
  'requestheader-username-headers': 'List of request headers to inspect for usernames. X-Remote-User is common.',
  'requestheader-uid-headers':
    'List of request headers to inspect for UIDs. X-Remote-Uid is suggested. (kube 1.32 requires the RemoteRequestHeaderUID feature; always on here)',
  'requestheader-group-headers': 'List of request headers to inspect for groups. X-Remote-Group is suggested.',
  'requestheader-extra-headers-prefix': 'List of request header prefixes to inspect. X-Remote-Extra- is suggested.',
};

const REQUESTHEADER_LISTS = {
  'requestheader-allowed-names': 'allowedNames',
  'requestheader-username-headers': 'usernameHeaders',
  'requestheader-uid-headers': 'uidHeaders',
  'requestheader-group-headers': 'groupHeaders',
  'requestheader-extra-headers-prefix': 'extraHeaderPrefixes',
} as const;

/** Boolean flags given bare mean true. */
export const AUTHN_BOOL_FLAGS = new Set(['anonymous-auth', 'enable-bootstrap-token-auth']);

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * One authentication flag into `c`; undefined when applied, else pflag's error text. `parseBool` is config's
 * strconv.ParseBool.
 */
export function applyAuthnFlag(
  c: AuthenticationConfig,
  name: string,
  value: string,
  parseBool: (v: string) => boolean | undefined,
): string | undefined {
  const oidc = (): NonNullable<AuthenticationConfig['oidc']> => (c.oidc ??= { issuerURL: '', clientID: '' });
  switch (name) {
    case 'anonymous-auth':
    case 'enable-bootstrap-token-auth': {
      const b = parseBool(value);
      if (b === undefined) return `invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`;
      if (name === 'anonymous-auth') c.anonymous = b;
      else c.enableBootstrapTokenAuth = b;
      return undefined;
    }
    case 'token-auth-file':
      c.tokenAuthFile = value;
      return undefined;
    case 'service-account-issuer':
      c.serviceAccountIssuers = [...(c.serviceAccountIssuers ?? []), value];
      return undefined;
    case 'service-account-key-file':
      c.serviceAccountKeyFiles = [...(c.serviceAccountKeyFiles ?? []), value];
      return undefined;
    case 'service-account-signing-key-file':
      c.serviceAccountSigningKeyFile = value;
      return undefined;
    case 'api-audiences':
      c.apiAudiences = list(value);
      return undefined;
    case 'oidc-issuer-url':
      oidc().issuerURL = value;
      return undefined;
    case 'oidc-client-id':
      oidc().clientID = value;
      return undefined;
    case 'oidc-username-claim':
      oidc().usernameClaim = value;
      return undefined;
    case 'oidc-username-prefix':
      oidc().usernamePrefix = value;
      return undefined;
    case 'oidc-groups-claim':
      oidc().groupsClaim = value;
      return undefined;
    case 'oidc-groups-prefix':
      oidc().groupsPrefix = value;
      return undefined;
    case 'oidc-ca-file':
      oidc().caFile = value;
      return undefined;
    case 'oidc-signing-algs':
      oidc().signingAlgs = list(value);
      return undefined;
    case 'requestheader-client-ca-file':
      (c.requestHeader ??= {}).clientCaFile = value;
      return undefined;
    case 'requestheader-allowed-names':
    case 'requestheader-username-headers':
    case 'requestheader-uid-headers':
    case 'requestheader-group-headers':
    case 'requestheader-extra-headers-prefix': {
      // pflag's StringSlice, repeatable (no defaults to replace).
      const key = REQUESTHEADER_LISTS[name];
      const rh = (c.requestHeader ??= {});
      rh[key] = [...(rh[key] ?? []), ...list(value)];
      return undefined;
    }
    case 'oidc-required-claim': {
      // pflag's mapStringString: key=value pairs, comma separated, repeatable.
      const o = oidc();
      for (const pair of list(value)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) return `invalid argument "${value}" for "--oidc-required-claim" flag: ${pair} must be formatted as key=value`;
        o.requiredClaims = { ...o.requiredClaims, [pair.slice(0, eq)]: pair.slice(eq + 1) };
      }
      return undefined;
    }
  }
  return `unknown flag: --${name}`;
}

/** kube's BuiltInAuthenticationOptions.Validate and the JWT authenticator's checks, for what is here; undefined when valid. */
export function validateAuthnFlags(c: AuthenticationConfig): string | undefined {
  // kube's RequestHeaderAuthenticationOptions.Validate (with RemoteRequestHeaderUID on).
  const uid = c.requestHeader?.uidHeaders;
  if (uid?.length && !uid.some((h) => h.toLowerCase() === 'x-remote-uid'))
    return '--requestheader-uid-headers is set without specifying the standard X-Remote-Uid header - API aggregation will not work';
  if (!c.oidc) return undefined;
  if (!c.oidc.issuerURL || !c.oidc.clientID)
    return 'oidc-issuer-url and oidc-client-id must be specified together when any oidc-* flags are set';
  let url: URL;
  try {
    url = new URL(c.oidc.issuerURL);
  } catch {
    return `jwt[0].issuer.url: Invalid value: ${JSON.stringify(c.oidc.issuerURL)}: must be a valid URL`;
  }
  if (url.protocol !== 'https:') return `jwt[0].issuer.url: Invalid value: ${JSON.stringify(c.oidc.issuerURL)}: URL scheme must be https`;
  return undefined;
}

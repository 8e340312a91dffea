// The front-proxy (request header) configuration: which proxy certificates are trusted to name
// the user in headers, and which headers (kube's --requestheader-* flags). The authenticator
// reads it; the extension-apiserver-authentication ConfigMap publishes it.

export interface RequestHeaderConfig {
  /** --requestheader-client-ca-file's PEM bundle. */
  caPem: string;
  /** --requestheader-allowed-names: the CNs allowed; empty = any certificate the CA verifies. */
  allowedNames: string[];
  /** --requestheader-username-headers, in order: the first with a value wins. */
  usernameHeaders: string[];
  /** --requestheader-uid-headers, in order. */
  uidHeaders: string[];
  /** --requestheader-group-headers: every value of each. */
  groupHeaders: string[];
  /** --requestheader-extra-headers-prefix: `<prefix><key>` headers fill user.extra[<key>]. */
  extraHeaderPrefixes: string[];
}

// Which authority a client certificate chains to. The TLS handshake verifies a
// client certificate against every CA the server trusts (--client-ca-file and
// --requestheader-client-ca-file together); kube's x509 and request-header
// authenticators each verify against their own bundle, so a front proxy's
// certificate names no user by itself and a client's cannot assert headers.

import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { ServerRequest } from '../http/body.js';

/** The TLS socket under a request (an HTTP/2 stream's session socket, or HTTP/1.1's own). */
export function peerSocket(req: ServerRequest): TLSSocket {
  return ((req as { stream?: { session?: { socket?: TLSSocket } } }).stream?.session?.socket ?? req.socket) as TLSSocket;
}

/** The certificates of a PEM bundle (a CA file's content). */
export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/**
 * Whether the peer's verified chain ends in one of `roots`: a certificate of the chain is one of them, or
 * was issued (and signed) by one.
 */
export function chainsTo(socket: TLSSocket, roots: X509Certificate[]): boolean {
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (c?.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    const cert = new X509Certificate(c.raw);
    for (const root of roots) {
      if (root.fingerprint256 === cert.fingerprint256) return true;
      if (root.checkIssued(cert) && cert.verify(root.publicKey)) return true;
    }
    c = c.issuerCertificate;
  }
  return false;
}

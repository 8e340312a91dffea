// Non-resource endpoints: discovery and OpenAPI documents.

import {
  aggregatedDiscovery,
  AGGREGATED_CONTENT_TYPE,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  negotiateDiscovery,
} from './discovery.js';
import type { OpenAPIRegistry } from './openapi/registry.js';
import type { ServerRequest } from '../http/body.js';
import { parseMediaRanges, type MediaRange } from '../http/negotiation.js';
import { writeBody, writeObject, type AnyResponse } from '../http/response.js';
import type { ResourceRouter } from './router.js';

/** kube-openapi serves both protobuf subtypes, always labelled with this one. */
const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const OPENAPI_V2_MEDIA_TYPES: Array<{ subtype: string; encoding: 'json' | 'protobuf' }> = [
  { subtype: 'json', encoding: 'json' },
  { subtype: 'com.github.proto-openapi.spec.v2@v1.0+protobuf', encoding: 'protobuf' },
  { subtype: 'com.github.proto-openapi.spec.v2.v1.0+protobuf', encoding: 'protobuf' },
];

/** goautoneg's order: higher q first, then concrete types before wildcards; stable otherwise. */
function sortAcceptClauses(ranges: MediaRange[]): MediaRange[] {
  const rank = (r: MediaRange): number => (r.type.startsWith('*/') ? 2 : r.type.endsWith('/*') ? 1 : 0);
  return ranges
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || rank(a.r) - rank(b.r) || a.i - b.i)
    .map((x) => x.r);
}

/** http.ServeContent's conditional GET: If-None-Match first, else If-Modified-Since (second precision). */
function notModified(req: ServerRequest, etag: string, modified: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string') return inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
  const ims = req.headers['if-modified-since'];
  if (typeof ims !== 'string') return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(modified.getTime() / 1000) * 1000 <= since;
}

export interface NonResourceDeps {
  router: ResourceRouter;
  openapi: OpenAPIRegistry;
  serverAddress: () => string;
}

export class NonResourceHandler {
  constructor(private readonly deps: NonResourceDeps) {}

  /** Returns false when nothing here serves the path. */
  async handle(req: ServerRequest, res: AnyResponse, path: string, query: URLSearchParams): Promise<boolean> {
    const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
    const ds = this.deps.router.descriptors();
    if (p === '/api' || p === '/apis') {
      const fmt = negotiateDiscovery(req.headers.accept);
      if (fmt !== 'legacy') {
        writeObject(req, res, 200, aggregatedDiscovery(ds, p === '/api' ? 'api' : 'apis', fmt), AGGREGATED_CONTENT_TYPE[fmt]);
        return true;
      }
      writeObject(req, res, 200, p === '/api' ? apiVersions(this.deps.serverAddress()) : apiGroupList(ds));
      return true;
    }
    let m = /^\/api\/([^/]+)$/.exec(p);
    if (m) return this.send(req, res, apiResourceList(ds, '', m[1]));
    m = /^\/apis\/([^/]+)$/.exec(p);
    if (m) return this.send(req, res, apiGroup(ds, m[1]));
    m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (m) return this.send(req, res, apiResourceList(ds, m[1], m[2]));
    if (p === '/openapi/v3') {
      writeObject(req, res, 200, this.deps.openapi.v3Index());
      return true;
    }
    m = /^\/openapi\/v3\/(.+)$/.exec(p);
    if (m) {
      // Hash-addressed, immutable documents; a stale hash redirects, a matching ETag is 304 (kube's openapi v3 handler).
      const inm = req.headers['if-none-match'];
      const r = this.deps.openapi.v3Response(m[1], query, typeof inm === 'string' ? inm : undefined);
      if (!r) return false;
      for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
      if (r.status !== 200) {
        res.statusCode = r.status;
        res.end();
        return true;
      }
      writeBody(req, res, 200, r.body ?? '', 'application/json');
      return true;
    }
    if (p === '/openapi/v2') {
      this.serveV2(req, res);
      return true;
    }
    return false;
  }

  /**
   * GET /openapi/v2 as kube-openapi's handler serves it: JSON, or the gnostic
   * protobuf under either of its media types (answered as the non-deprecated
   * one), the first Accept clause that matches wins; 406 with no body when
   * none does. Both encodings carry the JSON document's ETag and answer 304 to
   * a matching If-None-Match (http.ServeContent); gzip above 1400 bytes
   * when asked (gziphandler).
   */
  private serveV2(req: ServerRequest, res: AnyResponse): void {
    const openapi = this.deps.openapi;
    const header = req.headers.accept;
    const clauses = sortAcceptClauses(parseMediaRanges(header === undefined || header === '' ? '*/*' : header));
    res.setHeader('Vary', 'Accept, Accept-Encoding');
    let encoding: 'json' | 'protobuf' | undefined;
    for (const c of clauses) {
      const [type, subtype = ''] = c.type.split('/');
      encoding = OPENAPI_V2_MEDIA_TYPES.find(
        (m) => (type === '*' || type === 'application') && (subtype === '*' || subtype === m.subtype),
      )?.encoding;
      if (encoding) break;
    }
    if (!encoding) {
      res.statusCode = 406;
      res.end();
      return;
    }
    const doc = openapi.v2();
    const etag = `"${doc.hash}"`;
    const modified = openapi.v2LastModified();
    res.setHeader('Content-Type', encoding === 'json' ? 'application/json' : OPENAPI_V2_PROTOBUF);
    res.setHeader('Cache-Control', 'no-cache, private');
    res.setHeader('Etag', etag);
    res.setHeader('Last-Modified', modified.toUTCString());
    if (notModified(req, etag, modified)) {
      res.removeHeader('Content-Type');
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Accept-Ranges', 'bytes');
    let body = encoding === 'json' ? Buffer.from(doc.body) : openapi.v2Protobuf();
    const ae = req.headers['accept-encoding'];
    if (body.length >= 1400 && typeof ae === 'string' && /\bgzip\b/.test(ae)) {
      body = openapi.v2Gzipped(encoding);
      res.setHeader('Content-Encoding', 'gzip');
    }
    res.setHeader('Content-Length', body.length);
    res.statusCode = 200;
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  }

  private send(req: ServerRequest, res: AnyResponse, doc: unknown): boolean {
    if (doc === undefined) return false;
    writeObject(req, res, 200, doc);
    return true;
  }
}

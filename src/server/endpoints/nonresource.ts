// Non-resource endpoints: health checks, version, discovery and OpenAPI documents.

import type { ServerRequest } from '../http/body.js';
import { type MediaRange, parseMediaRanges } from '../http/negotiation.js';
import type { ApiRequest } from '../http/request.js';
import { respond, writeBody, writeText } from '../http/response.js';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  negotiateDiscovery,
} from './discovery.js';
import { type HealthCheck, runHealth, VERSION_INFO } from './health.js';
import type { OpenAPIRegistry } from './openapi/registry.js';
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

/** Discovery and version documents are JSON whatever the Accept (kube's discovery handlers and /version). */
const JSON_ONLY = { contentType: 'application/json' };

export interface NonResourceDeps {
  router: ResourceRouter;
  checks: HealthCheck[];
  openapi: OpenAPIRegistry;
  serverAddress: () => string;
  /** /version's document (default VERSION_INFO). */
  version?: typeof VERSION_INFO;
}

export class NonResourceHandler {
  constructor(private readonly deps: NonResourceDeps) {}

  /** Returns false when nothing here serves the path. */
  async handle(r: ApiRequest): Promise<boolean> {
    const { req, res, path, query } = r;
    const health = await runHealth(path, query, this.deps.checks);
    if (health) {
      writeText(r, health.code, health.body);
      return true;
    }
    if (path === '/version' || path === '/version/') {
      respond(r, 200, this.deps.version ?? VERSION_INFO, JSON_ONLY);
      return true;
    }
    const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
    const ds = this.deps.router.descriptors();
    if (p === '/api' || p === '/apis') {
      const fmt = negotiateDiscovery(req.headers.accept);
      if (fmt !== 'legacy') {
        respond(r, 200, aggregatedDiscovery(ds, p === '/api' ? 'api' : 'apis', fmt), { contentType: AGGREGATED_CONTENT_TYPE[fmt] });
        return true;
      }
      respond(r, 200, p === '/api' ? apiVersions(this.deps.serverAddress()) : apiGroupList(ds), JSON_ONLY);
      return true;
    }
    let m = /^\/api\/([^/]+)$/.exec(p);
    if (m) return this.send(r, apiResourceList(ds, '', m[1]));
    m = /^\/apis\/([^/]+)$/.exec(p);
    if (m) return this.send(r, apiGroup(ds, m[1]));
    m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (m) return this.send(r, apiResourceList(ds, m[1], m[2]));
    if (p === '/openapi/v3') {
      respond(r, 200, this.deps.openapi.v3Index(), JSON_ONLY);
      return true;
    }
    m = /^\/openapi\/v3\/(.+)$/.exec(p);
    if (m) {
      // Hash-addressed, immutable documents; a stale hash redirects, a matching ETag is 304 (kube's openapi v3 handler).
      const inm = req.headers['if-none-match'];
      const doc = this.deps.openapi.v3Response(m[1], query, typeof inm === 'string' ? inm : undefined);
      if (!doc) return false;
      for (const [k, v] of Object.entries(doc.headers)) res.setHeader(k, v);
      if (doc.status !== 200) {
        res.statusCode = doc.status;
        res.end();
        return true;
      }
      writeBody(res, 200, doc.body ?? '', 'application/json', r.output.gzip);
      return true;
    }
    if (p === '/openapi/v2') {
      this.serveV2(r);
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
  private serveV2(r: ApiRequest): void {
    const { req, res } = r;
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
    if (body.length >= 1400 && r.output.gzip) {
      body = openapi.v2Gzipped(encoding);
      res.setHeader('Content-Encoding', 'gzip');
    }
    res.setHeader('Content-Length', body.length);
    res.statusCode = 200;
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  }

  private send(r: ApiRequest, doc: object | undefined): boolean {
    if (doc === undefined) return false;
    respond(r, 200, doc, JSON_ONLY);
    return true;
  }
}

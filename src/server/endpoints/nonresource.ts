// Non-resource endpoints: discovery and OpenAPI documents.

import { notAcceptable } from '../api/errors.js';
import { aggregatedDiscovery, AGGREGATED_CONTENT_TYPE, apiGroup, apiGroupList, apiResourceList, apiVersions, negotiateDiscovery } from '../api/discovery.js';
import type { OpenAPIRegistry } from '../api/openapi/registry.js';
import type { ServerRequest } from '../http/body.js';
import { parseMediaRanges } from '../http/negotiation.js';
import { writeBody, writeObject, type AnyResponse } from '../http/response.js';
import type { ResourceRouter } from './router.js';

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
      const ranges = parseMediaRanges(req.headers.accept);
      if (ranges.length && !ranges.some((r) => r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*')) {
        throw notAcceptable(['application/json']);
      }
      const doc = this.deps.openapi.v2();
      res.setHeader('Etag', `"${doc.hash}"`);
      writeBody(req, res, 200, doc.body, 'application/json');
      return true;
    }
    return false;
  }

  private send(req: ServerRequest, res: AnyResponse, doc: unknown): boolean {
    if (doc === undefined) return false;
    writeObject(req, res, 200, doc);
    return true;
  }
}

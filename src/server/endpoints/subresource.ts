// Subresources a catalog row declares beyond status and scale: created ones
// (pods/binding, pods/eviction: kube's NamedCreater through the create handler,
// 201 with the Success Status or object they return) and connect ones
// (pods/log, exec, attach, portforward, proxy: kube's Connecter and
// GetterWithOptions, which stream from a kubelet; their answer here is what
// kube-apiserver says when it has none to reach). Updated ones
// (pods/ephemeralcontainers) go through the ordinary get/update/patch handlers.

import { badRequest, methodNotAllowed } from '../api/errors.js';
import { isPlainObject } from '../api/types.js';
import { decodeBody, readBody } from '../http/body.js';
import { requestBodyFormat } from '../http/negotiation.js';
import { type ApiRequest, userOf } from '../http/request.js';
import { respond, writeBody } from '../http/response.js';
import type { RequestContext } from '../registry/strategy.js';
import { createdResult, type ResourceLookup, type SubresourceCall } from '../registry/subresource.js';
import { findDuplicateFields } from '../schema/builtin/fields.js';
import { parseDryRun, parseFieldValidation } from './options.js';
import type { ResourceRouter, ServedResource } from './router.js';

type ServedSubresource = NonNullable<ServedResource['subresources']>[number];

export class SubresourceEndpoint {
  /** Another served resource by group and resource (what a subresource or a row's own create reaches). */
  readonly lookup: ResourceLookup;

  constructor(router: ResourceRouter) {
    // Another group's resource as this server serves it (its first served version).
    this.lookup = (group, resource) => router.all().find((s) => s.descriptor.group === group && s.descriptor.resource === resource);
  }

  async serve(r: ApiRequest, served: ServedResource, sub: ServedSubresource): Promise<void> {
    const { info } = r;
    if (!sub.verbs.includes(info.verb)) throw methodNotAllowed(r.req.method ?? '', sub.kind);
    const ctx: RequestContext = {
      user: userOf(r),
      namespace: info.namespace,
      dryRun: false,
      warnings: r.warnings,
      subresource: info.subresource,
    };
    const call: SubresourceCall = { ctx, name: info.name, store: served.store, lookup: this.lookup, query: r.query };
    if (sub.handler === 'connect') {
      const out = await sub.connect(call, info.verb);
      writeBody(r.res, 200, out.body, out.contentType, r.output.gzip);
      return;
    }
    if (sub.handler !== 'create') throw methodNotAllowed(r.req.method ?? '', sub.kind);
    ctx.dryRun = parseDryRun(r.query, 'CreateOptions');
    const buf = await readBody(r.req);
    const format = requestBodyFormat(r.req.headers['content-type']);
    const body = decodeBody(buf, format, { kind: sub.kind });
    if (!isPlainObject(body)) throw badRequest('the object provided is unrecognized: expected an object');
    const av = typeof body.apiVersion === 'string' ? body.apiVersion : '';
    const kind = typeof body.kind === 'string' ? body.kind : '';
    const own = sub.acceptedVersions[0];
    if (av && !sub.acceptedVersions.includes(av)) {
      throw badRequest(`the API version in the data (${av}) does not match the expected API version (${own})`);
    }
    if (kind && kind !== sub.kind) {
      throw badRequest(
        `${kind} in version "${av || own}" cannot be handled as a ${sub.kind}: no kind "${kind}" is registered for version "${av || own}"`,
      );
    }
    const duplicates = format === 'json' && r.query.get('fieldValidation') !== 'Ignore' ? findDuplicateFields(buf.toString('utf8')) : [];
    sub.decode?.(body, { fieldValidation: parseFieldValidation(r.query, 'CreateOptions'), warnings: r.warnings, duplicates });
    respond(r, 201, createdResult(await sub.create(call, body)));
  }
}

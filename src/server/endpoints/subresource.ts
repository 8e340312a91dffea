// Subresources a catalog row declares beyond status and scale: created ones
// (pods/binding, pods/eviction: kube's NamedCreater through the create handler,
// 201 with the Success Status or object they return) and connect ones
// (pods/log, exec, attach, portforward, proxy: kube's Connecter and
// GetterWithOptions, which stream from a kubelet; their answer here is what
// kube-apiserver says when it has none to reach). Updated ones
// (pods/ephemeralcontainers) go through the ordinary get/update/patch handlers.

import { badRequest, methodNotAllowed } from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
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

/** The connect options object (PodExecOptions, PodLogOptions...) as the query parameters decode into it. */
function connectOptions(kind: string, query: URLSearchParams): KubeObject {
  const out: Record<string, unknown> = { kind, apiVersion: 'v1' };
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    const value = (v: string): unknown => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v);
    out[key] = key === 'command' || values.length > 1 ? values : value(values[0]);
  }
  return out as KubeObject;
}

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
      auditAnnotations: r.audit?.annotations,
    };
    const call: SubresourceCall = { ctx, name: info.name, store: served.store, lookup: this.lookup, query: r.query };
    if (sub.handler === 'connect') {
      // ConnectResource: CONNECT admission sees the connect options object before the connection is made.
      await served.store.admitSubresource('CONNECT', ctx, info.name, connectOptions(sub.kind, r.query));
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
    r.audit?.requestObject(body);
    // The create handler's admission of the created object (a Binding, an Eviction) under the subresource.
    // What a mutating webhook changes is what the subresource creates.
    const created = { ...body, apiVersion: av || own, kind: sub.kind } as KubeObject;
    await served.store.admitSubresource('CREATE', ctx, info.name, created);
    respond(r, 201, createdResult(await sub.create(call, created)));
  }
}

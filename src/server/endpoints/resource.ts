// REST verb handlers: RequestInfo -> registry -> response, as
// k8s.io/apiserver/pkg/endpoints/handlers does for get/list/create/update/patch/delete.

import { badRequest, conflict, methodNotAllowed, notFound, pathNotFound, StatusError, successStatus } from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import { decodeBody, readBody } from '../http/body.js';
import { outputMedia, requestBodyFormat } from '../http/negotiation.js';
import { type ApiRequest, userOf } from '../http/request.js';
import { respond } from '../http/response.js';
import { managerOrUserAgent } from '../registry/fieldmanager.js';
import { clone } from '../registry/meta.js';
import type { RequestContext } from '../registry/strategy.js';
import { createdResult } from '../registry/subresource.js';
import { findDuplicateFields } from '../schema/builtin/fields.js';
import { parseDeleteOptions, parseDryRun, parseFieldManager, parseFieldValidation, parseLimit } from './options.js';
import { applyPatchBody, patchTypeFor, SCALE_DEFINITION } from './patch.js';
import type { ResourceRouter, ServedResource } from './router.js';
import { scaleOf, updateScale } from './scale.js';
import { SubresourceEndpoint } from './subresource.js';
import type { TableRenderer } from './tables/renderer.js';
import type { WatchServer } from './watch.js';

export interface ResourceHandlerDeps {
  router: ResourceRouter;
  tables: TableRenderer;
  watch: WatchServer;
}

/** Duplicate keys reported per request at most, so a body of repeated keys cannot build a huge message. */
const MAX_DUPLICATES_REPORTED = 100;

interface DecodedBody {
  body: Record<string, unknown>;
  /** Paths of repeated JSON keys (JSON.parse keeps the last value silently). */
  duplicates: string[];
}

interface Call extends ApiRequest {
  served: ServedResource;
  ctx: RequestContext;
}

const SUBRESOURCE_VERBS = new Set(['get', 'update', 'patch']);

/** A body that looks like JSON: decoded as JSON, or as YAML when it is not valid JSON after all. */
function decodeJsonOrYaml(buf: Buffer): unknown {
  try {
    return decodeBody(buf, 'json');
  } catch {
    return decodeBody(buf, 'yaml');
  }
}

export class ResourceHandler {
  private readonly subresources: SubresourceEndpoint;

  constructor(private readonly deps: ResourceHandlerDeps) {
    this.subresources = new SubresourceEndpoint(deps.router);
  }

  async handle(r: ApiRequest): Promise<void> {
    const { req, info } = r;
    const served = this.deps.router.get(info.apiGroup, info.apiVersion, info.resource);
    if (!served) throw pathNotFound();
    const d = served.descriptor;
    const namespaced = served.store.strategy.namespaced;
    if (!namespaced && info.namespace) throw pathNotFound();
    if (namespaced && !info.namespace && !['list', 'watch', 'deletecollection'].includes(info.verb)) {
      if (info.verb === 'create') throw methodNotAllowed(req.method ?? 'POST', d.kind);
      throw pathNotFound();
    }
    if (info.subresource) {
      // A row's own subresources (pods/binding, pods/log...): created and connect ones have their handler;
      // updated ones (pods/ephemeralcontainers) take the get/update/patch path below with ctx.subresource set.
      const other = served.subresources?.find((s) => s.name === info.subresource);
      if (other && other.handler !== 'update') {
        if (!info.name) throw pathNotFound();
        return this.subresources.serve(r, served, other);
      }
      const ok =
        (info.subresource === 'status' && d.subresources?.status) || (info.subresource === 'scale' && d.subresources?.scale) || !!other;
      if (!ok || !info.name) throw pathNotFound();
      if (!SUBRESOURCE_VERBS.has(info.verb)) throw methodNotAllowed(req.method ?? '', d.kind);
    } else if (!d.verbs.includes(info.verb)) {
      throw methodNotAllowed(req.method ?? '', d.kind);
    }
    // kube's handlers negotiate first: a request answered in no type the client accepts does nothing (406).
    outputMedia(r.output, info.verb !== 'deletecollection');
    // The resource's own warnings (a deprecated version) go out with every answer, errors included.
    if (served.warnings) r.warnings.push(...served.warnings);
    const ctx: RequestContext = {
      user: userOf(r),
      namespace: info.namespace,
      dryRun: false,
      warnings: r.warnings,
      subresource: info.subresource || undefined,
      auditAnnotations: r.audit?.annotations,
    };
    const call: Call = { ...r, served, ctx };
    switch (info.verb) {
      case 'get':
        return this.get(call);
      case 'list':
        return this.list(call);
      case 'watch':
        return this.deps.watch.serve(call, served);
      case 'create':
        return this.create(call);
      case 'update':
        return this.update(call);
      case 'patch':
        return this.patch(call);
      case 'delete':
        return this.delete(call);
      case 'deletecollection':
        return this.deleteCollection(call);
      default:
        throw methodNotAllowed(req.method ?? '', d.kind);
    }
  }

  /** An object of this resource (or its Scale), as a Table when the client asked for one. */
  private respond(call: Call, code: number, obj: KubeObject): void {
    respond(call, code, obj, { table: () => this.deps.tables.objectTable(call.served, obj, call.query) });
  }

  private async get(call: Call): Promise<void> {
    const obj = await call.served.store.get(call.ctx, call.info.name);
    if (call.info.subresource === 'scale') return this.respond(call, 200, scaleOf(call.served, obj));
    this.respond(call, 200, obj);
  }

  private async list(call: Call): Promise<void> {
    const q = call.query;
    const limit = parseLimit(q);
    const list = await call.served.lister.list({
      namespace: call.info.namespace,
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
      limit,
      continue: q.get('continue') ?? undefined,
    });
    respond(call, 200, list, { table: () => this.deps.tables.listTable(call.served, list, q) });
  }

  private expectedKind(call: Call): string {
    return call.info.subresource === 'scale' ? 'Scale' : call.served.descriptor.kind;
  }

  private async readObject(call: Call): Promise<DecodedBody> {
    const format = requestBodyFormat(call.req.headers['content-type']);
    const buf = await readBody(call.req);
    const body = decodeBody(buf, format, { kind: this.expectedKind(call) });
    if (!isPlainObject(body))
      throw badRequest(`the object provided is unrecognized: expected an object, got ${Array.isArray(body) ? 'an array' : typeof body}`);
    // kube's strict JSON decoder reports repeated keys (`duplicate field "x"`); only fieldValidation Ignore skips the check.
    const wantsDuplicates = format === 'json' && call.query.get('fieldValidation') !== 'Ignore';
    const duplicates = wantsDuplicates ? findDuplicateFields(buf.toString('utf8')).slice(0, MAX_DUPLICATES_REPORTED) : [];
    return { body, duplicates };
  }

  /** Body apiVersion/kind must name this resource's kind in this group-version. */
  private checkTypeMeta(call: Call, body: Record<string, unknown>): void {
    const d = call.served.descriptor;
    const expected = d.group ? `${d.group}/${d.version}` : d.version;
    const expectedKind = call.info.subresource === 'scale' ? 'Scale' : d.kind;
    const av = typeof body.apiVersion === 'string' ? body.apiVersion : '';
    const kind = typeof body.kind === 'string' ? body.kind : '';
    const expectedAV = call.info.subresource === 'scale' ? 'autoscaling/v1' : expected;
    if (av && av !== expectedAV) {
      throw badRequest(`the API version in the data (${av}) does not match the expected API version (${expectedAV})`);
    }
    if (kind && kind !== expectedKind) {
      throw badRequest(
        `${kind} in version "${av || expectedAV}" cannot be handled as a ${expectedKind}: no kind "${kind}" is registered for version "${av || expectedAV}"`,
      );
    }
  }

  private decode(call: Call, { body, duplicates }: DecodedBody, optionsKind: string): void {
    const fv = parseFieldValidation(call.query, optionsKind);
    call.served.decode?.(body, { fieldValidation: fv, warnings: call.ctx.warnings, duplicates });
  }

  /** The manager the write's fields are recorded for (managerOrUserAgent), the parameter checked as the options kind does. */
  private recordAs(call: Call, optionsKind: string, patch?: { apply: boolean }): { force: boolean } {
    const { fieldManager, force } = parseFieldManager(call.query, optionsKind, patch);
    call.ctx.fieldManager = {
      manager: managerOrUserAgent(fieldManager, call.req.headers['user-agent']),
      subresource: call.info.subresource === 'scale' ? 'scale' : undefined,
    };
    // The query's options as admission's options object carries them (kube decodes Create/UpdateOptions from it).
    const fieldValidation = call.query.get('fieldValidation');
    call.ctx.options = { ...(fieldManager ? { fieldManager } : {}), ...(fieldValidation ? { fieldValidation } : {}) };
    return { force };
  }

  private async create(call: Call): Promise<void> {
    call.ctx.dryRun = parseDryRun(call.query, 'CreateOptions');
    this.recordAs(call, 'CreateOptions');
    const decoded = await this.readObject(call);
    const body = decoded.body;
    this.checkTypeMeta(call, body);
    this.decode(call, decoded, 'CreateOptions');
    call.audit?.requestObject(body);
    if (call.info.name) throw methodNotAllowed(call.req.method ?? 'POST', call.served.descriptor.kind);
    const ownCreate = call.served.create;
    if (ownCreate) {
      // A create of its own (core/v1 bindings, kube's rest.Creater over another resource's storage).
      const { ctx, served, query } = call;
      const out = await ownCreate({ ctx, name: '', store: served.store, lookup: this.subresources.lookup, query }, body);
      return respond(call, 201, createdResult(out));
    }
    const obj = await call.served.store.create(call.ctx, body as KubeObject);
    this.respond(call, 201, obj);
  }

  private async update(call: Call): Promise<void> {
    call.ctx.dryRun = parseDryRun(call.query, 'UpdateOptions');
    this.recordAs(call, 'UpdateOptions');
    const decoded = await this.readObject(call);
    const body = decoded.body;
    this.checkTypeMeta(call, body);
    call.audit?.requestObject(body);
    // The update handler's checkName, before storage is consulted: a body naming another object is a 400 whether or not either exists.
    const bodyName = isPlainObject(body.metadata) && typeof body.metadata.name === 'string' ? body.metadata.name : '';
    if (bodyName !== call.info.name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${call.info.name})`);
    }
    if (call.info.subresource === 'scale') {
      const out = await updateScale(call.served, call.ctx, call.info.name, body);
      return this.respond(call, 200, out);
    }
    this.decode(call, decoded, 'UpdateOptions');
    const { object, created } = await call.served.store.update(call.ctx, call.info.name, () => clone(body) as KubeObject);
    this.respond(call, created ? 201 : 200, object);
  }

  private async patch(call: Call): Promise<void> {
    call.ctx.dryRun = parseDryRun(call.query, 'PatchOptions');
    const type = patchTypeFor(call.req.headers['content-type'], call.served.allowStrategicMerge);
    const { force } = this.recordAs(call, 'PatchOptions', { apply: type === 'apply' });
    if (type === 'apply') return this.apply(call, force);
    const patch = decodeBody(await readBody(call.req), 'json');
    call.audit?.requestObject(patch);
    const fv = parseFieldValidation(call.query, 'PatchOptions');
    if (call.info.subresource === 'scale') {
      const current = await call.served.store.get(call.ctx, call.info.name);
      const scale = scaleOf(call.served, current);
      const patched = applyPatchBody(type, scale as KubeObject, patch, SCALE_DEFINITION) as Record<string, unknown>;
      const out = await updateScale(call.served, call.ctx, call.info.name, patched);
      return this.respond(call, 200, out);
    }
    const { object } = await call.served.store.update(call.ctx, call.info.name, (current) => {
      // kube's patcher cannot create: a missing object is NotFound even where PUT would create it.
      if (!current) throw notFound(call.served.store.groupResource, call.info.name);
      const patched = applyPatchBody(type, current, patch, call.served.definition) as Record<string, unknown>;
      if (!isPlainObject(patched)) throw badRequest('the patched object is not an object');
      // A patch may not change the type; the stored apiVersion/kind win as in kube's patcher.
      this.checkTypeMeta(call, patched);
      call.served.decode?.(patched, { fieldValidation: fv, warnings: call.ctx.warnings, patched: true });
      return patched as KubeObject;
    });
    this.respond(call, 200, object);
  }

  /**
   * Server-side apply (`application/apply-patch+yaml`, YAML or JSON): the configuration merged into the
   * stored object by its schema and owned by the fieldManager, or a create when there is none (kube's
   * applyPatcher; its patcher's name, namespace and uid checks).
   */
  private async apply(call: Call, force: boolean): Promise<void> {
    const fm = call.served.store.fieldManager;
    if (!fm) throw new StatusError(500, '', `${call.served.descriptor.resource} does not support server-side apply`);
    const fv = parseFieldValidation(call.query, 'PatchOptions');
    let config: unknown;
    try {
      const buf = await readBody(call.req);
      // JSON is YAML: a JSON object body (what most clients send) takes the JSON decoder, far cheaper.
      const text = buf.subarray(0, 64).toString('utf8').trimStart();
      config = text.startsWith('{') ? decodeJsonOrYaml(buf) : decodeBody(buf, 'yaml');
    } catch (e) {
      if (e instanceof StatusError && e.code === 400) throw badRequest(`error decoding YAML: ${e.status.message}`);
      throw e;
    }
    if (!isPlainObject(config)) {
      const got = Array.isArray(config) ? 'array' : config === null ? 'null' : typeof config;
      throw badRequest(
        `error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${got} into Go value of type map[string]interface {}`,
      );
    }
    call.audit?.requestObject(config);
    const name = call.info.name;
    const scale = call.info.subresource === 'scale';
    const applied = scale ? this.scaleConfig(call, config) : config;
    const req = { manager: call.ctx.fieldManager!.manager, subresource: call.info.subresource || undefined };
    call.ctx.fieldManager = { ...req, recorded: true };
    const { object, created } = await call.served.store.update(
      scale ? { ...call.ctx, subresource: undefined } : call.ctx,
      name,
      (current) => {
        const out = fm.apply(current, applied, req, force, name);
        const m = out.metadata ?? {};
        if (!current && m.uid) {
          throw conflict(
            call.served.store.groupResource,
            name,
            `uid mismatch: the provided object specified uid ${m.uid}, and no existing object was found`,
          );
        }
        if (!m.name) throw badRequest(`the name of the object (${name} based on URL) was undeterminable: name must be provided`);
        if (m.name !== name) throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
        call.served.decode?.(out as Record<string, unknown>, { fieldValidation: fv, warnings: call.ctx.warnings, patched: true });
        return out;
      },
      { forceAllowCreate: !scale },
    );
    this.respond(call, created ? 201 : 200, scale ? scaleOf(call.served, object) : object);
  }

  /**
   * An applied Scale as the configuration of its parent (kube's ScaleHandler maps the Scale's
   * `.spec.replicas` to the resource's replicas path): the applier owns that field, recorded under `scale`.
   */
  private scaleConfig(call: Call, config: Record<string, unknown>): Record<string, unknown> {
    const gv = typeof config.apiVersion === 'string' ? config.apiVersion : '';
    const kind = typeof config.kind === 'string' ? config.kind : '';
    if (gv !== 'autoscaling/v1' || kind !== 'Scale') {
      const [g, v] = gv.includes('/') ? gv.split('/', 2) : ['', gv];
      throw badRequest(`invalid object type: ${g}/${v}, Kind=${kind}`);
    }
    const d = call.served.descriptor;
    const m = isPlainObject(config.metadata) ? config.metadata : {};
    const parent: Record<string, unknown> = {
      apiVersion: d.group ? `${d.group}/${d.version}` : d.version,
      kind: d.kind,
      metadata: { name: m.name ?? call.info.name, ...(m.namespace ? { namespace: m.namespace } : {}) },
    };
    const replicas = isPlainObject(config.spec) ? config.spec.replicas : undefined;
    if (replicas !== undefined) {
      const parts = d.subresources!.scale!.specReplicasPath.replace(/^\./, '').split('.');
      let cur = parent;
      for (const p of parts.slice(0, -1)) cur = (cur[p] = {}) as Record<string, unknown>;
      cur[parts[parts.length - 1]] = replicas;
    }
    return parent;
  }

  private async readDeleteBody(call: Call): Promise<unknown> {
    const buf = await readBody(call.req);
    if (buf.length === 0 || buf.toString('utf8').trim() === '') return undefined;
    const options = decodeBody(buf, requestBodyFormat(call.req.headers['content-type']));
    call.audit?.requestObject(options);
    return options;
  }

  private async delete(call: Call): Promise<void> {
    const { params, dryRun } = parseDeleteOptions(await this.readDeleteBody(call), call.query);
    call.ctx.dryRun = dryRun;
    const { object, immediate } = await call.served.store.delete(call.ctx, call.info.name, params);
    if (immediate && !call.served.store.strategy.returnDeletedObject) {
      const d = call.served.descriptor;
      const s = successStatus({ name: call.info.name, group: d.group, kind: d.resource, uid: object.metadata?.uid });
      return respond(call, 200, s);
    }
    const code = !immediate && params.orphanDependents === false ? 202 : 200;
    this.respond(call, code, object);
  }

  private async deleteCollection(call: Call): Promise<void> {
    const { params, dryRun } = parseDeleteOptions(await this.readDeleteBody(call), call.query);
    call.ctx.dryRun = dryRun;
    const q = call.query;
    const deleted = await call.served.store.deleteCollection(
      call.ctx,
      {
        namespace: call.info.namespace,
        labelSelector: q.get('labelSelector') ?? undefined,
        fieldSelector: q.get('fieldSelector') ?? undefined,
      },
      params,
    );
    respond(call, 200, deleted);
  }
}

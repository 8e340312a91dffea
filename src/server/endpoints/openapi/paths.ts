import type { ResourceDescriptor, SubresourceDescriptor } from '../../api/descriptor.js';
import { optionParameters } from '../../schema/builtin/models.js';
// The REST paths and operations kube-apiserver publishes for a resource in
// OpenAPI v2 and v3 (k8s.io/apiserver/pkg/endpoints/installer.go naming).

export function gvPath(d: ResourceDescriptor): string {
  return d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`;
}

type Version = 'v2' | 'v3';

const q = (name: string, description: string, type = 'string'): Record<string, unknown> => ({
  name,
  in: 'query',
  description,
  schema: { type },
  type,
  uniqueItems: true,
});

const COMMON = {
  pretty: q('pretty', "If 'true', then the output is pretty printed."),
  dryRun: q(
    'dryRun',
    'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: q(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  ),
  fieldValidation: q(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  ),
  force: q(
    'force',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
    'boolean',
  ),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  limit: q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  continue: q('continue', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  watch: q(
    'watch',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
    'boolean',
  ),
  allowWatchBookmarks: q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  sendInitialEvents: q('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`.', 'boolean'),
  timeoutSeconds: q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
  propagationPolicy: q(
    'propagationPolicy',
    "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
  ),
};

function pathParam(name: string, description: string): Record<string, unknown> {
  return { name, in: 'path', required: true, description, schema: { type: 'string' }, type: 'string', uniqueItems: true };
}

function clean(param: Record<string, unknown>, v: Version): Record<string, unknown> {
  const { schema, type, ...rest } = param;
  return v === 'v3' ? { ...rest, schema } : { ...rest, type };
}

function ref(name: string): Record<string, string> {
  return { $ref: name };
}

/** An operation's query parameters plus its request body (v2: a `body` parameter first; v3: requestBody). */
function withBody(v: Version, parameters: Record<string, unknown>[], types: string[], schemaName: string): Record<string, unknown> {
  if (v === 'v2')
    return { parameters: [{ name: 'body', in: 'body', required: true, schema: ref(schemaName) }, ...parameters], consumes: types };
  return { parameters, requestBody: { content: Object.fromEntries(types.map((t) => [t, { schema: ref(schemaName) }])), required: true } };
}

function responses(
  v: Version,
  codes: Record<string, string>,
  schemaName: string,
  mediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [code, description] of Object.entries(codes)) {
    out[code] =
      v === 'v2'
        ? { description, schema: ref(schemaName) }
        : { description, content: Object.fromEntries(mediaTypes.map((t) => [t, { schema: ref(schemaName) }])) };
  }
  // kube publishes 401 for every operation (the authentication filter answers it).
  out['401'] = { description: 'Unauthorized' };
  return out;
}

/**
 * kube-apiserver's operation naming (k8s.io/apiserver/pkg/endpoints/openapi
 * GetOperationIDAndTags): letters kept, a non-letter capitalizes the next one,
 * digits kept except first (`cert-manager.io` -> `certManagerIo`).
 */
export function toValidOperationID(s: string, capitalizeFirst: boolean): string {
  let out = '';
  let capitalize = capitalizeFirst;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (/[A-Za-z_]/.test(c) || (i !== 0 && /[0-9]/.test(c))) {
      out += capitalize ? c.toUpperCase() : c;
      capitalize = false;
    } else {
      capitalize = true;
    }
  }
  return out;
}

/** `core_v1`, `apps_v1`, `coordination_v1` (".k8s.io" trimmed), `certManagerIo_v1`. */
export function operationTag(d: ResourceDescriptor): string {
  const group = d.group ? d.group.replace(/\.k8s\.io$/, '') : 'core';
  return `${toValidOperationID(group, false)}_${toValidOperationID(d.version, false)}`;
}

/** `list` + `CoreV1` + `NamespacedConfigMap` -> `listCoreV1NamespacedConfigMap`. */
export function operationID(d: ResourceDescriptor, verb: string, rest: string): string {
  const group = d.group ? d.group.replace(/\.k8s\.io$/, '') : 'core';
  return `${verb}${toValidOperationID(group, true)}${toValidOperationID(d.version, true)}${toValidOperationID(rest, true)}`;
}

const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
/** What a watch endpoint produces (kube's installer adds the `;stream=watch` framings). */
const WATCH_MEDIA_TYPES = [...OBJECT_MEDIA_TYPES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const WATCH_EVENT = 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent';

export function pathsFor(d: ResourceDescriptor, kindSchema: string, builtin: boolean, v: Version): Record<string, unknown> {
  const gvk = { group: d.group, version: d.version, kind: d.kind };
  const tag = operationTag(d);
  const scopeWord = d.namespaced ? 'Namespaced' : '';
  const base = `/${gvPath(d)}`;
  const coll = d.namespaced ? `${base}/namespaces/{namespace}/${d.resource}` : `${base}/${d.resource}`;
  const item = `${coll}/{name}`;
  const listName = kindSchema.replace(/\.[^.]+$/, `.${d.listKind}`);
  const p = (x: Record<string, unknown>): Record<string, unknown> => clean(x, v);
  const op = (
    action: string,
    verb: string,
    rest: string,
    description: string,
    extra: Record<string, unknown>,
    produces = OBJECT_MEDIA_TYPES,
  ): Record<string, unknown> => ({
    description,
    ...(v === 'v2' ? { consumes: ['*/*'], produces, schemes: ['https'] } : {}),
    tags: [tag],
    operationId: operationID(d, verb, rest),
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const patchTypes = [
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(builtin ? ['application/strategic-merge-patch+json'] : []),
    'application/apply-patch+yaml',
  ];
  const write = [COMMON.dryRun, COMMON.fieldManager, COMMON.fieldValidation].map(p);
  const listParams = [
    COMMON.allowWatchBookmarks,
    COMMON.continue,
    COMMON.fieldSelector,
    COMMON.labelSelector,
    COMMON.limit,
    COMMON.resourceVersion,
    COMMON.resourceVersionMatch,
    COMMON.sendInitialEvents,
    COMMON.timeoutSeconds,
    COMMON.watch,
  ].map(p);
  const common = [
    p(COMMON.pretty),
    ...(d.namespaced ? [p(pathParam('namespace', 'object name and auth scope, such as for teams and projects'))] : []),
  ];
  const own = `${scopeWord}${d.kind}`;
  /** The list-or-watch operation of the collection (namespaced or across namespaces). */
  const listOp = (name: string) =>
    op(
      'list',
      'list',
      name,
      `list or watch objects of kind ${d.kind}`,
      {
        parameters: listParams,
        responses: responses(v, { 200: 'OK' }, listName, [
          ...OBJECT_MEDIA_TYPES,
          'application/json;stream=watch',
          'application/vnd.kubernetes.protobuf;stream=watch',
        ]),
      },
      WATCH_MEDIA_TYPES,
    );
  const out: Record<string, unknown> = {
    [coll]: {
      parameters: common,
      get: listOp(own),
      post: op('post', 'create', own, `create a ${d.kind}`, {
        ...withBody(v, write, ['*/*'], kindSchema),
        responses: responses(v, { 200: 'OK', 201: 'Created', 202: 'Accepted' }, kindSchema),
      }),
      delete: op('deletecollection', 'delete', `Collection${own}`, `delete collection of ${d.kind}`, {
        parameters: [...listParams, p(COMMON.dryRun), p(COMMON.gracePeriodSeconds), p(COMMON.propagationPolicy)],
        responses: responses(v, { 200: 'OK' }, 'io.k8s.apimachinery.pkg.apis.meta.v1.Status'),
      }),
    },
    [item]: {
      parameters: [p(pathParam('name', `name of the ${d.kind}`)), ...common],
      get: op('get', 'read', own, `read the specified ${d.kind}`, { responses: responses(v, { 200: 'OK' }, kindSchema) }),
      put: op('put', 'replace', own, `replace the specified ${d.kind}`, {
        ...withBody(v, write, ['*/*'], kindSchema),
        responses: responses(v, { 200: 'OK', 201: 'Created' }, kindSchema),
      }),
      patch: op('patch', 'patch', own, `partially update the specified ${d.kind}`, {
        ...withBody(v, [...write, p(COMMON.force)], patchTypes, 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch'),
        responses: responses(v, { 200: 'OK', 201: 'Created' }, kindSchema),
      }),
      delete: op('delete', 'delete', own, `delete a ${d.kind}`, {
        parameters: [p(COMMON.dryRun), p(COMMON.gracePeriodSeconds), p(COMMON.propagationPolicy)],
        responses: responses(v, { 200: 'OK', 202: 'Accepted' }, kindSchema),
      }),
    },
  };
  if (d.namespaced) {
    out[`${base}/${d.resource}`] = {
      parameters: [p(COMMON.pretty)],
      get: listOp(`${d.kind}ForAllNamespaces`),
    };
  }
  Object.assign(out, watchPaths(d, v, p, op, listParams, common));
  Object.assign(out, otherSubresourcePaths(d, kindSchema, v, { p, op, write, patchTypes, common, item, own }));
  for (const sub of ['status', 'scale'] as const) {
    if (!d.subresources?.[sub]) continue;
    const schema = sub === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : kindSchema;
    const subGvk = sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
    const subName = sub === 'status' ? 'Status' : 'Scale';
    const what = sub === 'status' ? `status of the specified ${d.kind}` : `scale of the specified ${d.kind}`;
    const subOp = (action: string, verb: string, description: string, extra: Record<string, unknown>): Record<string, unknown> => ({
      ...op(action, verb, `${own}${subName}`, description, extra),
      'x-kubernetes-group-version-kind': subGvk,
    });
    out[`${item}/${sub}`] = {
      parameters: [p(pathParam('name', `name of the ${sub === 'scale' ? 'Scale' : d.kind}`)), ...common],
      get: subOp('get', 'read', `read ${what}`, { responses: responses(v, { 200: 'OK' }, schema) }),
      put: subOp('put', 'replace', `replace ${what}`, {
        ...withBody(v, write, ['*/*'], schema),
        responses: responses(v, { 200: 'OK', 201: 'Created' }, schema),
      }),
      patch: subOp('patch', 'patch', `partially update ${what}`, {
        ...withBody(v, [...write, p(COMMON.force)], patchTypes, 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch'),
        responses: responses(v, { 200: 'OK', 201: 'Created' }, schema),
      }),
    };
  }
  return out;
}

type OpBuilder = (
  action: string,
  verb: string,
  rest: string,
  description: string,
  extra: Record<string, unknown>,
  produces?: string[],
) => Record<string, unknown>;

/**
 * The deprecated `/watch/` endpoints kube-apiserver still publishes for every
 * watchable resource (installer.go "WATCH" and "WATCHLIST" actions): the
 * collection (`watchCoreV1NamespacedConfigMapList`), one object
 * (`watchCoreV1NamespacedConfigMap`) and, for namespaced resources, all
 * namespaces (`watchCoreV1ConfigMapListForAllNamespaces`); each answers a
 * stream of WatchEvents and takes the list parameters.
 */
function watchPaths(
  d: ResourceDescriptor,
  v: Version,
  p: (x: Record<string, unknown>) => Record<string, unknown>,
  op: OpBuilder,
  listParams: Record<string, unknown>[],
  common: Record<string, unknown>[],
): Record<string, unknown> {
  if (!d.verbs.includes('watch')) return {};
  const base = `/${gvPath(d)}/watch`;
  const scopeWord = d.namespaced ? 'Namespaced' : '';
  const coll = d.namespaced ? `${base}/namespaces/{namespace}/${d.resource}` : `${base}/${d.resource}`;
  const listDescription = `watch individual changes to a list of ${d.kind}. deprecated: use the 'watch' parameter with a list operation instead.`;
  const get = (action: string, rest: string, description: string): Record<string, unknown> =>
    op(action, 'watch', rest, description, { responses: responses(v, { 200: 'OK' }, WATCH_EVENT, WATCH_MEDIA_TYPES) }, WATCH_MEDIA_TYPES);
  const out: Record<string, unknown> = {
    [coll]: { parameters: [...listParams, ...common], get: get('watchlist', `${scopeWord}${d.kind}List`, listDescription) },
    [`${coll}/{name}`]: {
      parameters: [...listParams, p(pathParam('name', `name of the ${d.kind}`)), ...common],
      get: get(
        'watch',
        `${scopeWord}${d.kind}`,
        `watch changes to an object of kind ${d.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`,
      ),
    },
  };
  if (d.namespaced)
    out[`${base}/${d.resource}`] = {
      parameters: [...listParams, p(COMMON.pretty)],
      get: get('watchlist', `${d.kind}ListForAllNamespaces`, listDescription),
    };
  return out;
}

/** What pathsFor has built that a resource's other subresources share. */
interface PathContext {
  p: (x: Record<string, unknown>) => Record<string, unknown>;
  op: OpBuilder;
  write: Record<string, unknown>[];
  patchTypes: string[];
  common: Record<string, unknown>[];
  /** The object's path, `/api/v1/namespaces/{namespace}/pods/{name}`. */
  item: string;
  /** `NamespacedPod`. */
  own: string;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The definition of a subresource's kind: the resource's package, or the subresource's group-version (pods/eviction: policy/v1). */
export function subresourceSchema(d: ResourceDescriptor, kindSchema: string, sub: SubresourceDescriptor): string {
  if (sub.group === undefined || sub.group === d.group) return kindSchema.replace(/\.[^.]+$/, `.${sub.kind}`);
  return `io.k8s.api.${sub.group.split('.')[0]}.${sub.version ?? d.version}.${sub.kind}`;
}

/** The HTTP methods a connect subresource answers (kube's ConnectMethods): proxies all seven. */
function connectMethods(sub: SubresourceDescriptor): string[] {
  if (sub.name === 'proxy') return ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
  const byVerb: Record<string, string> = { create: 'POST', delete: 'DELETE', get: 'GET', patch: 'PATCH', update: 'PUT' };
  return sub.verbs.map((verb) => byVerb[verb]).filter((m) => m !== undefined);
}

/** Parameters as kube's installer lists them: by name, path parameters before query ones of a name. */
const byName = (params: Record<string, unknown>[]): Record<string, unknown>[] =>
  [...params].sort((a, b) => String(a.name).localeCompare(String(b.name)) || (a.in === 'path' ? -1 : b.in === 'path' ? 1 : 0));

/**
 * The subresources a row declares beyond status and scale, as kube-apiserver's installer publishes
 * them by the REST they are (installer.go registerResourceHandlers):
 * - a Connecter (pods/attach, exec, portforward, proxy; services/proxy, nodes/proxy): one
 *   `connect<Method>...` operation per method it answers, the options kind's fields as query
 *   parameters, a string response; proxies also under `/{path}` (`...WithPath`);
 * - a getter with options (pods/log): `read...Log`, the options' fields as query parameters;
 * - a creater (pods/binding, pods/eviction): `create...` with its own kind as body and response;
 * - an updater of the resource itself (pods/ephemeralcontainers, certificatesigningrequests/approval):
 *   read, replace, patch as the status subresource.
 */
function otherSubresourcePaths(d: ResourceDescriptor, kindSchema: string, v: Version, c: PathContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { p, op } = c;
  const scopeParams = c.common.filter((x) => x.name !== 'pretty');
  const pretty = c.common.filter((x) => x.name === 'pretty');
  const queryParams = (kind: string): Record<string, unknown>[] =>
    Object.entries(optionParameters(kind)).map(([name, o]) => p(q(name, o.description, o.type)));
  const stringResponse = (mediaTypes: string[]): Record<string, unknown> => ({
    200:
      v === 'v2'
        ? { description: 'OK', schema: { type: 'string' } }
        : { description: 'OK', content: Object.fromEntries(mediaTypes.map((t) => [t, { schema: { type: 'string' } }])) },
    401: { description: 'Unauthorized' },
  });
  for (const sub of d.subresources?.others ?? []) {
    const path = `${c.item}/${sub.name}`;
    const subName = capitalize(sub.name);
    const subGvk = { group: sub.group ?? d.group, version: sub.version ?? d.version, kind: sub.kind };
    const withGvk = (o: Record<string, unknown>): Record<string, unknown> => ({ ...o, 'x-kubernetes-group-version-kind': subGvk });
    const name = p(pathParam('name', `name of the ${sub.kind}`));
    if (sub.kind.endsWith('Options')) {
      const methods = connectMethods(sub);
      const connect = (withPath: boolean): Record<string, unknown> => {
        const entry: Record<string, unknown> = {
          parameters: byName([
            ...queryParams(sub.kind),
            name,
            ...scopeParams,
            ...(withPath ? [p(pathParam('path', 'path to the resource'))] : []),
          ]),
        };
        for (const m of methods) {
          entry[m.toLowerCase()] = withGvk({
            ...op(
              'connect',
              'connect',
              `${capitalize(m.toLowerCase())}${c.own}${subName}${withPath ? 'WithPath' : ''}`,
              `connect ${m} requests to ${sub.name} of ${d.kind}`,
              {
                responses: stringResponse(['*/*']),
              },
            ),
            ...(v === 'v2' ? { produces: ['*/*'] } : {}),
          });
        }
        return entry;
      };
      out[path] = connect(false);
      if (sub.name === 'proxy') out[`${path}/{path}`] = connect(true);
    } else if (sub.verbs.length === 1 && sub.verbs[0] === 'get') {
      // A getter with options (pods/log: PodLogOptions): the object's kind, a text response.
      const produces = ['text/plain', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
      out[path] = {
        parameters: byName([...queryParams(`${d.kind}${subName}Options`), p(pathParam('name', `name of the ${d.kind}`)), ...c.common]),
        get: withGvk(
          op(
            'get',
            'read',
            `${c.own}${subName}`,
            `read ${sub.name} of the specified ${d.kind}`,
            { responses: stringResponse(produces) },
            produces,
          ),
        ),
      };
    } else if (sub.verbs.length === 1 && sub.verbs[0] === 'create') {
      const schema = subresourceSchema(d, kindSchema, sub);
      out[path] = {
        parameters: [name, ...scopeParams, ...pretty],
        post: withGvk(
          op('post', 'create', `${c.own}${subName}`, `create ${sub.name} of a ${d.kind}`, {
            ...withBody(v, c.write, ['*/*'], schema),
            responses: responses(v, { 200: 'OK', 201: 'Created', 202: 'Accepted' }, schema),
          }),
        ),
      };
    } else {
      // An updater of the resource itself, as status.
      const what = `${sub.name} of the specified ${d.kind}`;
      const entry: Record<string, unknown> = { parameters: [p(pathParam('name', `name of the ${d.kind}`)), ...c.common] };
      const rest = `${c.own}${subName}`;
      if (sub.verbs.includes('get'))
        entry.get = op('get', 'read', rest, `read ${what}`, { responses: responses(v, { 200: 'OK' }, kindSchema) });
      if (sub.verbs.includes('update'))
        entry.put = op('put', 'replace', rest, `replace ${what}`, {
          ...withBody(v, c.write, ['*/*'], kindSchema),
          responses: responses(v, { 200: 'OK', 201: 'Created' }, kindSchema),
        });
      if (sub.verbs.includes('patch'))
        entry.patch = op('patch', 'patch', rest, `partially update ${what}`, {
          ...withBody(v, [...c.write, p(COMMON.force)], c.patchTypes, 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch'),
          responses: responses(v, { 200: 'OK', 201: 'Created' }, kindSchema),
        });
      out[path] = entry;
    }
  }
  return out;
}

import type { ResourceDescriptor } from '../../api/descriptor.js';
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
  const out: Record<string, unknown> = {
    [coll]: {
      parameters: common,
      get: op(
        'list',
        'list',
        own,
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
      ),
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
      get: op(
        'list',
        'list',
        `${d.kind}ForAllNamespaces`,
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
      ),
    };
  }
  Object.assign(out, watchPaths(d, v, p, op, listParams, common));
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

// authorization.k8s.io/v1: SubjectAccessReview, LocalSubjectAccessReview,
// SelfSubjectAccessReview and SelfSubjectRulesReview, create-only and stored nowhere
// (pkg/registry/authorization/*): the spec is validated as
// pkg/apis/authorization/validation does, asked of the server's authorizer chain (or
// its rule resolvers), and answered with a status.

import type { AuthorizationAttributes } from '../../api/authorization.js';
import { badRequest, type FieldError, fieldErrors, internalError, invalid } from '../../api/errors.js';
import type { KubeObject, UserInfo } from '../../api/types.js';
import type { AuthorizationAPI } from '../authorization.js';
import { type BuiltinResource, builtinResource as resource, type ServerOptions } from '../builtin.js';
import type { SubresourceCall } from '../subresource.js';
import { arrOf, type Obj, objOf, strOf } from './values.js';

const GROUP = 'authorization.k8s.io';
const API_VERSION = `${GROUP}/v1`;

type ReviewKind = 'SubjectAccessReview' | 'LocalSubjectAccessReview' | 'SelfSubjectAccessReview' | 'SelfSubjectRulesReview';

function required(api: AuthorizationAPI | undefined): AuthorizationAPI {
  if (!api) throw internalError('no authorizer is configured on this server');
  return api;
}

/** ValidateSubjectAccessReviewSpec / ValidateSelfSubjectAccessReviewSpec. */
function validateSpec(spec: Obj, withSubject: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if (ra && nra)
    errs.push(fieldErrors.invalid('spec.nonResourceAttributes', nra, 'cannot be specified in combination with resourceAttributes'));
  if (!ra && !nra)
    errs.push(
      fieldErrors.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
    );
  if (withSubject && !strOf(spec.user) && arrOf(spec.groups).length === 0) {
    errs.push(fieldErrors.invalid('spec.user', strOf(spec.user), 'at least one of user or group must be specified'));
  }
  return errs;
}

/** metadata must be empty (for LocalSubjectAccessReview: except for its namespace). */
function validateMeta(body: Obj, allowNamespace: boolean): FieldError[] {
  const meta = { ...(objOf(body.metadata) ?? {}) };
  delete meta.managedFields;
  delete meta.creationTimestamp;
  if (allowNamespace) delete meta.namespace;
  const nonEmpty = Object.values(meta).some((v) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0));
  if (!nonEmpty) return [];
  return [fieldErrors.invalid('metadata', objOf(body.metadata), allowNamespace ? 'must be empty except for namespace' : 'must be empty')];
}

/** kube's ResourceAttributesFrom / NonResourceAttributesFrom: an empty version is any version. */
function attributesFrom(user: UserInfo, spec: Obj): AuthorizationAttributes {
  const ra = objOf(spec.resourceAttributes);
  if (ra) {
    return {
      user,
      verb: strOf(ra.verb),
      isResourceRequest: true,
      path: '',
      apiGroup: strOf(ra.group),
      apiVersion: strOf(ra.version) || '*',
      namespace: strOf(ra.namespace),
      resource: strOf(ra.resource),
      subresource: strOf(ra.subresource),
      name: strOf(ra.name),
    };
  }
  const nra = objOf(spec.nonResourceAttributes) ?? {};
  return {
    user,
    verb: strOf(nra.verb),
    isResourceRequest: false,
    path: strOf(nra.path),
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
}

/** The SubjectAccessReview spec's user (groups as given: no system:authenticated added). */
function specUser(spec: Obj): UserInfo {
  const u: UserInfo = { username: strOf(spec.user), groups: arrOf(spec.groups).map(String) };
  if (strOf(spec.uid)) u.uid = strOf(spec.uid);
  const extra = objOf(spec.extra);
  if (extra) u.extra = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, arrOf(v).map(String)]));
  return u;
}

/** The request's user as a SelfSubjectAccessReview's subject (kube does not echo it in the spec). */
async function accessReview(kind: ReviewKind, api: AuthorizationAPI, call: SubresourceCall, body: Obj): Promise<KubeObject> {
  const spec = objOf(body.spec) ?? {};
  const self = kind === 'SelfSubjectAccessReview';
  const local = kind === 'LocalSubjectAccessReview';
  if (local) {
    const ns = call.ctx.namespace ?? '';
    if (!ns) throw badRequest(`namespace is required on this type: ${ns}`);
    const bodyNs = strOf(objOf(body.metadata)?.namespace);
    if (bodyNs !== ns) throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${ns}`);
  }
  const errs = [...validateSpec(spec, !self), ...validateMeta(body, local)];
  if (local) {
    if (spec.nonResourceAttributes)
      errs.push(fieldErrors.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'disallowed on this kind of request'));
    const ra = objOf(spec.resourceAttributes);
    if (ra && strOf(ra.namespace) !== (call.ctx.namespace ?? '')) {
      errs.push(fieldErrors.invalid('spec.resourceAttributes.namespace', strOf(ra.namespace), 'must match metadata.namespace'));
    }
  }
  if (errs.length) throw invalid({ group: GROUP, kind }, '', errs);
  const d = await api.authorize(attributesFrom(self ? call.ctx.user : specUser(spec), spec));
  const status: Obj = { allowed: d.decision === 'allow' };
  if (d.decision === 'deny') status.denied = true;
  if (d.reason) status.reason = d.reason;
  if (d.evaluationError) status.evaluationError = d.evaluationError;
  return {
    kind,
    apiVersion: API_VERSION,
    metadata: { ...(objOf(body.metadata) ?? {}), creationTimestamp: null },
    spec,
    status,
  } as KubeObject;
}

/** SelfSubjectRulesReview: the rule resolvers' answer for the requester in spec.namespace. */
async function rulesReview(api: AuthorizationAPI, call: SubresourceCall, body: Obj): Promise<KubeObject> {
  const namespace = strOf(objOf(body.spec)?.namespace);
  if (!namespace) throw badRequest('no namespace on request');
  const r = await api.rulesFor(call.ctx.user, namespace);
  // v1 ResourceRule / NonResourceRule: verbs always written, the rest omitted when empty.
  const resourceRules = r.resourceRules.map((x) => {
    const o: Obj = { verbs: x.verbs };
    if (x.apiGroups.length) o.apiGroups = x.apiGroups;
    if (x.resources.length) o.resources = x.resources;
    if (x.resourceNames.length) o.resourceNames = x.resourceNames;
    return o;
  });
  const nonResourceRules = r.nonResourceRules.map((x) =>
    x.nonResourceURLs.length ? { verbs: x.verbs, nonResourceURLs: x.nonResourceURLs } : { verbs: x.verbs },
  );
  const status: Obj = { resourceRules, nonResourceRules, incomplete: r.incomplete };
  if (r.evaluationError) status.evaluationError = r.evaluationError;
  return { kind: 'SelfSubjectRulesReview', apiVersion: API_VERSION, metadata: { creationTimestamp: null }, spec: {}, status } as KubeObject;
}

const NOTHING_STORED = { hasGeneration: false, allowUnconditionalUpdate: false, hasStatusSubresource: false };

function review(resourceName: string, kind: ReviewKind, namespaced: boolean): BuiltinResource {
  const handle = (api: AuthorizationAPI | undefined) => (call: SubresourceCall, body: Obj) =>
    kind === 'SelfSubjectRulesReview' ? rulesReview(required(api), call, body) : accessReview(kind, required(api), call, body);
  return resource(
    {
      group: GROUP,
      version: 'v1',
      resource: resourceName,
      singular: kind.toLowerCase(),
      kind,
      namespaced,
      verbs: ['create'],
      storageVersionHash: false,
    },
    { ...NOTHING_STORED, namespaced },
    `V1${kind}`,
    undefined,
    { create: handle(undefined), bind: (options: ServerOptions) => ({ create: handle(options.authorization) }) },
  );
}

export const authorizationResources: BuiltinResource[] = [
  review('localsubjectaccessreviews', 'LocalSubjectAccessReview', true),
  review('selfsubjectaccessreviews', 'SelfSubjectAccessReview', false),
  review('selfsubjectrulesreviews', 'SelfSubjectRulesReview', false),
  review('subjectaccessreviews', 'SubjectAccessReview', false),
];

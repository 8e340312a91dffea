// authentication.k8s.io/v1: TokenReview and SelfSubjectReview (create-only,
// nothing stored: pkg/registry/authentication/tokenreview and
// selfsubjectreview), and the serviceaccounts/token subresource (TokenRequest,
// pkg/registry/core/serviceaccount/storage/token.go): a bound token signed by
// the server for a ServiceAccount, optionally bound to a Pod, Secret or Node.

import { badRequest, conflict, type FieldError, fieldErrors, internalError, invalid } from '../../api/errors.js';
import type { KubeObject, UserInfo } from '../../api/types.js';
import type { AuthenticationAPI } from '../authentication.js';
import { type BuiltinResource, builtinResource as resource, type ServerOptions } from '../builtin.js';
import { nowRFC3339 } from '../meta.js';
import type { RequestContext } from '../strategy.js';
import type { SubresourceCall, SubresourceREST } from '../subresource.js';
import { arrOf, type Obj, objOf, strOf } from './values.js';

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;
const TOKEN_REQUEST = { group: GROUP, kind: 'TokenRequest' };
const NOTHING_STORED = { namespaced: false, hasGeneration: false, allowUnconditionalUpdate: false, hasStatusSubresource: false };

function required(api: AuthenticationAPI | undefined): AuthenticationAPI {
  if (!api) throw internalError('no authenticators are configured on this server');
  return api;
}

/** authentication.k8s.io/v1 UserInfo as the API serialises it (uid, groups, extra omitted when empty). */
function userInfo(u: UserInfo): Obj {
  const out: Obj = { username: u.username };
  if (u.uid) out.uid = u.uid;
  if (u.groups.length) out.groups = [...u.groups];
  if (u.extra && Object.keys(u.extra).length) out.extra = structuredClone(u.extra);
  return out;
}

// ---------------------------------------------------------------------------
// TokenReview and SelfSubjectReview
// ---------------------------------------------------------------------------

async function createTokenReview(api: AuthenticationAPI | undefined, body: Obj): Promise<KubeObject> {
  const ns = strOf(objOf(body.metadata)?.namespace);
  if (ns) throw badRequest(`namespace is not allowed on this type: ${ns}`);
  const spec = objOf(body.spec) ?? {};
  const token = strOf(spec.token);
  if (!token) throw badRequest(`token is required for TokenReview in ${GROUP}/__internal`);
  const a = required(api);
  const specAudiences = arrOf(spec.audiences).map(String);
  const r = await a.reviewToken(token, specAudiences.length ? specAudiences : a.apiAudiences);
  // status.user is a struct (always written); authenticated, error and audiences are omitempty.
  const status: Obj = { user: {} };
  if (r.authenticated) status.authenticated = true;
  if (r.authenticated && r.user) status.user = userInfo(r.user);
  if (r.authenticated && r.audiences?.length) status.audiences = r.audiences;
  if (r.error) status.error = r.error;
  return {
    kind: 'TokenReview',
    apiVersion: API_VERSION,
    metadata: { ...(objOf(body.metadata) ?? {}), creationTimestamp: null },
    spec,
    status,
  } as KubeObject;
}

function createSelfSubjectReview(ctx: RequestContext): KubeObject {
  return {
    kind: 'SelfSubjectReview',
    apiVersion: API_VERSION,
    metadata: { creationTimestamp: nowRFC3339() },
    status: { userInfo: userInfo(ctx.user) },
  } as KubeObject;
}

const reviewRow = (resourceName: string, kind: string, model: string, create: BuiltinResource['create']): BuiltinResource =>
  resource(
    {
      group: GROUP,
      version: 'v1',
      resource: resourceName,
      singular: kind.toLowerCase(),
      kind,
      namespaced: false,
      verbs: ['create'],
      storageVersionHash: false,
    },
    NOTHING_STORED,
    model,
    undefined,
    { create },
  );

export const authenticationResources: BuiltinResource[] = [
  {
    ...reviewRow('tokenreviews', 'TokenReview', 'V1TokenReview', (_call, body) => createTokenReview(undefined, body)),
    // TokenReview asks the server's token authenticators.
    bind: (options: ServerOptions) => ({ create: (_call, body) => createTokenReview(options.authentication, body) }),
  },
  reviewRow('selfsubjectreviews', 'SelfSubjectReview', 'V1SelfSubjectReview', async (call) => createSelfSubjectReview(call.ctx)),
];

// ---------------------------------------------------------------------------
// serviceaccounts/token
// ---------------------------------------------------------------------------

const DEFAULT_EXPIRATION_SECONDS = 3600;

function validateTokenRequest(expirationSeconds: number): FieldError[] {
  const errs: FieldError[] = [];
  if (expirationSeconds < 600)
    errs.push(fieldErrors.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'));
  if (expirationSeconds > 2 ** 32)
    errs.push(fieldErrors.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  return errs;
}

/** Go's schema.GroupVersionKind String(): `group/version, Kind=kind`. */
function gvkString(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const [group, version] = slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  return `${group}/${version}, Kind=${kind}`;
}

async function createTokenRequest(api: AuthenticationAPI | undefined, call: SubresourceCall, body: Obj): Promise<KubeObject> {
  const { ctx, name } = call;
  const namespace = ctx.namespace ?? '';
  const meta = objOf(body.metadata) ?? {};
  if (strOf(meta.name) && strOf(meta.name) !== name)
    throw invalid(TOKEN_REQUEST, name, [
      fieldErrors.invalid('metadata.name', meta.name, 'must match the service account name if specified'),
    ]);
  if (strOf(meta.namespace) && strOf(meta.namespace) !== namespace)
    throw invalid(TOKEN_REQUEST, name, [
      fieldErrors.invalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified'),
    ]);
  const serviceAccount = await call.store.get(ctx, name);
  const a = required(api);
  const spec = { ...(objOf(body.spec) ?? {}) };
  if (!arrOf(spec.audiences).length) spec.audiences = [...a.apiAudiences];
  spec.expirationSeconds ??= DEFAULT_EXPIRATION_SECONDS;
  const expirationSeconds = Number(spec.expirationSeconds);
  const errs = validateTokenRequest(expirationSeconds);
  if (errs.length) throw invalid(TOKEN_REQUEST, '', errs);
  const bound: { pod?: KubeObject; secret?: KubeObject; node?: KubeObject } = {};
  const ref = objOf(spec.boundObjectRef);
  if (ref) {
    const apiVersion = strOf(ref.apiVersion);
    const kind = strOf(ref.kind);
    const refName = strOf(ref.name);
    const get = (resource: string, namespaced: boolean): Promise<KubeObject> => {
      const served = call.lookup('', resource);
      if (!served) throw internalError(`${resource} are not served`);
      return served.store.get({ ...ctx, namespace: namespaced ? namespace : undefined }, refName);
    };
    if (apiVersion === 'v1' && kind === 'Pod') {
      bound.pod = await get('pods', true);
      const podSA = strOf(objOf(bound.pod.spec)?.serviceAccountName);
      if (podSA !== name)
        throw badRequest(
          `cannot bind token for serviceaccount ${JSON.stringify(name)} to pod running with serviceaccount ${JSON.stringify(podSA)}`,
        );
      // The pod's node goes into the token too, when it has one (ServiceAccountTokenPodNodeInfo).
      const nodeName = strOf(objOf(bound.pod.spec)?.nodeName);
      if (nodeName) {
        bound.node = await call
          .lookup('', 'nodes')
          ?.store.get({ ...ctx, namespace: undefined }, nodeName)
          .catch(() => undefined);
      }
    } else if (apiVersion === 'v1' && kind === 'Secret') bound.secret = await get('secrets', true);
    else if (apiVersion === 'v1' && kind === 'Node') bound.node = await get('nodes', false);
    else throw badRequest(`cannot bind token to object of type ${gvkString(apiVersion, kind)}`);
    const target = bound.pod ?? bound.secret ?? bound.node!;
    const uid = strOf(ref.uid);
    if (uid && uid !== target.metadata?.uid)
      throw conflict(
        { group: '', resource: kind },
        refName,
        `the UID in the bound object reference (${uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
  }
  const now = Date.now();
  const creationTimestamp = new Date(Math.floor(now / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const issued = await a.issueToken({ serviceAccount, ...bound, expirationSeconds, audiences: arrOf(spec.audiences).map(String) });
  const expirationTimestamp = new Date(Math.floor(now / 1000) * 1000 + expirationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    kind: 'TokenRequest',
    apiVersion: API_VERSION,
    metadata: { ...meta, name: strOf(meta.name) || name, namespace: strOf(meta.namespace) || namespace, creationTimestamp },
    spec,
    status: { token: issued.token, expirationTimestamp },
  } as KubeObject;
}

const tokenSubresource = (create: (call: SubresourceCall, body: Obj) => Promise<KubeObject>): SubresourceREST => ({
  name: 'token',
  group: GROUP,
  version: 'v1',
  kind: 'TokenRequest',
  verbs: ['create'],
  handler: 'create',
  model: 'AuthenticationV1TokenRequest',
  acceptedVersions: [API_VERSION],
  create,
});

/** serviceaccounts' subresources: `token`, signing with the server's key once bound to it. */
export const serviceAccountSubresources: Pick<BuiltinResource, 'subresources' | 'bind'> = {
  subresources: [tokenSubresource((call, body) => createTokenRequest(undefined, call, body))],
  bind: (options) => ({ subresources: [tokenSubresource((call, body) => createTokenRequest(options.authentication, call, body))] }),
};

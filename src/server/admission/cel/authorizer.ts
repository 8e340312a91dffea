// kube's CEL authorizer library (k8s.io/apiserver/pkg/cel/library/authz.go) for admission
// expressions: `authorizer.group('apps').resource('deployments').namespace('ns').name('x')
// .check('update').allowed()`, non-resource `authorizer.path('/healthz').check('get')`,
// `authorizer.serviceAccount(ns, name)`, and a policy's `authorizer.requestResource`.
// Checks ask the server's authorizer (asynchronously).

import type { UserInfo } from '../../api/types.js';
import { celEnvironment } from '../../schema/cel.js';

export interface AuthorizationAttributes {
  verb: string;
  /** A non-resource request's path (`authorizer.path()`); the resource fields are then empty. */
  path?: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export type AuthorizeFn = (user: UserInfo, attrs: AuthorizationAttributes) => boolean | Promise<boolean>;

class Authorizer {
  constructor(
    readonly user: UserInfo,
    readonly authorize: AuthorizeFn,
    readonly requestResource?: ResourceCheck,
  ) {}
}

class GroupCheck {
  constructor(
    readonly authz: Authorizer,
    readonly group: string,
  ) {}
}

class PathCheck {
  constructor(
    readonly authz: Authorizer,
    readonly path: string,
  ) {}
}

class ResourceCheck {
  constructor(
    readonly authz: Authorizer,
    readonly attrs: Omit<AuthorizationAttributes, 'verb'>,
  ) {}
  with(more: Partial<AuthorizationAttributes>): ResourceCheck {
    return new ResourceCheck(this.authz, { ...this.attrs, ...more });
  }
}

class Decision {
  constructor(
    readonly allowed: boolean,
    readonly reason: string,
    readonly error = '',
  ) {}
}

let registered = false;

/** Registers the library's types and functions once, on first use. */
export function ensureAuthorizerLibrary(): void {
  if (registered) return;
  registered = true;
  const env = celEnvironment();
  env.registerType('Authorizer', { ctor: Authorizer, fields: { requestResource: 'ResourceCheck' } });
  env.registerType('GroupCheck', GroupCheck);
  env.registerType('ResourceCheck', ResourceCheck);
  env.registerType('PathCheck', PathCheck);
  env.registerType('Decision', Decision);
  const fn = (sig: string, h: (...a: never[]) => unknown): void => {
    env.registerFunction(sig, h as (...a: unknown[]) => unknown);
  };
  fn('Authorizer.group(string): GroupCheck', (a: Authorizer, g: string) => new GroupCheck(a, g));
  fn('Authorizer.serviceAccount(string, string): Authorizer', (a: Authorizer, ns: string, name: string) => {
    const user = { username: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`] };
    return new Authorizer(user, a.authorize);
  });
  fn(
    'GroupCheck.resource(string): ResourceCheck',
    (g: GroupCheck, r: string) => new ResourceCheck(g.authz, { apiGroup: g.group, resource: r }),
  );
  fn('ResourceCheck.subresource(string): ResourceCheck', (r: ResourceCheck, s: string) => r.with({ subresource: s }));
  fn('ResourceCheck.namespace(string): ResourceCheck', (r: ResourceCheck, ns: string) => r.with({ namespace: ns }));
  fn('ResourceCheck.name(string): ResourceCheck', (r: ResourceCheck, n: string) => r.with({ name: n }));
  const check = async (a: Authorizer, attrs: AuthorizationAttributes): Promise<Decision> => {
    try {
      return new Decision(await a.authorize(a.user, attrs), '');
    } catch (e) {
      return new Decision(false, '', e instanceof Error ? e.message : String(e));
    }
  };
  fn('ResourceCheck.check(string): Decision', (r: ResourceCheck, verb: string) => check(r.authz, { ...r.attrs, verb }));
  fn('Authorizer.path(string): PathCheck', (a: Authorizer, path: string) => new PathCheck(a, path));
  // pathCheck.check: a non-resource request (path and verb only).
  fn('PathCheck.check(string): Decision', (p: PathCheck, verb: string) =>
    check(p.authz, { verb, path: p.path, apiGroup: '', resource: '' }),
  );
  fn('Decision.allowed(): bool', (d: Decision) => d.allowed);
  fn('Decision.reason(): string', (d: Decision) => d.reason);
  fn('Decision.errored(): bool', (d: Decision) => d.error !== '');
  fn('Decision.error(): string', (d: Decision) => d.error);
}

/** The `authorizer` variable for a request's user; `requestResource` set to the request's resource when given. */
export function authorizerFor(user: UserInfo, authorize: AuthorizeFn, request?: Omit<AuthorizationAttributes, 'verb'>): unknown {
  ensureAuthorizerLibrary();
  const a = new Authorizer(user, authorize);
  if (!request) return a;
  return new Authorizer(user, authorize, new ResourceCheck(a, request));
}

// Waiting for an object to reach a state, on a watch (not polling), as
// controller tests write by hand, and Vitest/Jest matchers over it in the spirit
// of controller-runtime's komega:
//
//   await env.waitFor({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'web' },
//     (d) => d?.status?.readyReplicas === 3, { timeout: 5000 });
//
//   import { objectMatchers } from 'kapi-env';
//   expect.extend(objectMatchers(env));
//   await expect(ref).toEventuallyHave({ status: { phase: 'Ready' } });
//   await expect(ref).toEventuallyExist();
//   await expect(ref).toEventuallyBeDeleted();
//
// TypeScript users declare the matchers once:
//   declare module 'vitest' { interface Assertion<T> { toEventuallyHave(e: object | ((o: any) => boolean), o?: WaitOptions): Promise<T> } }

import type { RestClient } from './client.js';

/** An object's identity: apiVersion, kind, name and (for namespaced kinds) namespace; a whole object will do. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
  metadata?: { name?: string; namespace?: string };
}

export type KubeObjectLike = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface WaitOptions {
  /** How long to wait, in ms (default 10,000). */
  timeout?: number;
}

export class WaitTimeoutError extends Error {
  constructor(
    message: string,
    /** The object's last state seen (undefined: absent). */
    readonly last: KubeObjectLike | undefined,
  ) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

/** The object's URL (its collection, with a name) from discovery, as kubectl's RESTMapper finds it. */
async function objectPath(client: RestClient, ref: ObjectRef): Promise<{ collection: string; name: string; label: string }> {
  const name = ref.name ?? ref.metadata?.name;
  if (!ref.apiVersion || !ref.kind || !name) throw new TypeError('waitFor: the reference needs apiVersion, kind and name');
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const r = await client.get<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>(base);
  const res = r.status === 200 ? r.body.resources?.find((x) => x.kind === ref.kind && !x.name.includes('/')) : undefined;
  if (!res) throw new Error(`waitFor: no resource for ${ref.kind} in ${ref.apiVersion} is served`);
  const ns = ref.namespace ?? ref.metadata?.namespace ?? 'default';
  const collection = res.namespaced ? `${base}/namespaces/${encodeURIComponent(ns)}/${res.name}` : `${base}/${res.name}`;
  return { collection, name, label: `${ref.kind} ${res.namespaced ? `${ns}/` : ''}${name}` };
}

/**
 * Resolves with the object once `predicate` holds for it (called with undefined while it does not exist), or
 * rejects with WaitTimeoutError naming its last state. Reads it once, then follows a watch on it; a watch
 * that ends (410, timeout) is followed by a fresh read and watch.
 */
export async function waitFor<T extends KubeObjectLike = KubeObjectLike>(
  client: RestClient,
  ref: ObjectRef,
  predicate: (obj: T | undefined) => boolean | Promise<boolean>,
  opts: WaitOptions = {},
): Promise<T | undefined> {
  const timeout = opts.timeout ?? 10_000;
  const deadline = Date.now() + timeout;
  const { collection, name, label } = await objectPath(client, ref);
  const selector = `fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
  let last: T | undefined;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeout);
  try {
    // At least one read, however long discovery took.
    for (let first = true; first || Date.now() < deadline; first = false) {
      const list = await client.get<{ metadata: { resourceVersion: string }; items: T[] }>(`${collection}?${selector}`);
      if (list.status !== 200) throw new Error(`waitFor ${label}: ${list.text}`);
      last = list.body.items[0];
      if (await predicate(last)) return last;
      let done = false;
      let failure: unknown;
      // Events are checked in order, one at a time: the predicate sees every state the watch reports.
      let chain = Promise.resolve();
      const watchPath = `${collection}?${selector}&watch=true&allowWatchBookmarks=true&resourceVersion=${list.body.metadata.resourceVersion}`;
      await client
        .stream(watchPath, ac.signal, (line) => {
          const ev = JSON.parse(line) as { type: string; object: T };
          if (ev.type === 'BOOKMARK') return true;
          if (ev.type === 'ERROR') return false;
          last = ev.type === 'DELETED' ? undefined : ev.object;
          const seen = last;
          chain = chain.then(async () => {
            if (done) return;
            try {
              if (await predicate(seen)) {
                done = true;
                ac.abort();
              }
            } catch (e) {
              failure = e;
              done = true;
              ac.abort();
            }
          });
          return true;
        })
        .catch((e) => {
          if (!ac.signal.aborted) throw e;
        });
      await chain;
      if (failure) throw failure;
      if (done) return last;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  throw new WaitTimeoutError(
    `${label} did not reach the expected state within ${timeout} ms; last seen: ${last === undefined ? 'absent' : JSON.stringify(last)}`,
    last,
  );
}

/** `expected` as a subset of `actual`: objects recursively, arrays element by element, everything else by value. */
export function matchesSubset(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return Object.is(actual, expected);
  if (Array.isArray(expected))
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matchesSubset(actual[i], e));
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  return Object.entries(expected).every(([k, v]) => matchesSubset((actual as Record<string, unknown>)[k], v));
}

interface HasClient {
  client(): RestClient;
}

type Expected = Record<string, unknown> | ((obj: KubeObjectLike) => boolean);

/** Matchers for expect.extend over an environment's admin client. */
export function objectMatchers(env: HasClient) {
  const run = async (
    ref: ObjectRef,
    predicate: (o: KubeObjectLike | undefined) => boolean,
    opts: WaitOptions | undefined,
    want: string,
  ) => {
    const client = env.client();
    try {
      await waitFor(client, ref, predicate, opts);
      return { pass: true, message: () => `expected ${ref.kind} ${ref.name ?? ref.metadata?.name} not to ${want}` };
    } catch (e) {
      if (!(e instanceof WaitTimeoutError)) throw e;
      return { pass: false, message: () => `expected ${want}: ${e.message}` };
    } finally {
      await client.close();
    }
  };
  return {
    toEventuallyHave(received: ObjectRef, expected: Expected, opts?: WaitOptions) {
      const predicate = (o: KubeObjectLike | undefined): boolean =>
        o !== undefined && (typeof expected === 'function' ? expected(o) : matchesSubset(o, expected));
      return run(received, predicate, opts, typeof expected === 'function' ? 'satisfy the predicate' : `have ${JSON.stringify(expected)}`);
    },
    toEventuallyExist(received: ObjectRef, opts?: WaitOptions) {
      return run(received, (o) => o !== undefined, opts, 'exist');
    },
    toEventuallyBeDeleted(received: ObjectRef, opts?: WaitOptions) {
      return run(received, (o) => o === undefined, opts, 'be deleted');
    },
  };
}

export interface WaitHelpers {
  /** Resolves with the object once `predicate` holds for it (undefined: absent), on a watch; see waitFor. */
  waitFor<T extends KubeObjectLike = KubeObjectLike>(
    ref: ObjectRef,
    predicate: (obj: T | undefined) => boolean | Promise<boolean>,
    opts?: WaitOptions,
  ): Promise<T | undefined>;
}

export function waitHelpers(makeClient: () => RestClient): WaitHelpers {
  return {
    waitFor: async (ref, predicate, opts) => {
      const client = makeClient();
      try {
        return await waitFor(client, ref, predicate, opts);
      } finally {
        await client.close();
      }
    },
  };
}

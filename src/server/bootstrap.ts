// Installs the catalog's resources (the built-ins and the CRD resource) through
// the one install path, and creates the namespaces every cluster starts with.

import { createHash } from 'node:crypto';
import { StatusError } from './api/errors.js';
import type { KubeObject } from './api/types.js';
import type { BootstrapRecord, BootstrapSeed } from './config.js';
import { type InstallContext, installResource } from './endpoints/install.js';
import type { ResourceRouter } from './endpoints/router.js';
import type { BuiltinResource, ServerOptions, SystemObjectsContext } from './registry/builtin.js';
import { BUILTIN_RESOURCES } from './registry/catalog.js';

export async function installBuiltins(opts: InstallContext, options: ServerOptions): Promise<{ stop(): void }> {
  const installed = await Promise.all(
    BUILTIN_RESOURCES.map((b) =>
      installResource(opts, {
        ...b,
        ...b.bind?.(options),
        strategy: b.configure ? b.configure(opts.storage, options) : b.strategy,
        computed: b.computed?.(opts.storage),
      }),
    ),
  );
  return {
    stop: () => {
      for (const r of installed) r.lister.stop();
    },
  };
}

const SYSTEM_CTX = { user: { username: 'system:apiserver', groups: ['system:masters'] }, dryRun: false, warnings: [] };

const rowKey = (b: BuiltinResource): string => `${b.descriptor.group}/${b.descriptor.resource}`;

/** How a part of the bootstrap comes to its final state, for what the seed keeps of it. */
export interface Settling {
  /** Run once the objects are stored, and waited for: the controllers that finish them (the ClusterRole aggregation). */
  settle?: () => Promise<void>;
  /**
   * Resolves once controllers that start later have made their first pass over the objects (the FlowSchema
   * conditions): the seed keeps the objects as they are then, without the start waiting for it.
   */
  passed?: Promise<void>;
}

/**
 * Creates each catalog row's system objects (after the namespaces), leaving existing ones alone unless the row
 * reconciles them: the rows without a post-start hook, or with `hook` those of that hook. With a seed, the rows
 * whose objects are data alone (created once, never reconciled, nothing allocated behind them) come from it.
 */
export async function bootstrapSystemObjects(
  router: ResourceRouter,
  ctx: SystemObjectsContext,
  hook?: string,
  seed?: BootstrapSeed,
  settling: Settling = {},
): Promise<void> {
  const settle = settling.settle ?? (async () => {});
  const rows: Row[] = BUILTIN_RESOURCES.filter(
    (b) => b.postStartHook === hook && b.systemObjects && router.get(b.descriptor.group, b.descriptor.version, b.descriptor.resource),
  ).map((b) => [b, b.systemObjects!(ctx)]);
  const data = seed ? rows.filter(([b]) => !b.reconcileSystemObjects) : [];
  const rest = seed ? rows.filter(([b]) => b.reconcileSystemObjects) : rows;
  const name = hook ?? 'system-objects';
  if (!data.length) {
    await createSystemObjects(router, rest);
    return settle();
  }
  if (!rest.length) return seededBootstrap(router, name, data, seed!, settling);
  await Promise.all([seededBootstrap(router, name, data, seed!, { passed: settling.passed }), createSystemObjects(router, rest)]);
  await settle();
}

/** A catalog row with its system objects as given. */
type Row = [BuiltinResource, KubeObject[]];

/**
 * A part's objects from the seed when it has them: stored as an earlier start left them once its controllers
 * had settled, with this start's uids and times. Else created through the write path, settled, and given to the
 * seed as they then are.
 */
async function seededBootstrap(router: ResourceRouter, name: string, rows: Row[], seed: BootstrapSeed, settling: Settling): Promise<void> {
  const settle = settling.settle ?? (async () => {});
  const given = rows.map(([b, objs]) => [rowKey(b), objs] as const);
  const inputs = createHash('sha256').update(JSON.stringify(given)).digest('hex');
  const record = await seed.load(name, inputs).catch(() => undefined);
  const served = (b: BuiltinResource) => router.get(b.descriptor.group, b.descriptor.version, b.descriptor.resource)!;
  // The seed names the same objects as given (the digest says the policy is the same; this says the file holds it).
  const names = (objs: readonly KubeObject[]) => objs.map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`).join('\n');
  if (record && given.every(([key, objs]) => Array.isArray(record[key]) && names(record[key]) === names(objs))) {
    const stored = await Promise.all(rows.map(([b]) => served(b).store.seed(record[rowKey(b)]))).then(
      () => true,
      (e) => {
        // A seed storage refuses: the write path makes what is missing (what was stored is found there and left).
        console.error('kapi-env: storing the bootstrap seed failed, creating the objects instead:', e instanceof Error ? e.message : e);
        return false;
      },
    );
    // Nothing left for the controllers to change: they find the objects as they left them.
    if (stored) return settle();
  }
  const complete = await createSystemObjects(router, rows);
  await settle();
  if (!complete) return;
  const keep = async (): Promise<void> => {
    const settled: BootstrapRecord = {};
    await Promise.all(
      rows.map(async ([b, objs]) => {
        const store = served(b).store;
        settled[rowKey(b)] = await Promise.all(
          objs.map((o) => store.get({ ...SYSTEM_CTX, warnings: [], namespace: o.metadata?.namespace }, o.metadata!.name!)),
        );
      }),
    );
    seed.save(name, inputs, settled);
  };
  // Kept when the later controllers have passed (in the background: the start goes on); never if they do not.
  if (settling.passed) void settling.passed.then(keep).catch(() => undefined);
  else await keep();
}

/**
 * Creates the rows' system objects, leaving existing ones alone unless the row reconciles them. Whether every
 * object was created here.
 */
async function createSystemObjects(router: ResourceRouter, rows: Row[]): Promise<boolean> {
  let complete = true;
  await Promise.all(
    rows.flatMap(([b, objects]) => {
      const served = router.get(b.descriptor.group, b.descriptor.version, b.descriptor.resource)!;
      return objects.map(async (obj) => {
        const reqCtx = { ...SYSTEM_CTX, warnings: [], namespace: obj.metadata?.namespace };
        const name = obj.metadata!.name!;
        // A reconciled object is read first, as kube's controllers Get before they Create: a create would
        // reserve what the existing one holds (a Service's ClusterIP) before finding it there.
        const existing = b.reconcileSystemObjects ? await served.store.get(reqCtx, name).catch(() => undefined) : undefined;
        if (!existing) {
          try {
            await served.store.create(reqCtx, structuredClone(obj));
            return;
          } catch (e) {
            complete = false;
            // Another server starting on the same etcd may have created it meanwhile: a create then fails
            // with 409, or (the `kubernetes` Service) on what the other's holds, its ClusterIP. Found there
            // now, it is reconciled, as kube's controllers find it on their next pass.
            // The other's create may still be under way (its ClusterIP reserved, its Service not yet stored):
            // looked for again for a while, as a controller's next pass would.
            if (!(e instanceof StatusError && e.code === 409) && !(await storedSoon(() => served.store.get(reqCtx, name)))) throw e;
          }
        }
        // An existing one takes the desired content, its metadata kept (labels replaced), as kube's controllers
        // reset them; a refused reset (a change the update may not undo) is logged, as kube's controller logs it.
        complete = false;
        if (b.reconcileSystemObjects) {
          await served.store
            .update(reqCtx, name, (cur) => ({ ...structuredClone(obj), metadata: { ...cur!.metadata, labels: obj.metadata?.labels } }))
            .catch((err) => console.error(`kapi-env: resetting ${b.descriptor.resource} "${name}" failed:`, err));
        }
      });
    }),
  );
  return complete;
}

/** Whether `get` finds the object now or within about two seconds. */
async function storedSoon(get: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (
      await get().then(
        () => true,
        () => false,
      )
    )
      return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Stores objects a controller makes in its first pass over an empty store (the local APIServices), as one part
 * of the seed: from it when it holds them, else through the write path, kept for the next start.
 */
export function seededFirstCreate(
  router: ResourceRouter,
  seed: BootstrapSeed | undefined,
  group: string,
  resource: string,
): ((objects: KubeObject[]) => Promise<void>) | undefined {
  const row = BUILTIN_RESOURCES.find((b) => b.descriptor.group === group && b.descriptor.resource === resource);
  if (!seed || !row) return undefined;
  return (objects) => seededBootstrap(router, `${group}/${resource}`, [[row, objects]], seed, {});
}

/** The namespaces every cluster starts with (kube's bootstrap controller), from the seed when there is one. */
export async function bootstrapNamespaces(router: ResourceRouter, seed?: BootstrapSeed): Promise<void> {
  const ns = BUILTIN_RESOURCES.find((b) => b.descriptor.group === '' && b.descriptor.resource === 'namespaces');
  if (!ns || !router.get('', 'v1', 'namespaces')) return;
  const rows: Row[] = [[ns, SYSTEM_NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as KubeObject)]];
  // Concurrently: each create is a durable etcd write, and etcd commits concurrent ones in one batch.
  if (seed) await seededBootstrap(router, 'namespaces', rows, seed, {});
  else await createSystemObjects(router, rows);
}

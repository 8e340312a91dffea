// Reconciles CustomResourceDefinitions, as apiextensions-apiserver's
// controllers do; the CRD resource itself is a catalog row served like any
// built-in. A watch on the CRDs drives everything: names are checked
// (NamesAccepted), each served version is installed through installResource
// (router, discovery, OpenAPI) and the CRD is marked Established; on deletion
// the custom resources are removed, the API uninstalled and the cleanup
// finalizer dropped so the CRD goes.

import type { GVR } from '../admission/plugins/deps.js';
import { serviceResolver } from '../admission/webhook/index.js';
import type { CRD, CRDCondition } from '../api/apiextensions.js';
import type { ResourceDescriptor } from '../api/descriptor.js';
import type { KubeObject } from '../api/types.js';
import { compareVersions } from '../endpoints/discovery.js';
import { type InstallContext, type InstalledResource, installResource } from '../endpoints/install.js';
import type { ResourceRouter } from '../endpoints/router.js';
import { nowRFC3339 } from '../registry/meta.js';
import { CLEANUP_FINALIZER, CRD_KEY_PREFIX } from '../registry/resources/apiextensions.js';
import type { RequestContext } from '../registry/strategy.js';
import type { StorageWatch } from '../storage/interface.js';
import { makeConverter } from './conversion.js';
import { customResourceStrategy } from './strategy.js';

/** The verbs custom resources are served with, in the order apiextensions-apiserver's discovery lists them. */
const CR_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

interface Installed {
  generation: string;
  versions: InstalledResource[];
}

function condition(type: string, status: CRDCondition['status'], reason: string, message: string, prev?: CRDCondition[]): CRDCondition {
  const old = prev?.find((c) => c.type === type);
  const lastTransitionTime = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : nowRFC3339();
  return { type, status, lastTransitionTime, reason, message };
}

/**
 * customresource_handler.go defaultDeprecationWarning: `<group>/<version> <Kind> is deprecated`,
 * naming the most preferred served, non-deprecated version newer than it when there is one.
 */
export function defaultDeprecationWarning(crd: CRD, version: string): string {
  const { group, names } = crd.spec;
  const msg = `${group}/${version} ${names.kind} is deprecated`;
  const newer = crd.spec.versions
    .filter((v) => v.served && !v.deprecated && compareVersions(v.name, version) < 0)
    .map((v) => v.name)
    .sort(compareVersions);
  return newer.length ? `${msg}; use ${group}/${newer[0]} ${names.kind}` : msg;
}

const SYSTEM_CTX = (namespace: string): RequestContext => ({
  user: { username: 'system:apiserver', groups: ['system:masters'] },
  namespace: namespace || undefined,
  dryRun: false,
  warnings: [],
});

/** Services, EndpointSlices and Endpoints as the conversion webhook's service resolution reads them (cache first). */
function servedObjects(router: ResourceRouter) {
  const served = (r: GVR) => router.get(r.group, r.version, r.resource);
  return {
    get: async (r: GVR, namespace: string, name: string) => {
      const s = served(r);
      if (!s) return undefined;
      const cached = (s.lister as { cachedGet?(ns: string, n: string): KubeObject | undefined }).cachedGet?.(namespace, name);
      return cached ?? s.store.get(SYSTEM_CTX(namespace), name).catch(() => undefined);
    },
    list: async (r: GVR, namespace: string) => {
      const s = served(r);
      return s ? (await s.lister.list({ namespace, resourceVersion: '0' })).items : [];
    },
  };
}

export class CRDController {
  synced = false;
  private watch?: StorageWatch;
  private readonly installed = new Map<string, Installed>();
  private queue: Promise<void> = Promise.resolve();
  private readonly crds = new Map<string, CRD>();
  private stopped = false;
  private retry?: NodeJS.Timeout;

  private readonly resolveService: ReturnType<typeof serviceResolver>;

  constructor(private readonly opts: InstallContext) {
    this.resolveService = serviceResolver(servedObjects(opts.router));
  }

  /** Reconciles every stored CRD, then follows changes; the CRD resource is already served from the catalog. */
  async start(): Promise<void> {
    await this.sync();
  }

  /** List every CRD, reconcile what changed (deletions missed while the watch was down included), then watch. */
  private async sync(): Promise<void> {
    const list = await this.opts.storage.list(`${CRD_KEY_PREFIX}/`);
    const present = new Set(list.items.map((o) => o.metadata?.name));
    for (const [name, crd] of this.crds) if (!present.has(name)) this.enqueue(crd as unknown as KubeObject, true);
    for (const obj of list.items) this.enqueue(obj, false);
    this.watch = this.opts.storage.watch(
      `${CRD_KEY_PREFIX}/`,
      { fromRevision: list.revision },
      {
        event: (ev) => this.enqueue(ev.object, ev.type === 'DELETED'),
        error: () => this.resync(),
      },
    );
    await this.queue;
    this.synced = true;
  }

  /**
   * The storage watch ended (compaction, lost etcd connection): relist and watch again, retrying with
   * backoff for as long as storage is unreachable, as an informer's reflector does.
   */
  private resync(): void {
    this.watch?.stop();
    this.watch = undefined;
    let delayMs = 100;
    const attempt = (): void => {
      if (this.stopped) return;
      this.sync().catch(() => {
        delayMs = Math.min(delayMs * 2, 5_000);
        this.retry = setTimeout(attempt, delayMs);
        this.retry.unref();
      });
    };
    attempt();
  }

  /** Reconciles strictly in order, one CRD change at a time. */
  private enqueue(obj: KubeObject, deleted: boolean): void {
    this.queue = this.queue
      .then(() => this.reconcile(obj as unknown as CRD, deleted))
      .catch((e) => {
        console.error('kapi-env: reconciling CustomResourceDefinition failed:', e);
      });
  }

  /** Resolves once all changes seen so far are reconciled (tests, fixtures). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async reconcile(crd: CRD, deleted: boolean): Promise<void> {
    const name = crd.metadata.name;
    if (deleted) {
      this.crds.delete(name);
      this.uninstall(name);
      return;
    }
    this.crds.set(name, crd);
    if (crd.metadata.deletionTimestamp) {
      await this.finalize(crd);
      return;
    }
    const conflict = this.nameConflict(crd);
    const prev = crd.status?.conditions;
    const conditions: CRDCondition[] = [];
    let acceptedNames = crd.status?.acceptedNames ?? { plural: '', kind: '' };
    if (conflict) {
      conditions.push(condition('NamesAccepted', 'False', conflict.reason, conflict.message, prev));
      conditions.push(condition('Established', 'False', 'NotAccepted', 'not all names are accepted', prev));
      this.uninstall(name);
    } else {
      acceptedNames = { ...crd.spec.names };
      conditions.push(condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', prev));
      conditions.push(condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted', prev));
      await this.install(crd);
    }
    await this.writeStatus(name, (status) => {
      const storage = crd.spec.versions.find((v) => v.storage)?.name;
      const stored = new Set(status.storedVersions ?? []);
      if (storage) stored.add(storage);
      return { ...status, conditions, acceptedNames, storedVersions: [...stored] };
    });
  }

  private nameConflict(crd: CRD): { reason: string; message: string } | undefined {
    for (const other of this.crds.values()) {
      if (other.metadata.name === crd.metadata.name || other.spec.group !== crd.spec.group) continue;
      const accepted = other.status?.acceptedNames;
      if (!accepted?.plural) continue;
      const n = crd.spec.names;
      if (accepted.plural === n.plural) return { reason: 'PluralConflict', message: `"${n.plural}" is already in use` };
      if (n.singular && accepted.singular === n.singular)
        return { reason: 'SingularConflict', message: `"${n.singular}" is already in use` };
      const short = (n.shortNames ?? []).find((s) => (accepted.shortNames ?? []).includes(s));
      if (short) return { reason: 'ShortNamesConflict', message: `"${short}" is already in use` };
      if (accepted.kind === n.kind) return { reason: 'KindConflict', message: `"${n.kind}" is already in use` };
      if (n.listKind && accepted.listKind === n.listKind)
        return { reason: 'ListKindConflict', message: `"${n.listKind}" is already in use` };
    }
    return undefined;
  }

  private async writeStatus(name: string, change: (s: NonNullable<CRD['status']>) => NonNullable<CRD['status']>): Promise<void> {
    await this.opts.storage
      .guaranteedUpdate(`${CRD_KEY_PREFIX}/${name}`, (cur) => {
        if (!cur) throw new Error('gone');
        const c = cur as unknown as CRD;
        const next = change(structuredClone(c.status ?? {}));
        if (JSON.stringify(next) === JSON.stringify(c.status ?? {})) return cur;
        return { ...cur, status: next } as KubeObject;
      })
      .catch(() => undefined);
  }

  private async install(crd: CRD): Promise<void> {
    const name = crd.metadata.name;
    const existing = this.installed.get(name);
    const specKey = JSON.stringify(crd.spec);
    if (existing && existing.generation === specKey) return;
    this.uninstall(name);
    const inst: Installed = { generation: specKey, versions: [] };
    const storageVersion = crd.spec.versions.find((v) => v.storage)!.name;
    const group = crd.spec.group;
    const n = crd.spec.names;
    const convert = makeConverter(crd, this.resolveService);
    const storageAPIVersion = `${group}/${storageVersion}`;
    for (const v of crd.spec.versions) {
      if (!v.served) continue;
      const { strategy, compiled, table } = customResourceStrategy(crd, v);
      const descriptor = customResourceDescriptor(crd, v);
      const apiVersion = `${group}/${v.name}`;
      const installed = await installResource(this.opts, {
        descriptor,
        strategy,
        keyPrefix: `/${group}/${n.plural}`,
        conversion: {
          storageApiVersion: storageAPIVersion,
          // Stored objects are converted to the requested version (None: apiVersion only; Webhook: a
          // ConversionReview) and defaulted on read; writes are converted back to the storage version.
          fromStorage: async (obj) => {
            const c = await convert(structuredClone(obj), apiVersion);
            compiled.defaultOnRead(c);
            return c;
          },
          toStorage: (obj) => convert(obj, storageAPIVersion),
        },
        custom: {
          openAPIV3Schema: v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          decode: (obj, o) => compiled.decode(obj, { ...o, kind: n.kind, version: v.name }),
          table,
          warnings: v.deprecated ? [v.deprecationWarning ?? defaultDeprecationWarning(crd, v.name)] : undefined,
        },
      });
      inst.versions.push(installed);
    }
    this.installed.set(name, inst);
  }

  private uninstall(name: string): void {
    const inst = this.installed.get(name);
    if (!inst) return;
    for (const version of inst.versions) version.uninstall();
    this.installed.delete(name);
  }

  /** Deleting a CRD: Terminating, remove every custom resource, then the cleanup finalizer. */
  private async finalize(crd: CRD): Promise<void> {
    const name = crd.metadata.name;
    if (!(crd.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return;
    this.uninstall(name);
    await this.writeStatus(name, (s) => ({
      ...s,
      conditions: [
        ...(s.conditions ?? []).filter((c) => c.type !== 'Terminating' && c.type !== 'Established'),
        condition('Established', 'False', 'Terminating', 'the CustomResourceDefinition is being deleted', s.conditions),
        condition('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress', s.conditions),
      ],
    }));
    const prefix = `/${crd.spec.group}/${crd.spec.names.plural}/`;
    for (;;) {
      const page = await this.opts.storage.list(prefix, { limit: 500 });
      for (const obj of page.items) {
        const m = obj.metadata ?? {};
        const key = m.namespace ? `${prefix}${m.namespace}/${m.name}` : `${prefix}${m.name}`;
        await this.opts.storage.delete(key).catch(() => undefined);
      }
      if (!page.more) break;
    }
    await this.opts.storage
      .guaranteedUpdate(`${CRD_KEY_PREFIX}/${name}`, (cur) => {
        if (!cur) throw new Error('gone');
        const fins = (cur.metadata?.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
        return { ...cur, metadata: { ...cur.metadata, finalizers: fins } };
      })
      .catch(() => undefined);
    const after = await this.opts.storage.get(`${CRD_KEY_PREFIX}/${name}`);
    if (after?.metadata?.deletionTimestamp && (after.metadata.finalizers ?? []).length === 0) {
      await this.opts.storage.delete(`${CRD_KEY_PREFIX}/${name}`).catch(() => undefined);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.watch?.stop();
    for (const name of [...this.installed.keys()]) this.uninstall(name);
  }
}

/** What discovery, OpenAPI and errors know of one served version of a custom resource. */
export function customResourceDescriptor(crd: CRD, v: CRD['spec']['versions'][number]): ResourceDescriptor {
  const n = crd.spec.names;
  return {
    group: crd.spec.group,
    version: v.name,
    resource: n.plural,
    singular: n.singular ?? n.kind.toLowerCase(),
    kind: n.kind,
    listKind: n.listKind ?? `${n.kind}List`,
    namespaced: crd.spec.scope === 'Namespaced',
    verbs: CR_VERBS,
    shortNames: n.shortNames,
    categories: n.categories,
    subresources: { status: !!v.subresources?.status, scale: v.subresources?.scale },
    storageVersion: crd.spec.versions.find((x) => x.storage)?.name,
  };
}

// Resources kube serves from a REST implementation of their own instead of
// storage (pkg/registry/core/componentstatus/rest.go): get and list answer
// objects computed per request; nothing is stored, nothing can be watched.

import { badRequest } from '../api/errors.js';
import { parseFieldSelector } from '../api/selectors/fields.js';
import { parseLabelSelector } from '../api/selectors/labels.js';
import type { KubeList, KubeObject } from '../api/types.js';
import type { ListRequest } from './list.js';
import type { ManagedLister } from './lister.js';
import { Store, type StoreConfig } from './store.js';
import type { RequestContext } from './strategy.js';

export interface ComputedResource {
  /** The objects as they are now (ComponentStatuses probed per request). */
  list(): Promise<KubeObject[]>;
  /** One object by name; throws as kube's REST does for a name it does not know. */
  get(name: string): Promise<KubeObject>;
}

/** The Store of a computed resource: reads answered by it, writes never reach it (its verbs are get and list). */
export class ComputedStore extends Store {
  constructor(
    cfg: StoreConfig,
    private readonly computed: ComputedResource,
  ) {
    super(cfg);
  }

  override async get(_ctx: RequestContext, name: string): Promise<KubeObject> {
    return this.computed.get(name);
  }
}

/** List with label and field selectors (metadata.name only) over the computed objects; no resourceVersion, as kube answers. */
export function computedLister(store: Store, computed: ComputedResource): ManagedLister {
  return {
    async list(req: ListRequest): Promise<KubeList> {
      const labels = parseLabelSelector(req.labelSelector);
      const fields = parseFieldSelector(req.fieldSelector);
      for (const r of fields.requirements) {
        if (r.field !== 'metadata.name') throw badRequest(`field label not supported: ${r.field}`);
      }
      const items = (await computed.list()).filter(
        (o) => labels.matches(o.metadata?.labels) && (fields.isEmpty() || fields.matches({ 'metadata.name': o.metadata?.name ?? '' })),
      );
      return { kind: store.descriptor.listKind, apiVersion: store.apiVersion, metadata: {}, items } as KubeList;
    },
    async watch() {
      throw badRequest(`watch is not supported on ${store.descriptor.resource}`);
    },
    stop() {},
    bookmark() {},
  };
}

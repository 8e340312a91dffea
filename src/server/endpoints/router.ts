// The table of served resources: built-ins at start, custom resources added
// and removed at run time by the CRD controller. Discovery and OpenAPI read it.

import type { ResourceDescriptor, TableColumn } from '../api/descriptor.js';
import type { KubeObject } from '../api/types.js';
import type { Lister } from '../registry/list.js';
import type { Store } from '../registry/store.js';
import type { CreateREST, SubresourceREST } from '../registry/subresource.js';
import type { Decoder } from '../schema/builtin/decode.js';

export interface ServedResource {
  descriptor: ResourceDescriptor;
  store: Store;
  lister: Lister;
  /** Strategic merge patch is only for built-in types. */
  allowStrategicMerge: boolean;
  /** A built-in kind's OpenAPI definition name (`io.k8s.api.apps.v1.Deployment`): its strategic merge patch metadata. */
  definition?: string;
  /** Turns the decoded body into what the store expects (defaulting, pruning, fieldValidation). */
  decode?: (
    obj: Record<string, unknown>,
    opts: { fieldValidation: 'Strict' | 'Warn' | 'Ignore'; warnings: string[]; duplicates?: string[]; patched?: boolean },
  ) => void;
  /** Warnings every request to this resource answers with (a deprecated CRD version's deprecationWarning). */
  warnings?: string[];
  /** Table conversion for `kubectl get`; default uses the strategy's columns. */
  table?: { columns: TableColumn[]; row(obj: KubeObject): unknown[] };
  /** Subresources beyond status and scale; a created one carries its body's decoder. */
  subresources?: Array<SubresourceREST & { decode?: Decoder }>;
  /** A create of its own in place of the Store's (core/v1 bindings). */
  create?: CreateREST['create'];
}

export class ResourceRouter {
  private readonly byPath = new Map<string, ServedResource>();
  private generation = 0;
  private readonly listeners: Array<() => void> = [];

  private static path(group: string, version: string, resource: string): string {
    return `${group}/${version}/${resource}`;
  }

  add(r: ServedResource): void {
    const d = r.descriptor;
    this.byPath.set(ResourceRouter.path(d.group, d.version, d.resource), r);
    this.changed();
  }

  remove(group: string, version: string, resource: string): ServedResource | undefined {
    const p = ResourceRouter.path(group, version, resource);
    const r = this.byPath.get(p);
    if (r) {
      this.byPath.delete(p);
      this.changed();
    }
    return r;
  }

  get(group: string, version: string, resource: string): ServedResource | undefined {
    return this.byPath.get(ResourceRouter.path(group, version, resource));
  }

  all(): ServedResource[] {
    return [...this.byPath.values()];
  }

  descriptors(): ResourceDescriptor[] {
    return this.all().map((r) => r.descriptor);
  }

  /** Bumped on every change, so discovery and OpenAPI documents can be cached between changes. */
  get version(): number {
    return this.generation;
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private changed(): void {
    this.generation++;
    for (const fn of this.listeners) fn();
  }
}

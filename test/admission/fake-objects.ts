// An in-memory ObjectAccess and request attributes for admission plugin tests.

import type { AdmissionAttributes, Operation } from '../../src/server/admission/index.js';
import type { GVR, ObjectAccess } from '../../src/server/admission/plugins/deps.js';
import type { ResourceDescriptor } from '../../src/server/api/descriptor.js';
import type { KubeObject, UserInfo } from '../../src/server/api/types.js';

export class FakeObjects implements ObjectAccess {
  readonly items = new Map<string, KubeObject>();
  statusWrites = 0;

  private key(r: GVR, ns: string, name: string): string {
    return `${r.group}/${r.resource}/${ns}/${name}`;
  }

  add(r: GVR, o: KubeObject): this {
    this.items.set(this.key(r, o.metadata?.namespace ?? '', o.metadata?.name ?? ''), structuredClone(o));
    return this;
  }

  async get(r: GVR, ns: string, name: string): Promise<KubeObject | undefined> {
    return structuredClone(this.items.get(this.key(r, ns, name)));
  }

  async list(r: GVR, ns: string): Promise<KubeObject[]> {
    const prefix = `${r.group}/${r.resource}/${ns}`;
    return [...this.items]
      .filter(([k]) => (ns ? k.startsWith(`${prefix}/`) : k.startsWith(`${r.group}/${r.resource}/`)))
      .map(([, o]) => structuredClone(o));
  }

  async updateStatus(r: GVR, ns: string, name: string, update: (c: KubeObject) => KubeObject): Promise<KubeObject> {
    const cur = this.items.get(this.key(r, ns, name));
    if (!cur) throw new Error(`${r.resource} "${name}" not found`);
    const next = update(structuredClone(cur));
    this.items.set(this.key(r, ns, name), next);
    this.statusWrites++;
    return next;
  }

  async create(r: GVR, ns: string, o: KubeObject): Promise<void> {
    this.items.set(this.key(r, ns, o.metadata?.name ?? ''), o);
  }

  resourcesFor(apiVersion: string, kind: string): GVR[] {
    return apiVersion === 'apps/v1' && kind === 'Deployment' ? [{ group: 'apps', version: 'v1', resource: 'deployments' }] : [];
  }
}

const ADMIN: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };

export function descriptor(group: string, resource: string, kind: string, namespaced = true): ResourceDescriptor {
  return { group, version: 'v1', resource, singular: resource, kind, listKind: `${kind}List`, namespaced, verbs: [] };
}

export const PODS = descriptor('', 'pods', 'Pod');

export function attrs(
  op: Operation,
  resource: ResourceDescriptor,
  object: KubeObject | null,
  more: Partial<AdmissionAttributes> = {},
): AdmissionAttributes {
  return {
    operation: op,
    resource,
    subresource: '',
    namespace: object?.metadata?.namespace ?? '',
    name: object?.metadata?.name ?? '',
    object,
    oldObject: null,
    user: ADMIN,
    dryRun: false,
    warnings: [],
    ...more,
  };
}

export function pod(name: string, containers: Array<Record<string, unknown>>, spec: Record<string, unknown> = {}, ns = 'ns'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers, ...spec } } as KubeObject;
}

/** The Status message a plugin refused with. */
export async function refusal(p: Promise<unknown> | unknown): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

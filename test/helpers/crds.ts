// CustomResourceDefinitions that tests write inline: one builder for the
// boilerplate around the schema, and a wait until the resource is served.

import type { RestClient } from '../../src/env/client.js';

export const CRDS_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export interface TestCRD {
  group: string;
  plural: string;
  kind: string;
  singular?: string;
  listKind?: string;
  scope?: 'Namespaced' | 'Cluster';
  /** The versions; default one served storage version `v1` with `schema`. */
  versions?: Array<Record<string, unknown>>;
  /** v1's openAPIV3Schema when `versions` is not given; default an object preserving unknown fields. */
  schema?: Record<string, unknown>;
}

export function testCRD(o: TestCRD): Record<string, unknown> {
  const schema = o.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${o.plural}.${o.group}` },
    spec: {
      group: o.group,
      scope: o.scope ?? 'Namespaced',
      names: {
        plural: o.plural,
        singular: o.singular ?? o.kind.toLowerCase(),
        kind: o.kind,
        ...(o.listKind ? { listKind: o.listKind } : {}),
      },
      versions: o.versions ?? [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
}

/** Polls `path` until it answers 200 (the CRD is Established and its resource routed). */
export async function waitServed(client: RestClient, path: string, timeoutMs = 6_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    if ((await client.get(path)).status === 200) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${path} never served`);
}

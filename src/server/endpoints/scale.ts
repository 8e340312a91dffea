// The scale subresource (autoscaling/v1 Scale) for resources that declare one:
// custom resources with spec.versions[].subresources.scale, as
// apiextensions-apiserver's ScaleREST maps the configured JSON paths, and the
// built-in workloads (deployments, replicasets, statefulsets) the same way.

import { badRequest, fieldErrors, invalid, notFound } from '../api/errors.js';
import { labelSelectorAsSelector } from '../api/selectors/labels.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import { clone } from '../registry/meta.js';
import type { RequestContext } from '../registry/strategy.js';
import type { ServedResource } from './router.js';

function pathParts(p: string): string[] {
  return p.replace(/^\./, '').split('.').filter(Boolean);
}

function getPath(obj: unknown, p: string): unknown {
  let cur = obj;
  for (const k of pathParts(p)) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, p: string, v: unknown): void {
  const parts = pathParts(p);
  let cur = obj;
  for (const k of parts.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = v;
}

/**
 * The Scale's status.selector: a custom resource's selector is already a string; a built-in's
 * metav1.LabelSelector is serialised as its ScaleREST does (LabelSelectorAsSelector(...).String(), `app=x`),
 * a ReplicationController's map selector as labels.SelectorFromSet(...).String().
 */
function selectorString(sel: unknown): string {
  if (typeof sel === 'string') return sel;
  if (!isPlainObject(sel)) return '';
  const labelSelector = 'matchLabels' in sel || 'matchExpressions' in sel;
  try {
    return labelSelectorAsSelector(labelSelector ? sel : { matchLabels: sel }).toString();
  } catch {
    return '';
  }
}

export function scaleOf(served: ServedResource, obj: KubeObject): KubeObject {
  const s = served.descriptor.subresources?.scale;
  if (!s) throw badRequest('scale is not supported');
  const m = obj.metadata ?? {};
  const specReplicas = getPath(obj, s.specReplicasPath);
  const statusReplicas = getPath(obj, s.statusReplicasPath);
  const status: Record<string, unknown> = { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0 };
  if (s.labelSelectorPath) {
    const sel = selectorString(getPath(obj, s.labelSelectorPath));
    if (sel) status.selector = sel;
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status,
  };
}

export async function updateScale(
  served: ServedResource,
  ctx: RequestContext,
  name: string,
  scale: Record<string, unknown>,
): Promise<KubeObject> {
  const s = served.descriptor.subresources?.scale;
  if (!s) throw badRequest('scale is not supported');
  const spec = isPlainObject(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, [
      fieldErrors.invalid('spec.replicas', replicas ?? null, 'must be greater than or equal to 0'),
    ]);
  }
  const rv =
    isPlainObject(scale.metadata) && typeof scale.metadata.resourceVersion === 'string' ? scale.metadata.resourceVersion : undefined;
  const { object } = await served.store.update({ ...ctx, subresource: undefined }, name, (current) => {
    if (!current) throw notFound({ group: served.descriptor.group, resource: served.descriptor.resource }, name);
    const next = clone(current) as Record<string, unknown>;
    setPath(next, s.specReplicasPath, replicas);
    if (rv) (next.metadata as Record<string, unknown>).resourceVersion = rv;
    return next as KubeObject;
  });
  return scaleOf(served, object);
}

// The object layer's codec (kube's APIObjectVersioner over the JSON
// serializer): values are JSON without resourceVersion; an object read back
// carries its mod revision as resourceVersion. And precondition checks.

import type { KubeObject } from '../api/types.js';
import { type Preconditions, StorageError } from './interface.js';

/** Serialise for storage: resourceVersion is never persisted. */
export function encode(obj: KubeObject): string {
  const m = obj.metadata;
  if (m && m.resourceVersion !== undefined) {
    const rv = m.resourceVersion;
    delete m.resourceVersion;
    const s = JSON.stringify(obj);
    m.resourceVersion = rv;
    return s;
  }
  return JSON.stringify(obj);
}

export function decode(value: string, revision: number): KubeObject {
  const obj = JSON.parse(value) as KubeObject;
  if (!obj.metadata) obj.metadata = {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/** storage.Preconditions.Check wording. */
export function checkPreconditions(key: string, obj: KubeObject, pre: Preconditions | undefined): void {
  if (!pre) return;
  const m = obj.metadata ?? {};
  if (pre.uid !== undefined && pre.uid !== m.uid) {
    throw new StorageError(
      'ResourceVersionConflicts',
      key,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid ?? ''}`,
    );
  }
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== m.resourceVersion) {
    throw new StorageError(
      'ResourceVersionConflicts',
      key,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion ?? ''}`,
    );
  }
}

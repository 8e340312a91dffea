// kube's DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault):
// a new PersistentVolumeClaim that names no class (neither spec.storageClassName
// nor the beta annotation) gets the default StorageClass's name.

import type { AdmissionAttributes, MutatingPlugin } from '../index.js';
import { newestDefaultClass } from './default-class.js';
import type { ObjectAccess } from './deps.js';
import { isResource, obj } from './util.js';

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

export class DefaultStorageClass implements MutatingPlugin {
  readonly name = 'DefaultStorageClass';
  constructor(private readonly objects: ObjectAccess) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || !isResource(a, '', 'persistentvolumeclaims') || !a.object) return;
    const spec = (obj(a.object.spec) ?? {}) as Record<string, unknown>;
    if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
    if (a.object.metadata?.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return;
    const cls = await newestDefaultClass(this.objects, { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' }, [
      'storageclass.kubernetes.io/is-default-class',
      'storageclass.beta.kubernetes.io/is-default-class',
    ]);
    if (!cls) return;
    spec.storageClassName = cls.metadata?.name;
    a.object.spec = spec;
  }
}

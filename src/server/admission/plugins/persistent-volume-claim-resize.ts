// kube's PersistentVolumeClaimResize (plugin/pkg/admission/storage/persistentvolume/resize):
// a claim may only grow when its StorageClass sets allowVolumeExpansion.

import { forbidden } from '../../api/errors.js';
import { compareQuantity, parseQuantity } from '../../api/quantity.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import type { ObjectAccess } from './deps.js';
import { isResource, type Obj, obj } from './util.js';

const storageOf = (spec: Obj | undefined) => parseQuantity(obj(obj(spec?.resources)?.requests)?.storage);

export class PersistentVolumeClaimResize implements ValidatingPlugin {
  readonly name = 'PersistentVolumeClaimResize';
  constructor(private readonly objects: ObjectAccess) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'UPDATE' || !isResource(a, '', 'persistentvolumeclaims') || !a.object || !a.oldObject) return;
    const next = storageOf(obj(a.object.spec));
    const prev = storageOf(obj(a.oldObject.spec));
    if (!next || !prev || compareQuantity(next, prev) <= 0) return;
    const cls = obj(a.oldObject.spec)?.storageClassName;
    const sc =
      typeof cls === 'string' && cls
        ? await this.objects.get({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' }, '', cls)
        : undefined;
    if (sc && (sc as Obj).allowVolumeExpansion === true) return;
    throw forbidden(
      { group: '', resource: 'persistentvolumeclaims' },
      a.name,
      'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    );
  }
}

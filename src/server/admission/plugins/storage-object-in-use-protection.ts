// kube's StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuseprotection):
// new PersistentVolumes and PersistentVolumeClaims get the protection finalizer
// the pv/pvc-protection controllers remove once nothing uses them.

import type { AdmissionAttributes, MutatingPlugin } from '../index.js';
import { isResource } from './util.js';

const FINALIZERS: Record<string, string> = {
  persistentvolumes: 'kubernetes.io/pv-protection',
  persistentvolumeclaims: 'kubernetes.io/pvc-protection',
};

export class StorageObjectInUseProtection implements MutatingPlugin {
  readonly name = 'StorageObjectInUseProtection';

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || !a.object) return;
    const finalizer = FINALIZERS[a.resource.resource];
    if (!finalizer || !isResource(a, '', a.resource.resource)) return;
    const m = a.object.metadata!;
    const fins = m.finalizers ?? [];
    if (!fins.includes(finalizer)) m.finalizers = [...fins, finalizer];
  }
}

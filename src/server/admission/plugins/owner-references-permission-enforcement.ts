// kube's OwnerReferencesPermissionEnforcement (plugin/pkg/admission/gc), off by
// default: changing an object's ownerReferences needs `delete` on the object
// (creates excepted), and a new blockOwnerDeletion=true reference needs `update`
// on the owner's `finalizers` subresource.

import { forbidden } from '../../api/errors.js';
import { deepEqual, type KubeObject, type OwnerReference } from '../../api/types.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import type { AdmissionAuthorizer, ObjectAccess } from './deps.js';

const refs = (o: KubeObject | null): OwnerReference[] => o?.metadata?.ownerReferences ?? [];

/** The references that newly block their owner's deletion (by uid). */
function newBlockingRefs(obj: KubeObject, old: KubeObject | null): OwnerReference[] {
  const before = new Map(refs(old).map((r) => [r.uid, r]));
  return refs(obj).filter((r) => r.blockOwnerDeletion === true && before.get(r.uid)?.blockOwnerDeletion !== true);
}

export class OwnerReferencesPermissionEnforcement implements ValidatingPlugin {
  readonly name = 'OwnerReferencesPermissionEnforcement';
  constructor(
    private readonly authz: AdmissionAuthorizer,
    private readonly objects: ObjectAccess,
  ) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if (!a.object || (a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === 'status')) return;
    if (deepEqual(refs(a.object), refs(a.oldObject))) return;
    const gr = { group: a.resource.group, resource: a.resource.resource };
    if (a.operation !== 'CREATE') {
      const ok = await this.authz.allowed(a.user, {
        verb: 'delete',
        apiGroup: a.resource.group,
        resource: a.resource.resource,
        subresource: a.subresource,
        namespace: a.namespace,
        name: a.name,
      });
      if (!ok) throw forbidden(gr, a.name, "cannot set an ownerRef on a resource you can't delete: , <nil>");
    }
    for (const ref of newBlockingRefs(a.object, a.oldObject)) {
      const owners = this.objects.resourcesFor(ref.apiVersion, ref.kind);
      if (!owners.length)
        throw forbidden(
          gr,
          a.name,
          `cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion ${ref.apiVersion} Kind ${ref.kind}: no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`,
        );
      for (const o of owners) {
        const ok = await this.authz.allowed(a.user, {
          verb: 'update',
          apiGroup: o.group,
          resource: o.resource,
          subresource: 'finalizers',
          namespace: a.namespace,
          name: ref.name,
        });
        if (!ok)
          throw forbidden(
            gr,
            a.name,
            "cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: ",
          );
      }
    }
  }
}

// kube's AlwaysPullImages (plugin/pkg/admission/alwayspullimages), opt-in: every
// container of a new pod (and every new or changed container of an update) pulls
// its image each time; validation refuses any other imagePullPolicy.

import { fieldErrorMessage, fieldErrors, forbidden } from '../../api/errors.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';
import { type Obj, obj, objects } from './util.js';

const KINDS: Array<[string, string]> = [
  ['initContainers', 'initContainers'],
  ['containers', 'containers'],
  ['ephemeralContainers', 'ephemeralContainers'],
];

function shouldIgnore(a: AdmissionAttributes): boolean {
  if (a.resource.group !== '' || a.resource.resource !== 'pods' || !a.object) return true;
  return !(a.subresource === '' || a.subresource === 'ephemeralcontainers');
}

/** Containers of an update whose image did not change keep their policy (isUpdateWithNoNewImages). */
function unchanged(a: AdmissionAttributes, key: string, c: Obj): boolean {
  if (a.operation !== 'UPDATE' || !a.oldObject) return false;
  return objects(obj(a.oldObject.spec)?.[key]).some((o) => o.name === c.name && o.image === c.image);
}

export class AlwaysPullImages implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'AlwaysPullImages';

  admit(a: AdmissionAttributes): void {
    if (shouldIgnore(a) || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    const spec = obj(a.object!.spec) ?? {};
    for (const [key] of KINDS) for (const c of objects(spec[key])) if (!unchanged(a, key, c)) c.imagePullPolicy = 'Always';
  }

  validate(a: AdmissionAttributes): void {
    if (shouldIgnore(a) || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
    const spec = obj(a.object!.spec) ?? {};
    const errs = KINDS.flatMap(([key, field]) =>
      objects(spec[key]).flatMap((c, i) =>
        c.imagePullPolicy !== 'Always' && !unchanged(a, key, c)
          ? [fieldErrors.notSupported(`spec.${field}[${i}].imagePullPolicy`, c.imagePullPolicy, ['Always'])]
          : [],
      ),
    );
    // kube returns one Forbidden per container; the first is the one a client sees.
    if (errs.length) throw forbidden({ group: '', resource: 'pods' }, a.name, fieldErrorMessage(errs[0]));
  }
}

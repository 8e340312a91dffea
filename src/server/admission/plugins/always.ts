// kube's AlwaysAdmit and AlwaysDeny (plugin/pkg/admission/admit, deny): deprecated
// plugins that let everything through, or refuse every write.

import { forbidden } from '../../api/errors.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';

export class AlwaysAdmit implements ValidatingPlugin {
  readonly name = 'AlwaysAdmit';
  validate(): void {}
}

export class AlwaysDeny implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'AlwaysDeny';
  admit(a: AdmissionAttributes): void {
    throw forbidden({ group: a.resource.group, resource: a.resource.resource }, a.name, 'admission control is denying all modifications');
  }
  validate(a: AdmissionAttributes): void {
    this.admit(a);
  }
}

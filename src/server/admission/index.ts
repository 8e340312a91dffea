// Admission: mutating plugins run first, then validating ones, as in
// k8s.io/apiserver/pkg/admission. Webhooks and ValidatingAdmissionPolicy
// arrive later as plugins behind this interface.

import type { ResourceDescriptor } from '../api/descriptor.js';
import type { KubeObject, UserInfo } from '../api/types.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  resource: ResourceDescriptor;
  subresource: string;
  namespace: string;
  name: string;
  object: KubeObject | null;
  oldObject: KubeObject | null;
  user: UserInfo;
  dryRun: boolean;
}

export interface MutatingPlugin {
  name: string;
  admit(attrs: AdmissionAttributes): Promise<void> | void;
}

export interface ValidatingPlugin {
  name: string;
  validate(attrs: AdmissionAttributes): Promise<void> | void;
}

export class AdmissionChain {
  constructor(
    private readonly mutating: MutatingPlugin[] = [],
    private readonly validating: ValidatingPlugin[] = [],
  ) {}

  addMutating(p: MutatingPlugin): void {
    this.mutating.push(p);
  }

  addValidating(p: ValidatingPlugin): void {
    this.validating.push(p);
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.mutating) await p.admit(attrs);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.validating) await p.validate(attrs);
  }
}

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
  /** The request's warnings (`Warning: 299 - "..."` headers): plugins add theirs here (PodSecurity's warn mode). */
  warnings?: string[];
  /** The object's kind when not the resource's own (a subresource's: autoscaling/v1 Scale, PodExecOptions). */
  kind?: GroupVersionKind;
  /** The operation's options object (meta.k8s.io/v1 CreateOptions, UpdateOptions, DeleteOptions); null for CONNECT. */
  options?: Record<string, unknown> | null;
  /** Annotations admission adds for the audit log (kube's Attributes.AddAnnotation), e.g. `<webhook>/<key>`. */
  auditAnnotations?: Record<string, string>;
  /** kube's ReinvocationContext, set by the chain: plugins ask for one more mutating round and learn they are in it. */
  reinvocation?: ReinvocationContext;
  /**
   * kube's ObjectInterfaces for a patched object (set by the registry): decoded as the type decodes
   * (unknown fields dropped, a custom resource pruned) and defaulted again, in place.
   */
  redecode?: (obj: KubeObject) => void;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** admission.ReinvocationContext: one reinvocation round when a plugin asks for it, with per-plugin state. */
export interface ReinvocationContext {
  isReinvoke: boolean;
  shouldReinvoke: boolean;
  values: Map<string, unknown>;
}

/** The object's group/version/kind as admission presents it. */
export function kindOf(a: AdmissionAttributes): GroupVersionKind {
  return a.kind ?? { group: a.resource.group, version: a.resource.version, kind: a.resource.kind };
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

  /**
   * The mutating plugins in order; when one of them asks (a webhook with reinvocationPolicy IfNeeded saw
   * a later change), the chain runs once more with isReinvoke set, as kube's reinvoker does.
   */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    const ctx = (attrs.reinvocation ??= { isReinvoke: false, shouldReinvoke: false, values: new Map() });
    for (const p of this.mutating) await p.admit(attrs);
    if (!ctx.shouldReinvoke || ctx.isReinvoke) return;
    ctx.isReinvoke = true;
    for (const p of this.mutating) await p.admit(attrs);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.validating) await p.validate(attrs);
  }
}

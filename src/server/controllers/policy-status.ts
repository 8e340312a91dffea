// kube-controller-manager's validatingadmissionpolicy-status-controller
// (pkg/controller/validatingadmissionpolicystatus): each ValidatingAdmissionPolicy
// whose generation is newer than status.observedGeneration is type checked
// against the schemas of the kinds it matches, and its status becomes
// `{observedGeneration, typeChecking: {expressionWarnings}}`. Run in-process, as
// a test API server has no controller manager and clients wait on this status.

import { type ExpressionWarning, type TypeCheckResolver, typeCheckPolicy } from '../admission/policy/typecheck.js';
import { StatusError } from '../api/errors.js';
import { deepEqual, isPlainObject, type KubeObject } from '../api/types.js';
import type { OpenAPIRegistry } from '../endpoints/openapi/registry.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import type { RequestContext } from '../registry/strategy.js';
import { Reconciler } from './reconciler.js';

const GROUP = 'admissionregistration.k8s.io';

const STATUS_CTX = (): RequestContext => ({
  user: { username: 'system:serviceaccount:kube-system:validatingadmissionpolicy-status-controller', groups: ['system:masters'] },
  dryRun: false,
  warnings: [],
  subresource: 'status',
});

/** The served kinds and their OpenAPI schemas, as the type checker reads them. */
export function servedSchemas(router: ResourceRouter, openapi: OpenAPIRegistry): TypeCheckResolver {
  return {
    kindsFor: (gvr) => {
      const d = router.get(gvr.group, gvr.version, gvr.resource)?.descriptor;
      return d ? [{ group: d.group, version: d.version, kind: d.kind }] : [];
    },
    schemaOf: (gvk) => {
      const served = router
        .all()
        .find((x) => x.descriptor.group === gvk.group && x.descriptor.version === gvk.version && x.descriptor.kind === gvk.kind);
      const k = served ? openapi.schemaFor(served.descriptor) : undefined;
      if (!k) return undefined;
      try {
        const definitions = k.definitions;
        const schema = definitions[k.name];
        return schema ? { schema, definitions } : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export class ValidatingAdmissionPolicyStatus {
  private readonly reconciler = new Reconciler('ValidatingAdmissionPolicy status', () => this.sync());
  private readonly resolver: TypeCheckResolver;

  constructor(
    private readonly router: ResourceRouter,
    openapi: OpenAPIRegistry,
  ) {
    this.resolver = servedSchemas(router, openapi);
  }

  private policies(): ServedResource | undefined {
    return this.router.get(GROUP, 'v1', 'validatingadmissionpolicies');
  }

  async start(): Promise<void> {
    const policies = this.policies();
    if (!policies) return;
    await this.reconciler.trigger();
    this.reconciler.watch(policies.lister);
  }

  /** Resolves when the policies seen so far have their status. */
  idle(): Promise<void> {
    return this.reconciler.trigger();
  }

  private async sync(): Promise<void> {
    const policies = this.policies();
    if (!policies) return;
    const { items } = await policies.lister.list({ namespace: '' });
    for (const p of items) {
      const generation = p.metadata?.generation ?? 0;
      const status = isPlainObject(p.status) ? p.status : {};
      const observed = typeof status.observedGeneration === 'number' ? status.observedGeneration : 0;
      if (generation <= observed) continue;
      await this.write(policies, p, typeCheckPolicy(p, this.resolver));
    }
  }

  private async write(served: ServedResource, policy: KubeObject, warnings: ExpressionWarning[]): Promise<void> {
    const name = policy.metadata?.name ?? '';
    try {
      await served.store.update(STATUS_CTX(), name, (cur) => {
        if (!cur) throw new Error(`validatingadmissionpolicies "${name}" not found`);
        const next = structuredClone(cur);
        // Checked against the generation it was computed for; a newer one is checked on its own event.
        const generation = policy.metadata?.generation ?? 0;
        if ((cur.metadata?.generation ?? 0) !== generation) return next;
        const status = {
          ...(isPlainObject(next.status) ? next.status : {}),
          observedGeneration: generation,
          typeChecking: warnings.length ? { expressionWarnings: warnings } : {},
        };
        if (deepEqual(status, next.status)) return next;
        next.status = status;
        return next;
      });
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  stop(): void {
    this.reconciler.stop();
  }
}

// The FlowSchema status kube-apiserver's APF configuration controller keeps:
// each FlowSchema's Dangling condition says whether the
// PriorityLevelConfiguration it references exists (`kubectl get flowschemas`
// prints it as MISSINGPL). Re-evaluated whenever a FlowSchema or a priority
// level changes.

import { StatusError } from '../api/errors.js';
import { deepEqual, isPlainObject, type KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { nowRFC3339 } from '../registry/meta.js';
import type { RequestContext } from '../registry/strategy.js';
import { Reconciler } from './reconciler.js';

const GROUP = 'flowcontrol.apiserver.k8s.io';

const SYSTEM_CTX = (): RequestContext => ({
  user: { username: 'system:apiserver', groups: ['system:masters'] },
  dryRun: false,
  warnings: [],
  subresource: 'status',
});

type Condition = Record<string, unknown>;

/** The Dangling condition kube's configController writes for a FlowSchema. */
function danglingCondition(plName: string, exists: boolean): Condition {
  return exists
    ? {
        type: 'Dangling',
        status: 'False',
        reason: 'Found',
        message: `This FlowSchema references the PriorityLevelConfiguration object named ${JSON.stringify(plName)} and it exists`,
      }
    : {
        type: 'Dangling',
        status: 'True',
        reason: 'NotFound',
        message: `This FlowSchema references the PriorityLevelConfiguration object named ${JSON.stringify(plName)} but there is no such object`,
      };
}

function conditionsOf(fs: KubeObject): Condition[] {
  const status = isPlainObject(fs.status) ? fs.status : {};
  return Array.isArray(status.conditions) ? status.conditions.filter(isPlainObject) : [];
}

export class FlowSchemaConditions {
  private readonly reconciler = new Reconciler('FlowSchema conditions', () => this.sync());

  constructor(private readonly router: ResourceRouter) {}

  async start(): Promise<void> {
    const flowSchemas = this.flowSchemas();
    const levels = this.router.get(GROUP, 'v1', 'prioritylevelconfigurations');
    if (!flowSchemas || !levels) return;
    await this.reconciler.trigger();
    this.reconciler.watch(flowSchemas.lister);
    this.reconciler.watch(levels.lister);
  }

  private flowSchemas(): ServedResource | undefined {
    return this.router.get(GROUP, 'v1', 'flowschemas');
  }

  private async sync(): Promise<void> {
    const flowSchemas = this.flowSchemas();
    const levels = this.router.get(GROUP, 'v1', 'prioritylevelconfigurations');
    if (!flowSchemas || !levels) return;
    const [fsList, plList] = await Promise.all([flowSchemas.lister.list({ namespace: '' }), levels.lister.list({ namespace: '' })]);
    const levelNames = new Set(plList.items.map((o) => o.metadata?.name));
    await Promise.all(
      fsList.items.map(async (fs) => {
        const spec = isPlainObject(fs.spec) ? fs.spec : {};
        const ref = isPlainObject(spec.priorityLevelConfiguration) ? spec.priorityLevelConfiguration : {};
        const plName = typeof ref.name === 'string' ? ref.name : '';
        const want = danglingCondition(plName, levelNames.has(plName));
        const have = conditionsOf(fs).find((c) => c.type === 'Dangling');
        if (have && ['status', 'reason', 'message'].every((k) => deepEqual(have[k], want[k]))) return;
        await this.writeCondition(flowSchemas, fs.metadata?.name ?? '', want);
      }),
    );
  }

  private async writeCondition(served: ServedResource, name: string, want: Condition): Promise<void> {
    try {
      await served.store.update(SYSTEM_CTX(), name, (cur) => {
        const next = structuredClone(cur!);
        const conds = conditionsOf(next);
        const i = conds.findIndex((c) => c.type === 'Dangling');
        const prev = i >= 0 ? conds[i] : undefined;
        const lastTransitionTime = prev && prev.status === want.status && prev.lastTransitionTime ? prev.lastTransitionTime : nowRFC3339();
        const cond = { type: want.type, status: want.status, lastTransitionTime, reason: want.reason, message: want.message };
        if (i >= 0) conds[i] = cond;
        else conds.push(cond);
        next.status = { ...(isPlainObject(next.status) ? next.status : {}), conditions: conds };
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

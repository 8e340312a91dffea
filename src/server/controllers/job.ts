// kube's Job controller (pkg/controller/job), simulated: pods from the template while
// fewer than min(parallelism, completions - succeeded) are active (Indexed Jobs give each
// pod its completion index), and the status kube keeps: startTime, active, ready,
// terminating, succeeded, failed, uncountedTerminatedPods; once enough pods succeeded,
// the SuccessCriteriaMet and Complete conditions and completionTime. A pod that failed
// counts against backoffLimit; past it the Job is Failed (BackoffLimitExceeded).

import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { nowRFC3339 } from '../registry/meta.js';
import type { ClusterInformer } from './informers.js';
import { num, type Obj, obj, podActive, podFromTemplate, podPhase, podReady, WorkloadController, withCondition } from './workload-kit.js';

const INDEX = 'batch.kubernetes.io/job-completion-index';

/** Completed indexes as kube writes them: `0-2,5`. */
function indexRanges(done: number[]): string {
  const sorted = [...new Set(done)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

export class JobController extends WorkloadController {
  constructor(router: ResourceRouter, informer: ClusterInformer) {
    super(router, informer, { group: 'batch', resource: 'jobs', kind: 'Job' }, ['/pods'], 'job-controller');
  }

  protected async sync(served: ServedResource, job: KubeObject): Promise<void> {
    const pods = this.served('', 'v1', 'pods');
    if (!pods) return;
    const spec = obj(job.spec);
    const status = structuredClone(obj(job.status));
    const conds = Array.isArray(status.conditions) ? (status.conditions as Obj[]) : [];
    const finished = conds.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (finished) return;
    const ns = job.metadata?.namespace ?? '';
    const all = await this.controlled(pods, job);
    const active = all.filter(podActive);
    const succeededPods = all.filter((p) => podPhase(p) === 'Succeeded');
    const failed = all.filter((p) => podPhase(p) === 'Failed').length;
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions === undefined || spec.completions === null ? undefined : num(spec.completions);
    const parallelism = num(spec.parallelism, 1);
    const indexOf = (p: KubeObject): number => Number(p.metadata?.annotations?.[INDEX] ?? -1);
    const doneIndexes = indexed ? [...new Set(succeededPods.map(indexOf).filter((i) => i >= 0))] : [];
    const succeeded = indexed ? doneIndexes.length : succeededPods.length;
    const now = nowRFC3339();
    const backoffLimit = num(spec.backoffLimit, 6);

    let complete = completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
    const failedJob = !complete && failed > backoffLimit;
    if (!complete && !failedJob && !spec.suspend) {
      const want = Math.max(0, Math.min(parallelism, (completions ?? parallelism) - succeeded) - active.length);
      const name = job.metadata?.name ?? '';
      const template = obj(spec.template);
      const busy = new Set([...doneIndexes, ...active.map(indexOf)]);
      const free = indexed ? Array.from({ length: completions ?? 0 }, (_, i) => i).filter((i) => !busy.has(i)) : [];
      await Promise.all(
        Array.from({ length: indexed ? Math.min(want, free.length) : want }, (_, k) => {
          const index = indexed ? free[k] : undefined;
          const pod = podFromTemplate(
            job,
            template,
            index === undefined ? `${name}-` : `${name}-${index}-`,
            index === undefined ? {} : { [INDEX]: String(index) },
          );
          if (index !== undefined) {
            pod.metadata!.annotations = { ...(pod.metadata!.annotations ?? {}), [INDEX]: String(index) };
            obj(pod.spec).hostname = `${name}-${index}`;
          }
          return pods.store.create(this.ctx(ns), pod);
        }),
      );
    }
    complete = complete && active.length === 0;
    const next: Obj = {
      ...(status.startTime || spec.suspend ? {} : { startTime: now }),
      ...status,
      active: active.length,
      ready: active.filter(podReady).length,
      terminating: all.filter((p) => p.metadata?.deletionTimestamp).length,
      uncountedTerminatedPods: {},
    };
    if (!next.active) delete next.active;
    if (succeeded) next.succeeded = succeeded;
    if (failed) next.failed = failed;
    if (indexed) next.completedIndexes = indexRanges(doneIndexes);
    let c = conds;
    // The terminal pair kube's job controller adds: the interim condition, then the final one, same reason and message.
    const finish = (interim: string, final: string, reason: string, message: string): void => {
      for (const type of [interim, final])
        c = withCondition(c, { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message }, now);
    };
    if (complete) {
      finish('SuccessCriteriaMet', 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
      next.completionTime = now;
    } else if (failedJob) finish('FailureTarget', 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    if (c.length) next.conditions = c;
    await this.writeStatus(served, job, next);
  }
}

// kube's CronJob controller v2 (pkg/controller/cronjob/cronjob_controllerv2.go) on the controllers'
// clock: the Jobs it owns kept in status.active (finished ones dropped, lastSuccessfulTime from the
// latest completed), then, unless suspended, the most recent schedule time since lastScheduleTime
// (or creation), bounded by startingDeadlineSeconds (too late: skipped), run once as
// `<cronjob>-<scheduled time in minutes>` under the concurrency policy (Allow; Forbid waits for the
// active Jobs; Replace deletes them first), and the finished Jobs beyond the history limits deleted,
// oldest first. It wakes at the next schedule time, or when the clock is advanced.

import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { parseCronSchedule } from '../registry/resources/cron.js';
import type { ControllerClock } from './clock.js';
import { mostRecentScheduleTime, nextScheduleTime, zoneOffsetMs } from './cron-schedule.js';
import type { ClusterInformer } from './informers.js';
import { controllerRef, num, type Obj, obj, WorkloadController } from './workload-kit.js';

const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** RFC 3339 in seconds, UTC (metav1.Time). */
const utc = (t: number): string => `${new Date(Math.floor(t / 1000) * 1000).toISOString().slice(0, 19)}Z`;

/** time.Format(time.RFC3339) of `t` in a zone: the local fields and their offset, `Z` for UTC. */
function inZone(t: number, timeZone: string | undefined): string {
  const off = zoneOffsetMs(t, timeZone);
  const local = new Date(Math.floor((t + off) / 1000) * 1000).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const m = Math.abs(off) / 60_000;
  return `${local}${off < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function finished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  const conds = obj(job.status).conditions;
  for (const c of Array.isArray(conds) ? (conds as Obj[]) : [])
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  return undefined;
}

const time = (v: unknown): number | undefined => (typeof v === 'string' ? Date.parse(v) : undefined);

export class CronJobController extends WorkloadController {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The CronJobs seen, so an advanced clock revisits each. */
  private readonly known = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    router: ResourceRouter,
    informer: ClusterInformer,
    private readonly clock: ControllerClock,
  ) {
    super(router, informer, { group: 'batch', resource: 'cronjobs', kind: 'CronJob' }, ['batch/jobs'], 'cronjob-controller');
    this.unsubscribe = clock.onAdvance(() => {
      for (const key of this.known) this.queue.add(key);
    });
  }

  protected async sync(served: ServedResource, cj: KubeObject): Promise<void> {
    const jobs = this.served('batch', 'v1', 'jobs');
    if (!jobs) return;
    const ns = cj.metadata?.namespace ?? '';
    const name = cj.metadata?.name ?? '';
    const key = `${ns}/${name}`;
    this.known.add(key);
    const spec = obj(cj.spec);
    const status: Obj = structuredClone(obj(cj.status));
    const now = this.clock.now();
    const owned = await this.controlled(jobs, cj);
    const byUid = new Map(owned.map((j) => [j.metadata?.uid, j]));

    // The active list: owned Jobs not finished; finished (or gone) ones dropped.
    let active = (Array.isArray(status.active) ? (status.active as Obj[]) : []).filter((r) => {
      const j = byUid.get(String(r.uid));
      return j !== undefined && !finished(j);
    });
    for (const j of owned) {
      if (!finished(j) && !active.some((r) => r.uid === j.metadata?.uid)) active.push(this.reference(j));
      const done = time(obj(j.status).completionTime);
      if (finished(j) === 'Complete' && done !== undefined && done > (time(status.lastSuccessfulTime) ?? -1))
        status.lastSuccessfulTime = obj(j.status).completionTime;
    }

    const schedule = parseCronSchedule(String(spec.schedule ?? ''));
    const timeZone = typeof spec.timeZone === 'string' ? spec.timeZone : undefined;
    let next: number | undefined;
    if (!spec.suspend && typeof schedule !== 'string') {
      // Stamped on the wall clock, to the second: read on this clock (advances in that second not counted).
      const stamp = time(cj.metadata?.creationTimestamp);
      const created = stamp === undefined ? now : this.clock.at(stamp);
      let earliest = time(status.lastScheduleTime) ?? created;
      const deadline = typeof spec.startingDeadlineSeconds === 'number' ? spec.startingDeadlineSeconds * 1000 : undefined;
      if (deadline !== undefined && now - deadline > earliest) earliest = now - deadline;
      const { time: scheduled } = mostRecentScheduleTime(schedule, earliest, now, timeZone);
      next = nextScheduleTime(schedule, now, timeZone);
      const jobName = scheduled === undefined ? '' : `${name}-${Math.floor(scheduled / 60_000)}`;
      const tooLate = scheduled !== undefined && deadline !== undefined && scheduled + deadline < now;
      const already =
        scheduled !== undefined &&
        (active.some((r) => r.name === jobName) || time(status.lastScheduleTime) === Math.floor(scheduled / 1000) * 1000);
      const forbidden = spec.concurrencyPolicy === 'Forbid' && active.length > 0;
      if (scheduled !== undefined && !tooLate && !already && !forbidden) {
        if (spec.concurrencyPolicy === 'Replace') {
          for (const r of active) await this.deleteJob(jobs, ns, String(r.name), String(r.uid));
          active = [];
        }
        const created = await this.createJob(jobs, cj, jobName, scheduled, timeZone);
        if (created) active.push(this.reference(created));
        status.lastScheduleTime = utc(scheduled);
      }
    }

    if (active.length) status.active = active;
    else delete status.active;
    await this.writeStatus(served, cj, status);
    await this.cleanupFinished(jobs, owned, spec);
    this.wakeAt(key, next);
  }

  private reference(j: KubeObject): Obj {
    return {
      kind: 'Job',
      namespace: j.metadata?.namespace,
      name: j.metadata?.name,
      uid: j.metadata?.uid,
      apiVersion: 'batch/v1',
      resourceVersion: j.metadata?.resourceVersion,
    };
  }

  /** getJobFromTemplate2: the template's labels, annotations and spec, the scheduled time annotated. */
  private async createJob(
    jobs: ServedResource,
    cj: KubeObject,
    name: string,
    scheduled: number,
    timeZone: string | undefined,
  ): Promise<KubeObject | undefined> {
    const template = obj(obj(cj.spec).jobTemplate);
    const meta = obj(template.metadata);
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata?.namespace,
        ...(meta.labels ? { labels: { ...(meta.labels as Record<string, string>) } } : {}),
        annotations: { ...((meta.annotations as Record<string, string>) ?? {}), [SCHEDULED_TIMESTAMP]: inZone(scheduled, timeZone) },
        ownerReferences: [controllerRef(cj)],
      } as KubeObject['metadata'],
      spec: structuredClone(obj(template.spec)),
    };
    const ns = cj.metadata?.namespace ?? '';
    try {
      return await jobs.store.create(this.ctx(ns), job);
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
      // Created before a restart: ours if we control it.
      const existing = await jobs.store.get(this.ctx(ns), name).catch(() => undefined);
      return existing?.metadata?.ownerReferences?.some((r) => r.uid === cj.metadata?.uid) ? existing : undefined;
    }
  }

  private async deleteJob(jobs: ServedResource, ns: string, name: string, uid: string): Promise<void> {
    await jobs.store
      .delete(this.ctx(ns), name, { preconditions: { uid }, propagationPolicy: 'Background' })
      .catch((e: { code?: number }) => {
        if (e?.code !== 404 && e?.code !== 409) throw e;
      });
  }

  /** cleanupFinishedJobs: the oldest finished Jobs (by start time) past successful/failedJobsHistoryLimit. */
  private async cleanupFinished(jobs: ServedResource, owned: KubeObject[], spec: Obj): Promise<void> {
    const started = (j: KubeObject): number => time(obj(j.status).startTime) ?? Number.POSITIVE_INFINITY;
    for (const [kind, limit] of [
      ['Complete', spec.successfulJobsHistoryLimit],
      ['Failed', spec.failedJobsHistoryLimit],
    ] as const) {
      if (typeof limit !== 'number') continue;
      const done = owned
        .filter((j) => finished(j) === kind && !j.metadata?.deletionTimestamp)
        .sort((a, b) => started(a) - started(b) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
      for (const j of done.slice(0, Math.max(0, done.length - num(limit))))
        await this.deleteJob(jobs, j.metadata?.namespace ?? '', j.metadata?.name ?? '', j.metadata?.uid ?? '');
    }
  }

  /** On a moving clock, a timer for the next schedule time (a simulated one waits for advance()). */
  private wakeAt(key: string, next: number | undefined): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (next === undefined || this.clock.simulated) return;
    // setTimeout's limit is about 24.8 days: a later time is reached in steps.
    const t = setTimeout(() => this.queue.add(key), Math.min(2 ** 31 - 1, Math.max(0, next - this.clock.now()) + 100));
    t.unref();
    this.timers.set(key, t);
  }

  override stop(): void {
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    super.stop();
  }
}

// The CronJob controller on a simulated clock, end to end with kubectl on both backends: schedules run
// when the clock is advanced (no waiting), Jobs named `<cronjob>-<scheduled minutes>` with the scheduled
// timestamp annotation in the CronJob's time zone, status.active/lastScheduleTime/lastSuccessfulTime,
// successfulJobsHistoryLimit, concurrencyPolicy Forbid and Replace, suspend, startingDeadlineSeconds;
// the clock moved over /debug/kapi/clock and `kapi-env clock`.

import { describe, expect, it } from 'vitest';
import { runClock } from '../../src/cli/clock.js';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

interface Obj {
  metadata: {
    name: string;
    uid: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: {
    active?: Array<{ kind: string; name: string; apiVersion: string; uid: string }>;
    lastScheduleTime?: string;
    lastSuccessfulTime?: string;
    conditions?: Array<{ type: string; status: string }>;
  };
}

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The first whole hour after `t`. */
const nextHour = (t: number) => Math.floor(t / HOUR) * HOUR + HOUR;
const rfc = (t: number) => `${new Date(t).toISOString().slice(0, 19)}Z`;

describe.each(BACKENDS)('cronjob controller on %s storage', (storage) => {
  const s = useEnv(storage, { controllers: ['cronjob', 'job', 'garbagecollector'], simulatedClock: true });
  const ns = `cron-${storage}`;

  const jobs = async (cj: string): Promise<Obj[]> => {
    const r = await s.client.get<{ items: Obj[] }>(`/apis/batch/v1/namespaces/${ns}/jobs`);
    return r.body.items.filter((j) => j.metadata.ownerReferences?.some((o) => o.name === cj) && !j.metadata.deletionTimestamp);
  };
  const cronjob = async (name: string): Promise<Obj> => (await s.client.get<Obj>(`/apis/batch/v1/namespaces/${ns}/cronjobs/${name}`)).body;
  const create = async (
    name: string,
    spec: Record<string, unknown>,
    jobSpec: Record<string, unknown> = {},
    podMeta: Record<string, unknown> = {},
  ): Promise<Obj> => {
    const r = await s.client.post<Obj>(`/apis/batch/v1/namespaces/${ns}/cronjobs`, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name },
      spec: {
        ...spec,
        jobTemplate: {
          metadata: { labels: { tier: 'batch' }, annotations: { note: 'from-template' } },
          spec: {
            ...jobSpec,
            template: { metadata: podMeta, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
          },
        },
      },
    });
    expect(r.status, r.text).toBe(201);
    return r.body;
  };
  /** Jobs that never finish: a suspended Job stays active. */
  const held = { suspend: true };
  /**
   * The clock's reading once the wall clock is in a new second: creation times are stamped to the
   * second, and the controller reads them on its clock counting the advances made before that second.
   */
  const freshClock = async (): Promise<number> => {
    await sleep(1010 - (Date.now() % 1000));
    return s.env.clock.now();
  };

  it('runs a schedule when the clock is advanced: the Job, its name and annotation, the status', async () => {
    expect((await s.kubectl(['create', 'ns', ns])).code).toBe(0);
    const base = await freshClock();
    const cj = await create('hourly', { schedule: '@hourly', successfulJobsHistoryLimit: 2 });
    // Nothing runs while the clock stands still.
    await sleep(200);
    expect(await jobs('hourly')).toHaveLength(0);
    const first = nextHour(base);
    s.env.clock.set(first + 1000);
    const [job] = await until('the first Job', async () => {
      const j = await jobs('hourly');
      return j.length ? j : undefined;
    });
    expect(job.metadata.name).toBe(`hourly-${first / 60_000}`);
    expect(job.metadata.labels).toMatchObject({ tier: 'batch' });
    expect(job.metadata.annotations).toMatchObject({
      note: 'from-template',
      'batch.kubernetes.io/cronjob-scheduled-timestamp': rfc(first),
    });
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'CronJob', name: 'hourly', uid: cj.metadata.uid, controller: true }),
    ]);
    // The Job runs to completion on the simulated node; the CronJob records it.
    const done = await until('lastSuccessfulTime', async () => {
      const c = await cronjob('hourly');
      return c.status?.lastSuccessfulTime && !c.status.active ? c : undefined;
    });
    expect(done.status?.lastScheduleTime).toBe(rfc(first));
    // kubectl shows it.
    const get = await s.kubectl(['get', 'cronjob', 'hourly', '-n', ns]);
    expect(get.stdout).toMatch(/hourly\s+@hourly\s+<none>\s+False\s+0\s+\S+/);
    // Three more hours: one Job each; two kept (successfulJobsHistoryLimit).
    for (let h = 1; h <= 3; h++) {
      s.env.clock.set(first + h * HOUR + 1000);
      await until(`Job ${h + 1}`, async () => {
        const c = await cronjob('hourly');
        return c.status?.lastScheduleTime === rfc(first + h * HOUR) && !c.status.active ? true : undefined;
      });
    }
    const kept = await until('history limit', async () => {
      const j = await jobs('hourly');
      return j.length === 2 ? j : undefined;
    });
    expect(kept.map((j) => j.metadata.name).sort()).toEqual([`hourly-${first / 60_000 + 120}`, `hourly-${first / 60_000 + 180}`]);
  });

  it('failedJobsHistoryLimit keeps the newest failed Jobs; failures leave lastSuccessfulTime unset', async () => {
    const first = nextHour(await freshClock());
    await create(
      'failing',
      { schedule: '@hourly', failedJobsHistoryLimit: 1 },
      { backoffLimit: 0 },
      { annotations: { 'kapi-env.io/simulate': 'fail' } },
    );
    for (let h = 0; h < 3; h++) {
      s.env.clock.set(first + h * HOUR + 1000);
      await until(`failed Job ${h + 1}`, async () => {
        const c = await cronjob('failing');
        if (c.status?.lastScheduleTime !== rfc(first + h * HOUR) || c.status.active) return undefined;
        return true;
      });
    }
    const kept = await until('failed history limit', async () => {
      const j = await jobs('failing');
      return j.length === 1 ? j : undefined;
    });
    expect(kept[0].metadata.name).toBe(`failing-${first / 60_000 + 120}`);
    expect(kept[0].status?.conditions?.find((c) => c.type === 'Failed')?.status).toBe('True');
    expect((await cronjob('failing')).status?.lastSuccessfulTime).toBeUndefined();
  });

  it('several missed schedules start only the most recent', async () => {
    const start = await freshClock();
    await create('catchup', { schedule: '*/10 * * * *' }, held);
    s.env.clock.advance(HOUR);
    const latest = Math.floor(s.env.clock.now() / 600_000) * 600_000;
    const c = await until('scheduled', async () => {
      const x = await cronjob('catchup');
      return x.status?.active?.length ? x : undefined;
    });
    expect(c.status?.lastScheduleTime).toBe(rfc(latest));
    expect(c.status?.active).toEqual([
      expect.objectContaining({ kind: 'Job', apiVersion: 'batch/v1', name: `catchup-${latest / 60_000}` }),
    ]);
    expect(await jobs('catchup')).toHaveLength(1);
    expect(latest).toBeGreaterThan(start);
  });

  it('concurrencyPolicy Forbid waits for the active Job; Replace replaces it', async () => {
    const t0 = nextHour(await freshClock());
    await create('forbid', { schedule: '@hourly', concurrencyPolicy: 'Forbid' }, held);
    await create('replace', { schedule: '@hourly', concurrencyPolicy: 'Replace' }, held);
    s.env.clock.set(t0 + 1000);
    const [f1] = await until('forbid Job', async () => ((await jobs('forbid')).length === 1 ? jobs('forbid') : undefined));
    const [r1] = await until('replace Job', async () => ((await jobs('replace')).length === 1 ? jobs('replace') : undefined));
    s.env.clock.set(t0 + HOUR + 1000);
    const r2 = await until('replaced', async () => {
      const c = await cronjob('replace');
      return c.status?.lastScheduleTime === rfc(t0 + HOUR) ? c : undefined;
    });
    expect(r2.status?.active?.map((a) => a.name)).toEqual([`replace-${(t0 + HOUR) / 60_000}`]);
    await until('the replaced Job gone', async () =>
      (await jobs('replace')).every((j) => j.metadata.uid !== r1.metadata.uid) ? true : undefined,
    );
    // Forbid skipped the schedule: still the first Job alone, lastScheduleTime unchanged.
    await sleep(300);
    const f = await cronjob('forbid');
    expect(f.status?.lastScheduleTime).toBe(rfc(t0));
    expect((await jobs('forbid')).map((j) => j.metadata.uid)).toEqual([f1.metadata.uid]);
  });

  it('suspend stops scheduling; startingDeadlineSeconds skips a schedule missed by too much', async () => {
    const t0 = nextHour(await freshClock());
    await create('sus', { schedule: '@hourly', suspend: true }, held);
    await create('late', { schedule: '@hourly', startingDeadlineSeconds: 60 }, held);
    // Two minutes past the hour: more than the 60 s deadline.
    s.env.clock.set(t0 + 120_000);
    await sleep(300);
    expect(await jobs('late')).toHaveLength(0);
    // Within the deadline of the next one.
    s.env.clock.set(t0 + HOUR + 30_000);
    const l = await until('late ran once', async () => {
      const c = await cronjob('late');
      return c.status?.lastScheduleTime ? c : undefined;
    });
    expect(l.status?.lastScheduleTime).toBe(rfc(t0 + HOUR));
    expect((await jobs('late')).map((j) => j.metadata.name)).toEqual([`late-${(t0 + HOUR) / 60_000}`]);
    expect(await jobs('sus')).toHaveLength(0);
    expect((await cronjob('sus')).status?.lastScheduleTime).toBeUndefined();
    // Resumed, it runs the schedule due now.
    expect((await s.kubectl(['patch', 'cronjob', 'sus', '-n', ns, '-p', '{"spec":{"suspend":false}}'])).code).toBe(0);
    await until('resumed', async () => ((await jobs('sus')).length === 1 ? true : undefined));
  });

  it('/debug/kapi/clock and `kapi-env clock` read and move the clock', async () => {
    const read = await s.client.get<{ kind: string; now: string; simulated: boolean }>('/debug/kapi/clock');
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ kind: 'Clock', now: new Date(s.env.clock.now()).toISOString(), simulated: true });
    const first = nextHour(await freshClock());
    await create('http', { schedule: '@hourly' }, held);
    const moved = await s.client.post<{ now: string }>('/debug/kapi/clock', { time: new Date(first + 1000).toISOString() });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.now).toBe(new Date(first + 1000).toISOString());
    await until('scheduled over HTTP', async () => ((await jobs('http')).length === 1 ? true : undefined));
    const bad = await s.client.post<{ reason: string; message: string }>('/debug/kapi/clock', { advance: 'soon' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('invalid advance: "soon" is not a duration like 90s or 1h30m');
    expect((await s.client.post('/debug/kapi/clock', { time: '2001-01-01T00:00:00Z' })).status).toBe(400);
    // The CLI, from the environment's kubeconfig.
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await runClock({ stateDir: '/nonexistent', kubeconfig: s.env.kubeconfigPath, advance: '1h', json: true })).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(JSON.parse(lines.join(''))).toEqual({ kind: 'Clock', now: new Date(first + HOUR + 1000).toISOString(), simulated: true });
    await until('scheduled from the CLI', async () => ((await jobs('http')).length === 2 ? true : undefined));
  });

  it('a timeZone: the schedule in its wall clock, the annotation with its offset', async () => {
    // 09:00 in Tokyo is 00:00 UTC.
    const day = 24 * HOUR;
    const t0 = Math.floor((await freshClock()) / day) * day + day;
    await create('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }, held);
    s.env.clock.set(t0 + 5000);
    const [job] = await until('Tokyo Job', async () => {
      const j = await jobs('tokyo');
      return j.length ? j : undefined;
    });
    expect(job.metadata.name).toBe(`tokyo-${t0 / 60_000}`);
    expect(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      `${new Date(t0 + 9 * HOUR).toISOString().slice(0, 19)}+09:00`,
    );
  });
});

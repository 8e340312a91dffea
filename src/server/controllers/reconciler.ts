// The small loop kube's controllers share (a work queue with one key): changes
// mark the state dirty, one reconcile runs at a time, and a change arriving
// while one runs makes it run again. Watches on served resources feed it,
// re-watching when a watch ends (410, storage restart), as an informer relists.

import type { Lister } from '../registry/list.js';
import { Timers } from './timers.js';

export class Reconciler {
  private running?: Promise<void>;
  private dirty = false;
  private stopped = false;
  private readonly watches: Array<{ stop(): void }> = [];
  private readonly timers = new Timers();

  constructor(
    private readonly name: string,
    private readonly reconcile: () => Promise<void>,
  ) {}

  /** Reconciles now (or after the reconcile in progress); resolves when the state seen so far is reconciled. */
  trigger(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.dirty = true;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      try {
        await this.reconcile();
      } catch (e) {
        if (this.stopped) return;
        console.error(`kapi-env: ${this.name} failed (retrying):`, e instanceof Error ? e.message : e);
        this.timers.later(() => void this.trigger(), 1000);
      }
    }
  }

  /** Reconciles on every change of a served resource; its initial events are one change. */
  watch(lister: Lister): void {
    const start = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        const handle = await lister.watch(
          { namespace: '', resourceVersion: '0', allowWatchBookmarks: false },
          {
            event: (ev) => {
              if (ev.type !== 'BOOKMARK') void this.trigger();
            },
            close: () => this.timers.rewatch(lister, start, 1000),
          },
        );
        if (this.stopped) handle.stop();
        else this.watches.push(handle);
      } catch {
        this.timers.later(start, 1000);
      }
    };
    void start();
  }

  stop(): void {
    this.stopped = true;
    this.timers.stop();
    for (const w of this.watches) w.stop();
  }
}

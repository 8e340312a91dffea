// The time the controllers read (kube's k8s.io/utils/clock, which kube-controller-manager's tests
// replace with a fake clock): the wall clock shifted by what `advance` added, or, simulated
// (`--simulated-clock`), a clock that stands still from its start until advanced. Advancing it
// wakes the controllers that schedule by time (the cronjob controller), so a test triggers a
// schedule without waiting. Object timestamps the API server stamps stay on the wall clock; `at`
// reads one on the controllers' clock (a CronJob created after an hour was skipped is an hour older there).

export class ControllerClock {
  private offsetMs = 0;
  /** Each advance: the wall time it was made at and the offset after it. */
  private readonly steps: Array<{ wall: number; offset: number }> = [];
  private readonly listeners = new Set<() => void>();

  /** `frozenAt`: a simulated clock standing at this time (epoch ms) until advanced. */
  constructor(private frozenAt?: number) {}

  /** True when the clock moves only when advanced. */
  get simulated(): boolean {
    return this.frozenAt !== undefined;
  }

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offsetMs;
  }

  /** Moves the clock forward by `ms` and wakes the time-driven controllers. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock.advance: ${ms} is not a non-negative number of ms`);
    this.offsetMs += ms;
    this.steps.push({ wall: Date.now(), offset: this.offsetMs });
    for (const fn of this.listeners) fn();
  }

  /** What the clock read at wall time `wall` (advances made before it counted). */
  at(wall: number): number {
    let offset = 0;
    for (const s of this.steps) {
      if (s.wall >= wall) break;
      offset = s.offset;
    }
    return (this.frozenAt ?? wall) + offset;
  }

  /** Sets the clock to `time` (forward only, as time goes) and wakes the time-driven controllers. */
  set(time: Date | number): void {
    this.advance(Math.max(0, Number(time) - this.now()));
  }

  /** Calls `fn` after each advance; returns the unsubscribe function. */
  onAdvance(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

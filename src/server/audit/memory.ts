// The in-memory audit backend: what env.auditEvents() reads. It imports nothing
// else of the server, so the harness loads it without the server's modules.

import type { AuditEvent, AuditSink } from './event.js';

/** Keeps the last `capacity` events as their JSON lines; `events()` decodes them. */
export class MemorySink implements AuditSink {
  private lines: string[] = [];
  constructor(private readonly capacity = 100_000) {}

  process(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  events(): AuditEvent[] {
    return this.lines.map((l) => JSON.parse(l) as AuditEvent);
  }

  clear(): void {
    this.lines = [];
  }
}

// BoundedWatchWriter: a watch's bytes wait in one counted queue behind a slow
// transport, go out in order on 'drain', and past the limit are dropped at once.

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BoundedWatchWriter } from '../../src/server/endpoints/watch.js';

/** A transport that takes `capacity` bytes, then wants a 'drain'; `deliver()` empties it. */
class FakeTransport extends EventEmitter {
  sent: string[] = [];
  writableLength = 0;
  constructor(private readonly capacity: number) {
    super();
  }
  write(line: Buffer): boolean {
    this.sent.push(line.toString());
    this.writableLength += line.length;
    return this.writableLength < this.capacity;
  }
  deliver(): void {
    this.writableLength = 0;
    this.emit('drain');
  }
}

const line = (s: string): Buffer => Buffer.from(`${s}\n`);

describe('BoundedWatchWriter', () => {
  it('queues behind a transport that wants a drain and sends in order when it drains', () => {
    const t = new FakeTransport(10);
    let overflows = 0;
    const w = new BoundedWatchWriter(t, t, () => overflows++, 100);
    w.write(line('aaaaaaaaaa'));
    w.write(line('b'));
    w.write(line('c'));
    expect(t.sent).toEqual(['aaaaaaaaaa\n']);
    expect(w.backlog()).toBe(11 + 2 + 2);
    t.deliver();
    expect(t.sent).toEqual(['aaaaaaaaaa\n', 'b\n', 'c\n']);
    expect(w.backlog()).toBe(4);
    expect(overflows).toBe(0);
  });

  it('past the limit drops what it holds and reports the overflow', () => {
    const t = new FakeTransport(1);
    let overflows = 0;
    const w = new BoundedWatchWriter(t, t, () => overflows++, 50);
    for (let i = 0; i < 6; i++) w.write(line('x'.repeat(9)));
    expect(overflows).toBe(1);
    // Only the line already handed to the transport is left; the queue is gone.
    expect(w.backlog()).toBe(10);
    t.deliver();
    expect(t.sent).toHaveLength(1);
  });
});

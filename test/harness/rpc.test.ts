// The thread boundary's one mechanism (src/env/rpc.ts, run from the built package: the worker needs
// JavaScript): plain data cloned, functions and class instances as handles, synchronous members
// answered synchronously, async ones as promises, the caller's functions called back, errors with
// their class, and a value that cannot cross failing that call alone.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';

const RPC = pathToFileURL(path.resolve(__dirname, '../../dist/env/rpc.js')).href;
const HOST = `
import { parentPort } from 'node:worker_threads';
import { HostPeer } from ${JSON.stringify(RPC)};
class Counter {
  constructor() { this.n = 0; this.hooks = new Set([() => 1]); }
  add(k) { if (k < 0) throw new RangeError('add: ' + k + ' is negative'); return (this.n += k); }
  get double() { return this.n * 2; }
  later(v) { return new Promise((r) => setTimeout(() => r(v), 5)); }
  each(fn) { return fn(this.n); }
}
new HostPeer(parentPort, async (name) => ({ name, counter: new Counter(), greet: (who) => 'hi ' + who, data: { list: [1, 2], at: new Date(0) } }));
`;

interface Remote {
  name: string;
  counter: {
    add(k: number): number;
    double: number;
    later<T>(v: T): Promise<T>;
    each(fn: (n: number) => Promise<string>): Promise<string>;
  };
  greet(who: string): string;
  data: { list: number[]; at: Date };
}

describe('rpc: one object across a worker thread', () => {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(HOST)}`));
  afterAll(() => worker.terminate());

  it('crosses data, methods, getters, promises, callbacks and errors', async () => {
    const { CallerPeer } = (await import(RPC)) as typeof import('../../src/env/rpc.js');
    const peer = new CallerPeer(worker);
    const r = (await peer.callRoot('c1')) as Remote;
    expect(r.name).toBe('c1');
    expect(r.data).toEqual({ list: [1, 2], at: new Date(0) });
    // Synchronous members answer synchronously.
    expect(r.greet('bob')).toBe('hi bob');
    expect(r.counter.add(2)).toBe(2);
    expect(r.counter.double).toBe(4);
    expect(Object.keys(r.counter)).toEqual(['add', 'double', 'later', 'each']);
    expect(() => r.counter.add(-1)).toThrow(new RangeError('add: -1 is negative'));
    // Async ones stay async; a function handed over runs here.
    await expect(r.counter.later('done')).resolves.toBe('done');
    await expect(r.counter.each(async (n) => `called back with ${n}`)).resolves.toBe('called back with 2');
    // A value that cannot be cloned fails its read, and the worker goes on.
    expect(() => (r.counter as unknown as { hooks: unknown }).hooks).toThrow(/could not be cloned/);
    expect(r.counter.add(1)).toBe(3);
  });
});

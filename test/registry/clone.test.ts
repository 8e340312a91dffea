// clone(): the deep copy every write makes of its object. A copy is independent of its source, keeps a
// `__proto__` key as a property, and keeps a large map a fast-properties object (a dictionary-mode copy made
// every field manager walk of a ConfigMap's data several times slower).

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clone } from '../../src/server/registry/meta.js';

const META = pathToFileURL(path.resolve(__dirname, '../../dist/server/registry/meta.js')).href;

describe('clone', () => {
  it('copies deeply: nothing of the copy is shared with the source', () => {
    const src = { a: { b: [1, { c: 'x' }] }, n: null, s: 's', t: true, num: 2 };
    const c = clone(src);
    expect(c).toEqual(src);
    (c.a.b[1] as { c: string }).c = 'y';
    (c.a.b as unknown[]).push(3);
    expect(src).toEqual({ a: { b: [1, { c: 'x' }] }, n: null, s: 's', t: true, num: 2 });
  });

  it('keeps a __proto__ key as an own property, nested or not, never as the prototype', () => {
    const src = JSON.parse('{"__proto__": {"polluted": 1}, "x": {"__proto__": {"y": 2}}}') as Record<string, unknown>;
    const c = clone(src);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['__proto__', 'x']);
    expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).not.toBe(Object.getOwnPropertyDescriptor(src, '__proto__')?.value);
    expect(Object.getPrototypeOf(c.x)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(c.x, '__proto__')?.value).toEqual({ y: 2 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('hands what is not plain JSON to structuredClone', () => {
    const d = new Date(0);
    const c = clone({ d });
    expect(c.d).toBeInstanceOf(Date);
    expect(c.d).not.toBe(d);
    expect(c.d.getTime()).toBe(0);
  });

  it('keeps a 50-key map fast after the process has copied many differently keyed objects', () => {
    // V8 turns an object into a dictionary when keys are added one by one past a limit of transitions;
    // a server that has copied objects of every kind is past it. Checked with V8's own predicate.
    const code = `
      const { clone } = await import(${JSON.stringify(META)});
      const mk = (n, pre) => JSON.parse(JSON.stringify({ data: Object.fromEntries(Array.from({ length: n }, (_, i) => [pre + i, 'v' + i])) }));
      for (let j = 0; j < 3000; j++) clone(mk(3, 'p' + j + '-'));
      const c = clone(mk(50, 'k'));
      process.stdout.write(JSON.stringify({ fast: %HasFastProperties(c.data), keys: Object.keys(c.data).length }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ fast: true, keys: 50 });
  });
});

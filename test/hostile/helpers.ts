// Shared checks for the hostile-input suite: after each refused request the
// server must still answer, must not have stalled its event loop, and the
// store must hold exactly what it held before (nothing stored that cannot be
// served back, nothing lost).

import { expect } from 'vitest';
import type { SuiteEnv } from '../helpers/env.js';

/** A seeded PRNG (mulberry32) so generated hostile inputs are the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Names and resourceVersions of every object under the given list paths. */
export async function snapshot(s: SuiteEnv, paths: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of paths) {
    const r = await s.client.get<{ items: Array<{ metadata: { namespace?: string; name: string; resourceVersion: string } }> }>(p);
    expect(r.status, `GET ${p} while checking the store: ${r.text.slice(0, 300)}`).toBe(200);
    out[p] = r.body.items.map((i) => `${i.metadata.namespace ?? ''}/${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
  }
  return out;
}

/** The server answers /readyz within `withinMs` (the event loop is not blocked). */
export async function expectAlive(s: SuiteEnv, withinMs = 2_000): Promise<void> {
  const t0 = performance.now();
  const r = await s.client.get('/readyz');
  const took = performance.now() - t0;
  expect(r.status).toBe(200);
  expect(took, `readyz took ${took.toFixed(0)} ms`).toBeLessThan(withinMs);
}

/**
 * Runs a hostile request and asserts: it was answered with a metav1.Status of
 * one of the expected codes, the server is alive afterwards, and every listed
 * collection is unchanged.
 */
export async function expectRefused(
  s: SuiteEnv,
  paths: string[],
  send: () => Promise<{ status: number; body: unknown }>,
  codes: number[],
): Promise<{ status: number; body: { kind?: string; reason?: string; message?: string; code?: number } }> {
  const before = await snapshot(s, paths);
  const r = await send();
  expect(codes, `status ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`).toContain(r.status);
  const body = r.body as { kind?: string; reason?: string; message?: string; code?: number };
  expect(body.kind).toBe('Status');
  expect(body.code).toBe(r.status);
  await expectAlive(s);
  expect(await snapshot(s, paths)).toEqual(before);
  return { status: r.status, body };
}

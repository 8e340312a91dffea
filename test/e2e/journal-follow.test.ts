// `kapi-env journal --follow` end to end on both backends: the CLI (dist bundle, `npm run build`) started
// against an environment's kubeconfig prints what the journal already holds, then each request as the
// server handles it, filtered by its flags, until it is stopped.

import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

const BIN = path.resolve(__dirname, '../../bin/kapi-env.js');

interface Entry {
  verb: string;
  resource?: string;
  name?: string;
  code: number;
  user: string;
  after?: { metadata?: { name?: string } };
}

describe.each(BACKENDS)('kapi-env journal --follow on %s storage', (storage) => {
  const s = useEnv(storage);
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill();
    child = undefined;
  });

  it('prints the journal so far, then each matching request as it is handled', async () => {
    expect((await s.kubectl(['create', 'configmap', 'before'])).code).toBe(0);
    child = spawn(process.execPath, [
      BIN,
      'journal',
      '--follow',
      '--json',
      '--kubeconfig',
      s.env.kubeconfigPath,
      '--verb',
      'create',
      '--resource',
      'configmaps',
    ]);
    const entries: Entry[] = [];
    let stderr = '';
    let buf = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.stdout!.on('data', (d) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        entries.push(JSON.parse(buf.slice(0, i)) as Entry);
        buf = buf.slice(i + 1);
      }
    });
    const until = async (what: string, fn: () => boolean): Promise<void> => {
      for (const end = Date.now() + 15_000; Date.now() < end; ) {
        if (fn()) return;
        if (child?.exitCode !== null) throw new Error(`journal exited ${child?.exitCode}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`timed out waiting for ${what}: ${stderr}`);
    };
    await until('the entry from before', () => entries.some((e) => e.name === 'before'));
    // Live: each create arrives while the command keeps running; other verbs and resources are filtered out.
    for (const name of ['live-1', 'live-2']) {
      expect((await s.kubectl(['create', 'configmap', name])).code).toBe(0);
      await until(name, () => entries.some((e) => e.name === name));
    }
    expect((await s.kubectl(['create', 'secret', 'generic', 'not-a-configmap'])).code).toBe(0);
    expect((await s.kubectl(['get', 'configmap', 'live-1'])).code).toBe(0);
    expect((await s.kubectl(['create', 'configmap', 'live-3'])).code).toBe(0);
    await until('live-3', () => entries.some((e) => e.name === 'live-3'));
    expect(entries.map((e) => e.name)).toEqual(['before', 'live-1', 'live-2', 'live-3']);
    for (const e of entries) expect(e).toMatchObject({ verb: 'create', resource: 'configmaps', code: 201, user: 'kapi-env-admin' });
    // The created object, as answered, without its managedFields: in the entry read back and in those followed live.
    for (const e of entries) {
      expect(e.after?.metadata?.name).toBe(e.name);
      expect(e.after?.metadata).not.toHaveProperty('managedFields');
    }
    expect(child.exitCode).toBeNull();
  });
});

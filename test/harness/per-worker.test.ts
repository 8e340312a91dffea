// KAPI_ENV_PER_WORKER=1 under Vitest with 8 workers: each worker starts its own
// environment (no port races, no shared objects), the namespace fixture hands
// each test a fresh namespace, and cleanEnv resets the worker's environment.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
// Inside the repository, so the project resolves `vitest` from its node_modules.
const project = mkdtempSync(path.join(ROOT, '.kapi-per-worker-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const WORKERS = 8;

describe('per-worker environments', () => {
  it(`${WORKERS} Vitest workers, one environment each, fixtures for a namespace and a reset`, async () => {
    const out = path.join(project, 'out');
    mkdirSync(out);
    writeFileSync(
      path.join(project, 'vitest.config.mjs'),
      `export default { test: { include: ['w*.test.ts'], pool: 'forks', maxWorkers: ${WORKERS}, fileParallelism: true,
        testTimeout: 120000, hookTimeout: 120000, globalSetup: [${JSON.stringify(path.join(ROOT, 'src/env/vitest.ts'))}] } };\n`,
    );
    for (let i = 0; i < WORKERS; i++) {
      writeFileSync(
        path.join(project, `w${i}.test.ts`),
        `import { writeFileSync } from 'node:fs';
import { test as base, expect } from 'vitest';
import { kapiFixtures } from ${JSON.stringify(path.join(ROOT, 'src/env/vitest.ts'))};
const test = base.extend(kapiFixtures({ storage: 'memory' }));
test('own namespace', async ({ kapiEnv, namespace }) => {
  const c = kapiEnv.client();
  const r = await c.post('/api/v1/namespaces/' + namespace + '/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w${i}', labels: { perworker: 'yes' } } });
  expect(r.status).toBe(201);
  const all = await c.get('/api/v1/configmaps?labelSelector=perworker');
  // Only this worker's object: no other worker shares this environment.
  expect(all.body.items.map((o) => o.metadata.name)).toEqual(['w${i}']);
  writeFileSync(${JSON.stringify(out)} + '/w${i}', JSON.stringify({ server: kapiEnv.server, pid: process.pid }));
  await c.close();
});
test('clean environment', async ({ cleanEnv }) => {
  const c = cleanEnv.client();
  const all = await c.get('/api/v1/configmaps?labelSelector=perworker');
  expect(all.body.items).toEqual([]);
  await c.close();
});
`,
      );
    }
    const res = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', project, '--config', path.join(project, 'vitest.config.mjs')],
        { cwd: project, env: { ...process.env, KAPI_ENV_PER_WORKER: '1', KUBECONFIG: '' }, timeout: 240_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toContain(`${WORKERS * 2} passed`);
    const seen = readdirSync(out).map((f) => JSON.parse(readFileSync(path.join(out, f), 'utf8')) as { server: string; pid: number });
    expect(seen).toHaveLength(WORKERS);
    expect(new Set(seen.map((s) => s.server)).size).toBe(WORKERS);
  }, 300_000);
});

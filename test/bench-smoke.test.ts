// The benchmarks are not tests, but a smoke run with tiny sizes keeps them from rotting.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

it('npm run bench -- --smoke --json produces every scenario with ceilings', async () => {
  const root = path.resolve(__dirname, '..');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['scripts/bench/run.mjs', '--smoke', '--json', '--only', 'coldstart,crud,apply,watch,list,crd'],
      { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
  const report = JSON.parse(out) as { results: Array<{ scenario: string; metric: string; value: number; unit: string; ratio?: number }> };
  const scenarios = new Set(report.results.map((r) => r.scenario));
  expect([...scenarios].sort()).toEqual(['apply', 'coldstart', 'crd', 'crud', 'list', 'memory', 'watch']);
  // Growth above idle may be at or below zero at smoke sizes (a GC between the readings); the rest is positive.
  for (const r of report.results) {
    if (r.metric.includes('above idle')) expect(Number.isFinite(r.value), r.metric).toBe(true);
    else expect(r.value, r.metric).toBeGreaterThan(0);
  }
  // Cold start figures are measured against `node -e 0` in the same run.
  const coldstart = report.results.filter((r) => r.scenario === 'coldstart' && r.ratio !== undefined);
  expect(coldstart.map((r) => r.metric)).toEqual([
    '`kapi-env --version`, median of 1',
    '`kapi-env up --storage memory` to ready line, median of 1',
  ]);
  for (const r of coldstart) expect(r.ratio, r.metric).toBeGreaterThan(0);
  const crud = report.results.filter((r) => r.scenario === 'crud' && r.unit === 'ops/s');
  expect(crud).toHaveLength(12);
  for (const r of crud) expect(r.ratio, r.metric).toBeGreaterThan(0);
  // The server's CPU time per operation, for each verb at each concurrency.
  expect(report.results.filter((r) => r.scenario === 'crud' && r.metric.startsWith('server CPU per'))).toHaveLength(12);
  // Server-side apply: per concurrency, two rates against a plain update, two CPU ratios and the field manager's share.
  const apply = report.results.filter((r) => r.scenario === 'apply');
  expect(apply).toHaveLength(15);
  for (const r of apply) expect(r.ratio, r.metric).toBeGreaterThan(0);
  const delivered = report.results.find((r) => r.metric.includes('delivered / expected'))!;
  expect(delivered.value).toBe(1);
}, 150_000);

it('npm run bench -- --only controllers measures namespace deletion, the ownership chain and a rollout against 1 s', async () => {
  const root = path.resolve(__dirname, '..');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['scripts/bench/run.mjs', '--smoke', '--json', '--only', 'controllers'],
      { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
  const report = JSON.parse(out) as { results: Array<{ scenario: string; metric: string; value: number; ceiling?: number }> };
  expect(report.results.map((r) => [r.scenario, r.metric, r.ceiling])).toEqual([
    ['controllers', 'namespace deletion with 1000 objects', 1000],
    ['controllers', '3-level chain (111 objects), background', 1000],
    ['controllers', '3-level chain (111 objects), foreground', 1000],
    ['controllers', 'Deployment of 3 replicas, rollout complete', 1000],
  ]);
  for (const r of report.results) expect(r.value, r.metric).toBeGreaterThan(0);
}, 150_000);

it('npm run bench -- --only metrics-audit compares create throughput and CPU with metrics and audit on to both off', async () => {
  const root = path.resolve(__dirname, '..');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['scripts/bench/run.mjs', '--smoke', '--json', '--only', 'metrics-audit'],
      { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
  const report = JSON.parse(out) as { results: Array<{ scenario: string; metric: string; value: number; ratio?: number }> };
  const figures = report.results.filter((r) => r.scenario === 'metrics-audit');
  expect(figures.map((r) => r.metric)).toEqual([
    'create ops/s, 16 streams, metrics and audit off',
    'create ops/s, 16 streams, metrics on',
    'create ops/s, 16 streams, audit Metadata to a file',
    'create ops/s, 16 streams, metrics and audit on',
    'server CPU per create, metrics and audit off',
    'server CPU per create, metrics on',
    'server CPU per create, audit Metadata to a file',
    'server CPU per create, metrics and audit on',
  ]);
  for (const r of figures) expect(r.value, r.metric).toBeGreaterThan(0);
  // Every figure but the baseline is a ratio to both off.
  expect(figures.filter((r) => r.ratio !== undefined)).toHaveLength(6);
}, 150_000);

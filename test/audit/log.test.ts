// The audit log backend: lumberjack's rotation (backup names, maxBackups) and the legacy format.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/server/audit/event.js';
import { backupName, LogBackend, legacyLine } from '../../src/server/audit/log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kapi-audit-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const event = (i: number): AuditEvent => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: `id-${i}`,
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/a/pods',
  verb: 'list',
  user: { username: 'alice', groups: ['dev', 'system:authenticated'] },
  sourceIPs: ['127.0.0.1'],
  userAgent: 'kubectl/v1.32.0',
  objectRef: { resource: 'pods', namespace: 'a', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2026-01-02T03:04:05.123456Z',
  stageTimestamp: '2026-01-02T03:04:05.223456Z',
});

it('names backups as lumberjack does', () => {
  expect(backupName('/var/log/audit.log', new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67)))).toBe('/var/log/audit-2026-01-02T03-04-05.067.log');
});

it('rotates past the maximum size, keeping maxBackups backups, every line whole', async () => {
  const file = path.join(dir, 'audit.log');
  const one = JSON.stringify(event(0)).length + 1;
  const log = new LogBackend({ path: file, maxSizeBytes: one * 3, maxBackups: 2 });
  for (let i = 0; i < 10; i++) log.process(JSON.stringify(event(i)));
  await log.close();
  const names = (await readdir(dir)).sort();
  // 10 lines of 3 per file: 4 files written, the oldest backup removed.
  expect(names).toHaveLength(3);
  expect(names[names.length - 1]).toBe('audit.log');
  for (const n of names.slice(0, -1)) expect(n).toMatch(/^audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/);
  const current = (await readFile(file, 'utf8')).trim().split('\n');
  expect(current.map((l) => (JSON.parse(l) as AuditEvent).auditID)).toEqual(['id-9']);
  const newest = (await readFile(path.join(dir, names[1]), 'utf8')).trim().split('\n');
  expect(newest.map((l) => (JSON.parse(l) as AuditEvent).auditID)).toEqual(['id-6', 'id-7', 'id-8']);
});

it('appends to an existing file until it is full', async () => {
  const file = path.join(dir, 'audit.log');
  const first = new LogBackend({ path: file });
  first.process('{"a":1}');
  await first.close();
  const second = new LogBackend({ path: file });
  second.process('{"a":2}');
  await second.close();
  expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
});

it('writes the legacy line', () => {
  expect(legacyLine(event(1))).toBe(
    '2026-01-02T03:04:05.123456Z AUDIT: id="id-1" stage="ResponseComplete" ip="127.0.0.1" method="list" user="alice" ' +
      'groups="\\"dev\\",\\"system:authenticated\\"" as="<self>" asgroups="<lookup>" user-agent="kubectl/v1.32.0" namespace="a" ' +
      'uri="/api/v1/namespaces/a/pods" response="200"',
  );
});

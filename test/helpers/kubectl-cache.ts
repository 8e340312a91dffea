// kubectl keeps discovery per server host:port (~/.kube/cache, for hours): an environment started on a
// port an earlier one used would be read with the earlier server's resources. Each test file gets its own
// cache directory (KUBECACHEDIR), for every kubectl the file runs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'kapi-kubectl-cache-'));
process.env.KUBECACHEDIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

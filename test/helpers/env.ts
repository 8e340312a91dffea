// Starting a throwaway environment for a suite, and running real clients against it.

import { execFile } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import type { RestClient } from '../../src/env/client.js';
import { type Env, type EnvOptions, startEnv } from '../../src/env/index.js';

export interface SuiteEnv {
  env: Env;
  client: RestClient;
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

export function useEnv(storage: 'memory' | 'etcd', opts: EnvOptions = {}): SuiteEnv {
  const s = {} as SuiteEnv;
  beforeAll(async () => {
    s.env = await startEnv({ storage, ...opts });
    s.client = s.env.client();
    s.kubectl = (args, input) => kubectl(s.env.kubeconfigPath, args, input);
  });
  afterAll(async () => {
    await s.client?.agent.destroy();
    await s.env?.stop();
  });
  return s;
}

export function kubectl(kubeconfig: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: 30_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

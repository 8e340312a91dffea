// `kapi-env user add` and `kapi-env user token` against an environment whose state directory holds
// what `up` writes there (state.json, ca.crt, admin.crt/key, client-ca.crt/key).

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runUserAdd, runUserToken } from '../../src/cli/user.js';
import { type Env, startEnv } from '../../src/env/index.js';
import { kubectl } from '../helpers/env.js';

describe('kapi-env user', () => {
  let env: Env;
  let stateDir: string;
  const printed: string[] = [];

  beforeAll(async () => {
    env = await startEnv({ storage: 'memory' });
    stateDir = await mkdtemp(path.join(tmpdir(), 'kapi-user-cli-'));
    const state = { kubeconfig: env.kubeconfigPath, server: env.server, storage: env.storage, pids: env.pids, elapsedMs: 0, stateDir };
    await Promise.all([
      writeFile(path.join(stateDir, 'state.json'), JSON.stringify(state)),
      writeFile(path.join(stateDir, 'ca.crt'), env.ca),
      writeFile(path.join(stateDir, 'admin.crt'), env.clientCert),
      writeFile(path.join(stateDir, 'admin.key'), env.clientKey),
      writeFile(path.join(stateDir, 'client-ca.crt'), env.clientCa!.certPem),
      writeFile(path.join(stateDir, 'client-ca.key'), env.clientCa!.keyPem),
    ]);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await env?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('user add writes a kubeconfig whose certificate names the user and groups', async () => {
    const file = path.join(stateDir, 'dev.kubeconfig');
    expect(await runUserAdd('dev', { stateDir, group: ['qa', 'ops'], kubeconfig: file })).toBe(0);
    expect(printed.at(-1)).toBe(`${file}\n`);
    expect(await readFile(file, 'utf8')).toContain('client-certificate-data:');
    const r = await kubectl(file, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
    expect(r.stdout).toBe('dev ["qa","ops","system:authenticated"]');
    // Without --kubeconfig: under the state directory.
    expect(await runUserAdd('ci bot', { stateDir })).toBe(0);
    expect(printed.at(-1)).toBe(`${path.join(stateDir, 'users', 'ci_bot.kubeconfig')}\n`);
  });

  it('user token prints a service account token for the audiences and duration asked', async () => {
    expect((await kubectl(env.kubeconfigPath, ['create', 'serviceaccount', 'ctrl'])).code).toBe(0);
    expect(await runUserToken('default/ctrl', { stateDir, audience: ['vault'], duration: '20m' })).toBe(0);
    const claims = decodeJwt(printed.at(-1)!.trim());
    expect(claims).toMatchObject({ sub: 'system:serviceaccount:default:ctrl', aud: ['vault'] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(1200);
    await expect(runUserToken('default/none', { stateDir })).rejects.toThrow('serviceaccounts "none" not found');
    await expect(runUserToken('ctrl', { stateDir })).rejects.toThrow('expected NAMESPACE/SERVICEACCOUNT, got "ctrl"');
  });
});

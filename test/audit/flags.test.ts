// The audit flags: parsed with kube's checks and mapped to the server's audit configuration.

import { expect, it } from 'vitest';
import { parseServeFlags, serverConfigFromFlags } from '../../src/server/config.js';
import type { Storage } from '../../src/server/storage/interface.js';

const base = { storage: {} as Storage, tls: { certPem: '', keyPem: '', clientCaPem: '' } };

it('maps the audit flags to the log and webhook backends', () => {
  const flags = parseServeFlags([
    '--audit-policy-file=/p.yaml',
    '--audit-log-path=-',
    '--audit-log-maxsize=5',
    '--audit-log-maxbackup=2',
    '--audit-log-maxage=7',
    '--audit-log-format=legacy',
    '--audit-webhook-config-file=/w.kubeconfig',
    '--audit-webhook-mode=blocking',
    '--audit-webhook-batch-max-wait=2s',
  ]);
  expect(serverConfigFromFlags(flags, base).audit).toEqual({
    policyFile: '/p.yaml',
    log: { path: '-', maxSizeMB: 5, maxBackups: 2, maxAgeDays: 7, format: 'legacy' },
    webhook: { configFile: '/w.kubeconfig', mode: 'blocking', batchMaxSize: 400, batchMaxWaitMs: 2000 },
  });
  // Without a policy nothing is audited, whatever the backends.
  expect(serverConfigFromFlags(parseServeFlags(['--audit-log-path=/a.log']), base).audit).toBeUndefined();
});

it("refuses values with kube-apiserver's messages", () => {
  expect(() => parseServeFlags(['--audit-log-maxsize=-1'])).toThrow("--audit-log-maxsize -1 can't be a negative number");
  expect(() => parseServeFlags(['--audit-log-maxage=x'])).toThrow(
    'invalid argument "x" for "--audit-log-maxage" flag: strconv.ParseInt: parsing "x": invalid syntax',
  );
  expect(() => parseServeFlags(['--audit-log-format=xml'])).toThrow('invalid audit log format xml, allowed formats are "legacy,json"');
  expect(() => parseServeFlags(['--audit-webhook-mode=later'])).toThrow(
    'invalid audit webhook mode later, allowed modes are "batch,blocking,blocking-strict"',
  );
  expect(() => parseServeFlags(['--audit-webhook-batch-max-size=0'])).toThrow(
    'invalid audit batch webhook max batch size 0, must be a positive number',
  );
});

// The HA flags as kube-apiserver and kube-controller-manager check them, their mapping to ServerConfig,
// and the `kubernetes` Endpoints' subsets for servers on one host (one subset per port).

import { describe, expect, it } from 'vitest';
import { checkServerCount } from '../../src/env/servers.js';
import { FlagError, parseServeFlags, serverConfigFromFlags } from '../../src/server/config.js';
import { endpointSubsets } from '../../src/server/controllers/apiserver-leases.js';

const base = { storage: {} as never, tls: { certPem: '', keyPem: '', clientCaPem: '' } };

describe('HA flags', () => {
  it('maps the identity lease, endpoint TTL and leader election flags', () => {
    const flags = parseServeFlags([
      '--identity-lease-duration-seconds=30',
      '--identity-lease-renew-interval-seconds=2',
      '--endpoint-reconciler-ttl=5s',
      '--leader-elect-lease-duration=3s',
      '--leader-elect-renew-deadline=2s',
      '--leader-elect-retry-period=500ms',
    ]);
    const config = serverConfigFromFlags(flags, base);
    expect(config.apiserverLease).toEqual({ leaseDurationSeconds: 30, renewIntervalMs: 2000, endpointTTLMs: 5000 });
    expect(config.leaderElection).toEqual({ leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 });
    expect(serverConfigFromFlags(parseServeFlags(['--leader-elect=false']), base).leaderElection).toBe(false);
  });

  it("refuses what kube refuses, in kube's words", () => {
    expect(() => parseServeFlags(['--identity-lease-duration-seconds=0'])).toThrow(
      new FlagError("--identity-lease-duration-seconds should be a positive number, but value '0' provided"),
    );
    expect(() => parseServeFlags(['--identity-lease-renew-interval-seconds=x'])).toThrow(/strconv.ParseInt: parsing "x": invalid syntax/);
    expect(() => parseServeFlags(['--leader-elect-lease-duration=2s'])).toThrow('leaseDuration must be greater than renewDeadline');
    expect(() => parseServeFlags(['--leader-elect-retry-period=9s'])).toThrow(
      'renewDeadline must be greater than retryPeriod*JitterFactor',
    );
  });

  it('refuses several servers without etcd', () => {
    expect(checkServerCount(undefined, 'memory')).toBe(1);
    expect(checkServerCount(3, 'etcd')).toBe(3);
    expect(() => checkServerCount(2, 'memory')).toThrow(/--servers 2 needs etcd/);
    expect(() => checkServerCount(0, 'etcd')).toThrow(FlagError);
  });

  it('groups the servers of the kubernetes Endpoints by port, addresses sorted', () => {
    expect(
      endpointSubsets([
        { ip: '127.0.0.1', port: 6444 },
        { ip: '10.0.0.2', port: 6443 },
        { ip: '10.0.0.1', port: 6443 },
      ]),
    ).toEqual([
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
      { addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 6444, protocol: 'TCP' }] },
    ]);
  });
});

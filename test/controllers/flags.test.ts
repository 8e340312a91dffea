// --controllers as kube-controller-manager parses it: names or aliases, `*`/`all`, `-name`; unknown names refused.

import { describe, expect, it } from 'vitest';
import { FlagError, parseServeFlags, serverConfigFromFlags } from '../../src/server/config.js';
import { parseControllers } from '../../src/server/controllers/names.js';

describe('--controllers', () => {
  it('is empty by default (envtest parity)', () => {
    expect(parseServeFlags([]).controllers).toEqual([]);
  });

  it('takes canonical names and aliases, all and * for every one, -name to leave one out', () => {
    expect(parseServeFlags(['--controllers=namespace,garbage-collector-controller']).controllers).toEqual([
      'namespace-controller',
      'garbage-collector-controller',
    ]);
    const all = parseControllers(['all']) as string[];
    expect(all).toEqual(
      expect.arrayContaining([
        'namespace-controller',
        'garbage-collector-controller',
        'service-account-controller',
        'root-ca-certificate-publisher-controller',
      ]),
    );
    expect(parseControllers(['*'])).toEqual(all);
    const some = parseControllers(['*', '-garbagecollector', '-root-ca-cert-publisher']) as string[];
    expect(some).toEqual(all.filter((n) => n !== 'garbage-collector-controller' && n !== 'root-ca-certificate-publisher-controller'));
    expect(parseServeFlags(['controllers=serviceaccount'], { inlineValues: true }).controllers).toEqual(['service-account-controller']);
  });

  it('refuses an unknown name with kube-controller-manager wording', () => {
    expect(() => parseServeFlags(['--controllers=namespace,replicaset-ctl'])).toThrow(FlagError);
    expect(() => parseServeFlags(['--controllers=namespace,replicaset-ctl'])).toThrow(
      '"replicaset-ctl" is not in the list of known controllers',
    );
    expect(() => parseServeFlags(['--controllers=-bogus'])).toThrow('"bogus" is not in the list of known controllers');
  });

  it('--enable-fault-injection is a boolean flag; --request-journal-size a count', () => {
    expect(parseServeFlags(['--enable-fault-injection']).faultInjection).toBe(true);
    expect(parseServeFlags(['--enable-fault-injection=false']).faultInjection).toBe(false);
    expect(parseServeFlags([]).faultInjection).toBe(false);
    expect(parseServeFlags(['--request-journal-size=5']).requestJournalSize).toBe(5);
    expect(() => parseServeFlags(['--request-journal-size=-1'])).toThrow('invalid argument "-1" for "--request-journal-size" flag');
  });
});

describe('--simulated-clock', () => {
  it("takes 'now' or an RFC 3339 time; anything else is refused", () => {
    expect(parseServeFlags([]).simulatedClock).toBeUndefined();
    expect(parseServeFlags(['--simulated-clock=2026-03-01T00:00:00Z']).simulatedClock).toBe(Date.parse('2026-03-01T00:00:00Z'));
    const now = parseServeFlags(['--simulated-clock', 'now']).simulatedClock!;
    expect(Math.abs(now - Date.now())).toBeLessThan(5000);
    expect(() => parseServeFlags(['--simulated-clock=yesterday'])).toThrow(FlagError);
    expect(parseServeFlags(['--controllers=cronjob']).controllers).toEqual(['cronjob-controller']);
  });
});

describe('pod stage flags', () => {
  it('rates from 0 to 1 and a positive back-off, mapped to the simulation', () => {
    const f = parseServeFlags([
      '--simulated-pod-failure-rate=0.25',
      '--simulated-pod-unready-rate',
      '1',
      '--simulated-crash-loop-backoff=250ms',
    ]);
    expect([f.simulation.podFailureRate, f.simulation.podUnreadyRate, f.simulation.crashLoopBackOffMs]).toEqual([0.25, 1, 250]);
    expect(() => parseServeFlags(['--simulated-pod-failure-rate=1.5'])).toThrow(
      'invalid argument "1.5" for "--simulated-pod-failure-rate" flag: want a number from 0 to 1',
    );
    expect(() => parseServeFlags(['--simulated-pod-unready-rate=x'])).toThrow(FlagError);
    expect(() => parseServeFlags(['--simulated-crash-loop-backoff=0s'])).toThrow(FlagError);
    const config = serverConfigFromFlags(f, { storage: undefined as never, tls: undefined as never });
    expect(config.simulation).toMatchObject({ podFailureRate: 0.25, podUnreadyRate: 1, crashLoopBackOffMs: 250 });
  });
});

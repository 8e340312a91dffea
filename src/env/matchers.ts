// Assertions on the request journal, for Vitest's (or Jest's) expect.extend:
//
//   import { requestMatchers } from 'kapi-env';
//   expect.extend(requestMatchers);
//   expect(env).toHaveReceived({ verb: 'update', resource: 'deployments', times: 1 });
//
// TypeScript users declare it once:
//   declare module 'vitest' { interface Assertion<T> { toHaveReceived(e: RequestExpectation): T } }

import type { JournalEntry, JournalQuery } from '../server/debug/journal.js';

export interface RequestExpectation extends JournalQuery {
  /** Exactly this many matching requests; without it (and without atLeast/atMost), at least one. */
  times?: number;
  atLeast?: number;
  atMost?: number;
}

interface HasRequests {
  requests(query?: JournalQuery): JournalEntry[];
}

function describe(q: JournalQuery): string {
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString() : JSON.stringify(v)}`);
  return parts.length ? parts.join(' ') : 'any request';
}

export const requestMatchers = {
  toHaveReceived(received: HasRequests, expected: RequestExpectation) {
    if (!received || typeof received.requests !== 'function')
      throw new TypeError('toHaveReceived expects an environment (startEnv) or anything with requests()');
    const { times, atLeast, atMost, ...query } = expected;
    const seen = received.requests(query);
    const n = seen.length;
    let pass: boolean;
    let want: string;
    if (times !== undefined) {
      pass = n === times;
      want = `exactly ${times}`;
    } else {
      const min = atLeast ?? (atMost === undefined ? 1 : 0);
      pass = n >= min && (atMost === undefined || n <= atMost);
      want = atMost === undefined ? `at least ${min}` : `between ${min} and ${atMost}`;
    }
    const sample = seen
      .slice(-5)
      .map((e) => `  ${e.code} ${e.verb} ${e.path} (${e.user})`)
      .join('\n');
    return {
      pass,
      message: () =>
        `expected ${pass ? 'not ' : ''}${want} request(s) matching ${describe(query)}; the server received ${n}${sample ? `:\n${sample}` : ''}`,
    };
  },
};

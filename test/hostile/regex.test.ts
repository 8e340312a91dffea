// Hostile regular expressions: a CRD whose `pattern` and CEL matches() would
// make a backtracking engine run for minutes on a 100-byte value; the server
// must answer at once and keep serving (Go's regexp, as kube uses, is linear).
// Patterns Go cannot compile are refused when the CRD is written, worded as
// kube-apiserver words them.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { testCRD } from '../helpers/crds.js';
import { type SuiteEnv, useEnv } from '../helpers/env.js';
import { expectRefused } from './helpers.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const ITEMS = '/apis/hostile.example.com/v1/namespaces/default/patterns';
const HOSTILE = `${'a'.repeat(99)}!`;

function crd(name: string, plural: string, kind: string, spec: Record<string, unknown>): Record<string, unknown> {
  return testCRD({ group: name, plural, kind, singular: plural.replace(/s$/, ''), schema: { type: 'object', properties: { spec } } });
}

const item = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'hostile.example.com/v1',
  kind: 'Pattern',
  metadata: { name },
  spec,
});

async function established(s: SuiteEnv, path: string): Promise<void> {
  for (let i = 0; i < 500 && (await s.client.get(path)).status !== 200; i++) await new Promise((r) => setTimeout(r, 10));
  expect((await s.client.get(path)).status).toBe(200);
}

/**
 * Runs `send` through expectRefused (a Status, the server alive afterwards, the
 * collection unchanged) and bounds the request itself: a backtracking engine
 * would not answer before the test times out.
 */
async function refusedWithin(
  s: SuiteEnv,
  boundMs: number,
  send: () => Promise<{ status: number; body: unknown }>,
): Promise<Awaited<ReturnType<typeof expectRefused>>> {
  let took = 0;
  const r = await expectRefused(
    s,
    [ITEMS],
    async () => {
      const t0 = performance.now();
      const res = await send();
      took = performance.now() - t0;
      return res;
    },
    [422],
  );
  expect(took, `answered in ${took.toFixed(0)} ms`).toBeLessThan(boundMs);
  return r;
}

describe.each(BACKENDS)('hostile regular expressions on %s storage', (storage) => {
  const s = useEnv(storage);

  it('validates a ReDoS pattern and CEL matches() on a hostile value at once', async () => {
    const created = await s.client.post(
      CRDS,
      crd('hostile.example.com', 'patterns', 'Pattern', {
        type: 'object',
        properties: {
          p: { type: 'string', pattern: '^(a+)+$' },
          c: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.matches('^(a+)+$')", message: 'c must be a run of a' }] },
          f: {
            type: 'string',
            'x-kubernetes-validations': [{ rule: "self.find('(a|aa)+$') == self", message: 'f must end in a run of a' }],
          },
        },
      }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await established(s, ITEMS);

    expect((await s.client.post(ITEMS, item('good', { p: 'aaaa', c: 'aaaa', f: 'aaaa' }))).status).toBe(201);

    for (const [field, message] of [
      [
        'p',
        'spec.p: Invalid value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!": spec.p in body should match \'^(a+)+$\'',
      ],
      ['c', 'spec.c: Invalid value: "string": c must be a run of a'],
      ['f', 'spec.f: Invalid value: "string": f must end in a run of a'],
    ]) {
      const r = await refusedWithin(s, 2_000, () => s.client.post(ITEMS, item(`bad-${field}`, { [field]: HOSTILE })));
      expect(r.body.reason).toBe('Invalid');
      expect(r.body.message).toBe(`Pattern.hostile.example.com "bad-${field}" is invalid: ${message}`);
    }

    // The largest value a request may carry is still matched in linear time.
    const big = `${'a'.repeat(1024 * 1024)}!`;
    const r = await refusedWithin(s, 10_000, () => s.client.post(ITEMS, item('big', { p: big, c: big })));
    expect(r.body.message).toContain("spec.p in body should match '^(a+)+$'");
    expect(r.body.message).toContain('spec.c: Invalid value: "string": c must be a run of a');
  });

  it('refuses patterns Go cannot compile when the CRD is created, with kube wording', async () => {
    const path = 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[x]';
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { type: 'string', pattern: '(?=x)' },
        `${path}.pattern: Invalid value: "(?=x)": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: \`(?=\``,
      ],
      [
        { type: 'string', pattern: '(a' },
        `${path}.pattern: Invalid value: "(a": must be a valid regular expression, but isn't: error parsing regexp: missing closing ): \`(a\``,
      ],
      [
        { type: 'string', pattern: '(a)\\1' },
        `${path}.pattern: Invalid value: "(a)\\\\1": must be a valid regular expression, but isn't: error parsing regexp: invalid escape sequence: \`\\1\``,
      ],
      [
        { type: 'string', 'x-kubernetes-validations': [{ rule: "self.matches('(?=x)')" }] },
        `${path}.x-kubernetes-validations[0].rule: Invalid value: "self.matches('(?=x)')": compilation failed: ERROR: <input>:1:14: invalid matches argument\n | self.matches('(?=x)')\n | .............^`,
      ],
      [
        { type: 'string', 'x-kubernetes-validations': [{ rule: "self.find('(a') == ''" }] },
        `${path}.x-kubernetes-validations[0].rule: Invalid value: "self.find('(a') == ''": program instantiation failed: error parsing regexp: missing closing ): \`(a\``,
      ],
    ];
    for (const [i, [schema, message]] of cases.entries()) {
      const body = crd('refused.example.com', `things${i}s`, `Thing${i}`, { type: 'object', properties: { x: schema } });
      const r = await expectRefused(s, [CRDS], () => s.client.post(CRDS, body), [422]);
      expect(r.body.reason).toBe('Invalid');
      expect(r.body.message).toBe(`CustomResourceDefinition.apiextensions.k8s.io "things${i}s.refused.example.com" is invalid: ${message}`);
    }
  });
});

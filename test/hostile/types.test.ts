// Built-in objects whose values have the wrong Go type: kube-apiserver fails
// to decode them into the kind's struct and answers 400 `<Kind> in version
// "v1" cannot be handled as a <Kind>: <decode error>`, so nothing a typed
// client cannot decode is ever stored.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';
import { expectRefused } from './helpers.js';

const NS = '/api/v1/namespaces/default';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const WATCHED = [`${NS}/configmaps`, `${NS}/secrets`, LEASES];

describe.each(BACKENDS)('typed decoding of built-in objects on %s storage', (storage) => {
  const s = useEnv(storage);

  const refused = async (method: string, path: string, body: unknown, message: string): Promise<void> => {
    const r = await expectRefused(s, WATCHED, () => s.client.call(method, path, body), [400]);
    expect(r.body).toMatchObject({ reason: 'BadRequest', message });
  };

  it('refuses a number in ConfigMap data', async () => {
    await refused(
      'POST',
      `${NS}/configmaps`,
      { metadata: { name: 'num' }, data: { a: 5 } },
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
  });

  it('refuses 1e400 in ConfigMap data (it would be stored as null)', async () => {
    await refused(
      'POST',
      `${NS}/configmaps`,
      '{"metadata":{"name":"huge"},"data":{"a":1e400}}',
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
  });

  it('refuses binaryData that is not base64', async () => {
    await refused(
      'POST',
      `${NS}/configmaps`,
      { metadata: { name: 'bin' }, binaryData: { a: '!!!' } },
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 0',
    );
    await refused(
      'POST',
      `${NS}/secrets`,
      { metadata: { name: 'sec' }, data: { a: 'abc' } },
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0',
    );
  });

  it('refuses a number among metadata.labels', async () => {
    await refused(
      'POST',
      `${NS}/configmaps`,
      { metadata: { name: 'lbl', labels: { a: 5 } } },
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    );
  });

  it('refuses a string where a Lease has an integer, and a malformed MicroTime', async () => {
    await refused(
      'POST',
      LEASES,
      { metadata: { name: 'l1' }, spec: { leaseDurationSeconds: '15' } },
      'Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32',
    );
    await refused(
      'POST',
      LEASES,
      { metadata: { name: 'l2' }, spec: { renewTime: '2024-01-02T03:04:05Z' } },
      'Lease in version "v1" cannot be handled as a Lease: parsing time "2024-01-02T03:04:05Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    );
  });

  it('refuses the same on update and keeps the stored object', async () => {
    expect((await s.client.post(`${NS}/configmaps`, { metadata: { name: 'kept' }, data: { a: 'b' } })).status).toBe(201);
    await refused(
      'PUT',
      `${NS}/configmaps/kept`,
      { metadata: { name: 'kept' }, data: { a: 1 } },
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
    const r = await s.client.get<{ data: Record<string, string> }>(`${NS}/configmaps/kept`);
    expect(r.body.data).toEqual({ a: 'b' });
  });

  it('refuses a patch whose result does not decode, as the patcher does (422 on the field patch)', async () => {
    expect((await s.client.post(`${NS}/configmaps`, { metadata: { name: 'patched' }, data: { a: 'b' } })).status).toBe(201);
    const r = await expectRefused(
      s,
      WATCHED,
      () => s.client.call('PATCH', `${NS}/configmaps/patched`, { data: { a: 7 } }, { 'content-type': 'application/merge-patch+json' }),
      [422],
    );
    expect(r.body.reason).toBe('Invalid');
    expect(r.body.message).toMatch(
      /^ "" is invalid: patch: Invalid value: "\{.*\\"data\\":\{\\"a\\":7\}.*\}": json: cannot unmarshal number into Go struct field ConfigMap\.data of type string$/,
    );
    expect((await s.client.get<{ data: unknown }>(`${NS}/configmaps/patched`)).body.data).toEqual({ a: 'b' });
  });

  it('type errors come before fieldValidation=Strict unknown fields', async () => {
    await refused(
      'POST',
      `${NS}/configmaps?fieldValidation=Strict`,
      { metadata: { name: 'strict' }, bogus: 1, data: { a: [] } },
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ConfigMap.data of type string',
    );
  });

  it('keeps valid objects as sent, null map values become ""', async () => {
    const ok = await s.client.post<{ data: Record<string, string>; binaryData: Record<string, string> }>(`${NS}/configmaps`, {
      metadata: { name: 'valid' },
      data: { a: 'x', n: null },
      binaryData: { b: Buffer.from('hi').toString('base64') },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.data).toEqual({ a: 'x', n: '' });
    expect(ok.body.binaryData).toEqual({ b: 'aGk=' });
    const lease = await s.client.post<{ spec: Record<string, unknown> }>(LEASES, {
      metadata: { name: 'ok' },
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: '2024-01-02T04:04:05.123456+01:00' },
    });
    expect(lease.status).toBe(201);
    expect(lease.body.spec).toEqual({ holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: '2024-01-02T03:04:05.123456Z' });
  });
});

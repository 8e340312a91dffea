import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import {
  ageOf,
  buildTable,
  crdTableConvertor,
  DEFAULT_TABLE_COLUMNS,
  defaultTableRow,
  parseIncludeObject,
} from '../../src/server/endpoints/tables/convertor.js';
import { corpusPresent, crd, examples } from '../helpers/descriptors.js';

const NOW = Date.parse('2025-01-10T12:00:00Z');
const columnsOf = (path: string) => crd(path).spec.versions[0].additionalPrinterColumns;

const gateway = (): KubeObject =>
  ({
    ...examples('gateway-api/examples/simple-gateway_gateway.yaml')[0],
    metadata: { name: 'prod-web', namespace: 'default', resourceVersion: '7', creationTimestamp: '2025-01-10T11:55:00Z' },
    status: {
      addresses: [
        { type: 'IPAddress', value: '10.0.0.1' },
        { type: 'IPAddress', value: '10.0.0.2' },
      ],
      conditions: [
        { type: 'Accepted', status: 'True' },
        { type: 'Programmed', status: 'False' },
      ],
    },
  }) as KubeObject;

describe('tables', () => {
  it('default columns are Name and Created At; rows carry PartialObjectMetadata by default', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'default', resourceVersion: '5', creationTimestamp: '2025-01-10T11:00:00Z' },
    };
    const t = buildTable([cm], { listMeta: { resourceVersion: '9', continue: 'tok', remainingItemCount: 3 } });
    expect(t).toEqual({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '9', continue: 'tok', remainingItemCount: 3 },
      columnDefinitions: DEFAULT_TABLE_COLUMNS,
      rows: [
        {
          cells: ['x', '2025-01-10T11:00:00Z'],
          object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata },
        },
      ],
    });
    expect(DEFAULT_TABLE_COLUMNS.map((c) => [c.name, c.type, c.format])).toEqual([
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ]);
    expect(buildTable([cm]).metadata).toEqual({ resourceVersion: '5' });
    expect(buildTable([cm], { includeObject: 'None', noHeaders: true })).toEqual({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '5' },
      rows: [{ cells: ['x', '2025-01-10T11:00:00Z'], object: null }],
    });
    expect(buildTable([cm], { includeObject: 'Object' }).rows[0].object).toBe(cm);
    expect(defaultTableRow({ metadata: { name: 'n' } } as KubeObject)).toEqual(['n', '0001-01-01T00:00:00Z']);
  });

  it("includeObject is validated with kube's wording", () => {
    expect(parseIncludeObject(null)).toBe('Metadata');
    expect(parseIncludeObject('')).toBe('Metadata');
    expect(parseIncludeObject('None')).toBe('None');
    expect(() => parseIncludeObject('bogus')).toThrow(
      `includeObject: Invalid value: "bogus": must be 'Metadata', 'Object', 'None', or empty`,
    );
  });

  it.skipIf(!corpusPresent)('Gateway printer columns: first address only, filter on Programmed, date as age', () => {
    const p = crdTableConvertor(columnsOf('gateway-api/crds/gateway.networking.k8s.io_gateways.yaml'), () => NOW);
    expect(p.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Class', 'string'],
      ['Address', 'string'],
      ['Programmed', 'string'],
      ['Age', 'date'],
    ]);
    expect(p.columns[2].description).toBe('Custom resource definition column (in JSONPath format): .status.addresses[*].value');
    expect(p.row(gateway())).toEqual(['prod-web', 'example', '10.0.0.1', 'False', '5m']);
    const fresh = gateway();
    delete fresh.status;
    expect(p.row(fresh)).toEqual(['prod-web', 'example', null, null, '5m']);
  });

  it.skipIf(!corpusPresent)('cert-manager Certificate: Ready column with spaces around ==, priority 1 column for -o wide', () => {
    const cols = columnsOf('cert-manager/crds/cert-manager.io_certificates.yaml');
    const cert = examples('cert-manager/examples/cert-manager-resources.yaml').find((o) => o.kind === 'Certificate')!;
    const obj = {
      ...cert,
      metadata: { ...cert.metadata, creationTimestamp: '2025-01-09T12:00:00Z' },
      status: { conditions: [{ type: 'Ready', status: 'True', message: 'Certificate is up to date and has not expired' }] },
    } as KubeObject;
    const p = crdTableConvertor(cols, () => NOW);
    expect(p.columns.find((c) => c.name === 'Issuer')?.priority).toBe(1);
    const row = p.row(obj);
    const cell = (name: string) => row[p.columns.findIndex((c) => c.name === name)];
    expect(cell('Ready')).toBe('True');
    const spec = cert.spec as { secretName: string; issuerRef: { name: string } };
    expect(cell('Secret')).toBe(spec.secretName);
    expect(cell('Issuer')).toBe(spec.issuerRef.name);
    expect(cell('Status')).toBe('Certificate is up to date and has not expired');
    expect(cell('Age')).toBe('24h');
  });

  it("typed cells as apiextensions' tableconvertor: integer, number, boolean, objects as JSON, wrong type null", () => {
    const p = crdTableConvertor(
      [
        { name: 'I', type: 'integer', jsonPath: '.spec.i' },
        { name: 'N', type: 'number', jsonPath: '.spec.n' },
        { name: 'B', type: 'boolean', jsonPath: '.spec.b' },
        { name: 'S', type: 'string', jsonPath: '.spec.obj' },
        { name: 'F', type: 'string', jsonPath: '.spec.f' },
        { name: 'Bad', type: 'integer', jsonPath: '.spec.s' },
        { name: 'Nil', type: 'string', jsonPath: '.spec.nil' },
        { name: 'D', type: 'date', jsonPath: '.spec.s' },
      ],
      () => NOW,
    );
    const row = p.row({
      metadata: { name: 'a' },
      spec: { i: 3.7, n: 2, b: true, obj: { z: 1, a: '<' }, f: 1234567.5, s: 'text', nil: null },
    } as KubeObject);
    expect(row).toEqual(['a', 3, 2, true, '{"a":"\\u003c","z":1}', '1.2345675e+06', null, '<no value>', '<invalid>']);
  });

  it('CRDs without printer columns show Name and Age', () => {
    const p = crdTableConvertor(undefined, () => NOW);
    expect(p.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Age', 'date'],
    ]);
    expect(p.row({ metadata: { name: 'a', creationTimestamp: '2025-01-10T11:59:30Z' } } as KubeObject)).toEqual(['a', '30s']);
    expect(ageOf(undefined)).toBe('<unknown>');
  });
});

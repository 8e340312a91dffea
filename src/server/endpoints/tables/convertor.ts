// Server-side printing: the meta.k8s.io/v1 Table kube-apiserver returns for
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get).
// Default columns (rest.DefaultTableConvertor), the row objects includeObject
// asks for, and CRD additionalPrinterColumns evaluated as
// apiextensions-apiserver's tableconvertor does.

import type { PrinterColumn } from '../../api/apiextensions.js';
import type { TableColumn } from '../../api/descriptor.js';
import { badRequest } from '../../api/errors.js';
import { jsonPathValues, validateJSONPath } from '../../api/jsonpath.js';
import type { KubeObject } from '../../api/types.js';
import { humanDuration } from '../../registry/resources/printers.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const NAME_COLUMN: TableColumn = { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 };

/** rest.DefaultTableConvertor's columns, for kinds without a printer. */
export const DEFAULT_TABLE_COLUMNS: TableColumn[] = [
  NAME_COLUMN,
  { name: 'Created At', type: 'date', format: '', description: CREATION_TIMESTAMP_DESCRIPTION, priority: 0 },
];

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** RFC 3339 in UTC, seconds: metav1.Time as Go formats it (the zero time when unset). */
function rfc3339(ts: unknown): string {
  if (typeof ts !== 'string' || !ts) return ZERO_TIME;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? ZERO_TIME : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** rest.DefaultTableConvertor's cells: name and creationTimestamp. */
export function defaultTableRow(obj: KubeObject): unknown[] {
  return [obj.metadata?.name ?? '', rfc3339(obj.metadata?.creationTimestamp)];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** metatable.ConvertToHumanReadableDateType: `<unknown>` for no time, else the age (`5m`, `3d`). */
export function ageOf(timestamp: unknown, now = Date.now()): string {
  if (typeof timestamp !== 'string' || timestamp === '' || timestamp === 'null') return '<unknown>';
  if (!RFC3339.test(timestamp)) return '<invalid>';
  return humanDuration(now - Date.parse(timestamp));
}

/** Validates `includeObject` (400 as kube's ValidateTableOptions words it); empty means Metadata. */
export function parseIncludeObject(value: string | null | undefined): IncludeObject {
  if (value === null || value === undefined || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`includeObject: Invalid value: ${JSON.stringify(value)}: must be 'Metadata', 'Object', 'None', or empty`);
}

export interface TablePrinter {
  columns: TableColumn[];
  row(obj: KubeObject): unknown[];
}

export interface TableOptions {
  /** The kind's printer; default rest.DefaultTableConvertor (Name, Created At). */
  printer?: TablePrinter;
  includeObject?: IncludeObject;
  /** A list's metadata (resourceVersion, continue, remainingItemCount); for one object, its resourceVersion is used. */
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** Leave out columnDefinitions (watch events after the first, TableOptions.noHeaders). */
  noHeaders?: boolean;
}

export interface TableRow {
  cells: unknown[];
  object: KubeObject | null;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: Record<string, unknown>;
  columnDefinitions?: TableColumn[];
  rows: TableRow[];
}

function rowObject(obj: KubeObject, mode: IncludeObject): KubeObject | null {
  if (mode === 'None') return null;
  if (mode === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

/** The Table for a list's items (`listMeta` given) or for one object. */
export function buildTable(objects: KubeObject[], opts: TableOptions = {}): Table {
  const printer = opts.printer ?? { columns: DEFAULT_TABLE_COLUMNS, row: defaultTableRow };
  const mode = opts.includeObject ?? 'Metadata';
  const metadata: Record<string, unknown> = {};
  const lm = opts.listMeta ?? { resourceVersion: objects.length === 1 ? objects[0].metadata?.resourceVersion : undefined };
  if (lm.resourceVersion) metadata.resourceVersion = lm.resourceVersion;
  if (lm.continue) metadata.continue = lm.continue;
  if (lm.remainingItemCount !== undefined && lm.remainingItemCount !== null) metadata.remainingItemCount = lm.remainingItemCount;
  const table: Table = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, rows: [] };
  if (!opts.noHeaders) table.columnDefinitions = printer.columns;
  table.rows = objects.map((obj) => ({ cells: printer.row(obj), object: rowObject(obj, mode) }));
  return table;
}

/** Go's fmt %v of a float64 that is not an integer (strconv 'g', shortest, exponent below -4 or from 6 up). */
function goFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return String(v);
  const [mant, expText] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

/** encoding/json's output for a decoded value: map keys sorted, <, > and & escaped. */
function goJSON(v: unknown): string {
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (x && typeof x === 'object')
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]),
      );
    return x;
  };
  return JSON.stringify(sortKeys(v)).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** jsonpath PrintResults for one value (a `string` column's cell). */
function printValue(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (typeof v === 'object') return goJSON(v);
  if (typeof v === 'number') return goFloat(v);
  return String(v);
}

/** cellForJSONValue: typed cells; a value of the wrong type is null. */
function typedCell(type: string, v: unknown, now: number): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date':
      return typeof v === 'string' ? ageOf(v, now) : null;
    default:
      return null;
  }
}

/**
 * additionalPrinterColumns as a table printer: Name, then each column (its
 * JSONPath's first result; missing is null); with no columns, Name and Age
 * (kube serves a default Age column for CRDs without any).
 */
export function crdTableConvertor(columns: PrinterColumn[] | undefined, now: () => number = Date.now): TablePrinter {
  const cols: PrinterColumn[] = columns?.length
    ? columns
    : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_TIMESTAMP_DESCRIPTION }];
  const headers: TableColumn[] = [
    NAME_COLUMN,
    ...cols.map((c) => ({
      name: c.name,
      type: c.type as TableColumn['type'],
      format: c.format ?? '',
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
  // A path kube cannot parse leaves the column empty (the CRD validation refuses such paths anyway).
  const valid = cols.map((c) => validateJSONPath(c.jsonPath) === undefined);
  return {
    columns: headers,
    row(obj: KubeObject): unknown[] {
      const t = now();
      const cells: unknown[] = [obj.metadata?.name ?? ''];
      for (const [i, c] of cols.entries()) {
        const results = valid[i] ? jsonPathValues(obj, c.jsonPath) : [];
        if (results.length === 0) cells.push(null);
        else cells.push(c.type === 'string' ? printValue(results[0]) : typedCell(c.type, results[0], t));
      }
      return cells;
    },
  };
}

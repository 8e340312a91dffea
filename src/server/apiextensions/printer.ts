// additionalPrinterColumns as server-side table columns
// (apiextensions-apiserver/pkg/registry/customresource/tableconvertor).

import type { KubeObject } from '../api/types.js';
import { jsonPathValues } from '../api/jsonpath.js';
import { age, ageColumn, nameColumn } from '../registry/resources/printers.js';
import type { TableColumn } from '../registry/strategy.js';
import type { PrinterColumn } from './types.js';

const ageCol: TableColumn = { name: 'Age', type: 'date', format: '', priority: 0, description: ageColumn.description };

function cell(col: PrinterColumn, obj: KubeObject): unknown {
  let values: unknown[];
  try {
    values = jsonPathValues(obj, col.jsonPath);
  } catch {
    return null;
  }
  if (values.length === 0) return null;
  const v = values.length === 1 ? values[0] : values;
  switch (col.type) {
    case 'integer': return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number': return typeof v === 'number' ? v : null;
    case 'boolean': return typeof v === 'boolean' ? v : null;
    case 'date': return typeof v === 'string' ? age(v) : null;
    default:
      if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(' ');
      return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  }
}

export function printerColumns(cols: PrinterColumn[] | undefined): { columns: TableColumn[]; row(obj: KubeObject): unknown[] } {
  // Without printer columns a custom resource shows Name and Age.
  const list = cols && cols.length ? cols : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  const columns: TableColumn[] = [nameColumn, ...list.map((c) => (c === list[0] && !cols?.length ? ageCol : {
    name: c.name, type: c.type as TableColumn['type'], format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0,
  }))];
  return { columns, row: (obj) => [obj.metadata?.name ?? '', ...list.map((c) => cell(c, obj))] };
}

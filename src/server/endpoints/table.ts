// Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`: the
// strategy's columns or a resource's own (CRD additionalPrinterColumns), else
// kube's default Name + Created At.

import { fieldErrors, invalid } from '../api/errors.js';
import type { KubeList, KubeObject } from '../api/types.js';
import type { TableColumn } from '../registry/strategy.js';
import type { ServedResource } from './router.js';

const defaultColumns: TableColumn[] = [
  { name: 'Name', type: 'string', format: 'name', priority: 0, description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names' },
  { name: 'Created At', type: 'date', format: '', priority: 0, description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata' },
];

const defaultRow = (obj: KubeObject): unknown[] => [obj.metadata?.name ?? '', obj.metadata?.creationTimestamp ?? null];

type IncludeObject = 'None' | 'Metadata' | 'Object';

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw invalid({ group: 'meta.k8s.io', kind: 'TableOptions' }, '', [fieldErrors.notSupported('includeObject', v, ['Metadata', 'None', 'Object'])]);
}

export class TableRenderer {
  private printer(served: ServedResource): { columns: TableColumn[]; row: (obj: KubeObject) => unknown[] } {
    if (served.table) return served.table;
    const s = served.store.strategy;
    if (s.tableColumns && s.tableRow) return { columns: s.tableColumns, row: (o) => s.tableRow!(o) };
    return { columns: defaultColumns, row: defaultRow };
  }

  private rowObject(obj: KubeObject, mode: IncludeObject): KubeObject | undefined {
    if (mode === 'None') return undefined;
    if (mode === 'Object') return obj;
    return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
  }

  private table(served: ServedResource, items: KubeObject[], q: URLSearchParams, metadata: Record<string, unknown>, omitHeaders: boolean): KubeObject {
    const mode = includeObject(q);
    const p = this.printer(served);
    const rows = items.map((obj) => {
      const row: Record<string, unknown> = { cells: p.row(obj) };
      const o = this.rowObject(obj, mode);
      if (o) row.object = o;
      return row;
    });
    const t: KubeObject = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata };
    if (!omitHeaders) t.columnDefinitions = p.columns;
    t.rows = rows;
    return t;
  }

  objectTable(served: ServedResource, obj: KubeObject, q: URLSearchParams, omitHeaders = false): KubeObject {
    return this.table(served, [obj], q, { resourceVersion: obj.metadata?.resourceVersion ?? '' }, omitHeaders);
  }

  listTable(served: ServedResource, list: KubeList, q: URLSearchParams): KubeObject {
    return this.table(served, list.items, q, { ...list.metadata }, false);
  }
}

// Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`: a resource's
// own printer (CRD additionalPrinterColumns), its strategy's columns, or kube's
// default Name + Created At.

import type { KubeList, KubeObject } from '../../api/types.js';
import type { ServedResource } from '../router.js';
import { buildTable, parseIncludeObject, type TablePrinter } from './convertor.js';

export class TableRenderer {
  private printer(served: ServedResource): TablePrinter | undefined {
    if (served.table) return served.table;
    const s = served.store.strategy;
    if (s.tableColumns && s.tableRow) return { columns: s.tableColumns, row: (o) => s.tableRow!(o) };
    return undefined;
  }

  objectTable(served: ServedResource, obj: KubeObject, q: URLSearchParams, omitHeaders = false): KubeObject {
    return buildTable([obj], {
      printer: this.printer(served),
      includeObject: parseIncludeObject(q.get('includeObject')),
      noHeaders: omitHeaders,
    }) as unknown as KubeObject;
  }

  listTable(served: ServedResource, list: KubeList, q: URLSearchParams): KubeObject {
    const order = served.table ? undefined : served.store.strategy.tableRowOrder;
    return buildTable(order ? [...list.items].sort(order) : list.items, {
      printer: this.printer(served),
      includeObject: parseIncludeObject(q.get('includeObject')),
      listMeta: list.metadata,
    }) as unknown as KubeObject;
  }
}

// Shared pieces of kube's printers (pkg/printers/internalversion) for table columns.

import type { TableColumn } from '../../api/descriptor.js';
import type { KubeObject } from '../../api/types.js';

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: `<unknown>` for a missing time. */
export function age(timestamp: unknown): string {
  if (typeof timestamp !== 'string' || !timestamp) return '<unknown>';
  return humanDuration(Date.now() - Date.parse(timestamp));
}

export const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  priority: 0,
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
};

export const ageColumn: TableColumn = {
  name: 'Age',
  type: 'string',
  format: '',
  priority: 0,
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
};

export function column(name: string, type: TableColumn['type'], description: string, priority = 0): TableColumn {
  return { name, type, format: '', description, priority };
}

export function objName(obj: KubeObject): string {
  return obj.metadata?.name ?? '';
}

export function countKeys(...maps: unknown[]): number {
  let n = 0;
  for (const m of maps) if (m && typeof m === 'object') n += Object.keys(m).length;
  return n;
}

/** labels.FormatLabels: `k=v` pairs sorted by key, comma-joined; `<none>` when empty. */
export function formatLabels(m: unknown): string {
  if (!m || typeof m !== 'object') return '<none>';
  const keys = Object.keys(m).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${String((m as Record<string, unknown>)[k])}`).join(',');
}

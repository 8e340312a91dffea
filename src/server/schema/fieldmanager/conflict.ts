// kube-apiserver's answer to apply conflicts (managedfields internal/conflict.go):
// 409 Conflict, `Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas`,
// one FieldManagerConflict cause per conflicting field.

import { applyConflict, type StatusError } from '../../api/errors.js';
import type { Conflict } from './managers.js';
import { pathString } from './path.js';

/** printManager: `"kubectl"` for an applier, `"kubectl" using apps/v1` for an updater, with its subresource. */
export function printManager(identifier: string): string {
  let e: { manager?: string; operation?: string; apiVersion?: string; subresource?: string };
  try {
    e = JSON.parse(identifier) as typeof e;
  } catch {
    return JSON.stringify(identifier);
  }
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s = `${s} with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${s} using ${e.apiVersion ?? ''}` : s;
}

function conflictMessage(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 1)
    return `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const paths = byManager.get(c.manager) ?? [];
    paths.push(pathString(c.path));
    byManager.set(c.manager, paths);
  }
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${printManager(m)}:`);
    for (const p of byManager.get(m)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** NewConflictError: the Status for an apply refused with `conflicts`. */
export function applyConflictStatus(conflicts: readonly Conflict[]): StatusError {
  return applyConflict(
    conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${printManager(c.manager)}`,
      field: pathString(c.path),
    })),
    conflictMessage(conflicts),
  );
}

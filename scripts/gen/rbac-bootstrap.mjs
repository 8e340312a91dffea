#!/usr/bin/env node
// Generates src/server/registry/resources/rbac-bootstrap.json: the RBAC bootstrap policy kube-apiserver
// 1.32 creates at startup (its `rbac/bootstrap-roles` post-start hook), from the golden files kube keeps
// of it (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/):
//
//   node scripts/gen/rbac-bootstrap.mjs <testdata dir> [--out <file>]
//
// The directory holds cluster-roles.yaml, cluster-role-bindings.yaml, namespace-roles.yaml,
// namespace-role-bindings.yaml and controller-roles.yaml (each a v1 List). The controller roles'
// bindings are made as kube's ControllerRoleBindings makes them: `system:controller:<name>` bound to
// the kube-system ServiceAccount `<name>`. Fields the golden files carry for the wire but a create
// must not (creationTimestamp: null) are dropped; `rules: null` is kept (Go writes it).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseCommandLine, root, writeFormattedJSON } from './lib.mjs';

const { positional, flags } = parseCommandLine(process.argv.slice(2), 1, 'rbac-bootstrap.mjs <testdata dir> [--out file]');
const dir = positional[0];
const out = flags.out ?? path.join(root, 'src/server/registry/resources/rbac-bootstrap.json');

const CONTROLLER_PREFIX = 'system:controller:';

function items(file) {
  const doc = parse(readFileSync(path.join(dir, file), 'utf8'), { merge: true, maxAliasCount: -1 });
  if (doc?.kind !== 'List' || !Array.isArray(doc.items)) throw new Error(`${file}: not a v1 List`);
  return doc.items.map((item) => {
    // A fresh copy: YAML aliases would otherwise share objects between items.
    const obj = JSON.parse(JSON.stringify(item));
    const { creationTimestamp: _, ...metadata } = obj.metadata;
    return { ...obj, apiVersion: 'rbac.authorization.k8s.io/v1', metadata };
  });
}

const controllerRoles = items('controller-roles.yaml');
const controllerBindings = controllerRoles.map((role) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: role.metadata,
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
  subjects: [{ kind: 'ServiceAccount', name: role.metadata.name.slice(CONTROLLER_PREFIX.length), namespace: 'kube-system' }],
}));

const byKind = (list, kind) => {
  for (const o of list) if (o.kind !== kind) throw new Error(`expected ${kind}, found ${o.kind} ${o.metadata?.name}`);
  return list;
};

writeFormattedJSON(out, {
  clusterRoles: byKind([...items('cluster-roles.yaml'), ...controllerRoles], 'ClusterRole'),
  clusterRoleBindings: byKind([...items('cluster-role-bindings.yaml'), ...controllerBindings], 'ClusterRoleBinding'),
  roles: byKind(items('namespace-roles.yaml'), 'Role'),
  roleBindings: byKind(items('namespace-role-bindings.yaml'), 'RoleBinding'),
});
console.log(`wrote ${path.relative(root, out)}`);

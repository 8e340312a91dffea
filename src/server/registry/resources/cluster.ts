// Cluster-wide API groups: rbac.authorization.k8s.io, storage.k8s.io,
// scheduling.k8s.io, node.k8s.io, certificates.k8s.io,
// admissionregistration.k8s.io, apiregistration.k8s.io,
// flowcontrol.apiserver.k8s.io, events.k8s.io.

import type { BuiltinResource } from '../builtin.js';

export const clusterResources: BuiltinResource[] = [];

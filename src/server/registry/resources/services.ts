// Networking and the cluster's core/v1 infrastructure: services, endpoints,
// nodes, persistent volumes and claims, quotas, limit ranges, component
// statuses; discovery.k8s.io/v1; networking.k8s.io/v1.

import type { BuiltinResource } from '../builtin.js';

export const serviceResources: BuiltinResource[] = [];

// core/v1 pods (and their subresources), podtemplates, replicationcontrollers,
// and the pod template defaulting and validation every workload shares.

import type { BuiltinResource } from '../builtin.js';

export const podResources: BuiltinResource[] = [];

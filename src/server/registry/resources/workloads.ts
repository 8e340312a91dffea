// Workloads: core/v1 pods, podtemplates, replicationcontrollers; apps/v1;
// batch/v1; autoscaling/v1 and v2; policy/v1.

import type { BuiltinResource } from '../builtin.js';

export const workloadResources: BuiltinResource[] = [];

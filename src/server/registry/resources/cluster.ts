// Cluster-wide API groups: rbac.authorization.k8s.io, storage.k8s.io,
// scheduling.k8s.io, node.k8s.io, certificates.k8s.io,
// admissionregistration.k8s.io, apiregistration.k8s.io,
// flowcontrol.apiserver.k8s.io, events.k8s.io. One file per group beside this one.

import type { BuiltinResource } from '../builtin.js';
import { admissionRegistrationResources } from './admissionregistration.js';
import { apiRegistrationResources } from './apiregistration.js';
import { certificatesResources } from './certificates.js';
import { eventsResources } from './events.js';
import { flowControlResources } from './flowcontrol.js';
import { rbacResources } from './rbac.js';
import { schedulingResources } from './scheduling.js';
import { storageResources } from './storage.js';

export const clusterResources: BuiltinResource[] = [
  ...rbacResources,
  ...storageResources,
  ...schedulingResources,
  ...certificatesResources,
  ...admissionRegistrationResources,
  ...apiRegistrationResources,
  ...flowControlResources,
  ...eventsResources,
];

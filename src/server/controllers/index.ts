// Controllers kube-apiserver runs in-process for the cluster-wide APIs (post-start
// hooks): the local APIServices (autoregister, crdregistration) and the APF
// configuration's FlowSchema conditions. They act through the served resources' stores.

import type { ResourceRouter } from '../endpoints/router.js';
import { APIServiceRegistration } from './apiservices.js';
import { FlowSchemaConditions } from './flowschemas.js';

export interface ClusterControllers {
  apiServices: APIServiceRegistration;
  /** Resolves when what was observed so far is reconciled (tests). */
  idle(): Promise<void>;
  stop(): void;
}

/** Starts the controllers; resolves once each has reconciled the current state. */
export async function startClusterControllers(router: ResourceRouter): Promise<ClusterControllers> {
  const apiServices = new APIServiceRegistration(router);
  const flowSchemas = new FlowSchemaConditions(router);
  await Promise.all([apiServices.start(), flowSchemas.start()]);
  return {
    apiServices,
    idle: () => apiServices.idle(),
    stop() {
      apiServices.stop();
      flowSchemas.stop();
    },
  };
}

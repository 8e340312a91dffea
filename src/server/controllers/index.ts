// Controllers kube-apiserver runs in-process for the cluster-wide APIs (post-start
// hooks): the local APIServices (autoregister, crdregistration) and the APF
// configuration's FlowSchema conditions. Beside them, opt-in (`--controllers`), some of
// kube-controller-manager's: namespace deletion, garbage collection, the default
// ServiceAccount and the root CA ConfigMap, on one shared informer. They all act
// through the served resources' stores. The post-start hooks run in every server
// on one etcd, as in kube (their writes converge); the opt-in ones run only while
// this server holds the kube-system/kube-controller-manager Lease, as
// kube-controller-manager runs them under leader election, so two servers never
// run them at once.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { OpenAPIRegistry } from '../endpoints/openapi/registry.js';
import type { ResourceRouter } from '../endpoints/router.js';
import { APIServiceRegistration, type FirstCreate } from './apiservices.js';
import { ControllerClock } from './clock.js';
import { CronJobController } from './cronjob.js';
import { DaemonSetController } from './daemonset.js';
import { DeploymentController } from './deployment.js';
import { EndpointsController } from './endpoints.js';
import { FlowSchemaConditions } from './flowschemas.js';
import { GarbageCollector } from './garbagecollector.js';
import { ClusterInformer } from './informers.js';
import { JobController } from './job.js';
import { type LeaderElectionTiming, LeaderElector } from './leader-election.js';
import type { ControllerName } from './names.js';
import { NamespaceController } from './namespace.js';
import { type NodeSimulation, NodeSimulator } from './nodes.js';
import { defaultServiceAccount, PerNamespaceController, rootCAConfigMap } from './per-namespace.js';
import { ValidatingAdmissionPolicyStatus } from './policy-status.js';
import { PVCProtectionController } from './pvc-protection.js';
import { ReplicaSetController } from './replicaset.js';
import { ResourceQuotaController } from './resourcequota.js';
import { StatefulSetController } from './statefulset.js';

export interface ClusterControllers {
  apiServices: APIServiceRegistration;
  /** Resolves when what was observed so far is reconciled (tests). */
  idle(): Promise<void>;
  /** Stops them all; resolves once a held controller-manager Lease is released. */
  stop(): Promise<void>;
}

export interface ControllerOptions {
  /** kube-controller-manager controllers to run (`--controllers`); none by default. */
  enabled?: ControllerName[];
  /** The cluster CA published as `kube-root-ca.crt`. */
  rootCaPem?: string;
  /** Simulated nodes (`--nodes`); with workload controllers and no count given, one node. */
  simulation?: Partial<NodeSimulation>;
  /** The time the controllers read (the cronjob controller's schedules); the wall clock by default. */
  clock?: ControllerClock;
  /** The served kinds' schemas: with them, ValidatingAdmissionPolicies get status.typeChecking. */
  openapi?: OpenAPIRegistry;
  /** The opt-in controllers' leader election (kube-controller-manager's --leader-elect-*); false runs them unelected. */
  leaderElection?: false | LeaderElectionTiming;
  /** How the first pass over an empty store stores the local APIServices (from the bootstrap seed when there is one). */
  apiServicesFirstCreate?: FirstCreate;
}

const WORKLOADS: ControllerName[] = [
  'deployment-controller',
  'replicaset-controller',
  'job-controller',
  'daemonset-controller',
  'statefulset-controller',
];

interface Running {
  idle(): Promise<void>;
  stop(): void;
}

/** The opt-in controllers on one informer; resolves once the informer has listed what exists. */
async function startOptional(router: ResourceRouter, opts: ControllerOptions): Promise<Running[]> {
  const enabled = new Set(opts.enabled ?? []);
  if (!enabled.size && !opts.simulation?.nodes) return [];
  const informer = new ClusterInformer(router);
  const running: Running[] = [];
  if (enabled.has('namespace-controller')) running.push(new NamespaceController(router, informer));
  if (enabled.has('garbage-collector-controller')) running.push(new GarbageCollector(router, informer));
  if (enabled.has('service-account-controller')) running.push(new PerNamespaceController(router, informer, defaultServiceAccount()));
  if (enabled.has('root-ca-certificate-publisher-controller') && opts.rootCaPem)
    running.push(new PerNamespaceController(router, informer, rootCAConfigMap(opts.rootCaPem)));
  if (enabled.has('resourcequota-controller')) running.push(new ResourceQuotaController(router, informer));
  if (enabled.has('deployment-controller')) running.push(new DeploymentController(router, informer));
  if (enabled.has('replicaset-controller')) running.push(new ReplicaSetController(router, informer));
  if (enabled.has('job-controller')) running.push(new JobController(router, informer));
  if (enabled.has('persistentvolumeclaim-protection-controller')) running.push(new PVCProtectionController(router, informer));
  if (enabled.has('cronjob-controller')) running.push(new CronJobController(router, informer, opts.clock ?? new ControllerClock()));
  if (enabled.has('daemonset-controller')) running.push(new DaemonSetController(router, informer));
  if (enabled.has('statefulset-controller')) running.push(new StatefulSetController(router, informer));
  const slices = enabled.has('endpointslice-controller');
  const endpoints = enabled.has('endpoints-controller');
  if (slices || endpoints) running.push(new EndpointsController(router, informer, { slices, endpoints }));
  const nodes = opts.simulation?.nodes ?? (WORKLOADS.some((w) => enabled.has(w)) ? 1 : 0);
  let simulator: NodeSimulator | undefined;
  if (nodes > 0) running.push((simulator = new NodeSimulator(router, informer, { ...opts.simulation, nodes })));
  await simulator?.start();
  await informer.start();
  running.push({ idle: async () => {}, stop: () => informer.stop() });
  return running;
}

/** Starts the controllers; resolves once each has reconciled the current state. */
export async function startClusterControllers(router: ResourceRouter, opts: ControllerOptions = {}): Promise<ClusterControllers> {
  const apiServices = new APIServiceRegistration(router, opts.apiServicesFirstCreate);
  const flowSchemas = new FlowSchemaConditions(router);
  const policyStatus = opts.openapi ? new ValidatingAdmissionPolicyStatus(router, opts.openapi) : undefined;
  await Promise.all([apiServices.start(), flowSchemas.start(), policyStatus?.start()]);
  let optional: Running[] = [];
  let elector: LeaderElector | undefined;
  const wanted = (opts.enabled?.length ?? 0) > 0 || !!opts.simulation?.nodes;
  if (wanted && opts.leaderElection !== false) {
    elector = new LeaderElector(router, {
      ...opts.leaderElection,
      namespace: 'kube-system',
      name: 'kube-controller-manager',
      identity: `${hostname()}_${randomUUID()}`,
      onStartedLeading: async () => {
        optional = await startOptional(router, opts);
      },
      onStoppedLeading: () => {
        for (const c of optional) c.stop();
        optional = [];
      },
    });
    await elector.start();
  } else optional = await startOptional(router, opts);
  return {
    apiServices,
    idle: async () => {
      await apiServices.idle();
      await policyStatus?.idle();
      await Promise.all(optional.map((c) => c.idle()));
    },
    async stop() {
      const released = elector?.stop();
      for (const c of optional) c.stop();
      apiServices.stop();
      flowSchemas.stop();
      policyStatus?.stop();
      await released;
    },
  };
}

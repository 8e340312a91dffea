// The pods subresources beside status: binding and eviction
// (pkg/registry/core/pod/storage/storage.go BindingREST, eviction.go
// EvictionREST), ephemeralcontainers, and the kubelet-backed log, exec,
// attach, portforward and proxy (pkg/registry/core/pod/rest and strategy.go
// LogLocation/streamLocation/ResourceLocation), answered as kube-apiserver
// answers when there is no kubelet to reach: the pod's own errors first
// (unknown container, no node assigned), then the node's (`nodes "x" not
// found`), then the failed dial.

import {
  badRequest,
  conflict,
  type FieldError,
  fieldErrorMessage,
  fieldErrors,
  forbidden,
  invalid,
  isStatusError,
  notFound,
  type Status,
  StatusError,
  successStatus,
  tooManyRequests,
  unknownError,
} from '../../api/errors.js';
import { labelSelectorAsSelector } from '../../api/selectors/labels.js';
import type { KubeObject } from '../../api/types.js';
import { nowRFC3339 } from '../meta.js';
import type { DeleteParams } from '../store.js';
import type { RequestContext } from '../strategy.js';
import type { SubresourceCall, SubresourceREST } from '../subresource.js';
import { numOf, type Obj, objOf, objsOf, strOf } from './values.js';

const PODS = { group: '', resource: 'pods' };

/** errs.ToAggregate(): one error's text, or several in brackets. */
function aggregate(errs: FieldError[]): string {
  const msgs = errs.map(fieldErrorMessage);
  return msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
}

// ---------------------------------------------------------------------------
// pods/binding
// ---------------------------------------------------------------------------

/** A plain error inside the binding's update: kube wraps it as a Conflict on pods/binding. */
class BindingRefused extends Error {}

async function createBinding(call: SubresourceCall, body: Obj): Promise<Status> {
  const meta = objOf(body.metadata) ?? {};
  if (strOf(meta.name) !== call.name) throw badRequest('name in URL does not match name in Binding object');
  const target = objOf(body.target) ?? {};
  const errs: FieldError[] = [];
  if (strOf(target.kind) && target.kind !== 'Node') errs.push(fieldErrors.notSupported('target.kind', target.kind, ['Node', '<empty>']));
  if (!strOf(target.name)) errs.push(fieldErrors.required('target.name'));
  // ValidatePodBinding's errors reach the client as a plain error (errs.ToAggregate()).
  if (errs.length) throw unknownError(aggregate(errs));
  const { store, ctx } = call;
  // The pod's storage key needs a name (genericregistry.NamespaceKeyFunc); only a top-level Binding can lack one.
  if (!call.name) throw badRequest('Name parameter required.');
  const preconditions =
    strOf(meta.uid) || strOf(meta.resourceVersion)
      ? { uid: strOf(meta.uid) || undefined, resourceVersion: strOf(meta.resourceVersion) || undefined }
      : undefined;
  const annotations = (objOf(meta.annotations) ?? {}) as Record<string, string>;
  try {
    await store.storage.guaranteedUpdate(
      store.key(ctx.namespace ?? '', call.name),
      (cur) => {
        if (!cur) throw notFound(PODS, call.name);
        const pod = structuredClone(cur);
        const spec = objOf(pod.spec) ?? {};
        const name = pod.metadata?.name ?? call.name;
        if (pod.metadata?.deletionTimestamp) throw new BindingRefused(`pod ${name} is being deleted, cannot be assigned to a host`);
        if (strOf(spec.nodeName)) throw new BindingRefused(`pod ${name} is already assigned to node "${strOf(spec.nodeName)}"`);
        if (objsOf(spec.schedulingGates).length) throw new BindingRefused(`pod ${name} has non-empty .spec.schedulingGates`);
        spec.nodeName = strOf(target.name);
        pod.spec = spec;
        const m = pod.metadata ?? {};
        if (Object.keys(annotations).length) m.annotations = { ...(m.annotations ?? {}), ...annotations };
        setPodCondition(pod, { type: 'PodScheduled', status: 'True' });
        return pod;
      },
      { preconditions, dryRun: ctx.dryRun },
    );
  } catch (e) {
    if (e instanceof BindingRefused) throw conflict({ group: '', resource: 'pods/binding' }, call.name, e.message);
    throw store.mapStorageError(e, call.name);
  }
  return successStatus();
}

/**
 * POST /api/v1/namespaces/{ns}/bindings (LegacyBindingREST): pods/binding for the pod the body names,
 * through the pods' Store, with the same checks and errors.
 */
export async function createLegacyBinding(call: SubresourceCall, body: Obj): Promise<Status> {
  const pods = call.lookup('', 'pods');
  if (!pods) throw notFound(PODS, strOf(objOf(body.metadata)?.name));
  return createBinding({ ...call, name: strOf(objOf(body.metadata)?.name), store: pods.store }, body);
}

/** podutil.UpdatePodCondition: a new or changed condition, its transition time kept while the status holds. */
function setPodCondition(pod: KubeObject, condition: { type: string; status: string }): void {
  const status = objOf(pod.status) ?? {};
  pod.status = status;
  const conditions = objsOf(status.conditions);
  const now = nowRFC3339();
  const i = conditions.findIndex((c) => c.type === condition.type);
  const next: Obj = { type: condition.type, status: condition.status, lastProbeTime: null, lastTransitionTime: now };
  if (i < 0) conditions.push(next);
  else {
    if (conditions[i].status === condition.status) next.lastTransitionTime = conditions[i].lastTransitionTime ?? null;
    conditions[i] = next;
  }
  status.conditions = conditions;
}

// ---------------------------------------------------------------------------
// pods/eviction
// ---------------------------------------------------------------------------

const EVICTION_RETRIES = 20;
const MAX_DISRUPTED_POD_SIZE = 2000;
const VIOLATES_BUDGET = "Cannot evict pod as it would violate the pod's disruption budget.";

function budgetBeingProcessed(pdbName: string): StatusError {
  return tooManyRequests(VIOLATES_BUDGET, 10, [
    { reason: 'DisruptionBudget', message: `The disruption budget ${pdbName} is still being processed by the server.` },
  ]);
}

/** The Eviction's deleteOptions as the pod delete takes them, and whether it asked for a dry run. */
function evictionDeleteParams(eviction: Obj, ctx: RequestContext): DeleteParams {
  const o = objOf(eviction.deleteOptions) ?? {};
  // propagateDryRun: the request's and the body's dry-run options must agree when both are given.
  const bodyDryRun = Array.isArray(o.dryRun) ? o.dryRun.map(String) : [];
  if (bodyDryRun.length && ctx.dryRun && bodyDryRun.join(' ') !== 'All') {
    throw unknownError(`Non-matching dry-run options in request and content: [All] and [${bodyDryRun.join(' ')}]`);
  }
  if (bodyDryRun.includes('All')) ctx.dryRun = true;
  const params: DeleteParams = {};
  if (typeof o.gracePeriodSeconds === 'number') params.gracePeriodSeconds = o.gracePeriodSeconds < 0 ? 1 : o.gracePeriodSeconds;
  const pre = objOf(o.preconditions);
  if (pre) params.preconditions = { uid: strOf(pre.uid) || undefined, resourceVersion: strOf(pre.resourceVersion) || undefined };
  if (typeof o.propagationPolicy === 'string') params.propagationPolicy = o.propagationPolicy as DeleteParams['propagationPolicy'];
  if (typeof o.orphanDependents === 'boolean') params.orphanDependents = o.orphanDependents;
  return params;
}

const isTerminal = (pod: KubeObject): boolean => ['Succeeded', 'Failed'].includes(strOf(objOf(pod.status)?.phase));
const isPodReady = (pod: KubeObject): boolean =>
  objsOf(objOf(pod.status)?.conditions).some((c) => c.type === 'Ready' && c.status === 'True');

function isConflict(e: unknown): boolean {
  return isStatusError(e) && e.code === 409;
}

/** checkAndDecrement: the budget allows one more disruption, recorded in its status (unless a dry run). */
async function checkAndDecrement(call: SubresourceCall, podName: string, pdb: KubeObject): Promise<void> {
  const ref = call.lookup('policy', 'poddisruptionbudgets')!;
  const name = pdb.metadata?.name ?? '';
  const status = objOf(pdb.status) ?? {};
  if (numOf(status.observedGeneration) < (pdb.metadata?.generation ?? 0)) throw budgetBeingProcessed(name);
  const allowed = numOf(status.disruptionsAllowed);
  const pdbResource = { group: 'policy', resource: 'poddisruptionbudget' };
  if (allowed < 0) throw forbidden(pdbResource, name, 'pdb disruptions allowed is negative');
  if (Object.keys(objOf(status.disruptedPods) ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
    throw forbidden(pdbResource, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw tooManyRequests(VIOLATES_BUDGET, 0, [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${name} needs ${numOf(status.desiredHealthy)} healthy pods and has ${numOf(status.currentHealthy)} currently`,
      },
    ]);
  }
  if (call.ctx.dryRun) return;
  const next = structuredClone(pdb);
  const s = objOf(next.status) ?? {};
  s.disruptionsAllowed = allowed - 1;
  if (allowed - 1 === 0) {
    // pdbhelper.UpdateDisruptionAllowedCondition.
    const conditions = objsOf(s.conditions);
    const i = conditions.findIndex((c) => c.type === 'DisruptionAllowed');
    const c: Obj = {
      type: 'DisruptionAllowed',
      status: 'False',
      observedGeneration: numOf(s.observedGeneration),
      lastTransitionTime: nowRFC3339(),
      reason: 'InsufficientPods',
      message: '',
    };
    if (i < 0) conditions.push(c);
    else {
      if (conditions[i].status === 'False') c.lastTransitionTime = conditions[i].lastTransitionTime;
      conditions[i] = c;
    }
    s.conditions = conditions;
  }
  s.disruptedPods = { ...(objOf(s.disruptedPods) ?? {}), [podName]: nowRFC3339() };
  next.status = s;
  await ref.store.update({ ...call.ctx, subresource: 'status' }, name, () => structuredClone(next));
}

/** The budgets in the pod's namespace whose selector matches it (an empty or invalid selector matches nothing). */
async function podBudgets(call: SubresourceCall, pod: KubeObject): Promise<KubeObject[]> {
  const ref = call.lookup('policy', 'poddisruptionbudgets');
  if (!ref) return [];
  const pdbs = await ref.lister.list({ namespace: pod.metadata?.namespace ?? '' });
  return pdbs.items.filter((pdb) => {
    try {
      const sel = labelSelectorAsSelector(objOf(pdb.spec)?.selector);
      return !sel.isEmpty() && sel.matches(pod.metadata?.labels);
    } catch {
      return false;
    }
  });
}

async function createEviction(call: SubresourceCall, body: Obj): Promise<Status> {
  const meta = objOf(body.metadata) ?? {};
  if (strOf(meta.name) !== call.name) throw badRequest('name in URL does not match name in Eviction object');
  const ctx = call.ctx;
  const params = evictionDeleteParams(body, ctx);
  const rvUnset = params.preconditions?.resourceVersion === undefined;
  let pod: KubeObject | undefined;
  // Pods that have already disrupted (terminal, pending, being deleted) are deleted without asking a budget.
  for (let attempt = 0; ; attempt++) {
    pod = await call.store.get(ctx, call.name);
    const canIgnore = isTerminal(pod) || strOf(objOf(pod.status)?.phase) === 'Pending' || !!pod.metadata?.deletionTimestamp;
    if (!canIgnore) break;
    const p: DeleteParams = { ...params };
    if (!isTerminal(pod) && !pod.metadata?.deletionTimestamp && rvUnset) {
      p.preconditions = { ...p.preconditions, resourceVersion: pod.metadata?.resourceVersion };
    }
    try {
      await call.store.delete(ctx, call.name, p);
      return successStatus();
    } catch (e) {
      if (!(rvUnset && isConflict(e) && attempt < EVICTION_RETRIES)) throw e;
    }
  }
  const pdbs = await podBudgets(call, pod);
  if (pdbs.length > 1)
    throw unknownError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  let updateDeletionOptions = false;
  let pdbName = '';
  if (pdbs.length === 1) {
    let pdb = pdbs[0];
    pdbName = pdb.metadata?.name ?? '';
    const status = objOf(pdb.status) ?? {};
    const alwaysAllow = objOf(pdb.spec)?.unhealthyPodEvictionPolicy === 'AlwaysAllow';
    const enoughHealthy = numOf(status.currentHealthy) >= numOf(status.desiredHealthy) && numOf(status.desiredHealthy) > 0;
    if (!isPodReady(pod) && (alwaysAllow || enoughHealthy)) updateDeletionOptions = true;
    else {
      for (let attempt = 0; ; attempt++) {
        try {
          await checkAndDecrement(call, call.name, pdb);
          break;
        } catch (e) {
          if (!isConflict(e)) throw e;
          if (attempt >= EVICTION_RETRIES) throw budgetConflicts(pdbName);
          pdb = await call.lookup('policy', 'poddisruptionbudgets')!.store.get(ctx, pdbName);
        }
      }
    }
  }
  const p: DeleteParams = { ...params };
  if (updateDeletionOptions) p.preconditions = { ...p.preconditions, resourceVersion: pod.metadata?.resourceVersion };
  try {
    await call.store.delete(ctx, call.name, p);
  } catch (e) {
    if (isConflict(e) && updateDeletionOptions && rvUnset) throw budgetBeingProcessed(pdbName);
    throw e;
  }
  return successStatus();
}

/** wait.ErrWaitTimeout after the conflict retries: NewTimeoutError. */
function budgetConflicts(pdbName: string): StatusError {
  return new StatusError(504, 'Timeout', `Timeout: couldn't update PodDisruptionBudget "${pdbName}" due to conflicts`, {
    retryAfterSeconds: 10,
  });
}

// ---------------------------------------------------------------------------
// pods/log, exec, attach, portforward, proxy
// ---------------------------------------------------------------------------

/** validateContainer: the named container must exist; without one, the pod must have exactly one. */
function containerFor(pod: KubeObject, requested: string): string {
  const spec = objOf(pod.spec) ?? {};
  const name = pod.metadata?.name ?? '';
  const all = [...objsOf(spec.initContainers), ...objsOf(spec.containers), ...objsOf(spec.ephemeralContainers)].map((c) => strOf(c.name));
  if (requested) {
    if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const containers = objsOf(spec.containers);
  if (containers.length === 1) return strOf(containers[0].name);
  if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
  throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
}

const KUBELET_PORT = 10250;
const ADDRESS_PREFERENCE = ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'];

/** NodeConnectionInfoGetter: the node's kubelet address; the node must exist and report one. */
async function kubeletAddress(call: SubresourceCall, nodeName: string): Promise<string> {
  const nodes = call.lookup('', 'nodes');
  if (!nodes) throw notFound({ group: '', resource: 'nodes' }, nodeName);
  const node = await nodes.store.get({ ...call.ctx, namespace: '' }, nodeName);
  const status = objOf(node.status) ?? {};
  const addresses = objsOf(status.addresses);
  const host = ADDRESS_PREFERENCE.map((t) => addresses.find((a) => a.type === t)).find((a) => a && strOf(a.address));
  if (!host) {
    throw unknownError(
      `no preferred addresses found; known addresses: [${addresses.map((a) => `{${strOf(a.type)} ${strOf(a.address)}}`).join(' ')}]`,
    );
  }
  const port = numOf(objOf(objOf(status.daemonEndpoints)?.kubeletEndpoint)?.Port);
  const h = strOf(host.address);
  return `${h.includes(':') ? `[${h}]` : h}:${port > 0 ? port : KUBELET_PORT}`;
}

/** What dialing a kubelet gives here: nothing listens for it. */
function dialFailure(address: string, what: string): StatusError {
  return unknownError(`${what}dial tcp ${address}: connect: connection refused`);
}

/** A query parameter as an int64 (PodLogOptions' integer fields). */
function intParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^[+-]?\d+$/.test(raw)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
  return Number(raw);
}

/** ValidatePodLogOptions. */
function validateLogOptions(q: URLSearchParams, name: string): void {
  const errs: FieldError[] = [];
  const tail = intParam(q, 'tailLines');
  if (tail !== undefined && tail < 0) errs.push(fieldErrors.invalid('tailLines', tail, 'must be greater than or equal to 0'));
  const limit = intParam(q, 'limitBytes');
  if (limit !== undefined && limit < 1) errs.push(fieldErrors.invalid('limitBytes', limit, 'must be greater than 0'));
  const since = intParam(q, 'sinceSeconds');
  if (since !== undefined && q.get('sinceTime')) {
    errs.push(fieldErrors.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  } else if (since !== undefined && since < 1) errs.push(fieldErrors.invalid('sinceSeconds', since, 'must be greater than 0'));
  if (errs.length) throw invalid({ group: '', kind: 'PodLogOptions' }, name, errs);
}

async function podLog(call: SubresourceCall): Promise<{ contentType: string; body: string }> {
  validateLogOptions(call.query, call.name);
  const pod = await call.store.get(call.ctx, call.name);
  const container = containerFor(pod, call.query.get('container') ?? '');
  const nodeName = strOf(objOf(pod.spec)?.nodeName);
  // A pod no node runs yet has no log: LocationStreamer with no location streams nothing.
  if (!nodeName) return { contentType: 'text/plain', body: '' };
  const address = await kubeletAddress(call, nodeName);
  const ns = pod.metadata?.namespace ?? '';
  throw dialFailure(address, `Get "https://${address}/containerLogs/${ns}/${call.name}/${container}": `);
}

/** streamLocation (exec, attach) and PortForwardLocation. */
function stream(path: 'exec' | 'attach' | 'portforward'): (call: SubresourceCall) => Promise<never> {
  return async (call) => {
    const pod = await call.store.get(call.ctx, call.name);
    if (path !== 'portforward') containerFor(pod, call.query.get('container') ?? '');
    const nodeName = strOf(objOf(pod.spec)?.nodeName);
    if (!nodeName) throw badRequest(`pod ${call.name} does not have a host assigned`);
    throw dialFailure(await kubeletAddress(call, nodeName), 'error dialing backend: ');
  };
}

/** pod.ResourceLocation: the proxy goes to the pod's IP, which only a running pod has. */
async function podProxy(call: SubresourceCall): Promise<never> {
  const podName = call.name.split(':').length === 3 ? call.name.split(':')[1] : call.name.split(':')[0];
  const pod = await call.store.get(call.ctx, podName);
  const status = objOf(pod.status) ?? {};
  const ip = strOf(objsOf(status.podIPs)[0]?.ip) || strOf(status.podIP);
  if (!ip) throw badRequest('address not allowed');
  throw new StatusError(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${ip}: connect: connection refused`);
}

export const podSubresources: SubresourceREST[] = [
  { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'], handler: 'connect', connect: stream('attach') },
  {
    name: 'binding',
    kind: 'Binding',
    verbs: ['create'],
    handler: 'create',
    model: 'V1Binding',
    acceptedVersions: ['v1'],
    create: createBinding,
  },
  { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'], handler: 'update' },
  {
    name: 'eviction',
    group: 'policy',
    version: 'v1',
    kind: 'Eviction',
    verbs: ['create'],
    handler: 'create',
    model: 'V1Eviction',
    acceptedVersions: ['policy/v1', 'policy/v1beta1'],
    create: createEviction,
  },
  { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'], handler: 'connect', connect: stream('exec') },
  { name: 'log', kind: 'Pod', verbs: ['get'], handler: 'connect', connect: podLog },
  { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'], handler: 'connect', connect: stream('portforward') },
  { name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'], handler: 'connect', connect: podProxy },
];

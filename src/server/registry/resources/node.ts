// core/v1 Node (pkg/registry/core/node): cluster-scoped, status written by
// its kubelet (kept on create, a subresource afterwards), ValidateNode and
// ValidateNodeUpdate, the spec.unschedulable field selector, printNode, and
// nodes/proxy as the API server answers it with no kubelet to reach.

import { connect as netConnect } from 'node:net';
import { badRequest, type FieldError, fieldErrors, GoValue, serviceUnavailable, unknownError } from '../../api/errors.js';
import { isQualifiedName, isValidLabelValue } from '../../api/names.js';
import { formatQuantity, parseQuantity } from '../../api/quantity.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import type { SubresourceCall, SubresourceREST } from '../subresource.js';
import { docColumn } from './cluster-common.js';
import { formatIP, parseIP, validateCIDR } from './netutil.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { type Obj, objOrEmpty, objsOf } from './values.js';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** validateNodeTaints; ValidateNode reports them under metadata.taints, as kube's path is built. */
function validateTaints(taints: Obj[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  taints.forEach((t, i) => {
    const p = `${path}[${i}]`;
    const key = String(t.key ?? '');
    for (const m of isQualifiedName(key)) errs.push(fieldErrors.invalid(`${p}.key`, key, m));
    const value = String(t.value ?? '');
    const ve = isValidLabelValue(value);
    if (ve.length) errs.push(fieldErrors.invalid(`${p}.value`, value, ve.join(';')));
    const effect = String(t.effect ?? '');
    if (!effect) errs.push(fieldErrors.required(`${p}.effect`));
    else if (!TAINT_EFFECTS.includes(effect)) errs.push(fieldErrors.notSupported(`${p}.effect`, effect, TAINT_EFFECTS));
    const keys = seen.get(effect) ?? new Set<string>();
    if (keys.has(key)) {
      const added = t.timeAdded ? `&v1.Time{Time:${JSON.stringify(t.timeAdded)}}` : '(*v1.Time)(nil)';
      errs.push({
        ...fieldErrors.duplicate(
          p,
          new GoValue(
            `core.Taint{Key:${JSON.stringify(key)}, Value:${JSON.stringify(value)}, Effect:${JSON.stringify(effect)}, TimeAdded:${added}}`,
          ),
        ),
        detail: 'taints must be unique by key and effect pair',
      });
      return;
    }
    keys.add(key);
    seen.set(effect, keys);
  });
  return errs;
}

/** ValidateNodeResources: capacity and allocatable quantities are not negative. */
function validateNodeResources(node: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const status = objOrEmpty(node.status);
  for (const field of ['capacity', 'allocatable']) {
    for (const [k, v] of Object.entries(objOrEmpty(status[field]))) {
      const q = parseQuantity(v);
      if (q && q.mantissa < 0n)
        errs.push(fieldErrors.invalid(`status.${field}.${k}`, new GoValue(formatQuantity(q)), 'must be greater than or equal to 0'));
    }
  }
  return errs;
}

function validateNode(node: KubeObject): FieldError[] {
  const spec = objOrEmpty(node.spec);
  const errs = validateTaints(objsOf(spec.taints), 'metadata.taints');
  errs.push(...validateNodeResources(node));
  const cidrs = Array.isArray(spec.podCIDRs) ? spec.podCIDRs.map(String) : [];
  cidrs.forEach((c, i) => {
    errs.push(...validateCIDR(`spec.podCIDRs[${i}]`, c));
  });
  if (cidrs.length > 1) {
    const fams = cidrs.map((c) => (c.includes(':') ? 'IPv6' : 'IPv4'));
    if (cidrs.length > 2 || fams[0] === fams[1]) {
      errs.push(
        fieldErrors.invalid(
          'spec.podCIDRs',
          new GoValue(`[]string{${cidrs.map((c) => JSON.stringify(c)).join(', ')}}`),
          'may specify no more than one CIDR for each IP family',
        ),
      );
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(fieldErrors.duplicate(`spec.podCIDRs[${i}]`, c));
      seen.add(c);
    });
  }
  return errs;
}

function validateNodeUpdate(node: KubeObject, old: KubeObject): FieldError[] {
  const spec = objOrEmpty(node.spec);
  const oldSpec = objOrEmpty(old.spec);
  const errs = validateNodeResources(node);
  const seen = new Set<string>();
  objsOf(objOrEmpty(node.status).addresses).forEach((a, i) => {
    const k = `${a.type}\u0000${a.address}`;
    if (seen.has(k)) {
      errs.push(
        fieldErrors.duplicate(
          `status.addresses[${i}]`,
          new GoValue(`core.NodeAddress{Type:${JSON.stringify(String(a.type ?? ''))}, Address:${JSON.stringify(String(a.address ?? ''))}}`),
        ),
      );
    }
    seen.add(k);
  });
  const oldCIDRs = Array.isArray(oldSpec.podCIDRs) ? oldSpec.podCIDRs.map(String) : [];
  const newCIDRs = Array.isArray(spec.podCIDRs) ? spec.podCIDRs.map(String) : [];
  const cidrMessage = 'node updates may not change podCIDR except from "" to valid';
  if (oldCIDRs.length > 0) {
    if (oldCIDRs.length !== newCIDRs.length) errs.push(fieldErrors.forbidden('spec.podCIDRs', cidrMessage));
    else for (const [i, c] of oldCIDRs.entries()) if (c !== newCIDRs[i]) errs.push(fieldErrors.forbidden('spec.podCIDRs', cidrMessage));
  }
  if (oldSpec.providerID && oldSpec.providerID !== spec.providerID) {
    errs.push(fieldErrors.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateTaints(objsOf(spec.taints), 'metadata.taints'));
  if ((spec.externalID ?? '') !== (oldSpec.externalID ?? '')) errs.push(fieldErrors.forbidden('spec.externalID', 'may not be updated'));
  return errs;
}

/** SetDefaults_NodeStatus: allocatable is the capacity when not reported. */
function defaultNode(node: KubeObject): void {
  const status = objOrEmpty(node.status);
  if (status.allocatable === undefined && isPlainObject(status.capacity)) status.allocatable = { ...status.capacity };
}

const NODE_INFO_FIELDS = [
  'machineID',
  'systemUUID',
  'bootID',
  'kernelVersion',
  'osImage',
  'containerRuntimeVersion',
  'kubeletVersion',
  'kubeProxyVersion',
  'operatingSystem',
  'architecture',
];

/** NodeSpec, NodeStatus, its daemonEndpoints and nodeInfo are structs with non-omitempty fields: always serialised. */
function nodeWire(node: KubeObject): void {
  if (!isPlainObject(node.spec)) node.spec = {};
  const status = isPlainObject(node.status) ? node.status : {};
  const de = objOrEmpty(status.daemonEndpoints);
  const ke = objOrEmpty(de.kubeletEndpoint);
  if (typeof ke.Port !== 'number') ke.Port = 0;
  de.kubeletEndpoint = ke;
  status.daemonEndpoints = de;
  const info = objOrEmpty(status.nodeInfo);
  for (const f of NODE_INFO_FIELDS) if (typeof info[f] !== 'string') info[f] = '';
  status.nodeInfo = info;
  node.status = status;
}

function nodeStatusCell(node: KubeObject): string {
  const ready = objsOf(objOrEmpty(node.status).conditions).find((c) => c.type === 'Ready');
  const status = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (objOrEmpty(node.spec).unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** findNodeRoles: node-role.kubernetes.io/<role> labels and kubernetes.io/role. */
function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeAddress(node: KubeObject, type: string): string {
  return String(objsOf(objOrEmpty(node.status).addresses).find((a) => a.type === type)?.address ?? '<none>');
}

export const nodeStrategy: Strategy = {
  namespaced: false,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  prepareForCreate: defaultNode,
  prepareForUpdate: defaultNode,
  defaults: defaultNode,
  validate(node, ctx) {
    const spec = objOrEmpty(node.spec);
    if (spec.configSource)
      ctx.warnings.push('spec.configSource: the configSource field is deprecated and will be removed in a future release');
    if (spec.externalID) ctx.warnings.push('spec.externalID: this field is deprecated, and is unused by Kubernetes');
    return validateNode(node);
  },
  validateUpdate: validateNodeUpdate,
  canonicalize: nodeWire,
  fieldLabels: (node) => ({ 'spec.unschedulable': String(objOrEmpty(node.spec).unschedulable === true) }),
  supportedFieldLabels: ['spec.unschedulable'],
  tableColumns: [
    nameColumn,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn,
    docColumn('Version', 'string', 'V1NodeSystemInfo', 'kubeletVersion'),
    docColumn('Internal-IP', 'string', 'V1NodeStatus', 'addresses', 1),
    docColumn('External-IP', 'string', 'V1NodeStatus', 'addresses', 1),
    docColumn('OS-Image', 'string', 'V1NodeSystemInfo', 'osImage', 1),
    docColumn('Kernel-Version', 'string', 'V1NodeSystemInfo', 'kernelVersion', 1),
    docColumn('Container-Runtime', 'string', 'V1NodeSystemInfo', 'containerRuntimeVersion', 1),
  ],
  tableRow(node) {
    const info = objOrEmpty(objOrEmpty(node.status).nodeInfo);
    const or = (v: unknown): string => (typeof v === 'string' && v ? v : '<unknown>');
    return [
      objName(node),
      nodeStatusCell(node),
      nodeRoles(node),
      age(node.metadata?.creationTimestamp),
      String(info.kubeletVersion ?? ''),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      or(info.osImage),
      or(info.kernelVersion),
      or(info.containerRuntimeVersion),
    ];
  },
};

// --- proxying to a kubelet (nodes/proxy; services/proxy reuses the dial) ---

/** kube-apiserver's --kubelet-preferred-address-types default. */
const PREFERRED_ADDRESS_TYPES = ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'];

/** Go's rendering of a []NodeAddress (`[{InternalIP 10.0.0.1}]`) in NoMatchError. */
function goAddresses(addrs: Obj[]): string {
  return `[${addrs.map((a) => `{${a.type ?? ''} ${a.address ?? ''}}`).join(' ')}]`;
}

/** utilnet.SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port` (scheme http, https or none). */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name = '';
  let port = '';
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) [name, port] = parts;
  else if (parts.length === 3) [scheme, name, port] = parts;
  else return undefined;
  return name && ['', 'http', 'https'].includes(scheme) ? { scheme, name, port } : undefined;
}

/**
 * Dials `host:port` as the proxy's transport would. No kubelet or pod is reachable here in general,
 * so the answer is the transport's failure as kube wraps it (503 `error trying to reach service: dial tcp ...`),
 * or, when something listens, that it was reached; nothing is proxied.
 */
export function dialError(host: string, port: number, timeoutMs = 5000): Promise<string | undefined> {
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve) => {
    const sock = netConnect({ host, port, timeout: timeoutMs });
    const done = (msg: string | undefined): void => {
      sock.destroy();
      resolve(msg);
    };
    sock.once('connect', () => done(undefined));
    sock.once('timeout', () => done(`dial tcp ${hostPort}: i/o timeout`));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ECONNREFUSED'
          ? 'connect: connection refused'
          : e.code === 'EHOSTUNREACH'
            ? 'connect: no route to host'
            : e.code === 'ENETUNREACH'
              ? 'connect: network is unreachable'
              : e.message;
      done(`dial tcp ${hostPort}: ${why}`);
    });
  });
}

type SchemeNamePort = NonNullable<ReturnType<typeof splitSchemeNamePort>>;

/**
 * A `<resource>/proxy` subresource (kube's ProxyREST): the name in the path is `[scheme:]name[:port]`
 * (a bad one is `invalid <what> request`), and `connect` answers for the target it names.
 */
export function proxySubresource(
  kind: string,
  what: string,
  connect: (call: SubresourceCall, id: SchemeNamePort) => Promise<never>,
): SubresourceREST {
  return {
    name: 'proxy',
    kind,
    verbs: ['create', 'delete', 'get', 'patch', 'update'],
    handler: 'connect',
    async connect(call) {
      const id = splitSchemeNamePort(call.name);
      if (!id) throw badRequest(`invalid ${what} request "${call.name}"`);
      return connect(call, id);
    },
  };
}

/** nodes/proxy: the node's preferred address and kubelet port (ResourceLocation, NodeConnectionInfoGetter). */
export const nodeProxy: SubresourceREST = proxySubresource('NodeProxyOptions', 'node', async (call, id) => {
  const node = await call.store.get(call.ctx, id.name);
  const status = objOrEmpty(node.status);
  const addrs = objsOf(status.addresses);
  let host: string | undefined;
  for (const t of PREFERRED_ADDRESS_TYPES) {
    host = addrs.find((a) => a.type === t && a.address)?.address as string | undefined;
    if (host) break;
  }
  if (!host) throw unknownError(`no preferred addresses found; known addresses: ${goAddresses(addrs)}`);
  const ip = parseIP(host);
  if (ip && (ip.value === 0n || (ip.family === 'IPv4' && ip.value >> 24n === 127n) || (ip.family === 'IPv6' && ip.value === 1n))) {
    throw badRequest('address not allowed');
  }
  const kubeletPort = Number(objOrEmpty(objOrEmpty(status.daemonEndpoints).kubeletEndpoint).Port) || 10250;
  const port = id.port && /^\d+$/.test(id.port) ? Number(id.port) : kubeletPort;
  const failure = await dialError(ip ? formatIP(ip) : host, port);
  throw serviceUnavailable(`error trying to reach service: ${failure ?? `proxying to ${host}:${port} is not supported by this server`}`);
});

// core/v1 Endpoints (pkg/registry/core/endpoint) and discovery.k8s.io/v1
// EndpointSlice (pkg/registry/discovery/endpointslice, pkg/apis/discovery/
// validation), and the `kubernetes` Service's Endpoints and EndpointSlice as
// kube-apiserver's endpoint reconciler writes them (pkg/controlplane/reconcilers).

import { networkInterfaces } from 'node:os';
import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '../../api/names.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { SystemObjectsContext } from '../builtin.js';
import type { RequestContext, Strategy } from '../strategy.js';
import { validateLabels } from '../validation/objectmeta.js';
import { docColumn } from './cluster-common.js';
import {
  parseIP,
  portNumErrors,
  SUPPORTED_PROTOCOLS,
  validateIP,
  validateIPOfFamily,
  validateNonSpecialIP,
  validateProtocol,
} from './netutil.js';
import { age, ageColumn, nameColumn, objName } from './printers.js';
import { type Obj, objsOf } from './values.js';

/** The API server's own writes (the `kubernetes` Endpoints) may point at a loopback address; see kubernetesEndpoints. */
const isAPIServer = (ctx: RequestContext): boolean => ctx.user.username === 'system:apiserver';

function dns1123LabelErrors(path: string, v: string): FieldError[] {
  return isDNS1123Label(v).map((m) => fieldErrors.invalid(path, v, m));
}

function appProtocolErrors(path: string, v: unknown): FieldError[] {
  return typeof v === 'string' ? isQualifiedName(v).map((m) => fieldErrors.invalid(path, v, m)) : [];
}

// --- Endpoints ---

function validateEndpointAddress(a: Obj, path: string, special: boolean): FieldError[] {
  const ip = String(a.ip ?? '');
  const errs = validateIP(`${path}.ip`, ip);
  if (typeof a.hostname === 'string' && a.hostname) errs.push(...dns1123LabelErrors(`${path}.hostname`, a.hostname));
  if (typeof a.nodeName === 'string')
    for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(fieldErrors.invalid(`${path}.nodeName`, a.nodeName, m));
  if (special) errs.push(...validateNonSpecialIP(`${path}.ip`, ip));
  return errs;
}

/** validateEndpointSubsets. */
function validateEndpoints(obj: KubeObject, ctx: RequestContext): FieldError[] {
  const errs: FieldError[] = [];
  objsOf(obj.subsets).forEach((ss, i) => {
    const p = `subsets[${i}]`;
    const addrs = objsOf(ss.addresses);
    const notReady = objsOf(ss.notReadyAddresses);
    if (addrs.length === 0 && notReady.length === 0) errs.push(fieldErrors.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    addrs.forEach((a, j) => {
      errs.push(...validateEndpointAddress(a, `${p}.addresses[${j}]`, !isAPIServer(ctx)));
    });
    notReady.forEach((a, j) => {
      errs.push(...validateEndpointAddress(a, `${p}.notReadyAddresses[${j}]`, !isAPIServer(ctx)));
    });
    const ports = objsOf(ss.ports);
    ports.forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      if (ports.length > 1 && !port.name) errs.push(fieldErrors.required(`${pp}.name`));
      else if (typeof port.name === 'string' && port.name) errs.push(...dns1123LabelErrors(`${pp}.name`, port.name));
      for (const m of portNumErrors(Number(port.port ?? 0))) errs.push(fieldErrors.invalid(`${pp}.port`, port.port ?? 0, m));
      errs.push(...validateProtocol(`${pp}.protocol`, port.protocol));
      errs.push(...appProtocolErrors(`${pp}.appProtocol`, port.appProtocol));
    });
  });
  return errs;
}

/** SetDefaults_Endpoints: port protocol TCP. */
function defaultEndpoints(obj: KubeObject): void {
  for (const ss of objsOf(obj.subsets)) for (const p of objsOf(ss.ports)) if (!p.protocol) p.protocol = 'TCP';
}

/** formatEndpoints: up to three `ip:port` (or bare IPs for port-less subsets), then `+ N more...`. */
function formatEndpoints(obj: KubeObject): string {
  const subsets = objsOf(obj.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs = objsOf(ss.addresses);
    const ports = objsOf(ss.ports);
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === 3) {
          more = true;
          break;
        }
        list.push(String(a.ip ?? ''));
      }
      continue;
    }
    for (const port of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === 3) {
          more = true;
          break;
        }
        const ip = String(a.ip ?? '');
        list.push(`${ip.includes(':') ? `[${ip}]` : ip}:${port.port}`);
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - 3} more...` : ret;
}

export const endpointsStrategy: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  allowCreateOnUpdate: true,
  prepareForCreate: defaultEndpoints,
  prepareForUpdate: defaultEndpoints,
  validate: validateEndpoints,
  validateUpdate: (obj, _old, ctx) => validateEndpoints(obj, ctx),
  tableColumns: [nameColumn, docColumn('Endpoints', 'string', 'V1Endpoints', 'subsets'), ageColumn],
  tableRow: (obj) => [objName(obj), formatEndpoints(obj), age(obj.metadata?.creationTimestamp)],
};

// --- EndpointSlice ---

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

/** validation.IsFullyQualifiedDomainName. */
function fqdnErrors(path: string, name: string): FieldError[] {
  if (!name) return [fieldErrors.required(path)];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = isDNS1123Subdomain(n);
  if (sub.length) return [fieldErrors.invalid(path, n, sub.join(','))];
  const labels = n.split('.');
  if (labels.length < 2) return [fieldErrors.invalid(path, n, 'should be a domain with at least two segments separated by dots')];
  for (const l of labels) {
    const e = isDNS1123Label(l);
    if (e.length) return [fieldErrors.invalid(path, l, e.join(','))];
  }
  return [];
}

function validateSliceEndpoints(obj: KubeObject, ctx: RequestContext): FieldError[] {
  const errs: FieldError[] = [];
  const eps = Array.isArray(obj.endpoints) ? obj.endpoints : [];
  if (eps.length > 1000) return [fieldErrors.tooMany('endpoints', eps.length, 1000)];
  const type = obj.addressType;
  eps.forEach((raw, i) => {
    const ep = isPlainObject(raw) ? raw : {};
    const p = `endpoints[${i}]`;
    const addrs = Array.isArray(ep.addresses) ? ep.addresses.map(String) : [];
    if (addrs.length === 0) errs.push(fieldErrors.required(`${p}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(fieldErrors.tooMany(`${p}.addresses`, addrs.length, 100));
    addrs.forEach((a, j) => {
      const ap = `${p}.addresses[${j}]`;
      if (type === 'IPv4' || type === 'IPv6') {
        const e = validateIPOfFamily(ap, a, type);
        errs.push(...(e.length ? e : isAPIServer(ctx) ? [] : validateNonSpecialIP(ap, a)));
      } else if (type === 'FQDN') errs.push(...fqdnErrors(ap, a));
    });
    if (typeof ep.nodeName === 'string')
      for (const m of isDNS1123Subdomain(ep.nodeName)) errs.push(fieldErrors.invalid(`${p}.nodeName`, ep.nodeName, m));
    const topo = ep.deprecatedTopology;
    if (isPlainObject(topo)) {
      if (Object.keys(topo).length > 16) errs.push(fieldErrors.tooMany(`${p}.deprecatedTopology`, Object.keys(topo).length, 16));
      errs.push(...validateLabels(topo, `${p}.deprecatedTopology`));
    }
    if (typeof ep.hostname === 'string') errs.push(...dns1123LabelErrors(`${p}.hostname`, ep.hostname));
  });
  return errs;
}

function validateSlicePorts(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ports = objsOf(obj.ports);
  if (ports.length > 20000) return [fieldErrors.tooMany('ports', ports.length, 20000)];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `ports[${i}]`;
    const name = String(port.name ?? '');
    if (name) errs.push(...dns1123LabelErrors(`${p}.name`, name));
    if (names.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
    else names.add(name);
    if (port.protocol === undefined || port.protocol === null) errs.push(fieldErrors.required(`${p}.protocol`));
    else if (!SUPPORTED_PROTOCOLS.includes(String(port.protocol)))
      errs.push(fieldErrors.notSupported(`${p}.protocol`, port.protocol, SUPPORTED_PROTOCOLS));
    errs.push(...appProtocolErrors(`${p}.appProtocol`, port.appProtocol));
  });
  return errs;
}

/** ValidateEndpointSlice. */
function validateEndpointSlice(obj: KubeObject, ctx: RequestContext): FieldError[] {
  const errs: FieldError[] = [];
  const t = obj.addressType;
  if (t === undefined || t === null || t === '') errs.push(fieldErrors.required('addressType'));
  else if (!ADDRESS_TYPES.includes(String(t))) errs.push(fieldErrors.notSupported('addressType', t, ADDRESS_TYPES));
  return [...errs, ...validateSliceEndpoints(obj, ctx), ...validateSlicePorts(obj)];
}

/** SetDefaults_EndpointPort: name "" and protocol TCP. */
function defaultEndpointSlice(obj: KubeObject): void {
  for (const p of objsOf(obj.ports)) {
    if (p.name === undefined || p.name === null) p.name = '';
    if (p.protocol === undefined || p.protocol === null) p.protocol = 'TCP';
  }
}

/** endpoints and ports have no omitempty (`null` when absent); each endpoint's conditions is a struct. */
function endpointSliceWire(obj: KubeObject): void {
  if (!Array.isArray(obj.endpoints)) obj.endpoints = null;
  if (!Array.isArray(obj.ports)) obj.ports = null;
  for (const ep of objsOf(obj.endpoints)) if (!isPlainObject(ep.conditions)) ep.conditions = {};
}

function listWithMore(list: string[], more: boolean, count: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - 3} more...`;
  return ret || '<unset>';
}

function formatSlicePorts(obj: KubeObject): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const p of objsOf(obj.ports)) {
    if (list.length < 3)
      list.push(p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined && p.name !== null ? String(p.name) : '*');
    else if (list.length === 3) more = true;
    count++;
  }
  return listWithMore(list, more, count);
}

function formatSliceEndpoints(obj: KubeObject): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ep of objsOf(obj.endpoints)) {
    for (const a of Array.isArray(ep.addresses) ? ep.addresses : []) {
      if (list.length < 3) list.push(String(a));
      else if (list.length === 3) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count);
}

export const endpointSliceStrategy: Strategy = {
  namespaced: true,
  hasGeneration: true,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  prepareForCreate: defaultEndpointSlice,
  prepareForUpdate: defaultEndpointSlice,
  validate: validateEndpointSlice,
  validateUpdate(obj, old, ctx) {
    const errs = validateEndpointSlice(obj, ctx);
    if (obj.addressType !== old.addressType) errs.push(fieldErrors.invalid('addressType', obj.addressType ?? '', 'field is immutable'));
    return errs;
  },
  canonicalize: endpointSliceWire,
  tableColumns: [
    nameColumn,
    docColumn('AddressType', 'string', 'V1EndpointSlice', 'addressType'),
    docColumn('Ports', 'string', 'V1EndpointSlice', 'ports'),
    docColumn('Endpoints', 'string', 'V1EndpointSlice', 'endpoints'),
    ageColumn,
  ],
  tableRow: (obj) => [
    objName(obj),
    String(obj.addressType ?? ''),
    formatSlicePorts(obj),
    formatSliceEndpoints(obj),
    age(obj.metadata?.creationTimestamp),
  ],
};

// --- the `kubernetes` Service's endpoints ---

/**
 * The address the `kubernetes` Endpoints name: the advertise address, or for a wildcard bind the
 * host's first non-internal address (kube picks the default route's), loopback when there is none.
 */
export function apiServerAddress(ctx: SystemObjectsContext): string {
  const a = ctx.advertiseAddress;
  if (a !== '0.0.0.0' && a !== '::' && parseIP(a)) return a;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const i of addrs ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return '127.0.0.1';
}

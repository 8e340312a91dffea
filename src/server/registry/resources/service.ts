// core/v1 Service: SetDefaults_Service (pkg/apis/core/v1/defaults.go),
// ValidateService/ValidateServiceUpdate (pkg/apis/core/validation), the
// strategy's update clean-ups (pkg/registry/core/service/strategy.go), and the
// REST storage's allocation hooks (pkg/registry/core/service/storage: ClusterIPs
// and NodePorts reserved before the write, released when it fails or the
// Service goes), over the allocators in allocator.ts.

import { type FieldError, fieldErrors, GoValue, internalError, invalid, type StatusError, serviceUnavailable } from '../../api/errors.js';
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  maskTrailingDash,
  type NameValidator,
} from '../../api/names.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import type { Storage } from '../../storage/interface.js';
import type { FinishFunc, RequestContext, Strategy } from '../strategy.js';
import type { SubresourceCall, SubresourceREST } from '../subresource.js';
import { validateLabels } from '../validation/objectmeta.js';
import { AllocationError, type IPAllocator, type PortAllocator } from './allocator.js';
import { docColumn } from './cluster-common.js';
import { goStrings } from './go-values.js';
import {
  type IPFamily,
  ipFamilyOf,
  isIPv6String,
  parseIP,
  portNumErrors,
  validateCIDR,
  validateIP,
  validateNonSpecialIP,
  validatePortNumOrName,
  validateProtocol,
} from './netutil.js';
import { dialError, proxySubresource } from './node.js';
import { age, ageColumn, formatLabels, nameColumn, objName } from './printers.js';

export const SERVICES_KEY_PREFIX = '/services/specs';
export const ENDPOINTS_KEY_PREFIX = '/services/endpoints';

export interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: ServicePort[];
  selector?: Record<string, string>;
  sessionAffinity?: string;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } } | null;
  externalIPs?: string[];
  externalName?: string;
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  allocateLoadBalancerNodePorts?: boolean;
  loadBalancerClass?: string;
  loadBalancerSourceRanges?: string[];
  trafficDistribution?: string;
}

const SVC_KIND = { group: '', kind: 'Service' };
const NONE = 'None';

export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

function spec(obj: KubeObject): ServiceSpec {
  if (!isPlainObject(obj.spec)) obj.spec = {};
  return obj.spec as ServiceSpec;
}

function ports(s: ServiceSpec): ServicePort[] {
  return Array.isArray(s.ports) ? s.ports : [];
}

/** apiservice.ExternallyAccessible. */
function externallyAccessible(s: ServiceSpec): boolean {
  return s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && (s.externalIPs ?? []).length > 0);
}

/** apiservice.NeedsHealthCheck. */
function needsHealthCheck(s: ServiceSpec): boolean {
  return s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
}

function needsClusterIP(s: ServiceSpec): boolean {
  return s.type !== 'ExternalName';
}

function needsNodePort(s: ServiceSpec): boolean {
  return s.type === 'NodePort' || s.type === 'LoadBalancer';
}

function isHeadless(s: ServiceSpec): boolean {
  return (s.clusterIPs ?? []).length === 1 && s.clusterIPs![0] === NONE;
}

/** SetDefaults_Service: applied to every write, as kube's decoding defaults do. */
export function defaultService(obj: KubeObject): void {
  const s = spec(obj);
  if (!s.sessionAffinity) s.sessionAffinity = 'None';
  if (s.sessionAffinity === 'None') delete s.sessionAffinityConfig;
  if (s.sessionAffinity === 'ClientIP') {
    const t = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t === undefined || t === null) s.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (!s.type) s.type = 'ClusterIP';
  for (const p of ports(s)) {
    if (!isPlainObject(p)) continue;
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(s) && !s.externalTrafficPolicy) s.externalTrafficPolicy = 'Cluster';
  if (s.internalTrafficPolicy === undefined && (s.type === 'NodePort' || s.type === 'LoadBalancer' || s.type === 'ClusterIP')) {
    s.internalTrafficPolicy = 'Cluster';
  }
  if (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts === undefined) s.allocateLoadBalancerNodePorts = true;
  if (s.type === 'LoadBalancer') {
    const ingress = (obj.status as { loadBalancer?: { ingress?: Array<Record<string, unknown>> } } | undefined)?.loadBalancer?.ingress;
    for (const ing of Array.isArray(ingress) ? ingress : []) if (ing.ip && ing.ipMode === undefined) ing.ipMode = 'VIP';
  }
}

const sameStrings = (a: string[] | undefined, b: string[] | undefined): boolean => deepEqual(a ?? [], b ?? []);

/** normalizeClusterIPs: keeps clusterIP and clusterIPs in step for clients that set only one of them. */
function normalizeClusterIPs(s: ServiceSpec, old?: ServiceSpec): void {
  if (!old) {
    if (s.clusterIP && (s.clusterIPs ?? []).length === 0) s.clusterIPs = [s.clusterIP];
    return;
  }
  if ((old.clusterIPs ?? []).length > 0 && (s.clusterIPs ?? []).length === 0 && (old.clusterIP ?? '') === (s.clusterIP ?? '')) {
    s.clusterIPs = old.clusterIPs;
  }
  if ((old.clusterIP ?? '') !== (s.clusterIP ?? '')) {
    if (old.clusterIP && !s.clusterIP && sameStrings(old.clusterIPs, s.clusterIPs)) delete s.clusterIPs;
    if (s.clusterIP && sameStrings(old.clusterIPs, s.clusterIPs)) s.clusterIPs = [s.clusterIP];
  }
}

/** patchAllocatedValues: a resubmitted manifest without the allocated values keeps them (idempotent apply). */
function patchAllocatedValues(s: ServiceSpec, old: ServiceSpec): void {
  if (needsClusterIP(old) && needsClusterIP(s)) {
    if (!s.clusterIP && old.clusterIP) s.clusterIP = old.clusterIP;
    if ((s.clusterIPs ?? []).length === 0 && (old.clusterIPs ?? []).length > 0) s.clusterIPs = [...old.clusterIPs!];
  }
  if (needsNodePort(old) && needsNodePort(s)) {
    const used = (sp: ServiceSpec): Set<number> => new Set(ports(sp).flatMap((p) => (p.nodePort ? [p.nodePort] : [])));
    const oldUsed = used(old);
    const both = new Set([...used(s)].filter((p) => oldUsed.has(p)));
    const byName = new Map<string, number>();
    for (const p of ports(old)) byName.set(p.name ?? '', p.nodePort ?? 0);
    for (const p of ports(s)) {
      if (!p.nodePort) {
        const v = byName.get(p.name ?? '') ?? 0;
        if (v && !both.has(v)) p.nodePort = v;
      }
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(s) && !s.healthCheckNodePort && old.healthCheckNodePort) {
    s.healthCheckNodePort = old.healthCheckNodePort;
  }
}

const sameNodePorts = (a: ServiceSpec, b: ServiceSpec): boolean =>
  deepEqual(
    ports(a).map((p) => p.nodePort ?? 0),
    ports(b).map((p) => p.nodePort ?? 0),
  );

/** dropTypeDependentFields: a type change wipes what the old type had allocated, when the client left it as it was. */
function dropTypeDependentFields(s: ServiceSpec, old: ServiceSpec, status: Record<string, unknown> | undefined): void {
  if (needsClusterIP(old) && !needsClusterIP(s)) {
    if (sameStrings(old.clusterIPs, s.clusterIPs)) {
      delete s.clusterIP;
      delete s.clusterIPs;
    }
    if (sameStrings(old.ipFamilies, s.ipFamilies)) delete s.ipFamilies;
    if (old.ipFamilyPolicy === s.ipFamilyPolicy) delete s.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(s) && sameNodePorts(old, s)) for (const p of ports(s)) delete p.nodePort;
  if (needsHealthCheck(old) && !needsHealthCheck(s) && (old.healthCheckNodePort ?? 0) === (s.healthCheckNodePort ?? 0)) {
    delete s.healthCheckNodePort;
  }
  if (old.type === 'LoadBalancer' && s.type !== 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts !== undefined && s.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) {
      delete s.allocateLoadBalancerNodePorts;
    }
    if (s.loadBalancerClass === old.loadBalancerClass) delete s.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(s) && s.externalTrafficPolicy === old.externalTrafficPolicy) {
    delete s.externalTrafficPolicy;
  }
  if (s.type !== 'LoadBalancer' && status) status.loadBalancer = {};
}

// --- validation (ValidateService and friends) ---

const goIPFamilies = (v: string[] | undefined): GoValue =>
  new GoValue(`[]core.IPFamily{${(v ?? []).map((x) => JSON.stringify(x)).join(', ')}}`);
const clusterIPsValue = (v: string[] | undefined): GoValue => new GoValue(goStrings(v, { nilWhenAbsent: true }));

/** The core.ServicePort a duplicate port is reported as (%#v of the internal type). */
function goServicePort(protocol: string, port: number): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

/** ValidateServiceClusterIPsRelatedFields. */
export function validateClusterIPsRelated(s: ServiceSpec): FieldError[] {
  if (s.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const cips = s.clusterIPs ?? [];
  if (s.clusterIP) {
    if (cips.length === 0) errs.push(fieldErrors.required('spec.clusterIPs'));
    else if (cips[0] !== s.clusterIP)
      errs.push(fieldErrors.invalid('spec.clusterIPs', clusterIPsValue(cips), 'first value must match `clusterIP`'));
  } else if (cips.length !== 0) {
    errs.push(fieldErrors.invalid('spec.clusterIPs', clusterIPsValue(cips), 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (s.ipFamilies ?? []).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(fieldErrors.notSupported(`spec.ipFamilies[${i}]`, f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(fieldErrors.duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (s.ipFamilyPolicy !== undefined && !['PreferDualStack', 'RequireDualStack', 'SingleStack'].includes(s.ipFamilyPolicy)) {
    errs.push(fieldErrors.notSupported('spec.ipFamilyPolicy', s.ipFamilyPolicy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  let hasInvalidIPs = false;
  cips.forEach((ip, i) => {
    if (i === 0 && ip === NONE) {
      if (cips.length > 1) {
        hasInvalidIPs = true;
        errs.push(fieldErrors.invalid('spec.clusterIPs', clusterIPsValue(cips), "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(`spec.clusterIPs[${i}]`, ip);
    if (e.length) hasInvalidIPs = true;
    errs.push(...e);
  });
  if (cips.length > 2) errs.push(fieldErrors.invalid('spec.clusterIPs', clusterIPsValue(cips), 'may only hold up to 2 values'));
  if (hasInvalidIPs) return errs;
  if (cips.length > 1 && ipFamilyOf(cips[0]) === ipFamilyOf(cips[1])) {
    errs.push(fieldErrors.invalid('spec.clusterIPs', clusterIPsValue(cips), 'may specify no more than one IP for each IP family'));
  }
  const fams = s.ipFamilies ?? [];
  if (!isHeadless(s) && cips.length > 0 && fams.length > 0) {
    cips.forEach((ip, i) => {
      if (i > fams.length - 1) return;
      if (fams[i] === 'IPv4' && isIPv6String(ip))
        errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (fams[i] === 'IPv6' && !isIPv6String(ip))
        errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

function validateServicePort(p: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(fieldErrors.required(`${path}.name`));
  else if (p.name) {
    for (const m of isDNS1123Label(p.name)) errs.push(fieldErrors.invalid(`${path}.name`, p.name, m));
    if (names.has(p.name)) errs.push(fieldErrors.duplicate(`${path}.name`, p.name));
    else names.add(p.name);
  }
  for (const m of portNumErrors(p.port ?? 0)) errs.push(fieldErrors.invalid(`${path}.port`, p.port ?? 0, m));
  errs.push(...validateProtocol(`${path}.protocol`, p.protocol));
  errs.push(...validatePortNumOrName(`${path}.targetPort`, p.targetPort));
  if (p.appProtocol !== undefined)
    for (const m of isQualifiedName(p.appProtocol)) errs.push(fieldErrors.invalid(`${path}.appProtocol`, p.appProtocol, m));
  return errs;
}

/** ValidateService (the metadata is the Store's). */
export function validateService(obj: KubeObject): FieldError[] {
  const s = spec(obj);
  const errs: FieldError[] = [];
  const ann = obj.metadata?.annotations ?? {};
  const hints = ann['service.kubernetes.io/topology-aware-hints'];
  const mode = ann['service.kubernetes.io/topology-mode'];
  if (hints !== undefined && mode !== undefined && hints !== mode) {
    errs.push(
      fieldErrors.invalid(
        'metadata.annotations[service.kubernetes.io/topology-mode]',
        mode,
        'must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified',
      ),
    );
  }
  const ps = ports(s);
  if (ps.length === 0 && !isHeadless(s) && s.type !== 'ExternalName') errs.push(fieldErrors.required('spec.ports'));
  if (s.type === 'LoadBalancer' && isHeadless(s)) {
    errs.push(fieldErrors.invalid('spec.clusterIPs[0]', NONE, "may not be set to 'None' for LoadBalancer services"));
  } else if (s.type === 'NodePort' && isHeadless(s)) {
    errs.push(fieldErrors.invalid('spec.clusterIPs[0]', NONE, "may not be set to 'None' for NodePort services"));
  } else if (s.type === 'ExternalName') {
    if ((s.clusterIPs ?? []).length > 0) errs.push(fieldErrors.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if ((s.ipFamilies ?? []).length > 0) errs.push(fieldErrors.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (s.ipFamilyPolicy !== undefined) errs.push(fieldErrors.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = (s.externalName ?? '').replace(/\.$/, '');
    if (cname) for (const m of isDNS1123Subdomain(cname)) errs.push(fieldErrors.invalid('spec.externalName', cname, m));
    else errs.push(fieldErrors.required('spec.externalName'));
  }
  const names = new Set<string>();
  ps.forEach((p, i) => {
    errs.push(...validateServicePort(isPlainObject(p) ? p : {}, ps.length > 1, names, `spec.ports[${i}]`));
  });
  if (s.selector !== undefined && s.selector !== null) errs.push(...validateLabels(s.selector, 'spec.selector'));
  if (!s.sessionAffinity) errs.push(fieldErrors.required('spec.sessionAffinity'));
  else if (!['ClientIP', 'None'].includes(s.sessionAffinity)) {
    errs.push(fieldErrors.notSupported('spec.sessionAffinity', s.sessionAffinity, ['ClientIP', 'None']));
  }
  if (s.sessionAffinity === 'ClientIP') {
    const t = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!s.sessionAffinityConfig) errs.push(fieldErrors.required('spec.sessionAffinityConfig'));
    else if (!s.sessionAffinityConfig.clientIP) errs.push(fieldErrors.required('spec.sessionAffinityConfig.clientIP'));
    else if (typeof t !== 'number' || t <= 0 || t > 86400) {
      errs.push(
        fieldErrors.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t ?? 0, 'must be greater than 0 and less than 86400'),
      );
    }
  } else if (s.sessionAffinity === 'None' && s.sessionAffinityConfig) {
    errs.push(fieldErrors.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPsRelated(s));
  (s.externalIPs ?? []).forEach((ip, i) => {
    const e = validateIP(`spec.externalIPs[${i}]`, ip);
    errs.push(...(e.length ? e : validateNonSpecialIP(`spec.externalIPs[${i}]`, ip)));
  });
  const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
  if (!s.type) errs.push(fieldErrors.required('spec.type'));
  else if (!types.includes(s.type)) errs.push(fieldErrors.notSupported('spec.type', s.type, types));
  if (s.type === 'ClusterIP') {
    ps.forEach((p, i) => {
      if (p.nodePort) errs.push(fieldErrors.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ps.forEach((p, i) => {
    if (!p.nodePort) return;
    const k = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(fieldErrors.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(k);
  });
  const portKeys = new Set<string>();
  ps.forEach((p, i) => {
    const k = `${p.protocol}/${p.port}`;
    if (portKeys.has(k)) errs.push(fieldErrors.duplicate(`spec.ports[${i}]`, goServicePort(p.protocol ?? '', p.port ?? 0)));
    portKeys.add(k);
  });
  const ranges = s.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) {
    if (s.type !== 'LoadBalancer')
      errs.push(fieldErrors.forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      errs.push(...validateCIDR(`spec.LoadBalancerSourceRanges[${i}]`, r.trim()));
    });
  } else if (ann['service.beta.kubernetes.io/load-balancer-source-ranges'] !== undefined) {
    const p = 'metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]';
    if (s.type !== 'LoadBalancer') errs.push(fieldErrors.forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    const val = ann['service.beta.kubernetes.io/load-balancer-source-ranges'].trim();
    if (val) for (const c of val.split(',')) errs.push(...validateCIDR(p, c.trim()));
  }
  if (s.allocateLoadBalancerNodePorts !== undefined && s.type !== 'LoadBalancer') {
    errs.push(fieldErrors.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts === undefined)
    errs.push(fieldErrors.required('allocateLoadBalancerNodePorts'));
  errs.push(...validateLoadBalancerClass(s, undefined));
  if (!externallyAccessible(s)) {
    if (s.externalTrafficPolicy) {
      errs.push(
        fieldErrors.invalid('spec.externalTrafficPolicy', s.externalTrafficPolicy, 'may only be set for externally-accessible services'),
      );
    }
  } else if (!s.externalTrafficPolicy) errs.push(fieldErrors.required('spec.externalTrafficPolicy'));
  else if (!['Cluster', 'Local'].includes(s.externalTrafficPolicy)) {
    errs.push(fieldErrors.notSupported('spec.externalTrafficPolicy', s.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (!needsHealthCheck(s)) {
    if (s.healthCheckNodePort) {
      errs.push(
        fieldErrors.invalid(
          'spec.healthCheckNodePort',
          s.healthCheckNodePort,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (!s.healthCheckNodePort) errs.push(fieldErrors.required('spec.healthCheckNodePort'));
  else
    for (const m of portNumErrors(s.healthCheckNodePort))
      errs.push(fieldErrors.invalid('spec.healthCheckNodePort', s.healthCheckNodePort, m));
  if (s.internalTrafficPolicy === undefined) {
    if (s.type === 'NodePort' || s.type === 'LoadBalancer' || s.type === 'ClusterIP')
      errs.push(fieldErrors.required('spec.internalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(s.internalTrafficPolicy)) {
    errs.push(fieldErrors.notSupported('spec.internalTrafficPolicy', s.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (s.trafficDistribution !== undefined && s.trafficDistribution !== 'PreferClose') {
    errs.push(fieldErrors.notSupported('spec.trafficDistribution', s.trafficDistribution, ['PreferClose']));
  }
  return errs;
}

function validateLoadBalancerClass(s: ServiceSpec, old: ServiceSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (old && old.type === 'LoadBalancer' && s.type === 'LoadBalancer' && old.loadBalancerClass !== s.loadBalancerClass) {
    errs.push(fieldErrors.invalid('spec.loadBalancerClass', s.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (s.type === 'LoadBalancer') {
    if (s.loadBalancerClass !== undefined)
      for (const m of isQualifiedName(s.loadBalancerClass))
        errs.push(fieldErrors.invalid('spec.loadBalancerClass', s.loadBalancerClass, m));
  } else if (s.loadBalancerClass !== undefined) {
    errs.push(fieldErrors.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

/** validateUpgradeDowngradeClusterIPs: a ClusterIP never changes once set (outside ExternalName). */
function validateClusterIPsUpdate(s: ServiceSpec, old: ServiceSpec): FieldError[] {
  if (s.type === 'ExternalName' || old.type === 'ExternalName') return [];
  if (isHeadless(old) && isHeadless(s)) return [];
  const errs: FieldError[] = [];
  const oc = old.clusterIPs ?? [];
  const nc = s.clusterIPs ?? [];
  const v = clusterIPsValue(s.clusterIPs);
  if (oc.length === nc.length) {
    oc.forEach((ip, i) => {
      if (ip !== nc[i]) errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, v, 'may not change once set'));
    });
  } else if (oc.length > nc.length) {
    if (nc.length === 0) errs.push(fieldErrors.invalid('spec.clusterIPs[0]', v, 'primary clusterIP can not be unset'));
    if (oc.length > 0 && nc.length > 0 && nc[0] !== oc[0])
      errs.push(fieldErrors.invalid('spec.clusterIPs[0]', v, 'may not change once set'));
    if (nc.length === 1 && s.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        fieldErrors.invalid(
          'spec.ipFamilyPolicy',
          s.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary clusterIP",
        ),
      );
    }
  } else if (oc.length > 0 && nc[0] !== oc[0]) {
    errs.push(fieldErrors.invalid('spec.clusterIPs[0]', v, 'may not change once set'));
  }
  return errs;
}

/** validateUpgradeDowngradeIPFamilies. */
function validateIPFamiliesUpdate(s: ServiceSpec, old: ServiceSpec): FieldError[] {
  if (s.type === 'ExternalName' || old.type === 'ExternalName') return [];
  if (isHeadless(old) !== isHeadless(s) || isHeadless(s)) return [];
  const errs: FieldError[] = [];
  const of = old.ipFamilies ?? [];
  const nf = s.ipFamilies ?? [];
  if (of.length === nf.length) {
    of.forEach((f, i) => {
      if (f !== nf[i]) errs.push(fieldErrors.invalid('spec.ipFamilies[0]', goIPFamilies(s.ipFamilies), 'may not change once set'));
    });
  } else if (of.length > nf.length) {
    if ((s.clusterIPs ?? []).length === 0)
      errs.push(fieldErrors.invalid('spec.ipFamilies[0]', goIPFamilies(s.ipFamilies), 'primary ipFamily can not be unset'));
    if (nf.length > 0 && nf[0] !== of[0])
      errs.push(fieldErrors.invalid('spec.ipFamilies[0]', clusterIPsValue(s.clusterIPs), 'may not change once set'));
    if (nf.length === 1 && s.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        fieldErrors.invalid(
          'spec.ipFamilyPolicy',
          s.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary ipFamily",
        ),
      );
    }
  } else if (of.length > 0 && nf.length > 0 && nf[0] !== of[0]) {
    errs.push(fieldErrors.invalid('spec.ipFamilies[0]', clusterIPsValue(s.clusterIPs), 'may not change once set'));
  }
  return errs;
}

/** ValidateServiceUpdate. */
export function validateServiceUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const s = spec(obj);
  const o = spec(old);
  const errs = [...validateClusterIPsUpdate(s, o), ...validateIPFamiliesUpdate(s, o)];
  if (o.type === 'LoadBalancer' && s.type === 'LoadBalancer' && o.loadBalancerClass !== s.loadBalancerClass) {
    errs.push(fieldErrors.invalid('spec.loadBalancerClass', s.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (needsHealthCheck(o) && needsHealthCheck(s) && (s.healthCheckNodePort ?? 0) !== (o.healthCheckNodePort ?? 0)) {
    errs.push(fieldErrors.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return [...errs, ...validateService(obj)];
}

/** ValidateServiceStatusUpdate: the load balancer's ingress points. */
function validateServiceStatus(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ingress = (obj.status as { loadBalancer?: { ingress?: Array<Record<string, unknown>> } } | undefined)?.loadBalancer?.ingress;
  (Array.isArray(ingress) ? ingress : []).forEach((ing, i) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    if (typeof ing.ip === 'string' && ing.ip) errs.push(...validateIP(`${p}.ip`, ing.ip));
    if (ing.ipMode !== undefined && !ing.ip) errs.push(fieldErrors.forbidden(`${p}.ipMode`, 'may not be specified when `ip` is not set'));
    else if (ing.ipMode !== undefined && !['Proxy', 'VIP'].includes(String(ing.ipMode))) {
      errs.push(fieldErrors.notSupported(`${p}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
    } else if (ing.ip && ing.ipMode === undefined) errs.push(fieldErrors.required(`${p}.ipMode`, 'must be specified when `ip` is set'));
    if (typeof ing.hostname === 'string' && ing.hostname) {
      for (const m of isDNS1123Subdomain(ing.hostname)) errs.push(fieldErrors.invalid(`${p}.hostname`, ing.hostname, m));
      if (parseIP(ing.hostname)) errs.push(fieldErrors.invalid(`${p}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

// --- allocation (pkg/registry/core/service/storage/alloc.go) ---

interface Txn {
  commit(): Promise<void>;
  revert(): Promise<void>;
}

const noTxn: Txn = { commit: async () => {}, revert: async () => {} };

function allOf(txns: Txn[]): Txn {
  return {
    commit: async () => {
      for (const t of txns) await t.commit();
    },
    revert: async () => {
      for (const t of txns) await t.revert();
    },
  };
}

function invalidService(obj: KubeObject, errs: FieldError[]): StatusError {
  return invalid(SVC_KIND, obj.metadata?.name ?? '', errs);
}

/** The ClusterIP allocators (one per configured family, the first the default) and the NodePort allocator. */
export class ServiceAllocators {
  readonly byFamily = new Map<IPFamily, IPAllocator>();
  readonly defaultFamily: IPFamily;

  constructor(
    readonly storage: Storage,
    ipAllocators: IPAllocator[],
    readonly nodePorts: PortAllocator,
  ) {
    for (const a of ipAllocators) this.byFamily.set(a.family, a);
    this.defaultFamily = ipAllocators[0].family;
  }

  /** initIPFamilyFields: ipFamilyPolicy and ipFamilies from the request, the old object and the cluster's families. */
  private initIPFamilyFields(obj: KubeObject, old: KubeObject | undefined): void {
    const s = spec(obj);
    const o = old ? spec(old) : undefined;
    if (s.type === 'ExternalName') return;
    if (o && matchingPreferDualStack(s, o)) return;
    if (s.ipFamilyPolicy === undefined) {
      if (o?.ipFamilyPolicy !== undefined) s.ipFamilyPolicy = o.ipFamilyPolicy;
      else if (s.clusterIP === NONE && Object.keys(s.selector ?? {}).length === 0) s.ipFamilyPolicy = 'RequireDualStack';
      else s.ipFamilyPolicy = 'SingleStack';
    }
    const pre = validateClusterIPsRelated(s);
    if (pre.length) throw invalidService(obj, pre);
    const errs: FieldError[] = [];
    if (o) {
      if (s.ipFamilyPolicy === 'SingleStack') {
        if (sameStrings(o.clusterIPs, s.clusterIPs) && (s.clusterIPs ?? []).length > 1) s.clusterIPs = s.clusterIPs!.slice(0, 1);
        if (sameStrings(o.ipFamilies, s.ipFamilies) && (s.ipFamilies ?? []).length > 1) s.ipFamilies = s.ipFamilies!.slice(0, 1);
      } else {
        const nc = (s.clusterIPs ?? []).length;
        if (nc > 0 && nc < (o.clusterIPs ?? []).length) {
          errs.push(
            fieldErrors.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, "must be 'SingleStack' to release the secondary cluster IP"),
          );
        }
        const nf = (s.ipFamilies ?? []).length;
        if (nf > 0 && nf < (o.ipFamilies ?? []).length) {
          errs.push(
            fieldErrors.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, "must be 'SingleStack' to release the secondary IP family"),
          );
        }
      }
    }
    if (s.ipFamilyPolicy === 'SingleStack') {
      if ((s.clusterIPs ?? []).length === 2) {
        errs.push(
          fieldErrors.invalid(
            'spec.ipFamilyPolicy',
            s.ipFamilyPolicy,
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
          ),
        );
      }
      if ((s.ipFamilies ?? []).length === 2) {
        errs.push(
          fieldErrors.invalid(
            'spec.ipFamilyPolicy',
            s.ipFamilyPolicy,
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
          ),
        );
      }
    }
    const cips = s.clusterIPs ?? [];
    for (let i = 0; i < cips.length; i++) {
      if (cips[i] === NONE) break;
      const fam = ipFamilyOf(cips[i])!;
      if (i >= (s.ipFamilies ?? []).length) {
        if (!this.byFamily.has(fam))
          errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, clusterIPsValue(cips), `${fam} is not configured on this cluster`));
        else s.ipFamilies = [...(s.ipFamilies ?? []), fam];
      }
    }
    if (errs.length) throw invalidService(obj, errs);
    if (s.clusterIP === NONE && Object.keys(s.selector ?? {}).length === 0) {
      if ((s.ipFamilies ?? []).length === 0) s.ipFamilies = [this.defaultFamily];
      if (s.ipFamilies!.length < 2 && s.ipFamilyPolicy !== 'SingleStack') s.ipFamilies!.push(s.ipFamilies![0] === 'IPv4' ? 'IPv6' : 'IPv4');
      return;
    }
    if (s.ipFamilyPolicy === 'RequireDualStack' && this.byFamily.size < 2) {
      errs.push(fieldErrors.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
    }
    (s.ipFamilies ?? []).forEach((f, i) => {
      if (!this.byFamily.has(f as IPFamily)) errs.push(fieldErrors.invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
    });
    if (errs.length) throw invalidService(obj, errs);
    if ((s.ipFamilies ?? []).length === 0) s.ipFamilies = [this.defaultFamily];
    if (s.ipFamilyPolicy !== 'SingleStack' && s.ipFamilies!.length === 1 && this.byFamily.size === 2) {
      s.ipFamilies!.push(s.ipFamilies![0] === 'IPv4' ? 'IPv6' : 'IPv4');
    }
  }

  /** allocIPs: one IP per family, requested or picked. Returns the IPs reserved, by family. */
  private async allocIPs(obj: KubeObject, toAlloc: Map<IPFamily, string>, dryRun: boolean): Promise<Map<IPFamily, string>> {
    const done = new Map<IPFamily, string>();
    try {
      for (const [family, ip] of toAlloc) {
        const a = this.byFamily.get(family)!;
        if (ip === '') {
          try {
            done.set(family, await a.allocateNext(dryRun));
          } catch (e) {
            if (e instanceof AllocationError) throw internalError(new Error(`failed to allocate a serviceIP: ${e.message}`));
            throw e;
          }
        } else {
          try {
            await a.allocate(ip, dryRun);
          } catch (e) {
            if (!(e instanceof AllocationError)) throw e;
            throw invalidService(obj, [
              fieldErrors.invalid('spec.clusterIPs', clusterIPsValue(spec(obj).clusterIPs), `failed to allocate IP ${ip}: ${e.message}`),
            ]);
          }
          done.set(family, ip);
        }
      }
    } catch (e) {
      if (!dryRun) await this.releaseIPs(done);
      throw e;
    }
    return done;
  }

  private async releaseIPs(ips: Map<IPFamily, string>): Promise<void> {
    for (const [family, ip] of ips) await this.byFamily.get(family)?.release([ip]);
  }

  /** allocClusterIPs: fills clusterIPs (and clusterIP) for each family the Service asks for. */
  private async allocClusterIPs(obj: KubeObject, dryRun: boolean): Promise<Map<IPFamily, string>> {
    const s = spec(obj);
    if (s.type === 'ExternalName') return new Map();
    if ((s.clusterIPs ?? []).length > 0 && s.clusterIPs![0] === NONE) return new Map();
    const cips = [...(s.clusterIPs ?? [])];
    const toAlloc = new Map<IPFamily, string>();
    (s.ipFamilies ?? []).forEach((f, i) => {
      if (i > cips.length - 1) cips.push('');
      toAlloc.set(f as IPFamily, cips[i]);
    });
    const allocated = await this.allocIPs(obj, toAlloc, dryRun);
    (s.ipFamilies ?? []).forEach((f, i) => {
      const ip = allocated.get(f as IPFamily);
      if (ip !== undefined) cips[i] = ip;
    });
    s.clusterIPs = cips;
    if (cips.length > 0) s.clusterIP = cips[0];
    return allocated;
  }

  private ipTxn(allocated: Map<IPFamily, string>, released: Map<IPFamily, string>, dryRun: boolean): Txn {
    if (dryRun) return noTxn;
    return { commit: () => this.releaseIPs(released), revert: () => this.releaseIPs(allocated) };
  }

  /**
   * The NodePorts a Service needs (initNodePorts, updateNodePorts, the health check port), reserved in one
   * operation; ports the old object held and the new one does not are released on commit.
   */
  private async nodePortTxn(obj: KubeObject, old: KubeObject | undefined, dryRun: boolean): Promise<Txn> {
    const s = spec(obj);
    const o = old ? spec(old) : undefined;
    const oldPorts = o ? collectNodePorts(o) : [];
    const assigned = new Map<number, number>();
    let hcPort: number | undefined;
    const shouldAllocate = s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
    const reserved = await this.nodePorts.transact(dryRun, (op) => {
      assigned.clear();
      hcPort = undefined;
      // A requested port refused is the field's error; a full range is an internal error, as kube reports them.
      const reserve = (i: number, requested: number): number => {
        try {
          if (requested) op.allocate(requested);
          return requested || op.allocateNext();
        } catch (e) {
          if (!(e instanceof AllocationError)) throw e;
          if (!requested) throw internalError(new Error(`failed to allocate a nodePort: ${e.message}`));
          throw invalidService(obj, [fieldErrors.invalid(`spec.ports[${i}].nodePort`, requested, e.message)]);
        }
      };
      if (needsNodePort(s)) {
        const ps = ports(s);
        if (!o) {
          // initNodePorts: ports sharing a port number share a NodePort.
          const byPort = new Map<number, number>();
          ps.forEach((p, i) => {
            if (!p.nodePort && !shouldAllocate) return;
            const have = byPort.get(p.port ?? 0);
            if (have === undefined) {
              const requested = ps.find((q) => q.port === p.port && q.nodePort)?.nodePort ?? 0;
              const np = reserve(i, requested);
              assigned.set(i, np);
              byPort.set(p.port ?? 0, np);
            } else if ((p.nodePort ?? 0) !== have) {
              if (!p.nodePort) assigned.set(i, have);
              else reserve(i, p.nodePort);
            }
          });
        } else {
          // updateNodePorts: only ports the old object did not hold are reserved.
          const taken = new Set<number>();
          ps.forEach((p, i) => {
            if (!p.nodePort && !shouldAllocate) return;
            if (p.nodePort) {
              const np = p.nodePort;
              if (!oldPorts.includes(np) && !taken.has(np)) {
                reserve(i, np);
                taken.add(np);
              }
            } else assigned.set(i, reserve(i, 0));
          });
        }
      }
      const neededHC = o ? needsHealthCheck(o) : false;
      if (needsHealthCheck(s) && !neededHC) {
        try {
          if (s.healthCheckNodePort) op.allocate(s.healthCheckNodePort);
          else hcPort = op.allocateNext();
        } catch (e) {
          if (!(e instanceof AllocationError)) throw e;
          throw internalError(
            new Error(
              s.healthCheckNodePort
                ? `failed to allocate requested HealthCheck NodePort ${s.healthCheckNodePort}: ${e.message}`
                : `failed to allocate a HealthCheck NodePort 0: ${e.message}`,
            ),
          );
        }
      }
    });
    for (const [i, np] of assigned) ports(s)[i].nodePort = np;
    if (hcPort !== undefined) s.healthCheckNodePort = hcPort;
    // Released only when the write succeeds (ReleaseDeferred): what the old object held and the new one does not.
    const toRelease: number[] = [];
    if (o) {
      if (needsNodePort(o) && !needsNodePort(s)) toRelease.push(...oldPorts);
      if (needsNodePort(s)) {
        const now = new Set(collectNodePorts(s));
        toRelease.push(...oldPorts.filter((p) => !now.has(p)));
      }
      if (needsHealthCheck(o) && !needsHealthCheck(s) && o.healthCheckNodePort) toRelease.push(o.healthCheckNodePort);
    }
    if (dryRun) return noTxn;
    return {
      commit: () => this.nodePorts.release(toRelease),
      revert: () => this.nodePorts.release(reserved),
    };
  }

  /** allocateCreate. */
  async allocateCreate(obj: KubeObject, dryRun: boolean): Promise<Txn> {
    this.initIPFamilyFields(obj, undefined);
    const ips = await this.allocClusterIPs(obj, dryRun);
    const ipTxn = this.ipTxn(ips, new Map(), dryRun);
    try {
      return allOf([ipTxn, await this.nodePortTxn(obj, undefined, dryRun)]);
    } catch (e) {
      await ipTxn.revert();
      throw e;
    }
  }

  /** allocateUpdate: type changes allocate or release the ClusterIPs; NodePorts follow the ports. */
  async allocateUpdate(obj: KubeObject, old: KubeObject, dryRun: boolean): Promise<Txn> {
    this.initIPFamilyFields(obj, old);
    const s = spec(obj);
    const o = spec(old);
    let ipTxn = noTxn;
    if (!matchingPreferDualStack(s, o)) {
      if (o.type === 'ExternalName' && s.type !== 'ExternalName') {
        ipTxn = this.ipTxn(await this.allocClusterIPs(obj, dryRun), new Map(), dryRun);
      } else if (!((o.clusterIPs ?? []).length > 0 && o.clusterIPs![0] === NONE)) {
        if (o.type !== 'ExternalName' && s.type === 'ExternalName') {
          const rel = new Map<IPFamily, string>();
          (o.ipFamilies ?? []).forEach((f, i) => {
            if (o.clusterIPs?.[i]) rel.set(f as IPFamily, o.clusterIPs[i]);
          });
          ipTxn = this.ipTxn(new Map(), rel, dryRun);
        } else if ((o.ipFamilies ?? []).length === 1 && (s.ipFamilies ?? []).length === 2) {
          const cips = [...(s.clusterIPs ?? [])];
          if (cips.length < 2) cips.push('');
          const fam = s.ipFamilies![1] as IPFamily;
          const allocated = await this.allocIPs(obj, new Map([[fam, cips[1]]]), dryRun);
          cips[1] = allocated.get(fam)!;
          s.clusterIPs = cips;
          ipTxn = this.ipTxn(allocated, new Map(), dryRun);
        } else if ((o.ipFamilies ?? []).length === 2 && (s.ipFamilies ?? []).length === 1) {
          ipTxn = this.ipTxn(new Map(), new Map([[o.ipFamilies![1] as IPFamily, o.clusterIPs?.[1] ?? '']]), dryRun);
        }
      }
    }
    try {
      return allOf([ipTxn, await this.nodePortTxn(obj, old, dryRun)]);
    } catch (e) {
      await ipTxn.revert();
      throw e;
    }
  }

  /** releaseAllocatedResources: a deleted Service's ClusterIPs and NodePorts. */
  async releaseAllocated(obj: KubeObject): Promise<void> {
    const s = spec(obj);
    if (s.type !== 'ExternalName' && !isHeadless(s)) {
      for (const ip of s.clusterIPs ?? []) {
        const fam = ipFamilyOf(ip);
        if (fam) await this.byFamily.get(fam)?.release([ip]);
      }
    }
    const nps = collectNodePorts(s);
    if (nps.length) await this.nodePorts.release(nps);
  }
}

function collectNodePorts(s: ServiceSpec): number[] {
  const out = ports(s).flatMap((p) => (p.nodePort ? [p.nodePort] : []));
  if (s.healthCheckNodePort) out.push(s.healthCheckNodePort);
  return out;
}

/** isMatchingPreferDualStackClusterIPFields: a PreferDualStack Service left as it was is not re-allocated. */
function matchingPreferDualStack(s: ServiceSpec, o: ServiceSpec): boolean {
  if (s.ipFamilyPolicy === undefined || o.type !== s.type) return false;
  if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(s.type ?? '')) return false;
  if (s.ipFamilyPolicy !== 'PreferDualStack') return false;
  if (o.ipFamilyPolicy !== undefined && o.ipFamilyPolicy !== 'PreferDualStack') return false;
  return sameStrings(o.clusterIPs, s.clusterIPs) && sameStrings(o.ipFamilies, s.ipFamilies);
}

// --- printer (printService) ---

function loadBalancerIngress(obj: KubeObject, wide: boolean): string {
  const ingress = (obj.status as { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } } | undefined)?.loadBalancer
    ?.ingress;
  const set = new Set<string>();
  for (const i of Array.isArray(ingress) ? ingress : []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  let r = [...set].sort().join(',');
  if (!wide && r.length > 16) r = `${r.slice(0, 13)}...`;
  return r;
}

function externalIPCell(obj: KubeObject): string {
  const s = spec(obj);
  const ext = s.externalIPs ?? [];
  switch (s.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      // kube-apiserver's table convertor prints wide (GenerateOptions{Wide: true}): the list is not elided.
      const lb = loadBalancerIngress(obj, true);
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return s.externalName ?? '';
  }
  return '<unknown>';
}

function portsCell(s: ServiceSpec): string {
  const out = ports(s)
    .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? ''}` : `${p.port}/${p.protocol ?? ''}`))
    .join(',');
  return out || '<none>';
}

/** Selectable fields: metadata.* and spec.clusterIP, spec.type (kube-proxy lists non-headless Services with them). */
function serviceFields(obj: KubeObject): Record<string, string> {
  const s = isPlainObject(obj.spec) ? (obj.spec as ServiceSpec) : {};
  return { 'spec.clusterIP': s.clusterIP ?? '', 'spec.type': s.type ?? '' };
}

/** ServiceStatus and its loadBalancer are Go structs: always serialised. */
function serviceWireFields(obj: KubeObject): void {
  spec(obj);
  const status = isPlainObject(obj.status) ? obj.status : {};
  if (!isPlainObject(status.loadBalancer)) status.loadBalancer = {};
  obj.status = status;
}

const serviceBase: Strategy = {
  namespaced: true,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  allowCreateOnUpdate: true,
  nameValidator: nameIsDNS1035Label,
  defaults: defaultService,
  prepareForCreate(obj) {
    obj.status = {};
    defaultService(obj);
    normalizeClusterIPs(spec(obj));
  },
  prepareForUpdate(obj, old, ctx) {
    defaultService(obj);
    if (ctx.subresource === 'status') return;
    patchAllocatedValues(spec(obj), spec(old));
    normalizeClusterIPs(spec(obj), spec(old));
  },
  validate: validateService,
  validateUpdate: (obj, old, ctx) => (ctx.subresource === 'status' ? validateServiceStatus(obj) : validateServiceUpdate(obj, old)),
  canonicalize: serviceWireFields,
  fieldLabels: serviceFields,
  supportedFieldLabels: ['spec.clusterIP', 'spec.type'],
  tableColumns: [
    nameColumn,
    docColumn('Type', 'string', 'V1ServiceSpec', 'type'),
    docColumn('Cluster-IP', 'string', 'V1ServiceSpec', 'clusterIP'),
    docColumn('External-IP', 'string', 'V1ServiceSpec', 'externalIPs'),
    docColumn('Port(s)', 'string', 'V1ServiceSpec', 'ports'),
    ageColumn,
    docColumn('Selector', 'string', 'V1ServiceSpec', 'selector', 1),
  ],
  tableRow(obj) {
    const s = spec(obj);
    const ip = (s.clusterIPs ?? []).length > 0 ? s.clusterIPs![0] : '<none>';
    return [
      objName(obj),
      s.type ?? '',
      ip,
      externalIPCell(obj),
      portsCell(s),
      age(obj.metadata?.creationTimestamp),
      formatLabels(s.selector),
    ];
  },
};

/** The Service strategy without allocation (a server configures one with its allocators: serviceStrategyFor). */
export const serviceStrategy: Strategy = serviceBase;

const settle =
  (txn: Txn): FinishFunc =>
  async (success) =>
    success ? txn.commit() : txn.revert();

/**
 * The Service strategy with kube's REST storage hooks: beginCreate/beginUpdate reserve
 * ClusterIPs and NodePorts (patchAllocatedValues, normalizeClusterIPs, then the allocation,
 * then dropTypeDependentFields); afterDelete releases them and removes the Endpoints of the name.
 */
export function serviceStrategyFor(alloc: ServiceAllocators): Strategy {
  return {
    ...serviceBase,
    async beginCreate(obj: KubeObject, ctx: RequestContext) {
      return settle(await alloc.allocateCreate(obj, ctx.dryRun));
    },
    async beginUpdate(obj: KubeObject, old: KubeObject, ctx: RequestContext) {
      if (ctx.subresource === 'status') return undefined;
      const txn = await alloc.allocateUpdate(obj, old, ctx.dryRun);
      dropTypeDependentFields(spec(obj), spec(old), isPlainObject(obj.status) ? obj.status : undefined);
      return settle(txn);
    },
    async afterDelete(obj: KubeObject, ctx: RequestContext) {
      if (ctx.dryRun) return;
      const m = obj.metadata ?? {};
      await alloc.storage.delete(`${ENDPOINTS_KEY_PREFIX}/${m.namespace}/${m.name}`).catch(() => undefined);
      await alloc.releaseAllocated(obj);
    },
  };
}

/** IPs and NodePorts the stored Services hold (what a missing or stale allocation snapshot is rebuilt from). */
export async function servicesInUse(storage: Storage): Promise<{ ips: string[]; nodePorts: number[] }> {
  const list = await storage.list(`${SERVICES_KEY_PREFIX}/`);
  const ips: string[] = [];
  const nodePorts: number[] = [];
  for (const svc of list.items) {
    const s = isPlainObject(svc.spec) ? (svc.spec as ServiceSpec) : {};
    if (s.type !== 'ExternalName') for (const ip of s.clusterIPs ?? []) if (ip !== NONE) ips.push(ip);
    nodePorts.push(...collectNodePorts(s));
  }
  return { ips, nodePorts };
}

// --- services/proxy (ResourceLocation in pkg/registry/core/service/storage) ---

/** isValidAddress: an endpoint address is proxied to only when it is a pod of the namespace that has that IP. */
async function isProxyablePod(call: SubresourceCall, addr: Record<string, unknown>): Promise<boolean> {
  const ref = isPlainObject(addr.targetRef) ? addr.targetRef : undefined;
  if (!ref || ref.namespace !== call.ctx.namespace) return false;
  const pods = call.lookup('', 'pods');
  if (!pods) return false;
  try {
    const pod = await pods.store.get(call.ctx, String(ref.name ?? ''));
    const st = isPlainObject(pod.status) ? pod.status : {};
    const ips = Array.isArray(st.podIPs) ? st.podIPs.map((p) => (isPlainObject(p) ? p.ip : undefined)) : [];
    return ips.includes(addr.ip);
  } catch {
    return false;
  }
}

/**
 * services/proxy: the Service's Endpoints pick a pod address for the port; with none the answer is kube's
 * (`endpoints "x" not found` when no Endpoints object exists, 503 `no endpoints available for service "x"`
 * otherwise), and a pod address is dialled as the proxy would (nothing is relayed).
 */
export const serviceProxy: SubresourceREST = proxySubresource('ServiceProxyOptions', 'service', async (call, id) => {
  let portName = id.port;
  if (/^-?\d+$/.test(portName)) {
    const svc = await call.store.get(call.ctx, id.name);
    const n = Number(portName);
    const match = ports(spec(svc)).find((p) => p.port === n);
    if (!match) throw serviceUnavailable(`no service port ${n} found for service "${id.name}"`);
    portName = match.name ?? '';
  }
  const endpoints = call.lookup('', 'endpoints');
  if (!endpoints) throw serviceUnavailable(`no endpoints available for service "${id.name}"`);
  const eps = await endpoints.store.get(call.ctx, id.name);
  const subsets = Array.isArray(eps.subsets) ? eps.subsets.filter(isPlainObject) : [];
  if (subsets.length === 0) throw serviceUnavailable(`no endpoints available for service "${id.name}"`);
  for (const ss of subsets) {
    const addrs = Array.isArray(ss.addresses) ? ss.addresses.filter(isPlainObject) : [];
    for (const port of Array.isArray(ss.ports) ? ss.ports.filter(isPlainObject) : []) {
      if ((port.name ?? '') !== portName) continue;
      for (const addr of addrs) {
        if (!(await isProxyablePod(call, addr))) continue;
        const failure = await dialError(String(addr.ip), Number(port.port));
        throw serviceUnavailable(`error trying to reach service: ${failure ?? 'proxying to pods is not supported by this server'}`);
      }
    }
  }
  throw serviceUnavailable(`no endpoints available for service "${call.name}"`);
});

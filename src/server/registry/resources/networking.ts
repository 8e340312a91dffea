// networking.k8s.io/v1: Ingress, IngressClass, NetworkPolicy, with their
// defaults (pkg/apis/networking/v1/defaults.go), validation
// (pkg/apis/networking/validation), strategies (pkg/registry/networking/*),
// printers. The default IngressClass is the DefaultIngressClass admission plugin's.

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPathSegmentName, nameIsDNSSubdomain } from '../../api/names.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { Strategy } from '../strategy.js';
import { validateLabelSelector } from '../validation/labelselector.js';
import { docColumn } from './cluster-common.js';
import { CIDR_MESSAGE, parseCIDR, parseIP, portNameErrors, portNumErrors, validateIP } from './netutil.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { nameIsDNS1035Label } from './service.js';
import { type Obj, objOf, objsOf, specOf } from './values.js';
import { formatLabelSelector } from './workload-helpers.js';

const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

// --- Ingress ---

const wildcardFmt = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';

/** validation.IsWildcardDNS1123Subdomain. */
function wildcardSubdomainErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!new RegExp(`^${wildcardFmt}$`).test(v)) {
    errs.push(
      `a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '${wildcardFmt}')`,
    );
  }
  return errs;
}

function validateBackend(b: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const resource = objOf(b.resource);
  const service = objOf(b.service);
  if (resource && service) return [fieldErrors.invalid(path, '', 'cannot set both resource and service backends')];
  if (resource) {
    const rp = `${path}.resource`;
    if (typeof resource.apiGroup === 'string')
      for (const m of isDNS1123Subdomain(resource.apiGroup)) errs.push(fieldErrors.invalid(`${rp}.apiGroup`, resource.apiGroup, m));
    for (const f of ['kind', 'name']) {
      const v = typeof resource[f] === 'string' ? (resource[f] as string) : '';
      if (!v) errs.push(fieldErrors.required(`${rp}.${f}`));
      else for (const m of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${rp}.${f}`, v, m));
    }
  } else if (service) {
    const name = typeof service.name === 'string' ? service.name : '';
    if (!name) errs.push(fieldErrors.required(`${path}.service.name`));
    else for (const m of nameIsDNS1035Label(name, false)) errs.push(fieldErrors.invalid(`${path}.service.name`, name, m));
    const port = objOf(service.port) ?? {};
    const portName = typeof port.name === 'string' ? port.name : '';
    const portNumber = typeof port.number === 'number' ? port.number : 0;
    if (portName && portNumber) errs.push(fieldErrors.invalid(path, '', 'cannot set both port name & port number'));
    else if (portName) for (const m of portNameErrors(portName)) errs.push(fieldErrors.invalid(`${path}.service.port.name`, portName, m));
    else if (portNumber)
      for (const m of portNumErrors(portNumber)) errs.push(fieldErrors.invalid(`${path}.service.port.number`, portNumber, m));
    else errs.push(fieldErrors.required(path, 'port name or number is required'));
  } else errs.push(fieldErrors.invalid(path, '', 'resource or service backend is required'));
  return errs;
}

function validateHTTPPath(p: Obj, path: string): FieldError[] {
  const pathType = p.pathType;
  if (pathType === undefined || pathType === null) return [fieldErrors.required(`${path}.pathType`, 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = typeof p.path === 'string' ? p.path : '';
  if (pathType === 'Exact' || pathType === 'Prefix') {
    if (!value.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.path`, value, 'must be an absolute path'));
    if (value) {
      for (const seq of ['//', '/./', '/../', '%2f', '%2F'])
        if (value.includes(seq)) errs.push(fieldErrors.invalid(`${path}.path`, value, `must not contain '${seq}'`));
      for (const suf of ['/..', '/.'])
        if (value.endsWith(suf)) errs.push(fieldErrors.invalid(`${path}.path`, value, `cannot end with '${suf}'`));
    }
  } else if (pathType === 'ImplementationSpecific') {
    if (value && !value.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.path`, value, 'must be an absolute path'));
  } else errs.push(fieldErrors.notSupported(`${path}.pathType`, pathType, ['Exact', 'ImplementationSpecific', 'Prefix']));
  return [...errs, ...validateBackend(objOf(p.backend) ?? {}, `${path}.backend`)];
}

/** ValidateIngressSpec and ValidateIngressCreate's class annotation check. */
function validateIngress(o: KubeObject, create: boolean): FieldError[] {
  const s = specOf(o);
  const errs: FieldError[] = [];
  const rules = objsOf(s.rules);
  if (rules.length === 0 && !objOf(s.defaultBackend)) {
    const rendered = Array.isArray(s.rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)';
    errs.push(fieldErrors.invalid('spec', new GoValue(rendered), 'either `defaultBackend` or `rules` must be specified'));
  }
  if (objOf(s.defaultBackend)) errs.push(...validateBackend(objOf(s.defaultBackend)!, 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const p = `spec.rules[${i}]`;
    const host = typeof r.host === 'string' ? r.host : '';
    if (host) {
      if (parseIP(host)) errs.push(fieldErrors.invalid(`${p}.host`, host, 'must be a DNS name, not an IP address'));
      const msgs = host.includes('*') ? wildcardSubdomainErrors(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(fieldErrors.invalid(`${p}.host`, host, m));
    }
    const http = objOf(r.http);
    if (http) {
      const paths = objsOf(http.paths);
      if (paths.length === 0) errs.push(fieldErrors.required(`${p}.http.paths`));
      paths.forEach((hp, j) => {
        errs.push(...validateHTTPPath(hp, `${p}.http.paths[${j}]`));
      });
    }
  });
  objsOf(s.tls).forEach((t, i) => {
    const hosts = Array.isArray(t.hosts) ? t.hosts.map(String) : [];
    hosts.forEach((h, j) => {
      const msgs = h.includes('*') ? wildcardSubdomainErrors(h) : isDNS1123Subdomain(h);
      for (const m of msgs) errs.push(fieldErrors.invalid(`spec.tls[${i}].hosts[${j}]`, h, m));
    });
    if (typeof t.secretName === 'string' && t.secretName) {
      for (const m of nameIsDNSSubdomain(t.secretName, false)) errs.push(fieldErrors.invalid(`spec.tls[${i}].secretName`, t.secretName, m));
    }
  });
  if (typeof s.ingressClassName === 'string') {
    for (const m of nameIsDNSSubdomain(s.ingressClassName, false))
      errs.push(fieldErrors.invalid('spec.ingressClassName', s.ingressClassName, m));
  }
  const annotation = o.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (create && annotation !== undefined && typeof s.ingressClassName === 'string' && annotation !== s.ingressClassName) {
    errs.push(
      fieldErrors.invalid(`annotations.${INGRESS_CLASS_ANNOTATION}`, annotation, 'must match `ingressClassName` when both are specified'),
    );
  }
  return errs;
}

/** ValidateIngressLoadBalancerStatus. */
function validateIngressStatus(o: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ingress = objsOf(objOf(objOf(o.status)?.loadBalancer)?.ingress);
  ingress.forEach((ing, i) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    if (typeof ing.ip === 'string' && ing.ip) errs.push(...validateIP(`${p}.ip`, ing.ip));
    if (typeof ing.hostname === 'string' && ing.hostname) {
      for (const m of isDNS1123Subdomain(ing.hostname)) errs.push(fieldErrors.invalid(`${p}.hostname`, ing.hostname, m));
      if (parseIP(ing.hostname)) errs.push(fieldErrors.invalid(`${p}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

/** IngressStatus and its loadBalancer are structs: always serialised. */
function ingressWire(o: KubeObject): void {
  specOf(o);
  const status = isPlainObject(o.status) ? o.status : {};
  if (!isPlainObject(status.loadBalancer)) status.loadBalancer = {};
  o.status = status;
}

function formatHosts(rules: Obj[]): string {
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === 3) more = true;
    if (!more && typeof r.host === 'string' && r.host) list.push(r.host);
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${rules.length - 3} more...` : list.join(',');
}

function ingressAddress(o: KubeObject): string {
  const set = new Set<string>();
  for (const i of objsOf(objOf(objOf(o.status)?.loadBalancer)?.ingress)) {
    if (i.ip) set.add(String(i.ip));
    else if (i.hostname) set.add(String(i.hostname));
  }
  // Printed wide by kube-apiserver's table convertor (GenerateOptions{Wide: true}): never elided.
  return [...set].sort().join(',');
}

const ingressBase: Strategy = {
  namespaced: true,
  hasGeneration: true,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  prepareForCreate(o) {
    o.status = {};
  },
  validate(o, ctx) {
    const s = specOf(o);
    if (o.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION] !== undefined && s.ingressClassName === undefined) {
      ctx.warnings.push(`annotation "${INGRESS_CLASS_ANNOTATION}" is deprecated, please use 'spec.ingressClassName' instead`);
    }
    return validateIngress(o, true);
  },
  validateUpdate: (o, _old, ctx) => (ctx.subresource === 'status' ? validateIngressStatus(o) : validateIngress(o, false)),
  canonicalize: ingressWire,
  tableColumns: [
    nameColumn,
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn,
  ],
  tableRow(o) {
    const s = specOf(o);
    return [
      objName(o),
      typeof s.ingressClassName === 'string' ? s.ingressClassName : '<none>',
      formatHosts(objsOf(s.rules)),
      ingressAddress(o),
      objsOf(s.tls).length ? '80, 443' : '80',
      age(o.metadata?.creationTimestamp),
    ];
  },
};

export const ingressStrategy: Strategy = ingressBase;

// --- IngressClass ---

export const INGRESS_CLASSES_KEY_PREFIX = '/ingressclasses';

const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

/** validation.IsDomainPrefixedPath. */
function domainPrefixedPathErrors(path: string, v: string): FieldError[] {
  if (!v) return [fieldErrors.required(path)];
  const i = v.indexOf('/');
  if (i <= 0 || i === v.length - 1) return [fieldErrors.invalid(path, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = v.slice(0, i);
  const rest = v.slice(i + 1);
  const errs = isDNS1123Subdomain(host).map((m) => fieldErrors.invalid(path, host, m));
  if (!new RegExp(`^${httpPathFmt}$`).test(rest))
    errs.push(fieldErrors.invalid(path, rest, `Invalid path (regex used for validation is '${httpPathFmt}')`));
  return errs;
}

function validateIngressClass(o: KubeObject): FieldError[] {
  const s = specOf(o);
  const errs: FieldError[] = [];
  const controller = typeof s.controller === 'string' ? s.controller : '';
  if (!controller) errs.push(fieldErrors.required('spec.controller'));
  else {
    if (controller.length > 250) errs.push(fieldErrors.tooLong('spec.controller', 250));
    errs.push(...domainPrefixedPathErrors('spec.controller', controller));
  }
  const params = objOf(s.parameters);
  if (params) {
    const p = 'spec.parameters';
    if (typeof params.apiGroup === 'string')
      for (const m of isDNS1123Subdomain(params.apiGroup)) errs.push(fieldErrors.invalid(`${p}.apiGroup`, params.apiGroup, m));
    for (const f of ['kind', 'name']) {
      const v = typeof params[f] === 'string' ? (params[f] as string) : '';
      if (!v) errs.push(fieldErrors.required(`${p}.${f}`));
      else for (const m of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${p}.${f}`, v, m));
    }
    const scope = params.scope;
    if (scope === undefined || scope === null) errs.push(fieldErrors.required(`${p}.scope`));
    else if (scope !== 'Cluster' && scope !== 'Namespace')
      errs.push(fieldErrors.notSupported(`${p}.scope`, scope, ['Cluster', 'Namespace']));
    else if (scope === 'Namespace') {
      if (typeof params.namespace !== 'string')
        errs.push(fieldErrors.required(`${p}.namespace`, "`parameters.scope` is set to 'Namespace'"));
      else for (const m of isDNS1123Label(params.namespace)) errs.push(fieldErrors.invalid(`${p}.namespace`, params.namespace, m));
    } else if (params.namespace !== undefined) errs.push(fieldErrors.forbidden(`${p}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

/** SetDefaults_IngressClass: parameters scope Cluster. */
function defaultIngressClass(o: KubeObject): void {
  const params = objOf(specOf(o).parameters);
  if (params && params.scope === undefined) params.scope = 'Cluster';
}

export const ingressClassStrategy: Strategy = {
  namespaced: false,
  hasGeneration: true,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  prepareForCreate: defaultIngressClass,
  prepareForUpdate: defaultIngressClass,
  validate: validateIngressClass,
  validateUpdate(o, old) {
    const errs: FieldError[] = [];
    const c = specOf(o).controller;
    if (c !== specOf(old).controller) errs.push(fieldErrors.invalid('spec.controller', c ?? '', 'field is immutable'));
    return [...errs, ...validateIngressClass(o)];
  },
  canonicalize: (o) => {
    specOf(o);
  },
  tableColumns: [
    nameColumn,
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn,
  ],
  tableRow(o) {
    const s = specOf(o);
    const p = objOf(s.parameters);
    let parameters = '<none>';
    if (p) parameters = `${p.kind ?? ''}${typeof p.apiGroup === 'string' ? `.${p.apiGroup}` : ''}/${p.name ?? ''}`;
    return [objName(o), String(s.controller ?? ''), parameters, age(o.metadata?.creationTimestamp)];
  },
};

// --- NetworkPolicy ---

function validatePolicyPort(port: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(port.protocol))) {
    errs.push(fieldErrors.notSupported(`${path}.protocol`, port.protocol, ['TCP', 'UDP', 'SCTP']));
  }
  if (port.port !== undefined && port.port !== null) {
    if (typeof port.port === 'number') {
      for (const m of portNumErrors(port.port)) errs.push(fieldErrors.invalid(`${path}.port`, port.port, m));
      if (typeof port.endPort === 'number') {
        if (port.endPort < port.port)
          errs.push(fieldErrors.invalid(`${path}.endPort`, port.endPort, 'must be greater than or equal to `port`'));
        for (const m of portNumErrors(port.endPort)) errs.push(fieldErrors.invalid(`${path}.endPort`, port.endPort, m));
      }
    } else {
      if (port.endPort !== undefined)
        errs.push(fieldErrors.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is non-numeric'));
      for (const m of portNameErrors(String(port.port))) errs.push(fieldErrors.invalid(`${path}.port`, port.port, m));
    }
  } else if (port.endPort !== undefined) {
    errs.push(fieldErrors.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function validatePeer(peer: Obj, path: string, knownCIDRs: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer.podSelector !== undefined && peer.podSelector !== null) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  }
  if (peer.namespaceSelector !== undefined && peer.namespaceSelector !== null) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  const ipb = objOf(peer.ipBlock);
  if (ipb) {
    n++;
    const cidr = typeof ipb.cidr === 'string' ? ipb.cidr : '';
    if (!cidr) errs.push(fieldErrors.required(`${path}.ipBlock.cidr`));
    else {
      const c = parseCIDR(cidr);
      if (!c && !knownCIDRs.has(cidr)) errs.push(fieldErrors.invalid(`${path}.ipBlock.cidr`, cidr, CIDR_MESSAGE));
      (Array.isArray(ipb.except) ? ipb.except.map(String) : []).forEach((ex, i) => {
        const ep = `${path}.ipBlock.except[${i}]`;
        const e = parseCIDR(ex);
        if (!e) {
          if (!knownCIDRs.has(ex)) errs.push(fieldErrors.invalid(ep, ex, CIDR_MESSAGE));
          return;
        }
        if (!c) return;
        const within = e.family === c.family && e.base >> BigInt(c.bits - c.prefix) === c.base >> BigInt(c.bits - c.prefix);
        if (!within || c.prefix >= e.prefix) errs.push(fieldErrors.invalid(ep, ex, 'must be a strict subset of `cidr`'));
      });
    }
  }
  if (n === 0) errs.push(fieldErrors.required(path, 'must specify a peer'));
  else if (n > 1 && ipb) errs.push(fieldErrors.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

/** ValidateNetworkPolicySpec; CIDRs the old object held are not checked again (ValidateIPBlock). */
function validateNetworkPolicy(o: KubeObject, old?: KubeObject): FieldError[] {
  const s = specOf(o);
  const known = new Set<string>();
  if (old) {
    const os = specOf(old);
    for (const [rules, key] of [
      [objsOf(os.ingress), 'from'],
      [objsOf(os.egress), 'to'],
    ] as const) {
      for (const r of rules)
        for (const peer of objsOf(r[key])) {
          const ipb = objOf(peer.ipBlock);
          if (ipb) for (const c of [ipb.cidr, ...(Array.isArray(ipb.except) ? ipb.except : [])]) known.add(String(c));
        }
    }
  }
  const errs = validateLabelSelector(s.podSelector ?? {}, 'spec.podSelector');
  for (const [rules, dir, key] of [
    [objsOf(s.ingress), 'ingress', 'from'],
    [objsOf(s.egress), 'egress', 'to'],
  ] as const) {
    rules.forEach((r, i) => {
      const p = `spec.${dir}[${i}]`;
      objsOf(r.ports).forEach((port, j) => {
        errs.push(...validatePolicyPort(port, `${p}.ports[${j}]`));
      });
      objsOf(r[key]).forEach((peer, j) => {
        errs.push(...validatePeer(peer, `${p}.${key}[${j}]`, known));
      });
    });
  }
  const types = Array.isArray(s.policyTypes) ? s.policyTypes.map(String) : [];
  if (types.length > 2) {
    errs.push(
      fieldErrors.invalid(
        'spec.policyTypes',
        new GoValue(`&[]networking.PolicyType{${types.map((t) => JSON.stringify(t)).join(', ')}}`),
        'may not specify more than two policyTypes',
      ),
    );
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldErrors.notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
  });
  return errs;
}

/** SetDefaults_NetworkPolicy (policyTypes: Ingress, and Egress with egress rules) and SetDefaults_NetworkPolicyPort (TCP). */
function defaultNetworkPolicy(o: KubeObject): void {
  const s = specOf(o);
  for (const dir of ['ingress', 'egress'])
    for (const r of objsOf(s[dir])) for (const p of objsOf(r.ports)) if (p.protocol === undefined) p.protocol = 'TCP';
  if (!Array.isArray(s.policyTypes) || s.policyTypes.length === 0) {
    s.policyTypes = Array.isArray(s.egress) && s.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

export const networkPolicyStrategy: Strategy = {
  namespaced: true,
  hasGeneration: true,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  prepareForCreate(o) {
    delete o.status;
    defaultNetworkPolicy(o);
  },
  prepareForUpdate(o) {
    delete o.status;
    defaultNetworkPolicy(o);
  },
  validate: (o) => validateNetworkPolicy(o),
  validateUpdate: (o, old) => validateNetworkPolicy(o, old),
  // NetworkPolicySpec.podSelector is a struct (no omitempty): `{}` when it selects every pod.
  canonicalize(o) {
    const s = specOf(o);
    if (!isPlainObject(s.podSelector)) s.podSelector = {};
  },
  tableColumns: [nameColumn, docColumn('Pod-Selector', 'string', 'V1NetworkPolicySpec', 'podSelector'), ageColumn],
  tableRow: (o) => [objName(o), formatLabelSelector(specOf(o).podSelector ?? {}), age(o.metadata?.creationTimestamp)],
};

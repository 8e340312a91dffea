// kube's DenyServiceExternalIPs (plugin/pkg/admission/network/denyserviceexternalips),
// off by default: no new spec.externalIPs on Services (an update may keep or drop old ones).

import { forbidden } from '../../api/errors.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import { isResource, obj } from './util.js';

const ips = (o: unknown): string[] => {
  const v = obj(obj(o)?.spec)?.externalIPs;
  return Array.isArray(v) ? v.map(String) : [];
};

export class DenyServiceExternalIPs implements ValidatingPlugin {
  readonly name = 'DenyServiceExternalIPs';

  validate(a: AdmissionAttributes): void {
    if (!isResource(a, '', 'services') || !a.object) return;
    const next = ips(a.object);
    if (!next.length) return;
    const old = new Set(a.oldObject ? ips(a.oldObject) : []);
    if (a.oldObject && next.every((ip) => old.has(ip))) return;
    throw forbidden({ group: '', resource: 'services' }, a.name, 'Use of external IPs is denied by admission control');
  }
}

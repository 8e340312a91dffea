// kube's ServiceAccount admission (plugin/pkg/admission/serviceaccount), off by
// default here as envtest runs it (no token controller); on, a new pod gets the
// `default` service account when it names none, must name one that exists, and
// gets the kube-api-access-<random> projected token volume mounted in every
// container unless automounting is turned off (pod first, then the account).

import { randomBytes } from 'node:crypto';
import { forbidden } from '../../api/errors.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';
import { isResource, type Obj, obj, objects } from './util.js';

const MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(n: number): string {
  return [...randomBytes(n)].map((b) => ALPHANUMS[b % ALPHANUMS.length]).join('');
}

function tokenVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

export class ServiceAccount implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'ServiceAccount';
  constructor(private readonly objects: ObjectAccess) {}

  private handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && isResource(a, '', 'pods') && !!a.object && !a.object.metadata?.annotations?.[MIRROR_ANNOTATION];
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!this.handles(a)) return;
    const spec = (obj(a.object!.spec) ?? {}) as Obj;
    if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
    spec.serviceAccount = spec.serviceAccountName;
    a.object!.spec = spec;
    const sa = await this.objects.get(CORE('serviceaccounts'), a.namespace, String(spec.serviceAccountName));
    if (!sa) return;
    const automount =
      typeof spec.automountServiceAccountToken === 'boolean'
        ? spec.automountServiceAccountToken
        : (sa as Obj).automountServiceAccountToken !== false;
    if (!automount) return;
    const volumes = objects(spec.volumes);
    let volume = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith('kube-api-access-'))?.name as string | undefined;
    const containers = [...objects(spec.initContainers), ...objects(spec.containers)];
    for (const c of containers) {
      const mounts = objects(c.volumeMounts);
      if (mounts.some((m) => m.mountPath === MOUNT_PATH)) continue;
      volume ??= `kube-api-access-${randomSuffix(5)}`;
      c.volumeMounts = [...mounts, { name: volume, readOnly: true, mountPath: MOUNT_PATH }];
    }
    if (volume && !volumes.some((v) => v.name === volume)) spec.volumes = [...volumes, tokenVolume(volume)];
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!this.handles(a)) return;
    const name = String(obj(a.object!.spec)?.serviceAccountName ?? 'default');
    const sa = await this.objects.get(CORE('serviceaccounts'), a.namespace, name);
    if (!sa)
      throw forbidden(
        { group: '', resource: 'pods' },
        a.name,
        `error looking up service account ${a.namespace}/${name}: serviceaccount "${name}" not found`,
      );
  }
}

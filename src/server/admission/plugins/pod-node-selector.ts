// kube's PodNodeSelector (plugin/pkg/admission/podnodeselector), off by default: a
// new pod's nodeSelector takes its namespace's scheduler.alpha.kubernetes.io/node-selector
// annotation (or the configuration's clusterDefaultNodeSelector), must not conflict with
// it, and must stay within the configuration's per-namespace whitelist.

import { forbidden } from '../../api/errors.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';
import { isResource, obj } from './util.js';

const ANNOTATION = 'scheduler.alpha.kubernetes.io/node-selector';
type LabelSet = Record<string, string>;

/** labels.ConvertSelectorToLabelsMap: `k=v,k2=v2`. */
function labelsMap(selector: string | undefined): LabelSet {
  const out: LabelSet = {};
  for (const part of (selector ?? '').split(',')) {
    const p = part.trim();
    if (!p) continue;
    const [k, v = ''] = p.split(/==?/);
    out[k.trim()] = v.trim();
  }
  return out;
}

const conflicts = (a: LabelSet, b: LabelSet): boolean => Object.entries(a).some(([k, v]) => k in b && b[k] !== v);

/** The per-namespace selectors of `podNodeSelectorPluginConfig` (clusterDefaultNodeSelector among them). */
export function podNodeSelectorConfig(config: unknown): Record<string, string> {
  const c = obj(obj(config)?.podNodeSelectorPluginConfig) ?? {};
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, String(v)]));
}

export class PodNodeSelector implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'PodNodeSelector';
  constructor(
    private readonly objects: ObjectAccess,
    private readonly selectors: Record<string, string> = {},
  ) {}

  private async namespaceSelector(ns: string): Promise<LabelSet> {
    const annotations = (await this.objects.get(CORE('namespaces'), '', ns))?.metadata?.annotations ?? {};
    return labelsMap(ANNOTATION in annotations ? annotations[ANNOTATION] : this.selectors.clusterDefaultNodeSelector);
  }

  private podSelector(a: AdmissionAttributes): LabelSet {
    return (obj(obj(a.object!.spec)?.nodeSelector) ?? {}) as LabelSet;
  }

  private refuse(a: AdmissionAttributes, why: string): never {
    throw forbidden({ group: '', resource: 'pods' }, a.object?.metadata?.name ?? '', why);
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || !isResource(a, '', 'pods') || !a.object) return;
    const nsSelector = await this.namespaceSelector(a.namespace);
    const pod = this.podSelector(a);
    if (conflicts(nsSelector, pod)) this.refuse(a, 'pod node label selector conflicts with its namespace node label selector');
    const merged = { ...nsSelector, ...pod };
    if (Object.keys(merged).length) (a.object.spec as Record<string, unknown>).nodeSelector = merged;
    await this.validate(a);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || !isResource(a, '', 'pods') || !a.object) return;
    const pod = this.podSelector(a);
    if (conflicts(await this.namespaceSelector(a.namespace), pod))
      this.refuse(a, 'pod node label selector conflicts with its namespace node label selector');
    const whitelist = labelsMap(this.selectors[a.namespace]);
    if (Object.keys(whitelist).length && Object.entries(pod).some(([k, v]) => whitelist[k] !== v))
      this.refuse(a, 'pod node label selector labels conflict with its namespace whitelist');
  }
}

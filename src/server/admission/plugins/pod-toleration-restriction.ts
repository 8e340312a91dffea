// kube's PodTolerationRestriction (plugin/pkg/admission/podtolerationrestriction), off by
// default: a new pod gets its namespace's scheduler.alpha.kubernetes.io/defaultTolerations
// (or the configuration's `default`), a pod that is not BestEffort tolerates
// memory-pressure, and the result must fit the namespace's tolerationsWhitelist (or the
// configuration's `whitelist`).

import { forbidden, unknownError } from '../../api/errors.js';
import { deepEqual } from '../../api/types.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';
import { CORE, type ObjectAccess } from './deps.js';
import { allContainers, isResource, type Obj, obj, objects, resourceList } from './util.js';

const DEFAULTS = 'scheduler.alpha.kubernetes.io/defaultTolerations';
const WHITELIST = 'scheduler.alpha.kubernetes.io/tolerationsWhitelist';
const MEMORY_PRESSURE = { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' };

export interface TolerationConfig {
  default: Obj[];
  whitelist: Obj[];
}

export function tolerationConfig(config: unknown): TolerationConfig {
  return { default: objects(obj(config)?.default), whitelist: objects(obj(config)?.whitelist) };
}

const op = (t: Obj): string => String(t.operator ?? 'Equal');

/** tolerations.IsConflict: the same key and effect with another operator or value. */
function conflict(a: Obj[], b: Obj[]): boolean {
  return a.some((x) => b.some((y) => x.key === y.key && x.effect === y.effect && (op(x) !== op(y) || (x.value ?? '') !== (y.value ?? ''))));
}

function merge(a: Obj[], b: Obj[]): Obj[] {
  const out = [...a];
  for (const t of b) if (!out.some((x) => deepEqual(x, t))) out.push(t);
  return out;
}

/** VerifyAgainstWhitelist: each toleration is allowed by a whitelisted one (an empty effect allows every effect). */
function allowed(ts: Obj[], whitelist: Obj[]): boolean {
  return ts.every((t) =>
    whitelist.some(
      (w) => w.key === t.key && op(w) === op(t) && (w.value ?? '') === (t.value ?? '') && (!w.effect || w.effect === t.effect),
    ),
  );
}

function bestEffort(spec: Obj): boolean {
  return allContainers(spec).every(
    ({ c }) => resourceList(obj(c.resources)?.requests).size === 0 && resourceList(obj(c.resources)?.limits).size === 0,
  );
}

export class PodTolerationRestriction implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'PodTolerationRestriction';
  constructor(
    private readonly objects: ObjectAccess,
    private readonly config: TolerationConfig = { default: [], whitelist: [] },
  ) {}

  private handles(a: AdmissionAttributes): boolean {
    return (a.operation === 'CREATE' || a.operation === 'UPDATE') && isResource(a, '', 'pods') && !!a.object;
  }

  private async annotation(ns: string, key: string): Promise<Obj[]> {
    const v = (await this.objects.get(CORE('namespaces'), '', ns))?.metadata?.annotations?.[key];
    if (!v) return [];
    try {
      return objects(JSON.parse(v));
    } catch (e) {
      throw unknownError((e as Error).message);
    }
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!this.handles(a)) return;
    const spec = (obj(a.object!.spec) ?? {}) as Obj;
    let final = objects(spec.tolerations);
    if (a.operation === 'CREATE') {
      let ns = await this.annotation(a.namespace, DEFAULTS);
      if (!ns.length) ns = this.config.default;
      if (ns.length) {
        if (final.length && conflict(ns, final)) throw unknownError('namespace tolerations and pod tolerations conflict');
        final = merge(ns, final);
      }
    }
    if (!bestEffort(spec)) final = merge(final, [MEMORY_PRESSURE]);
    if (final.length) spec.tolerations = final;
    a.object!.spec = spec;
    await this.validate(a);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!this.handles(a)) return;
    const ts = objects(obj(a.object!.spec)?.tolerations);
    if (!ts.length) return;
    let whitelist = await this.annotation(a.namespace, WHITELIST);
    if (!whitelist.length) whitelist = this.config.whitelist;
    if (whitelist.length && !allowed(ts, whitelist))
      throw forbidden(
        { group: '', resource: 'pods' },
        a.name,
        'pod tolerations (possibly merged with namespace default tolerations) conflict with its namespace whitelist',
      );
  }
}

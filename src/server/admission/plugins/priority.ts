// kube's Priority admission (plugin/pkg/admission/priority): a new pod's
// priorityClassName resolves to spec.priority and spec.preemptionPolicy (the
// globalDefault class, or 0 and PreemptLowerPriority, when it names none); a pod
// may not state a different priority itself. At most one PriorityClass is the
// global default.

import { forbidden } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from '../index.js';
import type { GVR, ObjectAccess } from './deps.js';
import { isResource, type Obj, obj } from './util.js';

const PRIORITY_CLASSES: GVR = { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses' };
const PREEMPT_LOWER = 'PreemptLowerPriority';

export class Priority implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'Priority';
  constructor(private readonly objects: ObjectAccess) {}

  private async globalDefault(): Promise<KubeObject | undefined> {
    const defaults = (await this.objects.list(PRIORITY_CLASSES, '')).filter((c) => (c as Obj).globalDefault === true);
    // Several defaults (created concurrently): the lowest value, as kube's getDefaultPriorityClass picks.
    defaults.sort((a, b) => Number((a as Obj).value ?? 0) - Number((b as Obj).value ?? 0));
    return defaults[0];
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!isResource(a, '', 'pods') || !a.object) return;
    const spec = (obj(a.object.spec) ?? {}) as Obj;
    if (a.operation === 'UPDATE') {
      // What this plugin set on create stays (validation refuses other changes).
      const old = obj(a.oldObject?.spec);
      if (spec.priority === undefined && old?.priority !== undefined) spec.priority = old.priority;
      if (spec.preemptionPolicy === undefined && old?.preemptionPolicy !== undefined) spec.preemptionPolicy = old.preemptionPolicy;
      a.object.spec = spec;
      return;
    }
    if (a.operation !== 'CREATE') return;
    const gr = { group: '', resource: 'pods' };
    let value = 0;
    let policy = PREEMPT_LOWER;
    const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
    if (!name) {
      const def = await this.globalDefault();
      if (def) {
        spec.priorityClassName = def.metadata?.name;
        value = Number((def as Obj).value ?? 0);
        policy = String((def as Obj).preemptionPolicy ?? PREEMPT_LOWER);
      }
    } else {
      const cls = await this.objects.get(PRIORITY_CLASSES, '', name);
      if (!cls) throw forbidden(gr, a.name, `no PriorityClass with name ${name} was found`);
      value = Number((cls as Obj).value ?? 0);
      policy = String((cls as Obj).preemptionPolicy ?? PREEMPT_LOWER);
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
      throw forbidden(
        gr,
        a.name,
        `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
      );
    }
    spec.priority = value;
    if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
      throw forbidden(
        gr,
        a.name,
        `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
      );
    }
    spec.preemptionPolicy = policy;
    a.object.spec = spec;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!isResource(a, 'scheduling.k8s.io', 'priorityclasses') || !a.object) return;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if ((a.object as Obj).globalDefault !== true) return;
    const other = (await this.objects.list(PRIORITY_CLASSES, '')).find(
      (c) => (c as Obj).globalDefault === true && c.metadata?.name !== a.object!.metadata?.name,
    );
    if (other) {
      throw forbidden(
        { group: 'scheduling.k8s.io', resource: 'priorityclasses' },
        a.name,
        `PriorityClass ${other.metadata?.name ?? ''} is already marked as default. Only one default can exist`,
      );
    }
  }
}

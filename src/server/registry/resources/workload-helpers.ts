// Pieces the workload strategies (apps, batch, autoscaling, policy) share: kube's
// validation helpers for selectors, int-or-percent values and non-negative
// fields, the fields Go always serialises, and the printers' container and
// selector cells.

import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isDNS1123Label } from '../../api/names.js';
import { type LabelSelector, labelSelectorAsSelector } from '../../api/selectors/labels.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { RequestContext, Strategy } from '../strategy.js';
import { type LabelSelectorValidationOptions, validateLabelSelector } from '../validation/labelselector.js';
import { goIntOrString, goLabelSelector, goStringMap } from './go-values.js';
import { podTemplateWarnings } from './pod-warnings.js';
import { column } from './printers.js';
import { child, type Obj, peek } from './values.js';

// pods.ts (owned elsewhere) still imports goStringMap from here.
export { goStringMap };

/** Sets `obj[key]` when absent (Go's defaulting of a nil pointer). */
export function defaultTo(obj: Obj, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

/** A field Go always writes (no omitempty): its zero value when absent. */
export function wireZero(obj: Obj, fields: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(fields)) if (obj[k] === undefined) obj[k] = v;
}

/**
 * A PodTemplateSpec's (or any nested ObjectMeta's) metadata as Go serialises the struct: always
 * present, a zero creationTimestamp written as null.
 */
export function templateMetaWire(template: Obj): void {
  const m = child(template, 'metadata');
  if (m.creationTimestamp === undefined) m.creationTimestamp = null;
}

/**
 * apiequality.Semantic.DeepEqual on decoded JSON: absent, null and empty lists or maps are the
 * same value (Go's nil and empty slices and maps compare equal there).
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown): boolean =>
    v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

// ---- kube's shared validation helpers ------------------------------------------------------------

/** ValidateNonnegativeField. */
export function nonNegative(v: unknown, path: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [fieldErrors.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

const PERCENT_RE = /^[0-9]+%$/;
const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** getPercentValue: the number of a valid percent string. */
function percentValue(v: unknown): number | undefined {
  return typeof v === 'string' && PERCENT_RE.test(v) ? Number.parseInt(v.slice(0, -1), 10) : undefined;
}

/** getIntOrPercentValue: a percent's number, an int, or a string's strconv.Atoi (0 when it fails). */
export function intOrPercentValue(v: unknown): number {
  const p = percentValue(v);
  if (p !== undefined) return p;
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : 0;
}

/** ValidatePositiveIntOrPercent (apps validation): a valid percent string or a non-negative int. */
export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') return PERCENT_RE.test(v) ? [] : [fieldErrors.invalid(path, goIntOrString(v), PERCENT_MSG)];
  return nonNegative(v, path);
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(v: unknown, path: string): FieldError[] {
  const p = percentValue(v);
  return p !== undefined && p > 100 ? [fieldErrors.invalid(path, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/** ValidateImmutableField: `field is immutable`, the new value rendered by `render`. */
export function immutable(now: unknown, old: unknown, path: string, render: (v: unknown) => unknown = (v) => v): FieldError[] {
  return semanticEqual(now, old) ? [] : [fieldErrors.invalid(path, render(now) ?? null, 'field is immutable')];
}

/** A spec's selector as LabelSelectorAsSelector builds it, or undefined when kube's conversion fails. */
export function selectorOf(sel: unknown): LabelSelector | undefined {
  try {
    return labelSelectorAsSelector(sel);
  } catch {
    return undefined;
  }
}

/**
 * The controllers' selector checks (apps validation): required, valid (values checked strictly: the
 * selector was always required to convert), not empty; `kind` names the resource in the message.
 */
export function validateRequiredSelector(
  sel: unknown,
  path: string,
  kind: string,
  opts: LabelSelectorValidationOptions = {},
): FieldError[] {
  if (sel === undefined || sel === null) return [fieldErrors.required(path)];
  const errs = validateLabelSelector(sel, path, opts);
  const s = isPlainObject(sel) ? sel : {};
  const count = Object.keys(peek(s, 'matchLabels')).length + (Array.isArray(s.matchExpressions) ? s.matchExpressions.length : 0);
  if (count === 0) errs.push(fieldErrors.invalid(path, goLabelSelector(sel), `empty selector is invalid for ${kind}`));
  return errs;
}

/** `selector` does not match template `labels` (a selector that selects something, not the template). */
export function templateLabelsMatch(selector: LabelSelector, template: unknown, path: string): FieldError[] {
  const labels = peek(template, 'metadata').labels;
  const set = isPlainObject(labels) ? (labels as Record<string, string>) : {};
  if (selector.isEmpty() || selector.matches(set)) return [];
  return [fieldErrors.invalid(`${path}.metadata.labels`, new GoValue(goStringMap(labels)), '`selector` does not match template `labels`')];
}

/** The warning kube gives for a controller whose name is not a DNS label (its pods' hostnames). */
export function dnsLabelNameWarnings(obj: KubeObject): string[] {
  const msgs = isDNS1123Label(obj.metadata?.name ?? '');
  return msgs.length
    ? [
        `metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [${msgs.join(' ')}]`,
      ]
    : [];
}

// ---- printers -----------------------------------------------------------------------------------

/** The wide columns layoutContainerCells fills (every workload printer with a pod template). */
export const containersColumn = column('Containers', 'string', 'Names of each container in the template.', 1);
export const imagesColumn = column('Images', 'string', 'Images referenced by each container in the template.', 1);

/** layoutContainerCells: container names and images, comma-joined. */
export function containerCells(template: unknown): [string, string] {
  const containers = peek(template, 'spec').containers;
  const list = Array.isArray(containers) ? containers.filter(isPlainObject) : [];
  return [list.map((c) => String(c.name ?? '')).join(','), list.map((c) => String(c.image ?? '')).join(',')];
}

/** metav1.FormatLabelSelector: `<none>` when it selects everything, `<error>` when it does not convert. */
export function formatLabelSelector(sel: unknown): string {
  const s = selectorOf(sel);
  if (!s) return '<error>';
  return s.toString() || '<none>';
}

/** A strategy's WarningsOnCreate/WarningsOnUpdate: kube adds them only once validation passed. */
export function warnIfValid(errs: FieldError[], ctx: RequestContext, warnings: () => string[]): FieldError[] {
  if (errs.length === 0) ctx.warnings.push(...warnings());
  return errs;
}

function templateWarnings(k: WorkloadKind, obj: KubeObject): string[] {
  if (!k.podTemplatePath) return [];
  const template = k.podTemplatePath.split('.').reduce<unknown>((o, key) => (isPlainObject(o) ? o[key] : undefined), obj);
  return podTemplateWarnings(template, k.podTemplatePath);
}

// ---- the strategy most workloads share ----------------------------------------------------------

export interface WorkloadKind {
  /** SetDefaults_<Kind> and the nested defaults (pod templates), as decoding applies them. */
  defaults(obj: KubeObject): void;
  /** Fields Go always serialises (no omitempty) and template metadata. */
  wire?(obj: KubeObject): void;
  /** Server-owned fields set on create (after defaults), e.g. a Job's generated selector. */
  prepareForCreate?(obj: KubeObject, ctx: RequestContext): void;
  /** Spec fields the server keeps or derives on update (after defaults). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: RequestContext): void;
  validate(obj: KubeObject, ctx: RequestContext): FieldError[];
  validateUpdate(obj: KubeObject, old: KubeObject, ctx: RequestContext): FieldError[];
  /** The status strategy's ValidateUpdate (only status is validated on /status). */
  validateStatus?(obj: KubeObject, old: KubeObject): FieldError[];
  warningsOnCreate?(obj: KubeObject): string[];
  /**
   * Where the pod template sits (`spec.template`, `spec.jobTemplate.spec.template`): its
   * GetWarningsForPodTemplate warnings go out on create, and on updates that change the spec.
   */
  podTemplatePath?: string;
  hasGeneration?: boolean;
  allowUnconditionalUpdate?: boolean;
}

/**
 * A namespaced resource with a status subresource whose create clears status, whose update keeps
 * it, and whose spec changes bump generation: the shape of every apps, batch, autoscaling and
 * policy strategy in kube.
 */
export function workloadStrategy(
  k: WorkloadKind,
  rest: Pick<Strategy, 'tableColumns' | 'tableRow' | 'fieldLabels' | 'supportedFieldLabels' | 'specChanged' | 'nameValidator'>,
): Strategy {
  return {
    namespaced: true,
    hasGeneration: k.hasGeneration ?? true,
    allowUnconditionalUpdate: k.allowUnconditionalUpdate ?? true,
    hasStatusSubresource: true,
    // Spec changes bump generation (apiequality.Semantic.DeepEqual on the spec).
    specChanged: (obj, old) => !semanticEqual(obj.spec, old.spec),
    ...rest,
    prepareForCreate(obj, ctx) {
      obj.status = {};
      k.defaults(obj);
      k.prepareForCreate?.(obj, ctx);
      ctx.warnings.push(...(k.warningsOnCreate?.(obj) ?? []));
    },
    prepareForUpdate(obj, old, ctx) {
      k.defaults(obj);
      if (ctx.subresource !== 'status') k.prepareForUpdate?.(obj, old, ctx);
    },
    validate: (obj, ctx) => warnIfValid(k.validate(obj, ctx), ctx, () => templateWarnings(k, obj)),
    validateUpdate(obj, old, ctx) {
      if (ctx.subresource === 'status') return k.validateStatus?.(obj, old) ?? [];
      // kube warns on update only when the generation moves, i.e. the spec changed.
      const warnings = () => (semanticEqual(obj.spec, old.spec) ? [] : templateWarnings(k, obj));
      return warnIfValid(k.validateUpdate(obj, old, ctx), ctx, warnings);
    },
    canonicalize(obj) {
      wireZero(obj as Obj, { spec: {}, status: {} });
      k.wire?.(obj);
    },
    defaults: k.defaults,
  };
}

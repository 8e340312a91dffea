// The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins
// (webhook/mutating/dispatcher.go, webhook/validating/dispatcher.go): the
// configurations current in the watch cache, each webhook matched, called, and
// its answer applied. Mutating webhooks run in order, their JSON patches applied
// in turn, with one reinvocation round for `reinvocationPolicy: IfNeeded`;
// validating webhooks are called in parallel and the first refusal wins.

import { admissionWebhookDenied, badRequest, internalError } from '../../api/errors.js';
import { applyJsonPatch, PatchApplyError } from '../../api/json-patch.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import type { GroupVersionResource } from '../cel/expressions.js';
import type { AdmissionAttributes, MutatingPlugin, ReinvocationContext, ValidatingPlugin } from '../index.js';
import type { WebhookCallObserver } from '../plugins/deps.js';
import { type WebhookAccessor, WebhookAccessors } from './accessor.js';
import { CallError, callWebhook, type ServiceResolver } from './client.js';
import { type Invocation, isExemptAdmissionConfiguration, type MatchSources, shouldCallHook } from './matching.js';
import { createReview, verifyResponse } from './review.js';

/** What the webhook plugins read: the configurations (from the watch cache), namespaces, equivalents, services. */
export interface WebhookSources extends MatchSources {
  configurations(): Promise<KubeObject[]>;
  resolveService: ServiceResolver;
  /** An object converted to another version of the same storage (a matchPolicy Equivalent match). */
  convert?(obj: KubeObject, from: GroupVersionResource, to: GroupVersionResource): Promise<KubeObject>;
  /** Told each call (the dispatchers' admissionmetrics.ObserveWebhook). */
  observe?: WebhookCallObserver;
}

/**
 * The attributes as the matched version presents them (kube's VersionedAttributes): the request's own
 * when the rule matched it, else its objects converted to the equivalent resource's version.
 */
export async function versionedAttributes(
  a: AdmissionAttributes,
  to: GroupVersionResource,
  convert: WebhookSources['convert'],
): Promise<AdmissionAttributes> {
  const d = a.resource;
  if ((to.group === d.group && to.version === d.version && to.resource === d.resource) || !convert) return a;
  const from = { group: d.group, version: d.version, resource: d.resource };
  // Shared with the request's attributes: what webhooks add is the request's.
  a.auditAnnotations ??= {};
  try {
    return {
      ...a,
      object: a.object && (await convert(a.object, from, to)),
      oldObject: a.oldObject && (await convert(a.oldObject, from, to)),
    };
  } catch (e) {
    throw internalError(e);
  }
}

/** kube-apiserver's JSONPatchMaxCopyBytes for webhook patches too. */
const PATCH_LIMITS = { maxCopyBytes: 3 * 1024 * 1024 };

async function matching(hooks: WebhookAccessor[], a: AdmissionAttributes, src: MatchSources): Promise<Invocation[]> {
  const out: Invocation[] = [];
  for (const h of hooks) {
    const inv = await shouldCallHook(h, a, src);
    if (inv) out.push(inv);
  }
  return out;
}

/**
 * Sends the review; the webhook's answer, verified. Transport and response failures are CallErrors.
 * Each call is observed with whether it refused the request: a denial, or a failure under failurePolicy Fail.
 */
async function call(a: AdmissionAttributes, inv: Invocation, src: WebhookSources) {
  if (!src.observe) return callOnce(a, inv, src);
  const h = inv.webhook;
  const start = performance.now();
  let rejected = false;
  try {
    return await callOnce(a, inv, src);
  } catch (e) {
    rejected = !(e instanceof CallError && h.failurePolicy === 'Ignore');
    throw e;
  } finally {
    src.observe(h.name, h.mutating ? 'admit' : 'validating', a.operation, rejected, (performance.now() - start) / 1000);
  }
}

async function callOnce(a: AdmissionAttributes, inv: Invocation, src: WebhookSources) {
  const h = inv.webhook;
  if (a.dryRun) {
    if (!h.sideEffects) throw new CallError('Webhook SideEffects is nil');
    if (h.sideEffects !== 'None' && h.sideEffects !== 'NoneOnDryRun')
      throw badRequest(`admission webhook "${h.name}" does not support dry run`);
  }
  const { uid, version, review } = createReview(a, inv);
  let body: unknown;
  try {
    body = await callWebhook(h.clientConfig, review, h.timeoutSeconds, src.resolveService);
  } catch (e) {
    if (e instanceof CallError) throw new CallError(`failed to call webhook: ${e.message}`);
    throw e;
  }
  const result = verifyResponse(uid, version, h.mutating, body);
  for (const [k, v] of Object.entries(result.auditAnnotations)) annotate(a, `${h.name}/${k}`, v);
  if (result.warnings.length) a.warnings?.push(...result.warnings);
  if (!result.allowed) throw admissionWebhookDenied(h.name, result.status);
  return result;
}

function annotate(a: AdmissionAttributes, key: string, value: string): void {
  a.auditAnnotations ??= {};
  // kube's AddAnnotation refuses to overwrite a key with another value.
  if (!(key in a.auditAnnotations)) a.auditAnnotations[key] = value;
}

/** ErrCallingWebhook's text, answered as an internal error under failurePolicy Fail. */
function callingFailed(h: WebhookAccessor, e: CallError): Error {
  return internalError(`failed calling webhook "${h.name}": ${e.message}`);
}

/** Per-request state of reinvocation (mutating/reinvocationcontext.go webhookReinvokeContext). */
interface ReinvokeState {
  lastOutput: unknown;
  previouslyInvoked: Set<string>;
  reinvoke: Set<string>;
}

function reinvokeState(ctx: ReinvocationContext, key: string): ReinvokeState {
  let s = ctx.values.get(key) as ReinvokeState | undefined;
  if (!s) {
    s = { lastOutput: undefined, previouslyInvoked: new Set(), reinvoke: new Set() };
    ctx.values.set(key, s);
  }
  return s;
}

function requireReinvoking(s: ReinvokeState): void {
  for (const uid of s.previouslyInvoked) s.reinvoke.add(uid);
  s.previouslyInvoked.clear();
}

/** Replaces the object's content in place: the registry keeps its reference across admission. */
function replaceContent(target: KubeObject, next: Record<string, unknown>): void {
  const t = target as Record<string, unknown>;
  for (const k of Object.keys(t)) delete t[k];
  Object.assign(t, next);
}

export class MutatingAdmissionWebhook implements MutatingPlugin {
  readonly name = 'MutatingAdmissionWebhook';
  private readonly accessors = new WebhookAccessors(true);

  constructor(private readonly src: WebhookSources) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (isExemptAdmissionConfiguration(a)) return;
    const hooks = this.accessors.of(await this.src.configurations());
    if (!hooks.length) return;
    const rctx = (a.reinvocation ??= { isReinvoke: false, shouldReinvoke: false, values: new Map() });
    const state = reinvokeState(rctx, this.name);
    // In-tree plugins changed the object since the last webhook ran: every reinvocable webhook runs again.
    if (rctx.isReinvoke && !deepEqual(state.lastOutput, a.object)) requireReinvoking(state);
    const round = rctx.isReinvoke ? 1 : 0;
    try {
      for (const [index, h] of hooks.entries()) {
        const inv = await shouldCallHook(h, a, this.src);
        if (!inv) continue;
        // A webhook is never called for the first time in the reinvocation round.
        if (rctx.isReinvoke && !state.reinvoke.has(h.uid)) continue;
        let changed = false;
        let err: unknown;
        try {
          changed = await this.callAndPatch(a, inv);
        } catch (e) {
          err = e;
        }
        annotate(
          a,
          `mutation.webhook.admission.k8s.io/round_${round}_index_${index}`,
          JSON.stringify({ configuration: h.configurationName, webhook: h.name, mutated: changed }),
        );
        if (changed) {
          requireReinvoking(state);
          rctx.shouldReinvoke = true;
        }
        if (h.reinvocationPolicy === 'IfNeeded') state.previouslyInvoked.add(h.uid);
        if (err === undefined) continue;
        if (err instanceof CallError) {
          if (h.failurePolicy === 'Ignore') {
            annotate(a, `failed-open.mutation.webhook.admission.k8s.io/round_${round}_index_${index}`, h.name);
            continue;
          }
          throw callingFailed(h, err);
        }
        throw err;
      }
    } finally {
      state.lastOutput = a.object ? structuredClone(a.object) : a.object;
    }
  }

  /** Calls the webhook and applies its JSON patch; whether the object changed. */
  private async callAndPatch(request: AdmissionAttributes, inv: Invocation): Promise<boolean> {
    const h = inv.webhook;
    const a = await versionedAttributes(request, inv.resource, this.src.convert);
    const result = await call(a, inv, this.src);
    if (result.patch === undefined) return false;
    let ops: unknown;
    try {
      ops = JSON.parse(String(result.patch));
    } catch (e) {
      throw internalError(e);
    }
    if (!Array.isArray(ops) || !ops.every((op) => isPlainObject(op)))
      throw internalError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    if (ops.length === 0) return false;
    if (!a.object)
      throw internalError(`admission webhook "${h.name}" attempted to modify the object, which is not supported for this operation`);
    let patched: unknown;
    try {
      patched = applyJsonPatch(structuredClone(a.object), ops as Record<string, unknown>[], PATCH_LIMITS);
    } catch (e) {
      if (e instanceof PatchApplyError) throw internalError(e.message);
      throw e;
    }
    if (!isPlainObject(patched)) throw internalError('the patched object is not an object');
    // The dispatcher decodes the patched JSON into the type (a decode failure is an internal error) and
    // compares that; the scheme's defaults then apply again (mutating/dispatcher.go).
    if (a === request) redecode(request, patched as KubeObject);
    const changed = !deepEqual(a.object, patched);
    if (!changed) return false;
    if (a === request) {
      replaceContent(a.object, patched);
      return true;
    }
    // Back to the request's version.
    const d = request.resource;
    const back = await this.src.convert!(patched as KubeObject, inv.resource, {
      group: d.group,
      version: d.version,
      resource: d.resource,
    }).catch((e: unknown) => {
      throw internalError(e);
    });
    redecode(request, back);
    replaceContent(request.object!, back);
    return true;
  }
}

function redecode(a: AdmissionAttributes, obj: KubeObject): void {
  if (!a.redecode) return;
  try {
    a.redecode(obj);
  } catch (e) {
    throw internalError(e);
  }
}

export class ValidatingAdmissionWebhook implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionWebhook';
  private readonly accessors = new WebhookAccessors(false);

  constructor(private readonly src: WebhookSources) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (isExemptAdmissionConfiguration(a)) return;
    const hooks = this.accessors.of(await this.src.configurations());
    if (!hooks.length) return;
    const invocations = await matching(hooks, a, this.src);
    if (!invocations.length) return;
    // Called in parallel; the first error to arrive is the answer, as kube reads its error channel.
    const errors: unknown[] = [];
    await Promise.all(
      invocations.map(async (inv, index) => {
        const h = inv.webhook;
        try {
          await call(await versionedAttributes(a, inv.resource, this.src.convert), inv, this.src);
        } catch (e) {
          if (e instanceof CallError) {
            if (h.failurePolicy === 'Ignore') {
              annotate(a, `failed-open.validating.webhook.admission.k8s.io/round_0_index_${index}`, h.name);
              return;
            }
            errors.push(callingFailed(h, e));
            return;
          }
          errors.push(e);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }
}

// AdmissionReview objects (webhook/request/admissionreview.go): the request as
// CreateV1AdmissionReview builds it, and the response checked as
// VerifyAdmissionResponse checks it.

import { randomUUID } from 'node:crypto';
import { isPlainObject } from '../../api/types.js';
import { admissionRequest } from '../cel/expressions.js';
import type { AdmissionAttributes } from '../index.js';
import { CallError } from './client.js';
import type { Invocation } from './matching.js';

const KNOWN_VERSIONS = ['v1', 'v1beta1'];

export interface AdmissionResult {
  allowed: boolean;
  status?: unknown;
  /** The decoded JSON Patch operations, when the webhook sent one. */
  patch?: unknown;
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

/** The review to send (v1 unless the webhook only accepts v1beta1), and its uid. */
export function createReview(a: AdmissionAttributes, inv: Invocation): { uid: string; version: string; review: Record<string, unknown> } {
  const version = inv.webhook.admissionReviewVersions.find((v) => KNOWN_VERSIONS.includes(v));
  if (!version)
    throw new CallError('could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)');
  const uid = randomUUID();
  // Field order as kube encodes AdmissionRequest: the objects before dryRun and options.
  const { options, dryRun, ...rest } = admissionRequest(a, inv, uid);
  const request = { ...rest, object: a.object ?? null, oldObject: a.oldObject ?? null, dryRun, options };
  return { uid, version, review: { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request } };
}

/** VerifyAdmissionResponse: the response echoes the uid, names the version sent, and patches only from mutating webhooks. */
export function verifyResponse(uid: string, version: string, mutating: boolean, body: unknown): AdmissionResult {
  const fail = (why: string): never => {
    throw new CallError(`received invalid webhook response: ${why}`);
  };
  const review = isPlainObject(body) ? body : {};
  const r = review.response;
  if (!isPlainObject(r)) return fail('webhook response was absent');
  if (version === 'v1') {
    if (r.uid !== uid) fail(`expected response.uid="${uid}", got "${typeof r.uid === 'string' ? r.uid : ''}"`);
    const apiVersion = typeof review.apiVersion === 'string' ? review.apiVersion : '';
    const kind = typeof review.kind === 'string' ? review.kind : '';
    if (apiVersion !== 'admission.k8s.io/v1' || kind !== 'AdmissionReview') {
      fail(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${apiVersion}, Kind=${kind}`);
    }
  }
  const patchB64 = typeof r.patch === 'string' && r.patch ? r.patch : undefined;
  const patchType = typeof r.patchType === 'string' && r.patchType ? r.patchType : undefined;
  let patch: unknown;
  if (mutating) {
    if (version === 'v1') {
      if (patchB64 && !patchType) fail('webhook returned response.patch but not response.patchType');
      if (patchType && !patchB64) fail('webhook returned response.patchType but not response.patch');
    }
    if (patchType && patchType !== 'JSONPatch') fail(`webhook returned invalid response.patchType of "${patchType}"`);
    if (patchB64) patch = Buffer.from(patchB64, 'base64').toString('utf8');
  } else {
    if (patchB64) fail('validating webhook may not return response.patch');
    if (patchType) fail('validating webhook may not return response.patchType');
  }
  const warnings = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string') : [];
  const auditAnnotations: Record<string, string> = {};
  if (isPlainObject(r.auditAnnotations)) {
    for (const [k, v] of Object.entries(r.auditAnnotations)) if (typeof v === 'string') auditAnnotations[k] = v;
  }
  return { allowed: r.allowed === true, status: r.status, patch, warnings, auditAnnotations };
}

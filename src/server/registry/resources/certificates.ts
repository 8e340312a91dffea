// certificates.k8s.io/v1 CertificateSigningRequests as
// pkg/registry/certificates/certificates stores them: the requestor fields
// come from the requesting user, the main resource changes only metadata,
// /status sets status.certificate (and non-approval conditions), /approval
// only the conditions; validation as pkg/apis/certificates/validation.
// No signer runs here: an approved request stays without a certificate.

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../api/names.js';
import { deepEqual, isPlainObject, type KubeObject } from '../../api/types.js';
import { type BuiltinResource, builtinResource } from '../builtin.js';
import { nowRFC3339 } from '../meta.js';
import type { RequestContext, Strategy } from '../strategy.js';
import { docColumn } from './cluster-common.js';
import { certificateChainError, certificateRequestError } from './csr-request.js';
import { goBytes, invalidGo } from './go-values.js';
import { age, ageColumn, humanDuration, nameColumn, objName } from './printers.js';
import { arrOf, child, type Obj, peek, statusOf, strOf } from './values.js';

const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

const VALID_USAGES = [
  'any',
  'cert sign',
  'client auth',
  'code signing',
  'content commitment',
  'crl sign',
  'data encipherment',
  'decipher only',
  'digital signature',
  'email protection',
  'encipher only',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'key agreement',
  'key encipherment',
  'microsoft sgc',
  'netscape sgc',
  'ocsp signing',
  's/mime',
  'server auth',
  'signing',
  'timestamping',
];

/** Condition types that may only be True. */
const TRUE_ONLY = new Set(['Approved', 'Denied', 'Failed']);

interface Options {
  allowSettingApprovalConditions?: boolean;
  allowSettingCertificate?: boolean;
  allowBothApprovedAndDenied?: boolean;
  allowLegacySignerName?: boolean;
  allowDuplicateConditionTypes?: boolean;
  allowEmptyConditionType?: boolean;
  allowArbitraryCertificate?: boolean;
  allowUnknownUsages?: boolean;
  allowDuplicateUsages?: boolean;
}

const conditionsOf = (o: KubeObject): Obj[] => arrOf(statusOf(o).conditions).filter(isPlainObject);
const bytesOf = (v: unknown): Buffer => Buffer.from(strOf(v), 'base64');

/** apivalidation.ValidateSignerName: `example.com/signer-name` of DNS labels and subdomains. */
function signerNameErrors(path: string, signer: string): FieldError[] {
  if (!signer) return [fieldErrors.required(path)];
  const segments = signer.split('/');
  if (segments.length !== 2) {
    return [fieldErrors.invalid(path, signer, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  }
  const errs: FieldError[] = [];
  const [domain, rest] = segments;
  if (domain.length > 253) errs.push(fieldErrors.tooLong(path, 253));
  const domainLabels = domain.split('.');
  for (const lbl of domainLabels) {
    const e = isDNS1123Label(lbl);
    if (e.length) {
      for (const m of e) errs.push(fieldErrors.invalid(path, domain, `validating label ${JSON.stringify(lbl)}: ${m}`));
      break;
    }
  }
  if (domainLabels.length < 2)
    errs.push(fieldErrors.invalid(path, domain, 'should be a domain with at least two segments separated by dots'));
  for (const lbl of rest.split('.')) {
    const e = isDNS1123Subdomain(lbl);
    if (e.length) {
      for (const m of e) errs.push(fieldErrors.invalid(path, rest, `validating label ${JSON.stringify(lbl)}: ${m}`));
      break;
    }
  }
  const maxLen = 253 + (253 + 63 + 1) + 1;
  if (signer.length > maxLen) errs.push(fieldErrors.tooLong(path, maxLen));
  return errs;
}

/** validateConditions. */
function conditionErrors(obj: KubeObject, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(obj).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    const type = strOf(c.type);
    const status = strOf(c.status);
    if (!opts.allowEmptyConditionType && !type) errs.push(fieldErrors.required(`${p}.type`));
    const allowed = TRUE_ONLY.has(type) ? ['True'] : ['False', 'True', 'Unknown'];
    if (!status) errs.push(fieldErrors.required(`${p}.status`));
    else if (!allowed.includes(status)) errs.push(fieldErrors.notSupported(`${p}.status`, status, allowed));
    if (!opts.allowBothApprovedAndDenied) {
      if (type === 'Approved') {
        approved = true;
        if (denied) errs.push(fieldErrors.invalid(`${p}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (type === 'Denied') {
        denied = true;
        if (approved) errs.push(fieldErrors.invalid(`${p}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!opts.allowDuplicateConditionTypes) {
      if (seen.has(type)) errs.push(fieldErrors.duplicate(`${p}.type`, type));
      seen.add(type);
    }
  });
  return errs;
}

/** validateCertificateSigningRequest. */
function validateCSR(obj: KubeObject, opts: Options): FieldError[] {
  const spec = peek(obj, 'spec');
  const errs: FieldError[] = [];
  const request = bytesOf(spec.request);
  const reqErr = certificateRequestError(request);
  if (reqErr) errs.push(invalidGo('spec.request', goBytes(request), reqErr));
  const usages = arrOf(spec.usages).map(strOf);
  if (usages.length === 0) errs.push(fieldErrors.required('spec.usages'));
  if (!opts.allowUnknownUsages) {
    usages.forEach((u, i) => {
      if (!VALID_USAGES.includes(u)) errs.push(fieldErrors.notSupported(`spec.usages[${i}]`, u, VALID_USAGES));
    });
  }
  if (!opts.allowDuplicateUsages) {
    usages.forEach((u, i) => {
      if (usages.indexOf(u) < i) errs.push(fieldErrors.duplicate(`spec.usages[${i}]`, u));
    });
  }
  const signer = strOf(spec.signerName);
  if (!opts.allowLegacySignerName && signer === LEGACY_UNKNOWN_SIGNER) {
    errs.push(fieldErrors.invalid('spec.signerName', signer, 'the legacy signerName is not allowed via this API version'));
  } else errs.push(...signerNameErrors('spec.signerName', signer));
  if (typeof spec.expirationSeconds === 'number' && spec.expirationSeconds < 600) {
    errs.push(
      fieldErrors.invalid(
        'spec.expirationSeconds',
        spec.expirationSeconds,
        'may not specify a duration less than 600 seconds (10 minutes)',
      ),
    );
  }
  errs.push(...conditionErrors(obj, opts));
  if (!opts.allowArbitraryCertificate) {
    const certErr = certificateChainError(bytesOf(statusOf(obj).certificate));
    if (certErr) errs.push(fieldErrors.invalid('status.certificate', '<certificate data>', certErr));
  }
  return errs;
}

/** getValidationOptions: what an update tolerates because the stored object already has it. */
function compatOptions(obj: KubeObject, old?: KubeObject): Options {
  if (!old) return {};
  const oldConds = conditionsOf(old);
  const types = oldConds.map((c) => strOf(c.type));
  const oldUsages = arrOf(peek(old, 'spec').usages).map(strOf);
  const oldCert = bytesOf(statusOf(old).certificate);
  return {
    allowBothApprovedAndDenied: types.includes('Approved') && types.includes('Denied'),
    allowLegacySignerName: peek(old, 'spec').signerName === LEGACY_UNKNOWN_SIGNER,
    allowDuplicateConditionTypes: new Set(types).size !== types.length,
    allowEmptyConditionType: types.includes(''),
    allowArbitraryCertificate: oldCert.equals(bytesOf(statusOf(obj).certificate)) || certificateChainError(oldCert) !== undefined,
    allowDuplicateUsages: new Set(oldUsages).size !== oldUsages.length,
    allowUnknownUsages: oldUsages.some((u) => !VALID_USAGES.includes(u)),
  };
}

/** validateCertificateSigningRequestUpdate: Approved/Denied/Failed never go away; approval and certificate only via their subresources. */
function validateCSRUpdate(obj: KubeObject, old: KubeObject, ctx: RequestContext): FieldError[] {
  const opts: Options = {
    ...compatOptions(obj, old),
    allowSettingApprovalConditions: ctx.subresource === 'approval',
    allowSettingCertificate: ctx.subresource === 'status',
  };
  const errs = validateCSR(obj, opts);
  const find = (o: KubeObject, t: string) => conditionsOf(o).filter((c) => c.type === t);
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (find(obj, t).length < find(old, t).length) {
      errs.push(fieldErrors.forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
    }
  }
  if (!opts.allowSettingApprovalConditions) {
    for (const t of ['Approved', 'Denied']) {
      const now = find(obj, t);
      const before = find(old, t);
      if (now.length > before.length)
        errs.push(fieldErrors.forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(t)}`));
      else if (now.length === before.length && !deepEqual(now, before)) {
        errs.push(fieldErrors.forbidden('status.conditions', `updates may not modify a condition of type ${JSON.stringify(t)}`));
      }
    }
  }
  const cert = bytesOf(statusOf(obj).certificate);
  const oldCert = bytesOf(statusOf(old).certificate);
  if (!cert.equals(oldCert)) {
    if (!opts.allowSettingCertificate) errs.push(fieldErrors.forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCert.length > 0)
      errs.push(fieldErrors.forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return errs;
}

/** populateConditionTimestamps: lastUpdateTime now when unset; lastTransitionTime kept from a same type/status condition. */
function populateConditionTimestamps(obj: KubeObject, old: KubeObject): void {
  const now = nowRFC3339();
  const oldConds = conditionsOf(old);
  for (const c of conditionsOf(obj)) {
    if (!c.lastUpdateTime) c.lastUpdateTime = now;
    if (!c.lastTransitionTime) {
      const prev = oldConds.find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime);
      c.lastTransitionTime = prev ? prev.lastTransitionTime : now;
    }
  }
}

/** preserveConditionInstances: /status keeps the stored Approved/Denied conditions when their count is unchanged. */
function preserveConditions(obj: KubeObject, old: KubeObject, type: string): void {
  const conds = arrOf(statusOf(obj).conditions);
  const oldConds = arrOf(statusOf(old).conditions);
  const idx = (list: unknown[]) => list.flatMap((c, i) => (isPlainObject(c) && c.type === type ? [i] : []));
  const now = idx(conds);
  const before = idx(oldConds);
  if (now.length !== before.length) return;
  now.forEach((n, i) => {
    conds[n] = structuredClone(oldConds[before[i]]);
  });
}

const csrStrategy: Strategy = {
  namespaced: false,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: true,
  statusSubresources: ['approval'],
  allowCreateOnUpdate: false,
  // ValidateCertificateRequestName: any name.
  nameValidator: () => [],
  prepareForCreate(obj, ctx) {
    const spec = child(obj, 'spec');
    delete spec.username;
    delete spec.uid;
    delete spec.groups;
    delete spec.extra;
    const u = ctx.user;
    if (u.username) spec.username = u.username;
    if (u.uid) spec.uid = u.uid;
    if (u.groups?.length) spec.groups = [...u.groups];
    if (u.extra && Object.keys(u.extra).length) spec.extra = structuredClone(u.extra);
    // Be explicit that users cannot create pre-approved certificate requests.
    obj.status = {};
  },
  prepareForUpdate(obj, old, ctx) {
    switch (ctx.subresource) {
      case 'status':
        // The store took status from the request and the rest from storage.
        preserveConditions(obj, old, 'Approved');
        preserveConditions(obj, old, 'Denied');
        populateConditionTimestamps(obj, old);
        break;
      case 'approval': {
        populateConditionTimestamps(obj, old);
        const conditions = statusOf(obj).conditions;
        obj.spec = structuredClone(old.spec);
        obj.status = { ...structuredClone(statusOf(old)), conditions };
        if (conditions === undefined) delete (obj.status as Obj).conditions;
        break;
      }
      default:
        obj.spec = structuredClone(old.spec);
    }
  },
  validate: (obj) => validateCSR(obj, {}),
  validateUpdate: validateCSRUpdate,
  canonicalize(obj) {
    const spec = child(obj, 'spec');
    if (spec.request === undefined) spec.request = null;
    spec.signerName ??= '';
    const status = child(obj, 'status');
    for (const c of arrOf(status.conditions)) {
      if (!isPlainObject(c)) continue;
      c.type ??= '';
      c.status ??= '';
    }
  },
  fieldLabels: (obj) => ({ 'spec.signerName': strOf(peek(obj, 'spec').signerName) }),
  supportedFieldLabels: ['spec.signerName'],
  tableColumns: [
    nameColumn,
    ageColumn,
    docColumn('SignerName', 'string', 'V1CertificateSigningRequestSpec', 'signerName'),
    docColumn('Requestor', 'string', 'V1CertificateSigningRequestSpec', 'request'),
    docColumn('RequestedDuration', 'string', 'V1CertificateSigningRequestSpec', 'expirationSeconds'),
    docColumn('Condition', 'string', 'V1CertificateSigningRequestStatus', 'conditions'),
  ],
  tableRow(obj) {
    const spec = peek(obj, 'spec');
    const types = new Set(conditionsOf(obj).map((c) => c.type));
    let condition = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
    if (types.has('Failed')) condition += ',Failed';
    if (strOf(statusOf(obj).certificate)) condition += ',Issued';
    const secs = spec.expirationSeconds;
    return [
      objName(obj),
      age(obj.metadata?.creationTimestamp),
      strOf(spec.signerName) || '<none>',
      strOf(spec.username),
      typeof secs === 'number' ? humanDuration(secs * 1000) : '<none>',
      condition,
    ];
  },
};

export const certificatesResources: BuiltinResource[] = [
  builtinResource(
    {
      group: 'certificates.k8s.io',
      version: 'v1',
      resource: 'certificatesigningrequests',
      singular: 'certificatesigningrequest',
      kind: 'CertificateSigningRequest',
      namespaced: false,
      shortNames: ['csr'],
      subresources: { status: true },
    },
    csrStrategy,
    'V1CertificateSigningRequest',
    undefined,
    // The approval conditions' own subresource: the object itself, scoped by the strategy.
    { subresources: [{ name: 'approval', kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'], handler: 'update' }] },
  ),
];

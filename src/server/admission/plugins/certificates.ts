// kube's three CertificateSigningRequest plugins (plugin/pkg/admission/certificates):
// CertificateApproval (approving or denying needs `approve` on the signer),
// CertificateSigning (writing status.certificate, or a Failed condition, needs `sign`),
// and CertificateSubjectRestriction (no system:masters group for the
// kube-apiserver-client signer). Signer permissions are asked of the authorizer on
// certificates.k8s.io `signers` by name, then by the `<domain>/*` wildcard.

import { csrSubjectOrganizations } from '../../api/der.js';
import { forbidden } from '../../api/errors.js';
import { deepEqual, type UserInfo } from '../../api/types.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import type { AdmissionAuthorizer } from './deps.js';
import { isResource, obj, objects } from './util.js';

const GROUP = 'certificates.k8s.io';
const CSRS = { group: GROUP, resource: 'certificatesigningrequests' };

async function authorizedForSigner(authz: AdmissionAuthorizer, user: UserInfo, verb: string, signerName: string): Promise<boolean> {
  const ask = (name: string) => authz.allowed(user, { verb, apiGroup: GROUP, resource: 'signers', name });
  if (await ask(signerName)) return true;
  return ask(`${signerName.split('/')[0]}/*`);
}

const signerOf = (o: unknown): string => String(obj(obj(o)?.spec)?.signerName ?? '');

export class CertificateApproval implements ValidatingPlugin {
  readonly name = 'CertificateApproval';
  constructor(private readonly authz: AdmissionAuthorizer) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'UPDATE' || !isResource(a, GROUP, 'certificatesigningrequests', 'approval') || !a.object) return;
    const signer = signerOf(a.object);
    if (!(await authorizedForSigner(this.authz, a.user, 'approve', signer)))
      throw forbidden(CSRS, a.name, `user not permitted to approve requests with signerName "${signer}"`);
  }
}

const failed = (o: unknown) => objects(obj(obj(o)?.status)?.conditions).filter((c) => c.type === 'Failed');

export class CertificateSigning implements ValidatingPlugin {
  readonly name = 'CertificateSigning';
  constructor(private readonly authz: AdmissionAuthorizer) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'UPDATE' || !isResource(a, GROUP, 'certificatesigningrequests', 'status') || !a.object) return;
    const cert = (o: unknown) => obj(obj(o)?.status)?.certificate ?? '';
    if (a.oldObject && cert(a.oldObject) === cert(a.object) && deepEqual(failed(a.oldObject), failed(a.object))) return;
    const signer = signerOf(a.oldObject ?? a.object);
    if (!(await authorizedForSigner(this.authz, a.user, 'sign', signer)))
      throw forbidden(CSRS, a.name, `user not permitted to sign requests with signerName "${signer}"`);
  }
}

const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

export class CertificateSubjectRestriction implements ValidatingPlugin {
  readonly name = 'CertificateSubjectRestriction';

  validate(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || !isResource(a, GROUP, 'certificatesigningrequests') || !a.object) return;
    if (signerOf(a.object) !== CLIENT_SIGNER) return;
    const request = obj(a.object.spec)?.request;
    const orgs = typeof request === 'string' ? csrSubjectOrganizations(Buffer.from(request, 'base64').toString('latin1')) : undefined;
    if (!orgs) throw forbidden(CSRS, a.name, 'failed to parse CSR: PEM block type must be CERTIFICATE REQUEST');
    if (orgs.includes('system:masters'))
      throw forbidden(CSRS, a.name, `use of ${CLIENT_SIGNER} signer with system:masters group is not allowed`);
  }
}

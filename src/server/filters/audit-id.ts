// kube's WithAuditInit: every response carries an Audit-Id, the client's own when it sent one.

import { randomUUID } from 'node:crypto';
import type { Filter } from '../http/request.js';

export const withAuditId: Filter = (next) => (r) => {
  const asked = r.req.headers['audit-id'];
  r.res.setHeader('Audit-Id', typeof asked === 'string' && asked ? asked : randomUUID());
  return next(r);
};

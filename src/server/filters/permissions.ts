// GET /debug/kapi/permissions?user=U (system:masters only): the least-privilege report of one
// user (authz/usage.ts) as JSON, or with `format=yaml` the minimal Roles/ClusterRole that allow
// exactly what the user exercised (`allowedOnly=true`: only what was allowed; `name=N`: their name).
// Served for `kapi-env rbac report --user U` against a running environment.

import { badRequest, forbiddenPath, methodNotAllowed } from '../api/errors.js';
import { minimalRolesYAML, type PermissionsRecorder } from '../authz/usage.js';
import type { Filter } from '../http/request.js';
import { respond, writeBody } from '../http/response.js';

export const PERMISSIONS_PATH = '/debug/kapi/permissions';

export function withPermissionsReport(recorder: PermissionsRecorder): Filter {
  return (next) => async (r) => {
    if (r.info.isResourceRequest || r.path !== PERMISSIONS_PATH) return next(r);
    const user = r.user;
    if (!user?.groups.includes('system:masters'))
      throw forbiddenPath(`User "${user?.username ?? 'system:anonymous'}" cannot ${r.info.verb} path "${r.path}"`);
    if (r.req.method !== 'GET') throw methodNotAllowed(r.req.method ?? '', 'the permissions report');
    const who = r.query.get('user');
    if (!who) throw badRequest('the user query parameter is required');
    const report = recorder.report(who);
    if (r.query.get('format') === 'yaml') {
      const yaml = minimalRolesYAML(report, { name: r.query.get('name') ?? undefined, allowedOnly: r.query.get('allowedOnly') === 'true' });
      writeBody(r.res, 200, yaml, 'application/yaml', r.output.gzip);
      return;
    }
    respond(r, 200, { kind: 'PermissionsReport', ...report }, { contentType: 'application/json' });
  };
}

// core/v1 ComponentStatus as kube-apiserver 1.32 serves it
// (pkg/registry/core/componentstatus): nothing stored, each get or list probes
// the components it knows: the scheduler and controller-manager on their local
// secure ports (https://127.0.0.1:10259/healthz, :10257/healthz; neither runs
// beside this server, so they answer as kube reports an unreachable component)
// and etcd-0 through the storage's health check. Deprecated since 1.19.

import { request } from 'node:https';
import { unknownError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import type { Storage } from '../../storage/interface.js';
import type { ComputedResource } from '../computed.js';
import type { Strategy } from '../strategy.js';
import { column, nameColumn, objName } from './printers.js';

export const COMPONENT_STATUS_WARNING = 'v1 ComponentStatus is deprecated in v1.19+';

/** The probe's timeout (kube's probeTimeOut). */
const PROBE_TIMEOUT_MS = 20_000;

interface Probe {
  status: 'True' | 'False' | 'Unknown';
  message: string;
  error?: string;
}

/**
 * httpprober: a 2xx/3xx answer is healthy with its body as the message; anything else, a
 * connection failure included, is unhealthy with the failure as the message (Go's wording).
 */
function probeHTTPS(port: number): Promise<Probe> {
  const url = `https://127.0.0.1:${port}/healthz`;
  return new Promise((resolve) => {
    const req = request(url, { rejectUnauthorized: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 10_000) body += c;
      });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) resolve({ status: 'True', message: body });
        else resolve({ status: 'False', message: `HTTP probe failed with statuscode: ${code}` });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ECONNREFUSED'
          ? `dial tcp 127.0.0.1:${port}: connect: connection refused`
          : e.code === 'ETIMEDOUT'
            ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
            : e.message;
      resolve({ status: 'False', message: `Get "${url}": ${why}` });
    });
    req.end();
  });
}

async function probeEtcd(storage: Storage): Promise<Probe> {
  const ok = await Promise.race([
    storage.healthy().catch(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(false), PROBE_TIMEOUT_MS).unref()),
  ]);
  return ok ? { status: 'True', message: 'ok' } : { status: 'False', message: '', error: 'context deadline exceeded' };
}

function componentStatus(name: string, p: Probe): KubeObject {
  const condition: Record<string, unknown> = { type: 'Healthy', status: p.status, message: p.message };
  if (p.error) condition.error = p.error;
  return {
    apiVersion: 'v1',
    kind: 'ComponentStatus',
    metadata: { name, creationTimestamp: null },
    conditions: [condition],
  } as unknown as KubeObject;
}

/** The components GetServersToValidate returns, each with its probe. */
export function componentStatuses(storage: Storage): ComputedResource {
  const probes: Record<string, () => Promise<Probe>> = {
    'controller-manager': () => probeHTTPS(10257),
    scheduler: () => probeHTTPS(10259),
    'etcd-0': () => probeEtcd(storage),
  };
  return {
    list: () => Promise.all(Object.entries(probes).map(async ([name, probe]) => componentStatus(name, await probe()))),
    async get(name) {
      const probe = probes[name];
      // kube's Get answers a plain error (a 500 without a reason) for a name it does not know.
      if (!probe) throw unknownError(`Component not found: ${name}`);
      return componentStatus(name, await probe());
    },
  };
}

/** printComponentStatus: the Healthy condition's status, message and error. */
function componentCells(o: KubeObject): unknown[] {
  const conds = Array.isArray(o.conditions) ? (o.conditions as Array<Record<string, unknown>>) : [];
  const c = conds.find((x) => x.type === 'Healthy');
  const status = c ? (c.status === 'True' ? 'Healthy' : 'Unhealthy') : 'Unknown';
  return [objName(o), status, String(c?.message ?? ''), String(c?.error ?? '')];
}

export const componentStatusStrategy: Strategy = {
  namespaced: false,
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  tableColumns: [
    nameColumn,
    column('Status', 'string', 'Status of the component conditions'),
    column('Message', 'string', 'Message of the component conditions'),
    column('Error', 'string', 'Error of the component conditions'),
  ],
  tableRow: componentCells,
};

// envtest's environment variables, and kapi-env's own names for them:
//   USE_EXISTING_CLUSTER=true                    the cluster in KUBECONFIG, none started (KAPI_ENV_USE_EXISTING_CLUSTER)
//   KUBEBUILDER_CONTROLPLANE_START_TIMEOUT=20s   how long a start may take (KAPI_ENV_START_TIMEOUT)
//   KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT=20s    how long a stop may take before etcd is killed (KAPI_ENV_STOP_TIMEOUT)
//   KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT=true the server's request log and etcd's output on stderr (KAPI_ENV_LOG=<level>)
// An option passed in code wins over the environment.

import { FlagError, parseDuration } from '../server/config.js';

function envDuration(names: string[]): number | undefined {
  for (const name of names) {
    const v = process.env[name];
    if (!v) continue;
    try {
      // envtest reads these with time.ParseDuration; a bare number is taken as seconds, as some setups write it.
      return /^\d+$/.test(v) ? Number(v) * 1000 : parseDuration(v);
    } catch {
      throw new FlagError(`${name}=${v}: invalid duration (write it as Go does: 90s, 2m)`);
    }
  }
  return undefined;
}

export const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|t|true|yes)$/i.test(v);

/** No overall deadline unless asked: each phase has its own (etcd healthy within 15 s, CRDs within their wait). */
export const DEFAULT_START_TIMEOUT_MS = 0;
export const DEFAULT_STOP_TIMEOUT_MS = 20_000;

export function startTimeoutMs(option: number | undefined): number {
  return option ?? envDuration(['KAPI_ENV_START_TIMEOUT', 'KUBEBUILDER_CONTROLPLANE_START_TIMEOUT']) ?? DEFAULT_START_TIMEOUT_MS;
}

export function stopTimeoutMs(option: number | undefined): number {
  return option ?? envDuration(['KAPI_ENV_STOP_TIMEOUT', 'KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT']) ?? DEFAULT_STOP_TIMEOUT_MS;
}

export function useExistingCluster(option: boolean | undefined): boolean {
  return option ?? (truthy(process.env.USE_EXISTING_CLUSTER) || truthy(process.env.KAPI_ENV_USE_EXISTING_CLUSTER));
}

/** The request log's verbosity: 0 = off; 2 = one line per request (kube's -v=2 httplog). */
export function logLevel(option: boolean | number | undefined): number {
  if (typeof option === 'number') return option;
  if (option !== undefined) return option ? 2 : 0;
  const own = process.env.KAPI_ENV_LOG;
  if (own && /^\d+$/.test(own)) return Number(own);
  return truthy(own) || truthy(process.env.KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT) ? 2 : 0;
}

export class StartTimeoutError extends Error {
  constructor(ms: number) {
    super(`the control plane did not start within ${ms} ms (KUBEBUILDER_CONTROLPLANE_START_TIMEOUT / startTimeoutMs)`);
    this.name = 'CliError';
  }
}

/**
 * Runs a start under a deadline. Past it the caller gets StartTimeoutError at once; the start, when it
 * finishes anyway, is stopped (a failed start has already cleaned up after itself).
 */
export function withDeadline<T extends { stop(): Promise<unknown> }>(ms: number, start: () => Promise<T>): Promise<T> {
  if (!(ms > 0)) return start();
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new StartTimeoutError(ms));
    }, ms);
    start().then(
      (v) => {
        clearTimeout(timer);
        if (late) void v.stop();
        else resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        if (!late) reject(e);
      },
    );
  });
}

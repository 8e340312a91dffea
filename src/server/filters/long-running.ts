// kube-apiserver's LongRunningFunc (cmd/kube-apiserver/app/server.go, over
// k8s.io/apiserver pkg/server/filters/longrunning.go BasicLongRunningRequestCheck):
// the requests the request timeout, the max-in-flight limit and the shutdown
// drain leave alone.

import type { RequestInfo } from '../http/request-info.js';

const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/** Watches, proxies, a pod's attach/exec/log/portforward (log follow included), and the profiler's paths. */
export function isLongRunning(info: RequestInfo): boolean {
  if (LONG_RUNNING_VERBS.has(info.verb)) return true;
  if (info.isResourceRequest) return LONG_RUNNING_SUBRESOURCES.has(info.subresource);
  return info.path.startsWith('/debug/pprof/');
}

// kube-apiserver's request instrumentation (k8s.io/apiserver
// pkg/endpoints/metrics: InstrumentRouteFunc, RecordLongRunning, the max-in-flight
// filter's watermark) as one filter after authorization, and GET /metrics
// itself (authorized as any non-resource URL: system:monitoring and
// cluster-admin by the bootstrap policy). A request is recorded once it is
// answered; a long-running one (watch, connect subresources) when its response
// closes, counted meanwhile in apiserver_longrunning_requests and never in the
// in-flight gauge.

import { isStatusError } from '../api/errors.js';
import type { Filter } from '../http/request.js';
import { writeBody } from '../http/response.js';
import { type ApiServerMetrics, isMutating, METRICS_PATH } from '../metrics/index.js';
import { isLongRunning } from './long-running.js';

export function withMetrics(m: ApiServerMetrics): Filter {
  return (next) => async (r) => {
    const info = r.info;
    if (!info.isResourceRequest && r.path === METRICS_PATH) {
      writeBody(r.res, 200, await m.text(), m.contentType, r.output.gzip);
      return;
    }
    const series = m.seriesOf(r);
    const started = performance.now();
    if (isLongRunning(info)) {
      if (!series) return next(r);
      const gauge = m.longRunningOf(series);
      gauge.inc();
      // A WebSocket upgrade outlives its response object: its socket closing ends it.
      const ends: NodeJS.EventEmitter = r.req.headers.upgrade ? r.req.socket : r.res;
      ends.once('close', () => {
        gauge.dec();
        m.observe(series, r.res.statusCode, (performance.now() - started) / 1000);
      });
      return next(r);
    }
    const mutating = isMutating(info);
    m.inflight(mutating, 1, started);
    let code = 0;
    try {
      await next(r);
    } catch (e) {
      code = isStatusError(e) ? e.code : 500;
      throw e;
    } finally {
      const ended = performance.now();
      m.inflight(mutating, -1, ended);
      if (series && (!series.aggregatedDiscovery || String(r.res.getHeader('content-type')).includes('apidiscovery')))
        m.observe(series, code || r.res.statusCode, (ended - started) / 1000);
    }
  };
}

// kube-apiserver's /metrics (Prometheus text format) for one server: the
// request, watch, storage and admission webhook metrics under the names, help
// texts, labels and buckets of k8s.io/apiserver 1.32 (pkg/endpoints/metrics,
// pkg/storage/etcd3/metrics, pkg/admission/metrics), in a registry of its own
// (many servers may share a process), plus prom-client's process and Node
// runtime metrics, collected once per process. component-base prefixes each
// help text with the metric's stability level, so do we.
//
// Recording is cheap: each series' children (families.ts: plain numbers that
// prom-client's registry reads at scrape time) are looked up once and cached;
// a request costs one key string, a map lookup and a few additions.

import type { Registry } from 'prom-client';
import type { ApiRequest } from '../http/request.js';
import type { RequestInfo } from '../http/request-info.js';
import {
  CounterFamily,
  type Family,
  type GaugeChild,
  GaugeFamily,
  type HistogramChild,
  HistogramFamily,
  type Labels,
  type PromClient,
} from './families.js';
import { APISERVER_COMPONENT, cleanDryRun, cleanScope, reportedVerb } from './labels.js';

export { isMutating } from './labels.js';

export const METRICS_PATH = '/metrics';

/** requestLatencies' and etcdRequestLatency's buckets (the API call latency SLO's). */
const LATENCY_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
/** The admission webhook latency buckets (admission/metrics: 5 ms to 25 s). */
const WEBHOOK_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10, 25];
/** kube's inflightUsageMetricUpdatePeriod: the in-flight gauge reports the highest count of the last second. */
const INFLIGHT_PERIOD_MS = 1000;

/** The health paths kube's healthz.InstallPathHandler instruments (the individual checks are not). */
const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE: the text exposition format 0.0.4. */
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let processRegistry: Promise<Registry> | undefined;
/** prom-client's default metrics, collected once per process (from the first scrape) into a registry every server reads. */
function defaultMetrics(prom: PromClient): Promise<Registry> {
  processRegistry ??= Promise.resolve().then(() => {
    const r = new prom.Registry();
    prom.collectDefaultMetrics({ register: r });
    return r;
  });
  return processRegistry;
}

export interface MetricsSources {
  /** Whether a resource request reaches a served resource and subresource (kube instruments its routes only). */
  routed(info: RequestInfo): boolean;
  /** Objects stored per resource (`configmaps`, `deployments.apps`), read at each scrape; -1 where the count failed. */
  storedObjects?(): Promise<Iterable<[string, number]>>;
  /** Serve etcd_request_duration_seconds (the etcd backend). */
  etcd?: boolean;
}

/** One series of the request metrics, its children cached. */
export interface RequestSeries {
  readonly labels: Labels;
  readonly duration: HistogramChild;
  readonly codes: Map<number, { inc(): void }>;
  longRunning?: GaugeChild;
  /** /api and /apis: recorded only when the aggregated document was served (kube instruments that handler only). */
  readonly aggregatedDiscovery: boolean;
}

/** What a served watch reports: apiserver_registered_watchers and apiserver_watch_events_total. */
export interface WatchSeries {
  started(): void;
  ended(): void;
  sent(): void;
}

const help = (level: 'STABLE' | 'ALPHA', text: string): string => `[${level}] ${text}`;

export class ApiServerMetrics {
  /** This server's registry, made at the first scrape. */
  private registry?: Promise<Registry>;
  private readonly families: Family[];
  private readonly requests: CounterFamily;
  private readonly durations: HistogramFamily;
  private readonly longRunning: GaugeFamily;
  private readonly watchers: GaugeFamily;
  private readonly watchEvents: CounterFamily;
  private readonly etcdDurations?: HistogramFamily;
  private readonly webhookDurations: HistogramFamily;
  private readonly series = new Map<string, RequestSeries>();
  private readonly watchSeries = new Map<string, WatchSeries>();
  private readonly storageSeries = new Map<string, (operation: string, seconds: number) => void>();
  private readonly webhookSeries = new Map<string, { observe(v: number): void }>();
  /** Requests executing now, the most of the current period and of the last one, read-only [0] and mutating [1]. */
  private readonly inflightNow = [0, 0];
  private readonly inflightHigh = [0, 0];
  private readonly inflightLast = [0, 0];
  private inflightPeriodStart = performance.now();

  constructor(private readonly sources: MetricsSources) {
    this.requests = new CounterFamily({
      name: 'apiserver_request_total',
      help: help(
        'STABLE',
        'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      ),
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'],
    });
    this.durations = new HistogramFamily({
      name: 'apiserver_request_duration_seconds',
      help: help(
        'STABLE',
        'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      ),
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      buckets: LATENCY_BUCKETS,
    });
    this.longRunning = new GaugeFamily({
      name: 'apiserver_longrunning_requests',
      help: help(
        'STABLE',
        'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
      ),
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
    });
    const inflight = new GaugeFamily({
      name: 'apiserver_current_inflight_requests',
      help: help('STABLE', 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.'),
      labelNames: ['request_kind'],
      refresh: () => {
        this.rollInflight(performance.now());
        readOnly.set(this.inflightLast[0]);
        mutating.set(this.inflightLast[1]);
      },
    });
    const readOnly = inflight.child({ request_kind: 'readOnly' });
    const mutating = inflight.child({ request_kind: 'mutating' });
    // kube-apiserver served this one until 1.24 (apiserver_longrunning_requests{verb="WATCH"} replaced it).
    this.watchers = new GaugeFamily({
      name: 'apiserver_registered_watchers',
      help: help('ALPHA', 'Number of currently registered watchers for a given resources'),
      labelNames: ['group', 'version', 'kind'],
    });
    this.watchEvents = new CounterFamily({
      name: 'apiserver_watch_events_total',
      help: help('ALPHA', 'Number of events sent in watch clients'),
      labelNames: ['group', 'version', 'kind'],
    });
    this.families = [this.requests, this.durations, this.longRunning, inflight, this.watchers, this.watchEvents];
    const storedObjects = sources.storedObjects;
    if (storedObjects) {
      const objects: GaugeFamily = new GaugeFamily({
        name: 'apiserver_storage_objects',
        help: help(
          'STABLE',
          'Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
        ),
        labelNames: ['resource'],
        refresh: async () => {
          const counts = await storedObjects();
          objects.clear();
          for (const [resource, n] of counts) objects.child({ resource }).set(n);
        },
      });
      this.families.push(objects);
    }
    if (sources.etcd) {
      this.etcdDurations = new HistogramFamily({
        name: 'etcd_request_duration_seconds',
        help: help('ALPHA', 'Etcd request latency in seconds for each operation and object type.'),
        labelNames: ['operation', 'type'],
        buckets: LATENCY_BUCKETS,
      });
      this.families.push(this.etcdDurations);
    }
    this.webhookDurations = new HistogramFamily({
      name: 'apiserver_admission_webhook_admission_duration_seconds',
      help: help(
        'STABLE',
        'Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).',
      ),
      labelNames: ['name', 'type', 'operation', 'rejected'],
      buckets: WEBHOOK_BUCKETS,
    });
    this.families.push(this.webhookDurations);
  }

  /** The Content-Type of text(): Prometheus' text exposition format 0.0.4. */
  readonly contentType = CONTENT_TYPE;

  /** Everything, in the text exposition format: this server's metrics, then the process'. */
  async text(): Promise<string> {
    const prom = await import('prom-client');
    this.registry ??= Promise.resolve().then(() => {
      const r = new prom.Registry();
      for (const f of this.families) f.register(prom, r);
      return r;
    });
    const own = await (await this.registry).metrics();
    return `${own}\n${await (await defaultMetrics(prom)).metrics()}`;
  }

  /** The request series `r` records into, or undefined when kube would not instrument it (unrouted paths, /version, /openapi...). */
  seriesOf(r: ApiRequest): RequestSeries | undefined {
    const info = r.info;
    let group = '';
    let version = '';
    let resource = '';
    let subresource: string;
    let component = '';
    let aggregatedDiscovery = false;
    if (info.isResourceRequest) {
      if (!this.sources.routed(info)) return undefined;
      group = info.apiGroup;
      version = info.apiVersion;
      resource = info.resource;
      subresource = info.subresource;
      component = APISERVER_COMPONENT;
    } else if (HEALTH_PATHS.has(r.path)) {
      subresource = r.path;
    } else if (r.path === '/api' || r.path === '/apis') {
      subresource = r.path.slice(1);
      component = APISERVER_COMPONENT;
      aggregatedDiscovery = true;
    } else {
      return undefined;
    }
    const scope = cleanScope(info);
    const contentType = r.req.headers['content-type'];
    const verb = reportedVerb(r.req.method ?? 'GET', info, scope, contentType);
    const dryRun = cleanDryRun(r.query);
    const key = `${verb}\0${dryRun}\0${group}\0${version}\0${resource}\0${subresource}\0${scope}\0${component}`;
    let s = this.series.get(key);
    if (!s) {
      const labels = { verb, dry_run: dryRun, group, version, resource, subresource, scope, component };
      s = { labels, duration: this.durations.child(labels), codes: new Map(), aggregatedDiscovery };
      this.series.set(key, s);
    }
    return s;
  }

  /** One answered request: apiserver_request_total and apiserver_request_duration_seconds. */
  observe(s: RequestSeries, code: number, seconds: number): void {
    let count = s.codes.get(code);
    if (!count) {
      count = this.requests.child({ ...s.labels, code: String(code) });
      s.codes.set(code, count);
    }
    count.inc();
    s.duration.observe(seconds);
  }

  /** apiserver_longrunning_requests' child of a series (verb, group, version, resource, subresource, scope, component). */
  longRunningOf(s: RequestSeries): GaugeChild {
    if (!s.longRunning) {
      const { dry_run: _, ...labels } = s.labels;
      s.longRunning = this.longRunning.child(labels);
    }
    return s.longRunning;
  }

  /** A request starts (+1) or ends (-1) executing at `at` (performance.now()): apiserver_current_inflight_requests. */
  inflight(mutating: boolean, delta: 1 | -1, at: number): void {
    this.rollInflight(at);
    const i = mutating ? 1 : 0;
    const now = (this.inflightNow[i] += delta);
    if (now > this.inflightHigh[i]) this.inflightHigh[i] = now;
  }

  /**
   * kube's watermark, updated each second: the gauge shows the most requests executing at once in the last
   * whole period (the count of now after idle periods). Rolled over when a request or a scrape comes.
   */
  private rollInflight(at: number): void {
    const periods = Math.floor((at - this.inflightPeriodStart) / INFLIGHT_PERIOD_MS);
    if (periods < 1) return;
    for (const i of [0, 1]) {
      this.inflightLast[i] = periods === 1 ? this.inflightHigh[i] : this.inflightNow[i];
      this.inflightHigh[i] = this.inflightNow[i];
    }
    this.inflightPeriodStart += periods * INFLIGHT_PERIOD_MS;
  }

  /** The watch series of a kind (the watch handler's seam). */
  readonly watch = (group: string, version: string, kind: string): WatchSeries => {
    const key = `${group}\0${version}\0${kind}`;
    let s = this.watchSeries.get(key);
    if (!s) {
      const labels = { group, version, kind };
      const watchers = this.watchers.child(labels);
      const events = this.watchEvents.child(labels);
      s = { started: () => watchers.inc(), ended: () => watchers.dec(), sent: () => events.inc() };
      this.watchSeries.set(key, s);
    }
    return s;
  };

  /** etcd_request_duration_seconds for one resource (`type`: its group-resource, `configmaps`, `deployments.apps`). */
  readonly storage = (type: string): ((operation: string, seconds: number) => void) => {
    const histogram = this.etcdDurations;
    if (!histogram) return () => {};
    let observe = this.storageSeries.get(type);
    if (!observe) {
      const children = new Map<string, { observe(v: number): void }>();
      observe = (operation, seconds) => {
        let c = children.get(operation);
        if (!c) {
          c = histogram.child({ operation, type });
          children.set(operation, c);
        }
        c.observe(seconds);
      };
      this.storageSeries.set(type, observe);
    }
    return observe;
  };

  /** One admission webhook call (type `admit` for mutating webhooks, `validating` for validating ones). */
  readonly webhook = (name: string, type: 'admit' | 'validating', operation: string, rejected: boolean, seconds: number): void => {
    const key = `${name}\0${type}\0${operation}\0${rejected}`;
    let c = this.webhookSeries.get(key);
    if (!c) {
      c = this.webhookDurations.child({ name, type, operation, rejected: String(rejected) });
      this.webhookSeries.set(key, c);
    }
    c.observe(seconds);
  };
}

// Metric families whose children are plain numbers. prom-client's own children
// validate and hash their label set on every inc() or observe() (several µs per
// request with kube's eight labels); these children are found once by the caller
// and cost an add. prom-client is loaded at the first scrape (not at start, where
// it would cost tens of milliseconds): each family then registers one prom-client
// metric that names it and reads its children when the registry writes the text
// format (counters and gauges in collect(), the histogram in its get()).

import type * as Prom from 'prom-client';

export type Labels = Record<string, string>;
export type PromClient = typeof Prom;

/** The labels in name order, as client_golang writes them (prom-client keeps the object's order). */
function sorted(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k];
  return out;
}

export interface FamilyOptions {
  name: string;
  help: string;
  labelNames: string[];
}

export class CounterChild {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(): void {
    this.value++;
  }
}

export class GaugeChild {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(): void {
    this.value++;
  }
  dec(): void {
    this.value--;
  }
  set(v: number): void {
    this.value = v;
  }
}

export class HistogramChild {
  /** Observations per bucket (not cumulative); the last one counts those above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
  }
}

export interface Family {
  /** Registers the prom-client metric that writes this family. */
  register(prom: PromClient, registry: Prom.Registry): void;
}

export class CounterFamily implements Family {
  private readonly children: CounterChild[] = [];
  constructor(private readonly o: FamilyOptions) {}
  child(labels: Labels): CounterChild {
    const c = new CounterChild(sorted(labels));
    this.children.push(c);
    return c;
  }
  register(prom: PromClient, registry: Prom.Registry): void {
    const children = this.children;
    new prom.Counter({
      ...this.o,
      registers: [registry],
      collect() {
        this.reset();
        for (const c of children) this.inc(c.labels, c.value);
      },
    });
  }
}

export class GaugeFamily implements Family {
  private readonly children: GaugeChild[] = [];
  /** `refresh` runs before each scrape reads the children (gauges computed when scraped). */
  constructor(private readonly o: FamilyOptions & { refresh?: () => void | Promise<void> }) {}
  child(labels: Labels): GaugeChild {
    const c = new GaugeChild(sorted(labels));
    this.children.push(c);
    return c;
  }
  /** Drops every child (a gauge whose children are recomputed at each scrape). */
  clear(): void {
    this.children.length = 0;
  }
  register(prom: PromClient, registry: Prom.Registry): void {
    const children = this.children;
    const { refresh, ...o } = this.o;
    new prom.Gauge({
      ...o,
      registers: [registry],
      async collect() {
        await refresh?.();
        this.reset();
        for (const c of children) this.set(c.labels, c.value);
      },
    });
  }
}

export class HistogramFamily implements Family {
  private readonly children: HistogramChild[] = [];
  constructor(private readonly o: FamilyOptions & { buckets: number[] }) {}
  child(labels: Labels): HistogramChild {
    const c = new HistogramChild(sorted(labels), this.o.buckets);
    this.children.push(c);
    return c;
  }
  register(prom: PromClient, registry: Prom.Registry): void {
    const { name, help, buckets } = this.o;
    const children = this.children;
    type Values = Awaited<ReturnType<Prom.Histogram<string>['get']>>;
    /** prom-client's Histogram, its values read from the children's counts (`le` last, as client_golang writes it). */
    class ChildrenHistogram extends prom.Histogram<string> {
      override async get(): Promise<Values> {
        // prom-client's d.ts types `type` as a numeric enum; its registry writes the string it holds at run time.
        return this.getForPromString() as unknown as Values;
      }
      /** What prom-client's registry reads of a histogram when it writes the text format. */
      async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: object[] }> {
        const values: object[] = [];
        for (const c of children) {
          let acc = 0;
          for (let i = 0; i < buckets.length; i++) {
            acc += c.counts[i];
            values.push({ labels: { ...c.labels, le: String(buckets[i]) }, value: acc, metricName: `${name}_bucket` });
          }
          values.push({ labels: { ...c.labels, le: '+Inf' }, value: c.count, metricName: `${name}_bucket` });
          values.push({ labels: c.labels, value: c.sum, metricName: `${name}_sum` });
          values.push({ labels: c.labels, value: c.count, metricName: `${name}_count` });
        }
        return { name, help, type: 'histogram', aggregator: 'sum', values };
      }
    }
    new ChildrenHistogram({ ...this.o, registers: [registry] });
  }
}

/**
 * Prometheus families built from the catalog, with bounded label vocabularies, as the
 * Python SDK builds them: same names, help, labels and buckets, in a registry of our own.
 *
 * `Family.child(...values)` caches each labelled series (the hot path is one Map lookup) and
 * folds values past a per-label limit into `other`, counting what it folded on
 * `telemetry_label_overflow_total`: an id used as a label costs at most `limit` series.
 */
import { readdirSync } from "node:fs";
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from "prom-client";
import { METRICS, type MetricName } from "./catalog.generated.js";

export const OTHER = "other";
export const UNKNOWN = "unknown";
const OVERFLOW: MetricName = "telemetry_label_overflow_total";
// Read from the OS when Prometheus scrapes, never set by instrumentation.
const SCRAPE_TIME = new Set<MetricName>(["process_memory_bytes", "process_cpu_seconds_total", "process_open_fds"]);

type LabelValue = string | number | boolean | null | undefined;

/** One labelled series: the operations of its kind (a counter has no `set`). */
export interface Series {
  inc(value?: number): void;
  dec(value?: number): void;
  set(value: number): void;
  observe(value: number): void;
}

interface Spec {
  readonly name: string;
  readonly kind: string;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
}

type Metric = Counter | Gauge | Histogram | Summary;

function seriesOf(metric: Metric, labels: Record<string, string>): Series {
  if (metric instanceof Counter) {
    const child = metric.labels(labels);
    return { inc: (v = 1) => { child.inc(v); }, dec: () => undefined, set: () => undefined, observe: () => undefined };
  }
  if (metric instanceof Gauge) {
    const child = metric.labels(labels);
    return {
      inc: (v = 1) => { child.inc(v); },
      dec: (v = 1) => { child.dec(v); },
      set: (v) => { child.set(v); },
      observe: () => undefined,
    };
  }
  const child = metric.labels(labels);
  return { inc: () => undefined, dec: () => undefined, set: () => undefined, observe: (v) => { child.observe(v); } };
}

// Children by their label values, one Map level per label: a lookup allocates nothing.
type Tree = Map<LabelValue, Tree | Series>;

export class Family {
  private readonly children: Tree = new Map();
  private readonly leaf: Series | undefined;
  private readonly seen: Set<string>[];

  constructor(
    readonly spec: Spec,
    readonly metric: Metric,
    private readonly limit: number,
    private readonly overflow: Family | undefined,
  ) {
    this.seen = spec.labels.map(() => new Set<string>());
    this.leaf = spec.labels.length === 0 ? seriesOf(metric, {}) : undefined;
  }

  /** The series for these label values, in the catalog's label order. */
  child(...values: LabelValue[]): Series {
    if (this.leaf !== undefined) return this.leaf;
    let node: Tree | Series | undefined = this.children;
    for (const value of values) {
      node = (node as Tree).get(value);
      if (node === undefined) return this.admit(values);
    }
    return values.length === this.spec.labels.length ? (node as Series) : this.admit(values);
  }

  private cache(values: LabelValue[], series: Series): void {
    let node = this.children;
    for (const [index, value] of values.entries()) {
      if (index === values.length - 1) {
        node.set(value, series);
        return;
      }
      let next = node.get(value) as Tree | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
  }

  private admit(values: LabelValue[]): Series {
    const names = this.spec.labels;
    if (values.length !== names.length) {
      throw new Error(`${this.spec.name} takes labels ${names.join(",")}, got ${String(values.length)} values`);
    }
    const labels: Record<string, string> = {};
    let exact = true;
    for (const [index, name] of names.entries()) {
      const value = values[index];
      let text = value === null || value === undefined || value === "" ? UNKNOWN : String(value);
      const seen = this.seen[index] ?? new Set<string>();
      if (!seen.has(text)) {
        if (seen.size >= this.limit) {
          exact = false;
          this.overflow?.child(this.spec.name, name).inc();
          text = OTHER;
        } else {
          seen.add(text);
        }
      }
      labels[name] = text;
    }
    const series = seriesOf(this.metric, labels);
    // Folded values are not cached, so the cache is as bounded as the series.
    if (exact) this.cache(values, series);
    return series;
  }
}

function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}

/** What the three process families read when Prometheus scrapes. */
const SCRAPE_READERS: Partial<Record<MetricName, () => number>> = {
  process_memory_bytes: () => process.memoryUsage().rss,
  process_cpu_seconds_total: () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1e6;
  },
  process_open_fds: openFds,
};

/** Every catalog family for one namespace, by catalog name, in `registry`. */
export class MetricSet {
  readonly registry: Registry;
  private readonly families = new Map<string, Family>();

  constructor(readonly namespace: string, maxLabelValues: number, registry?: Registry) {
    this.registry = registry ?? new Registry();
    const specs = Object.values(METRICS) as Spec[];
    // Its label values are catalog names, bounded by the catalog rather than the user limit.
    const catalogSize = specs.reduce((total, spec) => total + spec.labels.length, 0);
    const overflow = this.build(METRICS[OVERFLOW], Math.max(maxLabelValues, catalogSize), undefined);
    for (const spec of specs) {
      if (spec.name === OVERFLOW) continue;
      const reader = SCRAPE_READERS[spec.name as MetricName];
      if (SCRAPE_TIME.has(spec.name as MetricName) && reader !== undefined) {
        this.scraped(spec, reader);
        continue;
      }
      this.build(spec, maxLabelValues, overflow);
    }
    collectDefaultMetrics({ register: this.registry });
  }

  /** The family called `name` in the catalog (without the namespace). */
  get(name: MetricName): Family {
    const family = this.families.get(name);
    if (family === undefined) throw new Error(`swarmscope: no metric family ${name}`);
    return family;
  }

  private build(spec: Spec, limit: number, overflow: Family | undefined): Family {
    const config = {
      name: `${this.namespace}_${spec.name}`,
      help: spec.help,
      labelNames: [...spec.labels],
      registers: [this.registry],
    };
    let metric: Metric;
    if (spec.kind === "counter") metric = new Counter(config);
    else if (spec.kind === "gauge") metric = new Gauge(config);
    else if (spec.kind === "histogram") metric = new Histogram({ ...config, buckets: [...(spec.buckets ?? [])] });
    // prometheus_client's Summary exposes only _count and _sum: no quantiles here either.
    else metric = new Summary({ ...config, percentiles: [] });
    const family = new Family(spec, metric, limit, overflow);
    this.families.set(spec.name, family);
    return family;
  }

  private scraped(spec: Spec, read: () => number): void {
    const config = { name: `${this.namespace}_${spec.name}`, help: spec.help, registers: [this.registry] };
    if (spec.kind === "counter") {
      new Counter({ ...config, collect(this: Counter) { this.reset(); this.inc(read()); } });
    } else {
      new Gauge({ ...config, collect(this: Gauge) { this.set(read()); } });
    }
  }
}

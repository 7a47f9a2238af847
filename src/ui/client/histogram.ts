import uPlot from 'uplot';
import type { HistogramResponse } from '../api-types.js';

/** Stack colours, in the order of the histogram's levels (FATAL, ERROR, WARN, OTHER). */
const COLOURS: Record<string, string> = { FATAL: '#7b2cbf', ERROR: '#d62728', WARN: '#f0a202', OTHER: '#8fa3b8' };
const LABELS: Record<string, string> = { FATAL: 'fatal', ERROR: 'error', WARN: 'warn', OTHER: 'info & below' };

const SECOND = 1;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;
/**
 * Tick spacings for the time axis, in seconds: uPlot's own from 1 ms to 100 years, then up to 5,000 years, so that a
 * batch whose times run from 1970 to 9999 still gets labels (uPlot's list ends at 100 years, which is too dense there,
 * and it then draws none). Years are stepped from January 1st, whatever the multiple.
 */
const TIME_AXIS_INCREMENTS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 6 * HOUR, 8 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY, 6 * DAY, 7 * DAY, 8 * DAY, 9 * DAY, 10 * DAY, 15 * DAY,
  MONTH, 2 * MONTH, 3 * MONTH, 4 * MONTH, 6 * MONTH,
  YEAR, 2 * YEAR, 5 * YEAR, 10 * YEAR, 25 * YEAR, 50 * YEAR, 100 * YEAR, 250 * YEAR, 500 * YEAR, 1000 * YEAR, 2500 * YEAR, 5000 * YEAR,
];

/**
 * Entries over time, stacked by severity, as uPlot bars. uPlot draws series, not stacks: each series is drawn as
 * the cumulative sum up to its level, least severe (tallest) first, so the more severe bars sit on top of it; the
 * legend shows each level's own count.
 *
 * Each bar spans its bucket, from its start (`align: 1`) to the next bucket's; the x range runs from the first
 * bucket's start to the last bucket's end, which is also given as one more x value without counts, so the last
 * bucket is drawn as wide as the others (and a single bucket spans the chart) instead of falling off the right edge.
 */
export class HistogramChart {
  private chart: uPlot | undefined;
  private readonly resize = () => this.chart?.setSize(this.size());

  constructor(private readonly container: HTMLElement) {
    window.addEventListener('resize', this.resize);
  }

  /** Draws the histogram; one without buckets (no entry has a time) draws nothing. */
  update(histogram: HistogramResponse): void {
    this.clear();
    const buckets = histogram.starts.length;
    if (buckets === 0) return;
    const levels = [...histogram.levels].reverse();
    const raw = levels.map((level) => histogram.counts[histogram.levels.indexOf(level)]);
    const cumulative = raw.map((_, index) => histogram.starts.map((__, bucket) => raw.slice(index).reduce((sum, row) => sum + (row[bucket] ?? 0), 0)));
    const firstMs = histogram.starts[0];
    const endMs = histogram.starts[buckets - 1] + Math.max(1, histogram.bucketMs);
    const data: uPlot.AlignedData = [[...histogram.starts, endMs].map((ms) => ms / 1000), ...cumulative.map((row) => [...row, null])];
    const bars = uPlot.paths.bars!({ size: [0.9, Infinity], align: 1 });
    const options: uPlot.Options = {
      ...this.size(),
      cursor: { points: { show: false } },
      legend: { live: true },
      scales: { x: { time: true, range: () => [firstMs / 1000, endMs / 1000] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ incrs: TIME_AXIS_INCREMENTS }, { size: 60 }],
      series: [
        { label: 'time (UTC)', value: (_u, value) => (value === null ? '–' : new Date(Math.round(value * 1000)).toISOString().replace('T', ' ').replace('.000Z', '').replace(/Z$/, '')) },
        ...levels.map((level, index) => ({
          label: LABELS[level] ?? level,
          stroke: COLOURS[level],
          fill: COLOURS[level],
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _value: number | null, _series: number, bucket: number | null) => (bucket === null || bucket >= buckets ? '–' : String(raw[index][bucket] ?? 0)),
        })),
      ],
    };
    this.chart = new uPlot({ ...options, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC') }, data, this.container);
  }

  clear(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.container.replaceChildren();
  }

  destroy(): void {
    window.removeEventListener('resize', this.resize);
    this.chart?.destroy();
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(320, this.container.clientWidth || 800), height: 180 };
  }
}

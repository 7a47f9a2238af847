import uPlot from 'uplot';
import type { HistogramResponse } from '../api-types.js';

/** Stack colours, in the order of the histogram's levels (FATAL, ERROR, WARN, OTHER). */
const COLOURS: Record<string, string> = { FATAL: '#7b2cbf', ERROR: '#d62728', WARN: '#f0a202', OTHER: '#8fa3b8' };
const LABELS: Record<string, string> = { FATAL: 'fatal', ERROR: 'error', WARN: 'warn', OTHER: 'info & below' };

/**
 * Entries over time, stacked by severity, as uPlot bars. uPlot draws series, not stacks: each series is drawn as
 * the cumulative sum up to its level, least severe (tallest) first, so the more severe bars sit on top of it; the
 * legend shows each level's own count.
 */
export class HistogramChart {
  private chart: uPlot | undefined;
  private readonly resize = () => this.chart?.setSize(this.size());

  constructor(private readonly container: HTMLElement) {
    window.addEventListener('resize', this.resize);
  }

  update(histogram: HistogramResponse): void {
    const levels = [...histogram.levels].reverse();
    const raw = levels.map((level) => histogram.counts[histogram.levels.indexOf(level)]);
    const cumulative = raw.map((_, index) => histogram.starts.map((__, bucket) => raw.slice(index).reduce((sum, row) => sum + (row[bucket] ?? 0), 0)));
    const data: uPlot.AlignedData = [histogram.starts.map((ms) => ms / 1000), ...cumulative];
    const bars = uPlot.paths.bars!({ size: [0.9, 60], align: 1 });
    const options: uPlot.Options = {
      ...this.size(),
      cursor: { points: { show: false } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { size: 60 }],
      series: [
        { label: 'time (UTC)', value: (_u, value) => (value === null ? '–' : new Date(value * 1000).toISOString().replace('T', ' ').replace('.000Z', '')) },
        ...levels.map((level, index) => ({
          label: LABELS[level] ?? level,
          stroke: COLOURS[level],
          fill: COLOURS[level],
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _value: number | null, _series: number, bucket: number | null) => (bucket === null ? '–' : String(raw[index][bucket] ?? 0)),
        })),
      ],
    };
    this.chart?.destroy();
    this.container.replaceChildren();
    this.chart = new uPlot({ ...options, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC') }, data, this.container);
  }

  destroy(): void {
    window.removeEventListener('resize', this.resize);
    this.chart?.destroy();
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(320, this.container.clientWidth || 800), height: 180 };
  }
}

import { ConfigurationError } from '../errors.js';
import { SeverityNumber } from '../severity.js';

/**
 * What the worker keeps. `include` and `exclude` match the raw event text (every line of a multi-line event, joined
 * by `\n`) before it is parsed; `minSeverity` matches the parsed severity. Exclude wins over include.
 */
export interface EventFilterSettings {
  /** When not empty, only events matching at least one of these regular expressions are kept. */
  readonly include: readonly string[];
  /** Events matching any of these regular expressions are dropped, even when an include matches. */
  readonly exclude: readonly string[];
  /**
   * Entries parsed with a severity below this level (`trace`, `debug`, `info`, `warn`, `error`, `fatal`, or an
   * OpenTelemetry severity number 1-24) are dropped. An entry without a severity, and an unparsed line, are kept.
   */
  readonly minSeverity?: string;
}

export const NO_EVENT_FILTER: EventFilterSettings = { include: [], exclude: [] };

/** {@link EventFilterSettings} compiled once per worker. */
export interface EventFilter {
  /** False when the include/exclude rules drop the event (its raw text). */
  keepsText(text: string): boolean;
  /** Entries whose severity number is below this are dropped; undefined keeps every severity. */
  readonly minSeverityNumber?: number;
  /** False when `keepsText` keeps everything (no include, no exclude): the caller skips it. */
  readonly matchesText: boolean;
}

/** Compiles the settings, or returns undefined when they keep everything. Throws {@link ConfigurationError}. */
export function compileEventFilter(settings: EventFilterSettings): EventFilter | undefined {
  const include = settings.include.map((source) => compilePattern('include', source));
  const exclude = settings.exclude.map((source) => compilePattern('exclude', source));
  const minSeverityNumber = settings.minSeverity === undefined ? undefined : parseSeverityLevel(settings.minSeverity);
  if (include.length === 0 && exclude.length === 0 && minSeverityNumber === undefined) return undefined;
  return {
    matchesText: include.length > 0 || exclude.length > 0,
    minSeverityNumber,
    keepsText(text: string): boolean {
      for (const pattern of exclude) if (pattern.test(text)) return false;
      if (include.length === 0) return true;
      for (const pattern of include) if (pattern.test(text)) return true;
      return false;
    },
  };
}

/** `warn`, `WARNING`, `13` → 13. Throws {@link ConfigurationError} for anything else. */
export function parseSeverityLevel(level: string): number {
  const trimmed = level.trim();
  if (/^\d+$/.test(trimmed)) {
    const number = Number(trimmed);
    if (number >= 1 && number <= 24) return number;
  }
  const name = trimmed.toUpperCase() === 'WARNING' ? 'WARN' : trimmed.toUpperCase();
  if (Object.hasOwn(SeverityNumber, name)) return SeverityNumber[name as keyof typeof SeverityNumber];
  throw new ConfigurationError(`minimum severity ${JSON.stringify(level)}: use trace, debug, info, warn, error, fatal or a number from 1 to 24`);
}

function compilePattern(kind: string, source: string): RegExp {
  if (source === '') throw new ConfigurationError(`${kind} pattern is empty`);
  try {
    // No `g` or `y` flag: `test` must not carry `lastIndex` from one event to the next.
    return new RegExp(source);
  } catch (error) {
    throw new ConfigurationError(`${kind} pattern ${JSON.stringify(source)} is not a regular expression: ${(error as Error).message}`);
  }
}

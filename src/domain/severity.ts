/** OpenTelemetry severity numbers for the first value of each range. */
export const SeverityNumber = {
  TRACE: 1,
  DEBUG: 5,
  INFO: 9,
  WARN: 13,
  ERROR: 17,
  FATAL: 21,
} as const;

export type SeverityName = keyof typeof SeverityNumber;

const SEVERITY_WORDS: Record<string, SeverityName> = {
  trace: 'TRACE',
  finest: 'TRACE',
  finer: 'TRACE',
  verbose: 'TRACE',
  vrb: 'TRACE',
  trce: 'TRACE',
  debug: 'DEBUG',
  dbug: 'DEBUG',
  dbg: 'DEBUG',
  fine: 'DEBUG',
  info: 'INFO',
  inf: 'INFO',
  information: 'INFO',
  informational: 'INFO',
  notice: 'INFO',
  note: 'INFO',
  warn: 'WARN',
  warning: 'WARN',
  wrn: 'WARN',
  error: 'ERROR',
  err: 'ERROR',
  eror: 'ERROR',
  severe: 'ERROR',
  fail: 'ERROR',
  failure: 'ERROR',
  crit: 'FATAL',
  critical: 'FATAL',
  fatal: 'FATAL',
  ftl: 'FATAL',
  alert: 'FATAL',
  emerg: 'FATAL',
  emergency: 'FATAL',
  panic: 'FATAL',
};

/**
 * Every level word {@link severityFromText} knows, in lower case: full names and the abbreviations loggers print
 * (Serilog's `inf`/`wrn`/`ftl`, .NET's `dbug`/`fail`/`trce`, ...).
 */
export const SEVERITY_WORD_LIST: readonly string[] = Object.freeze(Object.keys(SEVERITY_WORDS));

/** Maps a level word (`warn`, `ERROR`, `Information`) to its OpenTelemetry severity, or undefined. */
export function severityFromText(text: string): { severityText: string; severityNumber: number } | undefined {
  const name = SEVERITY_WORDS[text.toLowerCase()];
  return name === undefined ? undefined : { severityText: name, severityNumber: SeverityNumber[name] };
}

/**
 * Maps a numeric level to OpenTelemetry: bunyan/pino levels (10..60) and OpenTelemetry numbers (1..24).
 */
export function severityFromNumber(level: number): { severityText: string; severityNumber: number } | undefined {
  if (!Number.isFinite(level)) return undefined;
  if (level >= 10 && level <= 60 && level % 10 === 0) {
    const name = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const)[level / 10 - 1];
    return { severityText: name, severityNumber: SeverityNumber[name] };
  }
  if (level >= 1 && level <= 24 && Number.isInteger(level)) {
    const name = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const)[Math.floor((level - 1) / 4)];
    return { severityText: name, severityNumber: level };
  }
  return undefined;
}

/** Entries at or above this number are "warnings and worse" (served by the repository's sparse index). */
export const WARN_OR_ABOVE = SeverityNumber.WARN;

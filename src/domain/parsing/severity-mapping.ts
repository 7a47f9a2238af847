import { SeverityNumber } from '../severity.js';

/** A severity as stored on an entry. */
export interface Severity {
  readonly severityText: string;
  readonly severityNumber: number;
}

const HTTP_INFO: Severity = { severityText: 'INFO', severityNumber: SeverityNumber.INFO };
const HTTP_WARN: Severity = { severityText: 'WARN', severityNumber: SeverityNumber.WARN };
const HTTP_ERROR: Severity = { severityText: 'ERROR', severityNumber: SeverityNumber.ERROR };

/** Access logs: 5xx is ERROR (17), 4xx is WARN (13), anything else (or no status) is INFO (9). */
export function severityFromHttpStatus(status: number | undefined): Severity {
  if (status === undefined) return HTTP_INFO;
  if (status >= 500) return HTTP_ERROR;
  if (status >= 400) return HTTP_WARN;
  return HTTP_INFO;
}

/**
 * Syslog severities 0-7 (RFC 5424 §6.2.1) to OpenTelemetry, as the OpenTelemetry Collector's syslog parser maps
 * them; the text is the syslog keyword.
 */
export const SYSLOG_SEVERITIES: readonly Severity[] = [
  { severityText: 'emerg', severityNumber: 22 }, // FATAL2
  { severityText: 'alert', severityNumber: 19 }, // ERROR3
  { severityText: 'crit', severityNumber: 18 }, // ERROR2
  { severityText: 'err', severityNumber: 17 }, // ERROR
  { severityText: 'warning', severityNumber: 13 }, // WARN
  { severityText: 'notice', severityNumber: 10 }, // INFO2
  { severityText: 'info', severityNumber: 9 }, // INFO
  { severityText: 'debug', severityNumber: 5 }, // DEBUG
];

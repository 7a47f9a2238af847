import type { ParseResult } from '../log-entry.js';
import { parseAccessLogLine } from './access-log.js';
import type { LineParser } from './parser.js';

/**
 * Common Log Format (Apache `%h %l %u %t "%r" %>s %b`, Nginx without referer and user agent), optionally with a
 * virtual host in front. A line that also carries the referer and user agent parses in full and is labelled
 * `combined`.
 */
export const parseClfLine: LineParser = (line): ParseResult => {
  const { result, isCombined } = parseAccessLogLine(line);
  return result.ok && isCombined ? { ...result, format: 'combined' } : result;
};

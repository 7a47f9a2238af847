import type { ParseResult } from '../log-entry.js';
import { parseAccessLogLine } from './access-log.js';
import type { LineParser } from './parser.js';

/**
 * Combined Log Format (Apache `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, Nginx's default
 * `combined`), with the variants seen in the wild: a virtual host in front, `$request_time` after the size, and
 * extra quoted fields or text after the user agent (kept in `access_log.extra_fields`). A line without referer
 * and user agent parses as Common Log Format and is labelled `clf`.
 */
export const parseCombinedLine: LineParser = (line): ParseResult => {
  const { result, isCombined } = parseAccessLogLine(line);
  return result.ok && !isCombined ? { ...result, format: 'clf' } : result;
};

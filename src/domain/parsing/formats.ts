import type { FormatContext } from '../chunk.js';
import { parseAlbLine } from './alb.parser.js';
import { parseClfLine } from './clf.parser.js';
import { cloudFrontHeaderFields, parseCloudFrontLine } from './cloudfront.parser.js';
import { parseCloudTrailLine } from './cloudtrail.parser.js';
import { CLOUDWATCH_PREFIX, cloudWatchParser } from './cloudwatch.parser.js';
import { parseAwsConfigLine } from './awsconfig.parser.js';
import { parseCombinedLine } from './combined.parser.js';
import { parseCriLine } from './cri.parser.js';
import { parseJsonLine } from './json.parser.js';
import { parseLogfmtLine } from './logfmt.parser.js';
import type { LineParser, ParseContext } from './parser.js';
import { parseS3AccessLine } from './s3access.parser.js';
import { parseSyslogLine } from './syslog.parser.js';
import { parseTextLine } from './text.parser.js';
import { isVpcFlowHeader, parseVpcFlowLine, vpcFlowHeaderFields } from './vpcflow.parser.js';

/** Every format a line can be parsed as, by name; `text` is the fallback that never fails. */
export const LINE_PARSERS: Readonly<Record<string, LineParser>> = {
  json: parseJsonLine,
  logfmt: parseLogfmtLine,
  clf: parseClfLine,
  combined: parseCombinedLine,
  syslog: parseSyslogLine,
  cri: parseCriLine,
  alb: parseAlbLine,
  cloudfront: parseCloudFrontLine,
  s3access: parseS3AccessLine,
  vpcflow: parseVpcFlowLine,
  cloudtrail: parseCloudTrailLine,
  awsconfig: parseAwsConfigLine,
  text: parseTextLine,
};

/** Separates the two halves of a mixed format's name: `json+text` is JSON objects mixed with text lines. */
const MIXED_SEPARATOR = '+';

/** The line parser of a single or mixed (`json+<format>`) format; undefined for an unknown name. */
export function lineParserFor(format: string): LineParser | undefined {
  const single = Object.hasOwn(LINE_PARSERS, format) ? LINE_PARSERS[format] : undefined;
  if (single !== undefined) return single;
  if (format.startsWith(CLOUDWATCH_PREFIX)) return cloudWatchParserFor(format.slice(CLOUDWATCH_PREFIX.length));
  const other = mixedOtherFormat(format);
  return other === undefined ? undefined : mixedParser(other);
}

const cloudWatchParsers = new Map<string, LineParser>();

/** The parser of CloudWatch Logs events whose messages are of `messageFormat` (single or mixed). */
function cloudWatchParserFor(messageFormat: string): LineParser | undefined {
  let parser = cloudWatchParsers.get(messageFormat);
  if (parser !== undefined) return parser;
  if (messageFormat.startsWith(CLOUDWATCH_PREFIX)) return undefined;
  const parseMessage = lineParserFor(messageFormat);
  if (parseMessage === undefined) return undefined;
  parser = cloudWatchParser(parseMessage);
  cloudWatchParsers.set(messageFormat, parser);
  return parser;
}

/** For `json+<format>`, the other format; undefined for any other name. */
export function mixedOtherFormat(format: string): string | undefined {
  if (!format.startsWith(`json${MIXED_SEPARATOR}`)) return undefined;
  const other = format.slice(5);
  return other !== 'json' && other !== 'cloudtrail' && Object.hasOwn(LINE_PARSERS, other) ? other : undefined;
}

const mixedParsers = new Map<string, LineParser>();

/**
 * A mixed file's parser: a line that starts with `{` is tried as JSON first, every other line (and a `{` line
 * JSON rejects) goes to the other format; each entry's `format` names the parser that took it. A line is an
 * error only when neither takes it, and then with both reasons.
 */
function mixedParser(other: string): LineParser {
  let parser = mixedParsers.get(other);
  if (parser !== undefined) return parser;
  const parseOther = LINE_PARSERS[other];
  parser = (line, context) => {
    let jsonError: string | undefined;
    if (line.charCodeAt(0) === 123 /* { */ || line.trimStart().charCodeAt(0) === 123) {
      const json = parseJsonLine(line, context);
      if (json.ok) return json.format === undefined ? { ...json, format: 'json' } : json;
      jsonError = json.error;
    }
    const result = parseOther(line, context);
    if (result.ok) return result.format === undefined ? { ...result, format: other } : result;
    return { ok: false, error: jsonError === undefined ? result.error : `${jsonError}; as ${other}: ${result.error}` };
  };
  mixedParsers.set(other, parser);
  return parser;
}

/** `auto` (detect per file) or a format name from {@link FORMAT_NAMES}. */
export type FormatOption = 'auto' | string;

/** The names `--format` accepts besides `auto`. */
export const FORMAT_NAMES: readonly string[] = Object.keys(LINE_PARSERS);

/** True for a name in {@link LINE_PARSERS}, or a mixed `json+<format>` of one. */
export function isKnownFormat(name: string): boolean {
  return lineParserFor(name) !== undefined;
}

/** What the splitter decided for a file: the format and any context every chunk must carry. */
export interface FormatDecision {
  readonly format: string;
  readonly formatContext?: FormatContext;
}

/** How many leading non-blank lines detection samples. */
export const DETECTION_SAMPLE_LINES = 50;

/**
 * Candidates in order of specificity: on equal scores the earlier one wins. `cri` (`<time> stdout|stderr P|F ...`)
 * and the AWS formats have distinctive shapes and go first; `clf` goes before `combined` because each labels the other's lines with the other's name,
 * so only a file of pure CLF lines ties; `cloudtrail` before `json` (every record line is also JSON); `logfmt`
 * last, because it is the loosest.
 */
const DETECTION_ORDER = ['cri', 'alb', 's3access', 'cloudfront', 'vpcflow', 'syslog', 'clf', 'combined', 'cloudtrail', 'json', 'logfmt'];

/** The file-level context a format needs from its header lines, if the sample has them. */
function headerContext(format: string, lines: readonly string[]): FormatContext | undefined {
  if (format === 'cloudfront') {
    for (const line of lines) {
      const fields = cloudFrontHeaderFields(line);
      if (fields !== undefined) return { fields };
    }
  }
  if (format === 'vpcflow' && lines.length > 0 && isVpcFlowHeader(lines[0])) {
    return { fields: vpcFlowHeaderFields(lines[0]) };
  }
  return undefined;
}

function decision(format: string, formatContext: FormatContext | undefined): FormatDecision {
  return formatContext === undefined ? { format } : { format, formatContext };
}

/**
 * Picks a file's format from a sample of its first non-blank lines.
 *
 * 1. A requested format is used as is (with the header context a CloudFront or VPC flow file declares).
 * 2. File signatures decide at once: `#Version:`/`#Fields:` is `cloudfront`; a VPC flow header line is `vpcflow`
 *    (the header's fields go in `formatContext`). A `{"Records":[` document is not lines: the splitter reads it
 *    with `WrappedRecordReader`, and reaches this only when it is not one (a JSON log line with a `Records` field).
 * 3. Otherwise every candidate parses the sample; a line counts for a format only when it parses as that format
 *    (not when the parser hands it to another, as logfmt does with prose). The format with the most lines wins,
 *    ties going to the more specific (see the order above); fewer than half the lines gives `text`.
 */
export function detectFormat(sample: readonly string[], requested: FormatOption = 'auto'): FormatDecision {
  const lines: string[] = [];
  for (const line of sample) {
    if (line.trim() === '') continue;
    lines.push(line);
    if (lines.length === DETECTION_SAMPLE_LINES) break;
  }
  if (requested !== 'auto') return decision(requested, headerContext(requested, lines));
  if (lines.length === 0) return { format: 'text' };

  const first = lines[0];
  if (first.startsWith('#Version:') || first.startsWith('#Fields:')) {
    return decision('cloudfront', headerContext('cloudfront', lines));
  }
  if (isVpcFlowHeader(first)) return decision('vpcflow', headerContext('vpcflow', lines));

  // JSON objects next to lines that are not JSON at all (container output: an application's JSON and its
  // libraries' plain lines) make a mixed file: each line is parsed by what it is. A `{` line that is not valid
  // JSON is a broken JSON line, not a line of the other format.
  const context: ParseContext = { observedAt: new Date() };
  const others = lines.filter((line) => line.trimStart().charCodeAt(0) !== 123);
  if (others.length > 0 && others.length < lines.length && lines.some((line) => isJsonObjectLine(line, context))) {
    return { format: `json${MIXED_SEPARATOR}${detectByScore(others, context, false)}` };
  }
  return { format: detectByScore(lines, context, true) };
}

function isJsonObjectLine(line: string, context: ParseContext): boolean {
  if (line.trimStart().charCodeAt(0) !== 123) return false;
  const result = parseJsonLine(line, context);
  return result.ok && result.format === undefined;
}

/** The candidate that parses the most lines, if it parses at least half of them; `text` otherwise. */
function detectByScore(lines: readonly string[], context: ParseContext, withJson: boolean): string {
  let bestFormat = 'text';
  let bestHits = 0;
  for (const format of DETECTION_ORDER) {
    if (!withJson && (format === 'json' || format === 'cloudtrail')) continue;
    const parse = LINE_PARSERS[format];
    let hits = 0;
    for (const line of lines) {
      // Any JSON value parses, but only objects make a JSON log: a file of bare numbers or words is text.
      if (format === 'json' && line.trimStart().charCodeAt(0) !== 123 /* { */) continue;
      const result = parse(line, context);
      if (result.ok && (result.format === undefined || result.format === format)) hits++;
    }
    if (hits > bestHits) {
      bestFormat = format;
      bestHits = hits;
      if (hits === lines.length) break;
    }
  }
  return bestHits * 2 >= lines.length ? bestFormat : 'text';
}

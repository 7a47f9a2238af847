import { isKnownFormat } from './formats.js';

/** A user's rule: objects whose key matches `glob` are of `format`. */
export interface FormatRule {
  readonly glob: string;
  readonly format: string;
  readonly matcher: RegExp;
}

/**
 * Where AWS delivers its own logs, and the format each layout holds. Checked after the user's rules.
 * - `AWSLogs/<account>/elasticloadbalancing/...`: ALB (and Classic ELB, which the ALB parser also reads);
 * - `AWSLogs/<account>/CloudTrail/...` (also `CloudTrail-Digest` is not a log, so not matched);
 * - `AWSLogs/<account>/vpcflowlogs/...`;
 * - CloudFront standard logs: `<distribution id>.YYYY-MM-DD-HH.<unique id>[.gz]`;
 * - S3 server access logs: `YYYY-MM-DD-HH-MM-SS-<16 hex>` (simple) or under
 *   `<account>/<region>/<bucket>/YYYY/MM/DD/` (date-partitioned), with any prefix.
 */
const AWS_LAYOUTS: ReadonlyArray<{ readonly pattern: RegExp; readonly format: string }> = [
  { pattern: /(?:^|\/)AWSLogs\/(?:[^/]+\/)?\d{12}\/elasticloadbalancing\//, format: 'alb' },
  { pattern: /(?:^|\/)AWSLogs\/(?:[^/]+\/)?\d{12}\/CloudTrail\//, format: 'cloudtrail' },
  { pattern: /(?:^|\/)AWSLogs\/(?:[^/]+\/)?\d{12}\/vpcflowlogs\//, format: 'vpcflow' },
  { pattern: /(?:^|\/)E[A-Z0-9]{5,}\.\d{4}-\d{2}-\d{2}-\d{2}\.[0-9A-Za-z]+(?:\.gz)?$/, format: 'cloudfront' },
  { pattern: /(?:^|\/)\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$/, format: 's3access' },
];

/**
 * The format an object's key decides, under `--format auto`, before its content is sniffed: the first user
 * rule that matches, else AWS's own delivery layouts; undefined when neither knows the key.
 */
export function formatFromKey(key: string, rules: readonly FormatRule[] = []): string | undefined {
  for (const rule of rules) if (rule.matcher.test(key)) return rule.format;
  for (const layout of AWS_LAYOUTS) if (layout.pattern.test(key)) return layout.format;
  return undefined;
}

/**
 * Parses rules written as `glob=format` pairs separated by commas (`nginx/**=combined,apps/**.log=json`), as
 * `LOGBATCH_FORMAT_RULES`, the stack's `formatRules` and `--format-rule` give them. Throws an Error naming the
 * first bad rule.
 */
export function parseFormatRules(spec: string | readonly string[]): FormatRule[] {
  const parts = (typeof spec === 'string' ? spec.split(',') : spec.flatMap((item) => item.split(','))).map((part) => part.trim()).filter((part) => part !== '');
  return parts.map((part) => {
    const equals = part.lastIndexOf('=');
    if (equals <= 0 || equals === part.length - 1) throw new Error(`format rule "${part}" must be GLOB=FORMAT`);
    const glob = part.slice(0, equals).trim();
    const format = part.slice(equals + 1).trim();
    if (format === 'auto' || !isKnownFormat(format)) throw new Error(`format rule "${part}" names an unknown format "${format}"`);
    return { glob, format, matcher: globToRegExp(glob) };
  });
}

/**
 * A key glob as a regular expression matching whole keys: `**` any characters including `/` (and `**` followed by a slash
 * also no folder at all), `*` any characters but `/`, `?` one character but `/`; everything else literally.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '*' && glob[index + 1] === '*') {
      if (glob[index + 2] === '/') {
        source += '(?:.*/)?';
        index += 2;
      } else {
        source += '.*';
        index += 1;
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

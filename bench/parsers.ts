import { LINE_PARSERS } from '../src/domain/parsing/formats.js';
import type { ParseContext } from '../src/domain/parsing/parser.js';

/** One row of the parser throughput table. */
export interface ParserBenchResult {
  readonly format: string;
  readonly lines: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** A small seeded PRNG (mulberry32), so every run parses the same lines. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = ['/', '/index.html', '/api/v1/orders', '/api/v1/orders/8812', '/static/app.3f9a.js', '/img/logo.png', '/search'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD'];
const STATUSES = [200, 200, 200, 200, 201, 204, 301, 304, 400, 403, 404, 500, 503];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'curl/8.5.0',
  'aws-sdk-java/2.25.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WORDS = ['request', 'completed', 'cache', 'miss', 'user', 'session', 'timeout', 'retry', 'queue', 'worker', 'payment'];

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function ip(random: Random): string {
  return `${10 + Math.floor(random() * 200)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function isoTime(random: Random): string {
  const millis = Date.UTC(2024, 4, 1) + Math.floor(random() * 86_400_000);
  return new Date(millis).toISOString();
}

function clfTime(random: Random): string {
  const date = new Date(isoTime(random));
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function sentence(random: Random, words: number): string {
  return Array.from({ length: words }, () => pick(random, WORDS)).join(' ');
}

/** Realistic line generators per format. */
export const GENERATORS: Readonly<Record<string, (random: Random) => string>> = {
  json: (random) =>
    JSON.stringify({
      time: isoTime(random),
      level: pick(random, ['info', 'info', 'warn', 'error', 'debug']),
      msg: sentence(random, 6),
      service: 'checkout',
      requestId: Math.floor(random() * 1e12).toString(36),
      durationMs: Math.floor(random() * 900),
      user: { id: Math.floor(random() * 1e6), plan: pick(random, ['free', 'pro']) },
    }),
  logfmt: (random) =>
    `time=${isoTime(random)} level=${pick(random, ['info', 'warn', 'error'])} msg="${sentence(random, 5)}" service=checkout request_id=${Math.floor(random() * 1e12).toString(36)} duration_ms=${Math.floor(random() * 900)} status=${pick(random, STATUSES)}`,
  clf: (random) =>
    `${ip(random)} - - [${clfTime(random)}] "${pick(random, METHODS)} ${pick(random, PATHS)} HTTP/1.1" ${pick(random, STATUSES)} ${Math.floor(random() * 50_000)}`,
  combined: (random) =>
    `${ip(random)} - - [${clfTime(random)}] "${pick(random, METHODS)} ${pick(random, PATHS)}?page=${Math.floor(random() * 9)} HTTP/1.1" ${pick(random, STATUSES)} ${Math.floor(random() * 50_000)} "https://www.example.com/" "${pick(random, AGENTS)}"`,
  syslog: (random) =>
    random() < 0.5
      ? `<${Math.floor(random() * 191)}>${pick(random, MONTHS)} ${pad(1 + Math.floor(random() * 28))} ${pad(Math.floor(random() * 24))}:${pad(Math.floor(random() * 60))}:${pad(Math.floor(random() * 60))} host-${Math.floor(random() * 9)} sshd[${Math.floor(random() * 60000)}]: ${sentence(random, 8)}`
      : `<${Math.floor(random() * 191)}>1 ${isoTime(random)} host-${Math.floor(random() * 9)} app ${Math.floor(random() * 60000)} ID${Math.floor(random() * 99)} [meta seq="${Math.floor(random() * 1e6)}" zone="eu"] ${sentence(random, 8)}`,
  alb: (random) =>
    `https ${isoTime(random).replace('Z', '123Z')} app/my-lb/50dc6c495c0c9188 ${ip(random)}:${1024 + Math.floor(random() * 60000)} 10.0.1.5:8080 0.001 0.0${Math.floor(random() * 90)} 0.000 ${pick(random, STATUSES)} 200 ${Math.floor(random() * 900)} ${Math.floor(random() * 90000)} "${pick(random, METHODS)} https://api.example.com:443${pick(random, PATHS)} HTTP/1.1" "${pick(random, AGENTS)}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "api.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/12345678" 1 ${isoTime(random)} "forward" "-" "-" "10.0.1.5:8080" "200" "-" "-" TID_${Math.floor(random() * 1e9)}`,
  cloudfront: (random) =>
    [
      isoTime(random).slice(0, 10), isoTime(random).slice(11, 19), 'CDG50-C1', Math.floor(random() * 90000), ip(random),
      pick(random, METHODS), 'd111111abcdef8.cloudfront.net', pick(random, PATHS), pick(random, STATUSES), '-',
      encodeURIComponent(pick(random, AGENTS)), '-', '-', 'Hit', 'SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==',
      'www.example.com', 'https', Math.floor(random() * 900), '0.001', '-', 'TLSv1.3', 'TLS_AES_128_GCM_SHA256', 'Hit',
      'HTTP/2.0', '-', '-', 1024 + Math.floor(random() * 60000), '0.001', 'Hit', 'text/html', Math.floor(random() * 9000), '-', '-',
    ].join('\t'),
  s3access: (random) =>
    `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be my-bucket [${clfTime(random)}] ${ip(random)} arn:aws:iam::123456789012:user/app 3E57427F3EXAMPLE REST.GET.OBJECT photos/${Math.floor(random() * 1e6)}.jpg "GET /my-bucket/photos/x.jpg HTTP/1.1" ${pick(random, STATUSES)} - ${Math.floor(random() * 90000)} 90000 ${Math.floor(random() * 90)} ${Math.floor(random() * 30)} "-" "${pick(random, AGENTS)}" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader my-bucket.s3.eu-west-1.amazonaws.com TLSv1.2 - -`,
  vpcflow: (random) =>
    `2 123456789012 eni-0a1b2c3d4e5f ${ip(random)} ${ip(random)} ${Math.floor(random() * 65535)} ${pick(random, [22, 80, 443, 5432])} ${pick(random, [6, 17])} ${Math.floor(random() * 90)} ${Math.floor(random() * 90000)} 1714521600 1714521660 ${pick(random, ['ACCEPT', 'ACCEPT', 'REJECT'])} OK`,
  cloudtrail: (random) =>
    JSON.stringify({
      eventVersion: '1.09',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/app/session', accountId: '123456789012' },
      eventTime: isoTime(random).replace(/\.\d{3}/, ''),
      eventSource: pick(random, ['s3.amazonaws.com', 'ec2.amazonaws.com', 'iam.amazonaws.com']),
      eventName: pick(random, ['GetObject', 'DescribeInstances', 'ListRoles']),
      awsRegion: 'eu-west-1',
      sourceIPAddress: ip(random),
      userAgent: pick(random, AGENTS),
      requestParameters: { bucketName: 'my-bucket', key: `k/${Math.floor(random() * 1e6)}` },
      responseElements: null,
      requestID: Math.floor(random() * 1e12).toString(16),
      eventID: Math.floor(random() * 1e12).toString(16),
      readOnly: true,
      eventType: 'AwsApiCall',
      recipientAccountId: '123456789012',
    }),
  text: (random) =>
    `${isoTime(random).replace('T', ' ').replace('Z', '')} ${pick(random, ['INFO', 'WARN', 'ERROR', 'DEBUG'])} [worker-${Math.floor(random() * 8)}] ${sentence(random, 10)}`,
};

/**
 * Times every line parser on deterministic, realistic lines of its format (seeded generator, same lines every
 * run): one warm-up pass, then a timed pass. `lines / seconds` is the throughput, `bytes / seconds` the UTF-8 rate.
 */
export async function benchParsers(linesPerFormat = 50_000): Promise<ParserBenchResult[]> {
  const context: ParseContext = { observedAt: new Date('2024-05-02T00:00:00Z') };
  const results: ParserBenchResult[] = [];
  for (const [format, generate] of Object.entries(GENERATORS)) {
    const random = seededRandom(0x10cba7c4 ^ format.length);
    const lines = Array.from({ length: linesPerFormat }, () => generate(random));
    const bytes = lines.reduce((total, line) => total + Buffer.byteLength(line), 0);
    const parse = LINE_PARSERS[format];
    let failures = 0;
    for (const line of lines) if (!parse(line, context).ok) failures++;
    if (failures > 0) throw new Error(`bench generator for ${format} produced ${failures} lines its parser rejects`);
    const start = process.hrtime.bigint();
    for (const line of lines) parse(line, context);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    results.push({ format, lines: lines.length, bytes, seconds });
    // Let other work (progress output) run between formats.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { PipelineSettings } from '../../src/application/pipeline-settings.js';

/**
 * Generated log files for the conservation property (issue 17), each with what the pipeline must make of it.
 *
 * A file is built from a model: physical lines (text + terminator), how the bytes are wrapped (BOM, gzip, several
 * gzip members with a BOM at the start of a later member), the pipeline settings it runs with (small chunk and event
 * budgets so cuts are cheap) and whether the splitter is always out of time (a hand-over at every chunk boundary).
 * fast-check shrinks the model, so a failing file comes down to a few lines.
 *
 * What is generated:
 * - line endings LF, CRLF and lone CR, per file or mixed per line, with or without a final terminator;
 * - UTF-8 with or without a BOM, and UTF-16LE/BE (with their BOM); plain, gzip, or several gzip members (split at
 *   line boundaries, a BOM at the start of each later member or not);
 * - text lines with control characters (except LF, CR), NUL runs, U+2028, U+FEFF, noncharacters, emoji,
 *   backslash sequences that look like the chunk encoding's own escapes (`\N`, `\n`, `\u0041`);
 * - control-only and whitespace-only lines, blank lines;
 * - long and over-long lines (around and far beyond `maxEventBytes`), ASCII and multi-byte;
 * - JSON lines with the DynamoDB type-tag keys (`S N B SS NS BS M L NULL BOOL`) as keys, nested, big and odd
 *   numbers (12345678901234567890, 1e400, -0, ...), empty keys, escaped NUL / lone surrogates / newlines in strings,
 *   nesting from 31 to 5,000 levels, non-object JSON values and invalid JSON;
 * - multi-line events: Java stack traces (with `Caused by:` and `... n more`, up to beyond the 500-line cap) and
 *   Python tracebacks, in text files;
 * - bare CloudTrail record lines, and CloudTrail documents `{"Records":[...]}` (compact, pretty-printed, or several
 *   compact documents one per line; gzip members of their own);
 * - stack traces whose frames are too long to join whole, and lines of spaces around the event budget then text;
 * - ordinary lines that start like a document of wrapped records (`{"messageType":…}`, `{"Records":[],…}`, `[] x`);
 * - runs of filler lines, so files cross the 8 KiB binary-sniff window and many chunk boundaries.
 */

export type LineEnding = '\n' | '\r\n' | '\r';

/** One physical line of the model. */
export interface ModelLine {
  /** The line's text, without terminator; never contains LF or CR. */
  readonly text: string;
  /** Its terminator; '' only for a last line without one. */
  readonly ending: LineEnding | '';
}

export type Compression =
  | { readonly kind: 'none' }
  | { readonly kind: 'gzip' }
  /** Several gzip members (as `cat a.gz b.gz` makes): a member starts before each line index in `starts`. */
  | { readonly kind: 'gzip-members'; readonly starts: readonly number[]; readonly bomInMembers: boolean };

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export type ConservationSettings = Pick<PipelineSettings, 'maxChunkBytes' | 'maxEventBytes' | 'maxChunkLines'>;

/** What one physical line must become. */
export interface ExpectedLine {
  /** The line's text as the file holds it (the file's BOM excluded). */
  readonly text: string;
  /**
   * A U+FEFF opens this line in the bytes (the BOM of a later gzip member): the stored text may keep it or not.
   */
  readonly memberBom?: boolean;
  /** Bodies a parser may legitimately make of this line instead of its text (a JSON `msg`, a CloudTrail record's). */
  readonly messages: readonly string[];
}

/** A CloudTrail record: its compact JSON (what the splitter makes of it) and the body the parser gives it. */
export interface ExpectedRecord {
  readonly compact: string;
  readonly body: string;
}

export type Expectation =
  /** NUL within the first 8 KiB of content: the batch FAILS as binary. */
  | { readonly kind: 'binary'; readonly nulOffset: number }
  /** Every physical line is accounted for: an entry (or part of one), a blank, or a continuation. */
  | { readonly kind: 'lines'; readonly lines: readonly ExpectedLine[] }
  /** A CloudTrail document (or several): one entry per record, numbered 1..n across documents. */
  | { readonly kind: 'cloudtrail'; readonly records: readonly ExpectedRecord[] };

export interface GeneratedLogFile {
  readonly name: string;
  /** The object's bytes, as uploaded. */
  readonly bytes: Buffer;
  /** The decompressed content (BOMs included). */
  readonly content: Buffer;
  /** The decompressed content as text (BOMs included), for printing. */
  readonly contentText: string;
  readonly model: {
    readonly lines: readonly ModelLine[];
    /** UTF-16 files always start with their byte-order mark (that is how they are recognised). */
    readonly encoding: TextEncoding;
    readonly bom: boolean;
    readonly compression: Compression;
  };
  readonly settings: ConservationSettings;
  /** The splitter is always out of time: it hands over at every chunk boundary. */
  readonly handOver: boolean;
  readonly expect: Expectation;
}

/** Bytes of decompressed content the splitter inspects for NUL (SplitLogObject's BINARY_SNIFF_BYTES). */
export const BINARY_SNIFF_BYTES = 8192;

const BOM = '\uFEFF';

// ---------------------------------------------------------------------------------------------------------------
// Line content

const ODD_CHARACTERS = [
  '\t', '\u0001', '\u0007', '\b', '\u000b', '\f', '\u001b', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029',
  BOM, '\ufffe', '\uffff', '\ufffd', '\u200b', 'e\u0301', 'é', '漢字', '😀', '👩‍👩‍👧', '\\', '\\N', '\\n', '\\\\n', '\\u0041',
  '"', "'", '{', '}', '[', ']', '=', ' ', '  ', '<', '&', '%s', '${x}',
];
const CONTROL_CHARACTERS = ['\u0001', '\u0002', '\u0007', '\b', '\t', '\u000b', '\f', '\u000e', '\u001b', '\u001f', '\u007f'];
const WORDS = ['request', 'done', 'user', 'id=42', 'GET', '/api/v1', 'ok', 'timeout', 'retry', 'ms', 'Error:', '->', '...'];
const LEVELS = ['INFO', 'WARN', 'ERROR', 'DEBUG', 'info', 'error', 'FATAL', 'TRACE'];

const word = fc.constantFrom(...WORDS);
const oddCharacter = fc.constantFrom(...ODD_CHARACTERS);
const timestamp = fc.integer({ min: 0, max: 86_399 }).map((second) => new Date(Date.UTC(2026, 10, 26) + second * 1000).toISOString());

/** A piece of text: words, odd characters and plain ASCII, never LF or CR. */
const oddText = fc
  .array(fc.oneof({ arbitrary: word, weight: 3 }, { arbitrary: oddCharacter, weight: 3 }, { arbitrary: fc.string({ maxLength: 6 }), weight: 1 }), {
    minLength: 1,
    maxLength: 12,
  })
  .map((parts) => parts.join(' ').replace(/[\r\n]/g, ' '));

/** A line for a text log: `time LEVEL message`. */
const textLine = fc.tuple(timestamp, fc.constantFrom(...LEVELS), oddText).map(([time, level, message]) => `${time} ${level} ${message}`);

/** A line made only of control characters, or only of whitespace. */
const controlLine = fc.oneof(
  fc.array(fc.constantFrom(...CONTROL_CHARACTERS), { minLength: 1, maxLength: 6 }).map((chars) => chars.join('')),
  fc.constantFrom(' ', '\t', '   ', ' \t ', '\u000b', '\f', '\u00a0'),
);

/** NUL bytes in a line: alone, in a run, around text. */
const nulLine = fc
  .tuple(fc.constantFrom('', 'before', '{"msg":"'), fc.integer({ min: 1, max: 40 }), fc.constantFrom('', 'after', '"}'))
  .map(([before, count, after]) => `${before}${'\u0000'.repeat(count)}${after}`);

/** Lengths around both settings' `maxEventBytes` (2 KiB and 16 KiB) and the chunk room. */
const LONG_LENGTHS = [1000, 2000, 2047, 2048, 2049, 3000, 4200, 9000, 16_383, 16_385, 20_000];
const longUnit = fc.constantFrom('x', 'é', '漢', '😀', 'ab\u0001', '\\', '"', ' ', 'e\u0301');

/** A line of `length` characters-ish (UTF-16 units) made of a repeated unit: ASCII, 2-, 3-, 4-byte UTF-8, escapes. */
const longLine = fc
  .tuple(fc.constantFrom(...LONG_LENGTHS), longUnit, fc.constantFrom('text', 'json'))
  .map(([length, unit, shape]) => {
    const body = unit.repeat(Math.ceil(length / unit.length)).slice(0, length).replace(/[\ud800-\udbff]$/, 'x');
    return shape === 'json' ? `{"level":"info","msg":${JSON.stringify(body)}}` : `${body}`;
  });

/** Raw JSON number literals, as a log writer may print them (JSON.parse loses or clamps some). */
const NUMBER_LITERALS = [
  '0', '-0', '1', '-1', '0.1', '1e3', '-0.0', '12345678901234567890', '-12345678901234567890', '9007199254740993',
  '1e400', '-1e400', '1e-400', '1.7976931348623157e308', '5e-324', '123456789012345678901234567890123456789012',
  '0.30000000000000004', '1E+2',
];
const TYPE_TAGS = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'];

/** JSON text (not values: the literals are kept as written) with type-tag keys and odd scalars. */
const jsonValueText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...NUMBER_LITERALS),
    fc.constantFrom('true', 'false', 'null', '""', '"x"', '"1"', '"AAEC"', '"\\u0000"', '"\\ud800"', '"a\\nb"', '"\\r"', '[]', '{}'),
    oddText.map((text) => JSON.stringify(text)),
    fc
      .array(fc.tuple(fc.constantFrom(...TYPE_TAGS, '', 'a', '__proto__'), tie('value')), { maxLength: 3 })
      .map((pairs) => `{${uniqueByKey(pairs).map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
  ),
})).value;

/** Shapes DynamoDB's type tags take, as values. */
const typeTagShape = fc.constantFrom(
  '{"S":"x"}', '{"N":"1"}', '{"B":"AAEC"}', '{"SS":["a","b"]}', '{"NS":["1","2"]}', '{"BS":["AA=="]}', '{"M":{"S":{"S":"y"}}}',
  '{"L":[{"S":"a"},{"N":"2"}]}', '{"NULL":true}', '{"BOOL":false}', '{"":"empty key"}', '{"S":null,"N":12345678901234567890}',
);

/** A JSON log line; fields besides time, level and msg use the type-tag keys. */
const jsonLine = fc
  .record({
    time: fc.option(timestamp, { nil: undefined }),
    level: fc.option(fc.constantFrom(...LEVELS, '30', '50'), { nil: undefined }),
    msg: fc.option(fc.oneof(oddText.map((text) => JSON.stringify(text)), fc.constantFrom('"a\\u0000b"', '"\\ud83d"', '"line1\\nline2"', '""', '"\\\\N"')), {
      nil: undefined,
    }),
    fields: fc.array(fc.tuple(fc.constantFrom(...TYPE_TAGS), fc.oneof(jsonValueText, typeTagShape)), { maxLength: 4 }),
  })
  .map(({ time, level, msg, fields }) => {
    const parts: string[] = [];
    if (time !== undefined) parts.push(`"time":${JSON.stringify(time)}`);
    if (level !== undefined) parts.push(`"level":${/^\d+$/.test(level) ? level : JSON.stringify(level)}`);
    if (msg !== undefined) parts.push(`"msg":${msg}`);
    for (const [key, value] of uniqueByKey(fields)) parts.push(`${JSON.stringify(key)}:${value}`);
    return `{${parts.join(',')}}`;
  });

/** Deeply nested JSON values: arrays or objects, from just under DynamoDB's 32 levels to thousands. */
const deepJsonValue = fc
  .tuple(fc.constantFrom(31, 32, 33, 64, 500, 1000, 3000, 5000), fc.constantFrom('array', 'object', 'type-tag'))
  .map(([depth, shape]) => {
    const open = shape === 'array' ? '[' : shape === 'object' ? '{"a":' : '{"M":';
    const close = shape === 'array' ? ']' : '}';
    return { depth, text: `${open.repeat(depth)}${shape === 'array' ? '' : '1'}${close.repeat(depth)}` };
  });

/** A JSON log line holding a deeply nested value. */
const deepJsonLine = deepJsonValue.map(({ depth, text }) => `{"level":"info","msg":"deep ${depth}","data":${text}}`);

/** JSON lines that are not log objects. */
const oddJsonLine = fc.constantFrom(
  '42', '"just a string"', '[1,2,3]', 'null', 'true', '12345678901234567890', '1e400', '-0', '{}', '{"msg":null}', '{"msg":123}',
  '{"msg": "unterminated', '{"a":1,}', '{"msg":"ok"} trailing', '{"__proto__":{"polluted":true},"msg":"proto"}',
);

const EVENT_SOURCES = ['s3.amazonaws.com', 'iam.amazonaws.com', 'ec2.amazonaws.com', 'sts.amazonaws.com'];
const EVENT_NAMES = ['GetObject', 'PutObject', 'AssumeRole', 'DescribeInstances', 'CreateUser'];

/** One CloudTrail record, as JSON text, with odd request parameters. */
const cloudTrailRecordText = fc
  .record({
    time: timestamp,
    source: fc.constantFrom(...EVENT_SOURCES),
    name: fc.constantFrom(...EVENT_NAMES),
    errorCode: fc.option(fc.constantFrom('AccessDenied', 'InternalError'), { nil: undefined }),
    parameters: fc.option(fc.oneof(jsonValueText, typeTagShape, deepJsonValue.filter(({ depth }) => depth <= 1000).map(({ text }) => text)), { nil: undefined }),
    padding: fc.option(fc.constantFrom(500, 2100, 5000), { nil: undefined }),
  })
  .map(({ time, source, name, errorCode, parameters, padding }) => {
    const parts = [
      '"eventVersion":"1.09"',
      '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Terry","userName":"Terry"}',
      `"eventTime":${JSON.stringify(time.replace(/\.\d{3}Z$/, 'Z'))}`,
      `"eventSource":"${source}"`,
      `"eventName":"${name}"`,
      '"awsRegion":"us-east-1"',
      '"sourceIPAddress":"192.0.2.0"',
    ];
    if (errorCode !== undefined) parts.push(`"errorCode":"${errorCode}"`);
    if (parameters !== undefined) parts.push(`"requestParameters":${parameters}`);
    if (padding !== undefined) parts.push(`"additionalEventData":{"pad":"${'p'.repeat(padding)}"}`);
    parts.push('"eventType":"AwsApiCall"', '"recipientAccountId":"111122223333"');
    return `{${parts.join(',')}}`;
  });

/** A Java stack trace under a log line, or a Python traceback; frame counts around the 500-line cap too. */
const stackTraceEvent = fc
  .tuple(textLine, fc.oneof({ arbitrary: fc.integer({ min: 1, max: 30 }), weight: 8 }, { arbitrary: fc.constantFrom(499, 500, 501, 1000, 1001), weight: 1 }), fc.constantFrom('java', 'python'), fc.boolean())
  .map(([first, frames, language, causedBy]) => {
    if (language === 'python') {
      const lines = [first, 'Traceback (most recent call last):'];
      for (let index = 0; index < frames; index++) lines.push(`  File "app.py", line ${index + 1}, in handler_${index}`, `    step_${index}()`);
      lines.push('ValueError: bad value');
      return lines;
    }
    const lines = [first, 'java.lang.IllegalStateException: boom'];
    for (let index = 0; index < frames; index++) lines.push(`\tat com.example.Service${index}.handle(Service.java:${index + 1})`);
    if (causedBy) lines.push('Caused by: java.io.IOException: disk full', '\tat java.io.File.write(File.java:1)', '\t... 12 more');
    return lines;
  });

/**
 * A stack trace with frames too long to join it whole: a frame that would pass the 64 KiB cap starts a new event,
 * and shorter frames after it must not close the gap it leaves (they once did, dropping the long frame's text).
 */
const longFrameTrace = fc
  .array(fc.constantFrom(10, 200, 20_000, 40_000, 60_000), { minLength: 2, maxLength: 4 })
  .map((lengths) => ['2026-11-26T09:00:00Z ERROR boom', ...lengths.map((length, index) => `\tat ${String.fromCharCode(97 + index).repeat(length)}`)]);

/** A line of spaces around the event budget, then a message: cut to its spaces, it is still no blank line. */
const spacesThenText = fc
  .tuple(fc.constantFrom(2047, 2048, 3000, 16_384, 20_000), fc.constantFrom('ERROR disk full', '', '\t'))
  .map(([spaces, message]) => `${' '.repeat(spaces)}${message}`);

/**
 * Lines that look, to a format sniffer, like the start of a document of wrapped records (a CloudTrail or CloudWatch
 * Logs document, a JSON array) but are ordinary log lines: the file must still be read line by line.
 */
const wrappedLookalike = fc.constantFrom(
  '{"messageType":"order","level":"info","msg":"one"}',
  '{"Records":[],"msg":"nothing"}',
  '{"Records":[{"id":1}],"level":"warn","msg":"batch"}',
  '[] startup',
  '[]',
  '[{"a":1}] batch received',
  '[{ unclosed bracket',
);

/** Many short ordinary lines, so the file crosses 8 KiB and many chunk boundaries. */
const fillerRun = fc
  .tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom('json', 'text'), fc.nat())
  .map(([count, shape, start]) =>
    Array.from({ length: count }, (_, index) =>
      shape === 'json' ? `{"level":"info","msg":"filler ${start + index}"}` : `2026-11-26T09:00:00Z INFO filler line ${start + index}`,
    ),
  );

/**
 * A line Docker's json-file driver wrote as records (`{"log":…,"stream":…,"time":…}`): 1-4 pieces of one stream,
 * every one but the last without the `\n` that ends a line (partial records), the last with it or not (a run the
 * container never ended). Pieces up to 16 KiB in the settings' event budgets (a joined run may be cut).
 */
const dockerRun = fc
  .tuple(
    fc.array(fc.oneof({ arbitrary: oddText, weight: 4 }, { arbitrary: longLine.filter((line) => !line.startsWith('{')), weight: 1 }), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.constantFrom('stdout', 'stderr'),
    fc.boolean(),
    timestamp,
  )
  .map(([pieces, stream, ended, time]) =>
    pieces.map((piece, index) => JSON.stringify({ log: index === pieces.length - 1 && ended ? `${piece}\n` : piece, stream, time })),
  );

/** One event of a file: the physical lines it writes. */
const eventLines: fc.Arbitrary<string[]> = fc.oneof(
  { arbitrary: textLine.map((line): string[] => [line]), weight: 6 },
  { arbitrary: jsonLine.map((line): string[] => [line]), weight: 6 },
  { arbitrary: fc.constant(['']).map((lines) => [...lines]), weight: 2 },
  { arbitrary: controlLine.map((line): string[] => [line]), weight: 2 },
  { arbitrary: nulLine.map((line): string[] => [line]), weight: 1 },
  { arbitrary: longLine.map((line): string[] => [line]), weight: 2 },
  { arbitrary: deepJsonLine.map((line): string[] => [line]), weight: 1 },
  { arbitrary: oddJsonLine.map((line): string[] => [line]), weight: 1 },
  { arbitrary: cloudTrailRecordText.map((line): string[] => [line]), weight: 1 },
  { arbitrary: stackTraceEvent.map((lines): string[] => lines), weight: 2 },
  { arbitrary: fillerRun.map((lines): string[] => lines), weight: 2 },
  { arbitrary: longFrameTrace, weight: 1 },
  { arbitrary: spacesThenText.map((line): string[] => [line]), weight: 1 },
  { arbitrary: wrappedLookalike.map((line): string[] => [line]), weight: 1 },
  { arbitrary: dockerRun, weight: 1 },
);

// ---------------------------------------------------------------------------------------------------------------
// Files

const endingChoice = fc.constantFrom<'lf' | 'crlf' | 'cr' | 'mixed'>('lf', 'crlf', 'cr', 'mixed');

/** The physical lines of a line-oriented file (text, JSON, record lines, mixed). */
const lineFileText = fc.array(eventLines, { minLength: 0, maxLength: 25 }).map((events) => events.flat());

/** CloudTrail document(s): the physical lines. */
const cloudTrailText = fc
  .tuple(
    fc.array(fc.array(cloudTrailRecordText, { maxLength: 4 }), { minLength: 1, maxLength: 3 }),
    fc.constantFrom('compact', 'pretty'),
    fc.constantFrom('', ' ', '\t'),
  )
  .map(([documents, style, space]) => {
    if (style === 'pretty' && documents.length === 1) {
      const records = documents[0];
      return ['{', `  "Records": [`, ...records.map((record, index) => `    ${record}${index < records.length - 1 ? ',' : ''}`), '  ]', '}'];
    }
    return documents.map((records) => `{${space}"Records":${space}[${records.join(',')}]}`);
  });

const settingsArbitrary: fc.Arbitrary<ConservationSettings> = fc.oneof(
  {
    arbitrary: fc.constantFrom(1, 2, 7, 50, 5000).map((maxChunkLines) => ({ maxChunkBytes: 4096, maxEventBytes: 2048, maxChunkLines })),
    weight: 4,
  },
  { arbitrary: fc.constant({ maxChunkBytes: 32_768, maxEventBytes: 16_384, maxChunkLines: 5000 }), weight: 1 },
);

interface FileChoices {
  readonly kind: 'lines' | 'cloudtrail';
  /** @default 'utf-8' */
  readonly encoding?: TextEncoding;
  readonly texts: readonly string[];
  readonly endings: 'lf' | 'crlf' | 'cr' | 'mixed';
  readonly mixedEndings: readonly LineEnding[];
  readonly finalNewline: boolean;
  readonly bom: boolean;
  readonly compression: 'none' | 'gzip' | 'gzip-members';
  readonly memberStarts: readonly number[];
  readonly bomInMembers: boolean;
  readonly settings: ConservationSettings;
  readonly handOver: boolean;
}

let fileSequence = 0;

/** Generated log files with their expectations. `kinds` restricts what is generated (both by default). */
export function logFileArbitrary(options: { kinds?: ReadonlyArray<'lines' | 'cloudtrail'> } = {}): fc.Arbitrary<GeneratedLogFile> {
  const kinds = options.kinds ?? ['lines', 'cloudtrail'];
  const content = fc.oneof(
    ...kinds.map((kind) =>
      kind === 'lines'
        ? { arbitrary: lineFileText.map((texts) => ({ kind, texts })), weight: 6 }
        : { arbitrary: cloudTrailText.map((texts) => ({ kind, texts })), weight: 1 },
    ),
  );
  return fc
    .record({
      content,
      endings: endingChoice,
      mixedEndings: fc.array(fc.constantFrom<LineEnding>('\n', '\r\n', '\r'), { minLength: 1, maxLength: 8 }),
      finalNewline: fc.boolean(),
      encoding: fc.constantFrom<TextEncoding>('utf-8', 'utf-8', 'utf-8', 'utf-8', 'utf-8', 'utf-8', 'utf-8', 'utf-8', 'utf-16le', 'utf-16be'),
      bom: fc.boolean(),
      compression: fc.constantFrom<'none' | 'gzip' | 'gzip-members'>('none', 'none', 'gzip', 'gzip-members'),
      memberStarts: fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 3 }),
      bomInMembers: fc.boolean(),
      settings: settingsArbitrary,
      handOver: fc.boolean(),
    })
    .map(({ content: { kind, texts }, ...rest }) => buildLogFile({ kind, texts, ...rest }));
}

/** Builds the file's bytes and its expectation from the generator's choices (deterministic). */
export function buildLogFile(choices: FileChoices): GeneratedLogFile {
  const texts = choices.texts.map((text) => text.replace(/[\r\n]/g, ' '));
  // A U+FEFF at the start of a line other than the first would read as a member BOM: keep such a line's first
  // character something else, so every expectation is unambiguous.
  for (let index = 0; index < texts.length; index++) if (texts[index].startsWith(BOM)) texts[index] = `x${texts[index]}`;
  const lines: ModelLine[] = texts.map((text, index) => {
    const ending = choices.endings === 'lf' ? '\n' : choices.endings === 'crlf' ? '\r\n' : choices.endings === 'cr' ? '\r' : choices.mixedEndings[index % choices.mixedEndings.length];
    return { text, ending };
  });
  // CR then an empty line ended by LF reads as one CRLF: write that empty line's terminator as CRLF instead.
  for (let index = 1; index < lines.length; index++) {
    if (lines[index - 1].ending === '\r' && lines[index].text === '' && lines[index].ending === '\n') lines[index] = { text: '', ending: '\r\n' };
  }
  if (!choices.finalNewline && lines.length > 0) {
    const last = lines[lines.length - 1];
    // An empty last line without a terminator would be no line at all: such a line keeps its terminator.
    if (last.text !== '') lines[lines.length - 1] = { text: last.text, ending: '' };
  }

  // Members start only before non-blank lines (so a member's BOM never decides whether a line is blank).
  const starts =
    choices.compression === 'gzip-members'
      ? [...new Set(choices.memberStarts.map((start) => start % Math.max(1, lines.length)))]
          .filter((start) => start > 0 && !/^[ \t\u000b\f]*$/.test(lines[start].text))
          .sort((a, b) => a - b)
      : [];
  const compression: Compression =
    choices.compression === 'none'
      ? { kind: 'none' }
      : choices.compression === 'gzip' || starts.length === 0
        ? { kind: 'gzip' }
        : { kind: 'gzip-members', starts, bomInMembers: choices.bomInMembers };
  const encoding = choices.encoding ?? 'utf-8';
  const utf16 = encoding !== 'utf-8';
  // UTF-16 is recognised by its BOM; a later member's BOM would be U+FEFF text there, so UTF-16 members have none.
  const bom = utf16 || choices.bom;
  const memberBomAt = new Set(compression.kind === 'gzip-members' && compression.bomInMembers && !utf16 ? compression.starts : []);
  const effectiveCompression: Compression = compression.kind === 'gzip-members' && utf16 ? { ...compression, bomInMembers: false } : compression;

  const memberTexts: string[] = [];
  let current = bom ? BOM : '';
  for (const [index, line] of lines.entries()) {
    if (compression.kind === 'gzip-members' && compression.starts.includes(index)) {
      memberTexts.push(current);
      current = memberBomAt.has(index) ? BOM : '';
    }
    current += line.text + line.ending;
  }
  memberTexts.push(current);
  const members = memberTexts.map((text) => encodeText(text, encoding));
  const content = Buffer.concat(members);
  const bytes =
    compression.kind === 'none' ? content : compression.kind === 'gzip' ? gzipSync(content) : Buffer.concat(members.map((member) => gzipSync(member)));

  // The binary sniff reads the content as UTF-8: a UTF-16 file's is its transcoding (the BOM dropped).
  const sniffed = utf16 ? Buffer.from(memberTexts.join('').slice(1), 'utf8') : content;
  const nul = sniffed.indexOf(0);
  let expectation: Expectation;
  if (nul !== -1 && nul < BINARY_SNIFF_BYTES) {
    expectation = { kind: 'binary', nulOffset: nul };
  } else if (choices.kind === 'cloudtrail') {
    expectation = { kind: 'cloudtrail', records: cloudTrailExpectation(lines) };
  } else {
    expectation = {
      kind: 'lines',
      lines: lines.map((line, index) => ({
        text: line.text,
        ...(memberBomAt.has(index) ? { memberBom: true } : {}),
        messages: messagesOf(line.text),
      })),
    };
  }
  fileSequence += 1;
  const file: GeneratedLogFile = {
    name: `conservation-${process.pid}-${fileSequence}.log${compression.kind === 'none' ? '' : '.gz'}`,
    bytes,
    content,
    contentText: memberTexts.join(''),
    model: { lines, encoding, bom, compression: effectiveCompression },
    settings: choices.settings,
    handOver: choices.handOver,
    expect: expectation,
  };
  return Object.assign(file, { [fc.toStringMethod]: () => describeLogFile(file) });
}

/** Text as bytes in the file's encoding (UTF-16BE is UTF-16LE with each code unit's bytes swapped). */
function encodeText(text: string, encoding: TextEncoding): Buffer {
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8');
  const bytes = Buffer.from(text, 'utf16le');
  return encoding === 'utf-16be' ? bytes.swap16() : bytes;
}

/** Bodies a parser may give a line besides its text: a JSON object's string `msg`, a CloudTrail record's `source name`. */
function messagesOf(text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const object = value as Record<string, unknown>;
  const messages: string[] = [];
  if (typeof object.msg === 'string') messages.push(object.msg);
  // A Docker json-file record: its `log` without the one line end Docker appends.
  if (typeof object.log === 'string' && typeof object.stream === 'string') messages.push(object.log.replace(/\r?\n$/, ''));
  if (typeof object.eventSource === 'string' && typeof object.eventName === 'string') messages.push(`${object.eventSource} ${object.eventName}`);
  return messages;
}

/** The records of the file's CloudTrail document(s), in order: every non-blank line is a document, or all are one. */
function cloudTrailExpectation(lines: readonly ModelLine[]): ExpectedRecord[] {
  const nonBlank = lines.map((line) => line.text).filter((text) => text.trim() !== '');
  const onePerLine = nonBlank.every((text) => text.trimStart().startsWith('{') && isJson(text));
  const documents = onePerLine ? nonBlank : [nonBlank.join('\n')];
  return documents.flatMap((document) =>
    (JSON.parse(document) as { Records: Array<Record<string, unknown>> }).Records.map((record) => ({
      compact: JSON.stringify(record),
      body: `${String(record.eventSource)} ${String(record.eventName)}`,
    })),
  );
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function uniqueByKey<T>(pairs: ReadonlyArray<readonly [string, T]>): Array<readonly [string, T]> {
  const seen = new Set<string>();
  return pairs.filter(([key]) => (seen.has(key) ? false : (seen.add(key), true)));
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

/** A JSON string of `text` with runs of one repeated unit collapsed to `…×N…`, so a 20 KB line reads in one line. */
export function readableString(text: string, maxLength = 4000): string {
  const escaped = JSON.stringify(text).replace(/(?! )[\p{C}\p{Z}]/gu, (char) =>
    [...char].map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  );
  const collapsed = escaped.replace(/((?:\\u[0-9a-f]{4}|\\.|[^\\]){1,4}?)\1{11,}/g, (run, unit: string) => `${unit}…×${run.length / unit.length}…`);
  return collapsed.length > maxLength ? `${collapsed.slice(0, maxLength)}…(${collapsed.length - maxLength} more characters)` : collapsed;
}

/** The file in a form to paste into a test: settings, wrapping, and the decompressed content as a JSON string. */
export function describeLogFile(file: GeneratedLogFile): string {
  const { compression } = file.model;
  const wrapping =
    compression.kind === 'gzip-members'
      ? `gzip members starting at lines ${compression.starts.map((start) => start + 1).join(', ')}${compression.bomInMembers ? ', each later member with a BOM' : ''}`
      : compression.kind;
  const lines = file.model.lines.length;
  return [
    `${file.name}: ${lines} line(s), ${file.content.length} content bytes, ${file.bytes.length} object bytes`,
    `  wrapping: ${wrapping}${file.model.encoding === 'utf-8' ? '' : `, ${file.model.encoding.toUpperCase()}`}${file.model.bom ? ', BOM' : ''}`,
    `  settings: ${JSON.stringify(file.settings)}${file.handOver ? ', splitter always out of time (hand-over at every chunk boundary)' : ''}`,
    `  expect: ${file.expect.kind === 'binary' ? `binary (NUL at content byte ${file.expect.nulOffset})` : file.expect.kind === 'cloudtrail' ? `cloudtrail, ${file.expect.records.length} record(s)` : 'lines'}`,
    `  content: ${readableString(file.contentText)}`,
  ].join('\n');
}

import { criTagIndex } from './cri.parser.js';
import { DOCKER_STREAM_KEY, dockerLogEnd } from './json.parser.js';

/**
 * Multi-line events: which lines continue the event before them. Applied at split time (by the splitter's
 * `EventAssembler`), so an event is never torn across chunks.
 */
export interface MultilinePolicy {
  /** True when `line` belongs to the event that `eventFirstLine` started and whose last line so far is `previousLine`. */
  isContinuation(line: string, eventFirstLine: string, previousLine: string): boolean;
  /**
   * False for a line that no later line can continue: it is an event of its own, passed on without being held (the
   * hot path of one-line formats). A policy without it lets any line be continued.
   */
  continuable?(line: string): boolean;
  /** An event is cut (and marked) beyond this many lines ... */
  readonly maxLines: number;
  /** ... or this many bytes. */
  readonly maxBytes: number;
}

/**
 * Lines that only ever continue an event, wherever they appear:
 * - Java: `at com.x.Y.m(Y.java:10)` frames, `Caused by: ...`, `Suppressed: ...`, `... 12 more`,
 *   `... 5 common frames omitted`;
 * - Python: `Traceback (most recent call last):` (after the log line that reported the error), `File "..."` frames,
 *   and the sentences that chain exceptions.
 */
const STACK_LINE =
  /^(?:\s+at\s|\s*Caused by:|\s*Suppressed:|\s*\.\.\. \d+ (?:more|common frames omitted)|\s*File "|Traceback \(most recent call last\):|During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)/;

/**
 * The exception line of a trace: a class name ending in Error, Exception, Throwable, Exit, Interrupt or Fault,
 * optionally dotted (`java.lang.IllegalStateException: boom`, `ValueError: bad value`, `KeyboardInterrupt`).
 * It ends a Python traceback and starts the trace under a Java log line. A bare `Error: ...` does not match
 * (the name must be longer than the suffix), so ordinary messages that start with "Error:" stay events of their own.
 */
const EXCEPTION_LINE = /^(?:[a-zA-Z_$][\w$]*\.)*[A-Z][\w$]*(?:Error|Exception|Throwable|Exit|Interrupt|Fault)(?::\s.*|:)?$/;

const INDENTED = /^[ \t]/;

/**
 * Java and Python stack traces, indented continuation lines and PEM private key blocks join the line before them:
 * - a stack line (above) always continues;
 * - an exception line (`ValueError: ...`) continues, unless the event itself starts with one;
 * - an indented line continues an event that did not itself start indented (in a file where every line is
 *   indented, indentation means nothing).
 * Events are capped at 500 lines or 64 KiB, then cut and marked by the splitter.
 */
export const STACK_TRACE_POLICY: MultilinePolicy = {
  isContinuation(line: string, eventFirstLine: string): boolean {
    if (STACK_LINE.test(line)) return true;
    // A key dumped with an error belongs to it (the block's own lines then join until its END line).
    if (line.startsWith(PRIVATE_KEY_BEGIN) && opensPrivateKeyBlock(line)) return true;
    if (EXCEPTION_LINE.test(line)) return !EXCEPTION_LINE.test(eventFirstLine);
    return INDENTED.test(line) && !INDENTED.test(eventFirstLine);
  },
  maxLines: 500,
  maxBytes: 64 * 1024,
};

/** Where a PEM block starts; a cheap probe before {@link opensPrivateKeyBlock}. */
export const PRIVATE_KEY_BEGIN = '-----BEGIN';
const PRIVATE_KEY_BEGIN_LINE = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g;
const PRIVATE_KEY_END_LINE = /-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;

/** True when the line opens a PEM private key block that it does not also close (`-----BEGIN RSA PRIVATE KEY-----`). */
export function opensPrivateKeyBlock(line: string): boolean {
  // `indexOf`, not `lastIndexOf`: this runs on every line of a multi-line format, and V8's backward search is ~4× slower.
  if (line.indexOf(PRIVATE_KEY_BEGIN) === -1) return false;
  PRIVATE_KEY_BEGIN_LINE.lastIndex = 0;
  let lastBegin = -1;
  for (let match = PRIVATE_KEY_BEGIN_LINE.exec(line); match !== null; match = PRIVATE_KEY_BEGIN_LINE.exec(line)) lastBegin = match.index;
  if (lastBegin === -1) return false;
  return !PRIVATE_KEY_END_LINE.test(line.slice(lastBegin));
}

/** True when the line ends a PEM private key block (`-----END RSA PRIVATE KEY-----`). */
export function closesPrivateKeyBlock(line: string): boolean {
  return line.indexOf('-----END') !== -1 && PRIVATE_KEY_END_LINE.test(line);
}

/** The header lines of an encrypted PEM block (RFC 1421), and a `Comment:` some tools write. */
const KEY_HEADER_LINE = /^\s*(?:Proc-Type|DEK-Info|Comment):/;
/** The run of base64 a line ends with (after a space or at its start, as a logger's prefix leaves it). */
const TRAILING_BASE64 = /(?:^|\s)([A-Za-z0-9+/]+)(=*)\s*$/;
/** A PEM body line is 64 characters (76 in some tools); a shorter run than this is a block's last line, or no key. */
const FULL_BASE64_RUN = 40;
/** The shortest run taken as a key's only body line, right after its BEGIN line (a key is far longer). */
const ONLY_BASE64_RUN = 16;

/** What the last line taken into a PEM private key block was. */
export type KeyBlockLine = 'begin' | 'full' | 'last' | 'end';

/**
 * Whether a line belongs to the PEM private key block before it, and what it is: `end` (it closes the block),
 * `full` (a header, or a full-width base64 line), `last` (a shorter base64 line: after a full-width one, or right
 * after the BEGIN line when it is at least 16 characters, or one ending in `=` padding), or undefined (not a line of
 * the block, such as an ordinary log line that follows a mention of `-----BEGIN PRIVATE KEY-----`).
 */
export function keyBlockLine(line: string, previous: KeyBlockLine): KeyBlockLine | undefined {
  if (closesPrivateKeyBlock(line)) return 'end';
  if (KEY_HEADER_LINE.test(line)) return 'full';
  const run = TRAILING_BASE64.exec(line);
  if (run === null) return undefined;
  if (run[2] !== '') return 'last';
  if (run[1].length >= FULL_BASE64_RUN) return 'full';
  if (previous === 'full' || (previous === 'begin' && run[1].length >= ONLY_BASE64_RUN)) return 'last';
  return undefined;
}

/**
 * The byte cap of a line a container runtime wrote in pieces (CRI `P` lines, Docker partial records, 16 KiB each by
 * default): as much as one event may hold by default (`DEFAULT_MAX_EVENT_BYTES`), so a line of up to ~110 KiB of
 * message is one entry. At 64 KiB, as for stack traces, a 50-100 KiB JSON line was stored as two unparseable halves.
 */
const PIECED_LINE_MAX_BYTES = 128 * 1024;

/** Structured formats: one event per line, except the lines of a PEM private key block (see `EventAssembler`). */
export const ONE_LINE_POLICY: MultilinePolicy = {
  isContinuation: () => false,
  maxLines: 500,
  maxBytes: 64 * 1024,
};

/**
 * Kubernetes CRI container logs: the runtime splits a long line into `P` (partial) lines ended by an `F` line. A line
 * continues the event when the line before it is a `P` line of the same stream, so a run of `P` lines and the `F`
 * line that ends it are one event. Only adjacent lines join (an event is a run of lines): a line of the other stream
 * between them ends the run, and the rest of the line is an event of its own. Capped at 500 lines or
 * {@link PIECED_LINE_MAX_BYTES}.
 */
export const CRI_POLICY: MultilinePolicy = {
  isContinuation(line: string, _eventFirstLine: string, previousLine: string): boolean {
    const previousTag = criTagIndex(previousLine);
    if (previousTag === -1 || previousLine.charCodeAt(previousTag) !== 80 /* P */) return false;
    const tag = criTagIndex(line);
    return tag !== -1 && line.charCodeAt(tag - 4) === previousLine.charCodeAt(previousTag - 4);
  },
  maxLines: 500,
  maxBytes: PIECED_LINE_MAX_BYTES,
};


/** The stream named after the `log` string that ends at `logEnd`, or undefined when its value is not closed. */
function streamAfter(line: string, logEnd: number): string | undefined {
  const start = logEnd + DOCKER_STREAM_KEY.length;
  const end = line.indexOf('"', start);
  return end === -1 ? undefined : line.slice(start, end);
}

/**
 * The stream (`stdout`, `stderr`) of a Docker json-file record whose `log` does not end with `\n`: a partial record,
 * which Docker writes for each 16 KiB piece of a longer line (the last piece ends with `\n`). Undefined for any other
 * line.
 */
export function dockerPartialStream(line: string): string | undefined {
  const logEnd = dockerLogEnd(line);
  if (logEnd === -1) return undefined;
  if (line.charCodeAt(logEnd - 1) === 110 /* n */) {
    // `\n` ends the value when an odd number of backslashes stands before the `n` (`\\n` is a backslash and an n).
    let backslashes = 0;
    while (line.charCodeAt(logEnd - 2 - backslashes) === 92 /* \ */) backslashes++;
    if (backslashes % 2 === 1) return undefined;
  }
  return streamAfter(line, logEnd);
}

/**
 * JSON lines, where Docker's json-file partial records join: a line longer than 16 KiB is written as records whose
 * `log` does not end with `\n`, then one that does. A record of the same stream right after a partial one continues
 * the event, so the pieces are one event and the `json` parser makes them one entry. Every other line is an event of
 * its own and is never held (`continuable`: one `startsWith` per line). Capped at
 * {@link PIECED_LINE_MAX_BYTES}: a longer line is stored as several entries, each of the pieces that fit.
 */
export const DOCKER_JSON_POLICY: MultilinePolicy = {
  continuable: (line) => dockerPartialStream(line) !== undefined,
  isContinuation(line: string, _eventFirstLine: string, previousLine: string): boolean {
    const stream = dockerPartialStream(previousLine);
    if (stream === undefined) return false;
    const logEnd = dockerLogEnd(line);
    return logEnd !== -1 && streamAfter(line, logEnd) === stream;
  },
  maxLines: 500,
  maxBytes: PIECED_LINE_MAX_BYTES,
};

/**
 * The multi-line policy of a format: free `text` has multi-line events (also in a mixed `json+text` file,
 * where a JSON line never continues anything: it is neither a stack line nor indented), and `cri` joins the pieces
 * the runtime split a long line into, as `json` joins Docker's partial records (every other JSON line is its own
 * event). Other structured formats (logfmt, syslog, access logs, AWS logs) are one event per line by definition: an
 * embedded stack trace is escaped inside the line, and joining lines there would only hide malformed ones.
 */
export function multilinePolicyFor(format: string): MultilinePolicy | undefined {
  if (format === 'json') return DOCKER_JSON_POLICY;
  return format === 'text' ? STACK_TRACE_POLICY : format === 'json+text' ? JSON_TEXT_POLICY : format === 'cri' ? CRI_POLICY : undefined;
}

const JSON_OBJECT_LINE = /^\s*\{/;
/** A whole JSON object on one line, indented or not (`  {"level":"error",…}`): its own event, as detection counts it. */
const WHOLE_JSON_OBJECT_LINE = /^\s*\{[\s\S]*\}\s*$/;

/**
 * Mixed JSON and text: the text lines join as in `text`, and a JSON object line is an event of its own that takes no
 * continuation lines. Joined to it, an indented or stack line made the JSON unparseable, or, cut at the event
 * budget inside trailing spaces, still parsed, its cut-off text gone with no trace in the body. An indented line that
 * holds a whole JSON object does not continue the text line before it either (its fields and level would be lost in
 * that event's body); the lines of a pretty-printed object (`  {`, `    "a": 1`, `  }`) still do.
 */
export const JSON_TEXT_POLICY: MultilinePolicy = {
  ...STACK_TRACE_POLICY,
  isContinuation: (line, eventFirstLine, previousLine) =>
    !JSON_OBJECT_LINE.test(eventFirstLine) &&
    STACK_TRACE_POLICY.isContinuation(line, eventFirstLine, previousLine) &&
    !WHOLE_JSON_OBJECT_LINE.test(line),
};

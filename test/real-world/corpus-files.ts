import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Access to the shared real-world corpus beside the repository (`../shared/corpus`, see its SOURCES.md).
 * Files are read at test time and never copied into the project.
 */
export const CORPUS_DIR = path.resolve(process.cwd(), '../shared/corpus');

/** A corpus file's bytes decoded as UTF-8 with replacement characters, as the pipeline decodes objects. */
export function readCorpusText(relativePath: string): string {
  return readFileSync(path.join(CORPUS_DIR, relativePath)).toString('utf8');
}

/** The non-blank lines of a corpus file (LF or CRLF). */
export function readCorpusLines(relativePath: string): string[] {
  return readCorpusText(relativePath)
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.trim() !== '');
}

/** Each line of a JSONL corpus file, parsed. */
export function readCorpusJsonl<T>(relativePath: string): T[] {
  return readCorpusLines(relativePath).map((line) => JSON.parse(line) as T);
}

/** File names in a corpus directory. */
export function listCorpusDir(relativePath: string): string[] {
  return readdirSync(path.join(CORPUS_DIR, relativePath)).sort();
}

/** Decodes a case's `input_b64` as UTF-8 with replacement (falls back to `input` when there are no bytes). */
export function caseInput(testCase: { input?: string; input_b64?: string }): string {
  if (testCase.input_b64 !== undefined && testCase.input_b64 !== '') {
    return Buffer.from(testCase.input_b64, 'base64').toString('utf8');
  }
  return testCase.input ?? '';
}

// ----------------------------------------------------------------------------------------- minimal YAML

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface YamlLine {
  indent: number;
  text: string;
}

/**
 * Just enough YAML for the corpus's expected-value files: block maps and sequences by indentation, plain,
 * single- and double-quoted scalars, `{}` and `[]`. No anchors, flow collections or block scalars.
 */
export function parseMinimalYaml(source: string): unknown {
  const lines: YamlLine[] = [];
  for (const raw of source.split('\n')) {
    const trimmed = raw.trimEnd();
    const text = trimmed.trimStart();
    if (text === '' || text.startsWith('#')) continue;
    lines.push({ indent: trimmed.length - text.length, text });
  }
  const [value] = parseBlock(lines, 0, lines.length > 0 ? lines[0].indent : 0);
  return value;
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

function parseBlock(lines: YamlLine[], index: number, indent: number): [Yaml, number] {
  if (index >= lines.length) return [null, index];
  return isSequenceItem(lines[index].text) ? parseSequence(lines, index, indent) : parseMap(lines, index, indent);
}

function parseSequence(lines: YamlLine[], start: number, indent: number): [Yaml, number] {
  const items: Yaml[] = [];
  let index = start;
  while (index < lines.length && lines[index].indent === indent && isSequenceItem(lines[index].text)) {
    const rest = lines[index].text.slice(1).trimStart();
    if (rest === '') {
      const [value, next] = parseBlock(lines, index + 1, lines[index + 1]?.indent ?? indent + 2);
      items.push(value);
      index = next;
    } else if (/^[^"'][^:]*:(?: |$)/.test(rest) || /^["'][^"']*["']:(?: |$)/.test(rest)) {
      // `- key: value` starts a map whose first entry sits on the dash line.
      const childIndent = indent + (lines[index].text.length - rest.length);
      lines[index] = { indent: childIndent, text: rest };
      const [value, next] = parseMap(lines, index, childIndent);
      items.push(value);
      index = next;
    } else {
      items.push(parseScalar(rest));
      index++;
    }
  }
  return [items, index];
}

function parseMap(lines: YamlLine[], start: number, indent: number): [Yaml, number] {
  const map: { [key: string]: Yaml } = {};
  let index = start;
  while (index < lines.length && lines[index].indent === indent && !isSequenceItem(lines[index].text)) {
    const text = lines[index].text;
    const colon = keyEnd(text);
    const key = unquoteKey(text.slice(0, colon));
    const rest = text.slice(colon + 1).trim();
    index++;
    if (rest !== '') {
      map[key] = parseScalar(rest);
      continue;
    }
    const next = lines[index];
    if (next !== undefined && (next.indent > indent || (next.indent === indent && isSequenceItem(next.text)))) {
      const [value, after] = parseBlock(lines, index, next.indent);
      map[key] = value;
      index = after;
    } else {
      map[key] = null;
    }
  }
  return [map, index];
}

function keyEnd(text: string): number {
  if (text.startsWith('"') || text.startsWith("'")) {
    const close = text.indexOf(text[0], 1);
    return text.indexOf(':', close);
  }
  return text.indexOf(':');
}

function unquoteKey(key: string): string {
  const trimmed = key.trim();
  return trimmed.startsWith('"') || trimmed.startsWith("'") ? String(parseScalar(trimmed)) : trimmed;
}

function parseScalar(text: string): Yaml {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  if (text === '{}') return {};
  if (text === '[]') return [];
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~') return null;
  if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** One OTLP log record from an `*_expected.yaml` file: its attributes as plain values and its time. */
export interface ExpectedOtlpRecord {
  readonly attributes: Record<string, string | number | boolean>;
  readonly timeUnixNano?: string;
}

/** The log records of an OpenTelemetry Collector `*_expected.yaml` (OTLP JSON shape written as YAML). */
export function readExpectedOtlpRecords(relativePath: string): ExpectedOtlpRecord[] {
  const document = parseMinimalYaml(readCorpusText(relativePath)) as {
    resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ attributes?: unknown[]; timeUnixNano?: string }> }> }>;
  };
  const records: ExpectedOtlpRecord[] = [];
  for (const resource of document.resourceLogs) {
    for (const scope of resource.scopeLogs) {
      for (const record of scope.logRecords) {
        const attributes: Record<string, string | number | boolean> = {};
        for (const entry of (record.attributes ?? []) as Array<{ key: string; value: Record<string, Yaml> }>) {
          const [[kind, value]] = Object.entries(entry.value);
          attributes[entry.key] = kind === 'intValue' ? Number(value) : (value as string | boolean);
        }
        records.push({ attributes, timeUnixNano: record.timeUnixNano });
      }
    }
  }
  return records;
}

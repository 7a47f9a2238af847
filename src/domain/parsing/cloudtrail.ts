import { jsonErrorMessage } from './json-text.js';
import { recordsOf } from './wrapped-records.js';

/**
 * AWS CloudTrail delivers JSON documents, `{"Records": [ {...}, {...} ]}`, usually one per line and sometimes
 * pretty-printed. logbatch stores one entry per record: the splitter recognises such a file with
 * {@link looksLikeCloudTrail} and reads it with `WrappedRecordReader` (CloudTrail is one of the wrapped-record
 * shapes); {@link cloudTrailRecords} does the same for one whole document in memory.
 */

const CLOUDTRAIL_START = /^\uFEFF?\s*\{\s*"Records"\s*:\s*\[/;

/**
 * True when `head` (the first bytes of the decompressed file, decoded) starts a `{"Records":[` document,
 * whitespace and a byte-order mark allowed.
 */
export function looksLikeCloudTrail(head: string): boolean {
  return CLOUDTRAIL_START.test(head);
}

/**
 * The records of a CloudTrail document, each re-serialised as one compact JSON line, in order.
 * Throws an Error naming the problem when the document is not JSON or has no `Records` array.
 */
export function cloudTrailRecords(document: string): string[] {
  let parsed: unknown;
  const text = document.charCodeAt(0) === 0xfeff ? document.slice(1) : document;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`CloudTrail document is not valid JSON: ${jsonErrorMessage(error, text)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('CloudTrail document is not a JSON object');
  }
  const found = recordsOf(parsed);
  if (found?.kind !== 'cloudtrail') throw new Error('CloudTrail document has no "Records" array');
  return found.records.map((record) => JSON.stringify(record));
}

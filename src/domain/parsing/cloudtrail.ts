/**
 * AWS CloudTrail delivers one JSON document per file, `{"Records": [ {...}, {...} ]}`, usually on one line and
 * sometimes pretty-printed. logbatch stores one entry per record: the splitter recognises the document with
 * {@link looksLikeCloudTrail} and turns it into record lines with {@link cloudTrailRecords}, which the `cloudtrail`
 * line parser reads.
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
  try {
    parsed = JSON.parse(document.charCodeAt(0) === 0xfeff ? document.slice(1) : document);
  } catch (error) {
    throw new Error(`CloudTrail document is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('CloudTrail document is not a JSON object');
  }
  const records = (parsed as { Records?: unknown }).Records;
  if (!Array.isArray(records)) throw new Error('CloudTrail document has no "Records" array');
  return records.map((record) => JSON.stringify(record));
}

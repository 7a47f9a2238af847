import { MAX_MESSAGE_BYTES } from '../domain/chunk.js';

/**
 * How a dead-lettered chunk is laid out as an SQS message, shared by the SQS adapter and its in-memory twin so both
 * keep the same size rule: SQS counts the body plus, for every message attribute, its name, data type and value
 * against the 1 MiB limit. A chunk body can itself be close to 1 MiB, so the reason is what gives way.
 */

/** Message attribute holding why a message was dead-lettered by the worker. */
export const REASON_ATTRIBUTE = 'reason';
/** Message attribute holding when (ISO 8601) the worker dead-lettered the message. */
export const DEAD_LETTERED_AT_ATTRIBUTE = 'deadLetteredAt';
/** The one data type the attributes use. */
const STRING_TYPE = 'String';
/** A reason is for people; past this many characters it is cut even when there is room. */
export const MAX_REASON_LENGTH = 1000;
/** Below this many bytes for the reason, the time attribute is dropped to leave the reason more room. */
const MIN_REASON_BYTES = 64;
const ELLIPSIS = '…';

/** Bytes SQS counts for a message: the body, and each attribute's name, data type and value (UTF-8). */
export function messageBytes(body: string, attributes: Readonly<Record<string, string>>): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) bytes += attributeBytes(name, value);
  return bytes;
}

/**
 * The attributes of a dead-lettered message with `body`: the reason, cut with `…` to what fits beside the body, and
 * the time, when there is room for both. A body that leaves no room keeps no attributes: the body is never cut,
 * and the batch has recorded the reason already. `reason` must already be text SQS accepts.
 */
export function deadLetterAttributes(body: string, reason: string, deadLetteredAt: string): Record<string, string> {
  const room = MAX_MESSAGE_BYTES - Buffer.byteLength(body, 'utf8');
  const capped = reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}${ELLIPSIS}`;
  const reasonRoomWithTime = room - attributeBytes(DEAD_LETTERED_AT_ATTRIBUTE, deadLetteredAt) - attributeBytes(REASON_ATTRIBUTE, '');
  if (reasonRoomWithTime >= Math.min(MIN_REASON_BYTES, Buffer.byteLength(capped, 'utf8'))) {
    const cut = cutToBytes(capped, reasonRoomWithTime);
    return { ...(cut === '' ? {} : { [REASON_ATTRIBUTE]: cut }), [DEAD_LETTERED_AT_ATTRIBUTE]: deadLetteredAt };
  }
  const cut = cutToBytes(capped, room - attributeBytes(REASON_ATTRIBUTE, ''));
  return cut === '' ? {} : { [REASON_ATTRIBUTE]: cut };
}

/** What a listing says for a dead letter without a reason attribute. */
export function missingReason(body: string, maxReceiveCount: number): string {
  const room = MAX_MESSAGE_BYTES - Buffer.byteLength(body, 'utf8');
  return room < attributeBytes(REASON_ATTRIBUTE, `x${ELLIPSIS}`)
    ? 'no reason attached: the chunk fills the 1 MiB message; its batch records why it failed'
    : `moved by SQS after maxReceiveCount (${maxReceiveCount}) receives`;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, ending in `…` when cut; `''` when not even one character fits. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let budget = maxBytes - Buffer.byteLength(ELLIPSIS, 'utf8');
  let kept = '';
  for (const character of text) {
    const bytes = Buffer.byteLength(character, 'utf8');
    if (bytes > budget) break;
    budget -= bytes;
    kept += character;
  }
  return kept === '' ? '' : `${kept}${ELLIPSIS}`;
}

function attributeBytes(name: string, value: string): number {
  return Buffer.byteLength(name, 'utf8') + Buffer.byteLength(STRING_TYPE, 'utf8') + Buffer.byteLength(value, 'utf8');
}

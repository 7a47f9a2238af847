import type { Readable } from 'node:stream';

/** Reads a stream to its end; also reports how many buffers it arrived in (proof it streamed). */
export async function readAll(stream: Readable): Promise<{ bytes: Buffer; buffers: number }> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part as Uint8Array));
  return { bytes: Buffer.concat(parts), buffers: parts.length };
}

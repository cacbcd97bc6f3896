// AWS's event-stream encoding (application/vnd.amazon.eventstream), as InvokeWithResponseStream
// answers: each message is a prelude (total length, headers length, the prelude's CRC32), the
// headers, the payload and the message's CRC32; integers are big-endian.

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), the checksum of event-stream preludes and messages. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The header value type for a UTF-8 string. */
const STRING = 7;

/** One event-stream message with string headers. */
export function encodeMessage(headers: Record<string, string>, payload: Uint8Array): Buffer {
  const encoded: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const key = Buffer.from(name);
    const text = Buffer.from(value);
    if (key.length > 255 || text.length > 32767)
      throw new RangeError(`event-stream header ${name} is too long`);
    const head = Buffer.alloc(1 + key.length + 3);
    head[0] = key.length;
    key.copy(head, 1);
    head[1 + key.length] = STRING;
    head.writeUInt16BE(text.length, 2 + key.length);
    encoded.push(head, text);
  }
  const headerBytes = Buffer.concat(encoded);
  const total = 12 + headerBytes.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message, 0, 8), 8);
  headerBytes.copy(message, 12);
  message.set(payload, 12 + headerBytes.length);
  message.writeUInt32BE(crc32(message, 0, total - 4), total - 4);
  return message;
}

/** A `PayloadChunk` event: bytes the function wrote. */
export function payloadChunk(bytes: Uint8Array): Buffer {
  return encodeMessage(
    { ':event-type': 'PayloadChunk', ':content-type': 'application/octet-stream', ':message-type': 'event' },
    bytes,
  );
}

/** The fields of `InvokeComplete`: set on failure (`ErrorCode`, `ErrorDetails`) and for `Tail` (`LogResult`). */
export interface InvokeCompleteFields {
  ErrorCode?: string;
  ErrorDetails?: string;
  LogResult?: string;
}

/** The `InvokeComplete` event that ends the stream. */
export function invokeComplete(fields: InvokeCompleteFields): Buffer {
  return encodeMessage(
    { ':event-type': 'InvokeComplete', ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify(fields)),
  );
}

/** A decoded event-stream message. */
export interface DecodedMessage {
  headers: Record<string, string>;
  payload: Buffer;
}

/**
 * Reads the messages of an event stream; throws a `RangeError` on a length or checksum that does
 * not hold. Only string headers are read (the only kind these events carry).
 */
export function decodeMessages(stream: Buffer): DecodedMessage[] {
  const messages: DecodedMessage[] = [];
  let at = 0;
  while (at < stream.length) {
    if (stream.length - at < 16) throw new RangeError('event-stream message truncated');
    const total = stream.readUInt32BE(at);
    const headersLength = stream.readUInt32BE(at + 4);
    if (total < 16 + headersLength || at + total > stream.length) {
      throw new RangeError('event-stream message length does not hold');
    }
    if (crc32(stream, at, at + 8) !== stream.readUInt32BE(at + 8))
      throw new RangeError('prelude CRC mismatch');
    if (crc32(stream, at, at + total - 4) !== stream.readUInt32BE(at + total - 4)) {
      throw new RangeError('message CRC mismatch');
    }
    const headers: Record<string, string> = {};
    let h = at + 12;
    const headersEnd = h + headersLength;
    while (h < headersEnd) {
      const nameLength = stream[h];
      const name = stream.toString('utf8', h + 1, h + 1 + nameLength);
      h += 1 + nameLength;
      if (stream[h] !== STRING) throw new RangeError(`event-stream header ${name} is not a string`);
      const valueLength = stream.readUInt16BE(h + 1);
      headers[name] = stream.toString('utf8', h + 3, h + 3 + valueLength);
      h += 3 + valueLength;
    }
    messages.push({ headers, payload: stream.subarray(headersEnd, at + total - 4) });
    at += total;
  }
  return messages;
}

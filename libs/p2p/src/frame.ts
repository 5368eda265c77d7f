/**
 * Wire framing of cluster messages on a long-lived libp2p stream:
 *
 *   u32 big-endian body length ‖ u8 topic length ‖ topic (UTF-8) ‖ payload
 *
 * The body length covers everything after itself, so a receiver can always find the next frame,
 * even when it drops the current one (too large, malformed).
 */
import { P2pError } from './errors.js';

export const FRAME_LENGTH_BYTES = 4;
export const MAX_TOPIC_BYTES = 255;
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a topic; a topic is 1..255 bytes without control characters. */
export function encodeTopic(topic: string): Uint8Array {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new P2pError('INVALID_TOPIC', 'topic must be a non-empty string');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(topic)) {
    throw new P2pError('INVALID_TOPIC', `topic ${JSON.stringify(topic)} contains control characters`);
  }
  const bytes = utf8Encoder.encode(topic);
  if (bytes.length > MAX_TOPIC_BYTES) {
    throw new P2pError('INVALID_TOPIC', `topic is ${bytes.length} bytes of UTF-8, at most ${MAX_TOPIC_BYTES} allowed`);
  }
  return bytes;
}

/** One frame holding its own copy of the payload, so the caller may reuse its buffer at once. */
export function encodeFrame(topicBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  const bodyLength = 1 + topicBytes.length + payload.length;
  const frame = new Uint8Array(FRAME_LENGTH_BYTES + bodyLength);
  new DataView(frame.buffer).setUint32(0, bodyLength, false);
  frame[FRAME_LENGTH_BYTES] = topicBytes.length;
  frame.set(topicBytes, FRAME_LENGTH_BYTES + 1);
  frame.set(payload, FRAME_LENGTH_BYTES + 1 + topicBytes.length);
  return frame;
}

export type DecodedFrame =
  | { kind: 'message'; topic: string; payload: Uint8Array }
  /** a frame whose payload exceeds the limit; its bytes are skipped without being buffered */
  | { kind: 'oversized'; frameBytes: number; maxMessageBytes: number }
  | { kind: 'malformed'; reason: string };

/**
 * Incremental decoder for one stream. Memory stays bounded by one frame of at most
 * `maxMessageBytes` payload: a larger frame is skipped as its bytes arrive.
 */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  /** body length of the frame being assembled, once its header has been read */
  private bodyLength: number | undefined;
  /** bytes of an oversized frame still to be discarded */
  private skipRemaining = 0;
  private readonly maxBodyBytes: number;

  constructor(readonly maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {
    if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 0) {
      throw new P2pError('INVALID_CONFIG', `maxMessageBytes must be a non-negative integer, got ${maxMessageBytes}`);
    }
    this.maxBodyBytes = 1 + MAX_TOPIC_BYTES + maxMessageBytes;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array, onFrame: (frame: DecodedFrame) => void): void {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.skipRemaining > 0) {
        const n = Math.min(this.skipRemaining, this.buffered);
        this.discard(n);
        this.skipRemaining -= n;
        if (this.skipRemaining > 0) return;
      }
      if (this.bodyLength === undefined) {
        if (this.buffered < FRAME_LENGTH_BYTES) return;
        const header = this.take(FRAME_LENGTH_BYTES);
        const length = new DataView(header.buffer, header.byteOffset, FRAME_LENGTH_BYTES).getUint32(0, false);
        if (length === 0) {
          onFrame({ kind: 'malformed', reason: 'empty frame (body length 0)' });
          continue;
        }
        if (length > this.maxBodyBytes) {
          this.skipRemaining = length;
          onFrame({ kind: 'oversized', frameBytes: FRAME_LENGTH_BYTES + length, maxMessageBytes: this.maxMessageBytes });
          continue;
        }
        this.bodyLength = length;
      }
      if (this.buffered < this.bodyLength) return;
      const body = this.take(this.bodyLength);
      this.bodyLength = undefined;
      onFrame(this.parseBody(body));
    }
  }

  private parseBody(body: Uint8Array): DecodedFrame {
    const topicLength = body[0]!;
    if (topicLength === 0) return { kind: 'malformed', reason: 'empty topic' };
    if (1 + topicLength > body.length) {
      return { kind: 'malformed', reason: `topic length ${topicLength} exceeds the frame body of ${body.length} bytes` };
    }
    let topic: string;
    try {
      topic = utf8Decoder.decode(body.subarray(1, 1 + topicLength));
    } catch {
      return { kind: 'malformed', reason: 'topic is not valid UTF-8' };
    }
    const payloadLength = body.length - 1 - topicLength;
    if (payloadLength > this.maxMessageBytes) {
      return { kind: 'oversized', frameBytes: FRAME_LENGTH_BYTES + body.length, maxMessageBytes: this.maxMessageBytes };
    }
    // a copy: the received chunk may be shared with the frames around it
    return { kind: 'message', topic, payload: body.slice(1 + topicLength) };
  }

  /** Removes `n` ≤ buffered bytes from the front; contiguous without copying when they lie in one chunk. */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      this.consumeFront(first, n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      this.consumeFront(chunk, part);
    }
    return out;
  }

  private discard(n: number): void {
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length, left);
      this.consumeFront(chunk, part);
      left -= part;
    }
  }

  private consumeFront(chunk: Uint8Array, n: number): void {
    if (n === chunk.length) this.chunks.shift();
    else this.chunks[0] = chunk.subarray(n);
    this.buffered -= n;
  }
}

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { P2pError } from './errors.js';
import { type DecodedFrame, encodeFrame, encodeTopic, FRAME_LENGTH_BYTES, FrameDecoder, MAX_TOPIC_BYTES } from './frame.js';

const frameOf = (topic: string, payload: Uint8Array | number[]): Uint8Array => encodeFrame(encodeTopic(topic), Uint8Array.from(payload));

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): DecodedFrame[] {
  const out: DecodedFrame[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => out.push(f));
  return out;
}

function rawFrame(body: number[]): Uint8Array {
  const out = new Uint8Array(FRAME_LENGTH_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, FRAME_LENGTH_BYTES);
  return out;
}

describe('frame encoding', () => {
  it('lays out length, topic length, topic and payload', () => {
    const frame = frameOf('/t', [7, 8, 9]);
    expect([...frame]).toEqual([0, 0, 0, 6, 2, 0x2f, 0x74, 7, 8, 9]);
  });

  it('copies the payload so the caller may reuse its buffer', () => {
    const payload = Uint8Array.from([1, 2, 3]);
    const frame = encodeFrame(encodeTopic('/t'), payload);
    payload[0] = 99;
    expect(frame[FRAME_LENGTH_BYTES + 3]).toBe(1);
  });

  it('rejects empty, over-long and control-character topics', () => {
    expect(() => encodeTopic('')).toThrow(P2pError);
    expect(() => encodeTopic('a\nb')).toThrow(/control characters/);
    expect(() => encodeTopic('é'.repeat(128))).toThrow(/256 bytes of UTF-8, at most 255/);
    expect(encodeTopic('x'.repeat(MAX_TOPIC_BYTES))).toHaveLength(MAX_TOPIC_BYTES);
  });
});

describe('FrameDecoder', () => {
  it('decodes any sequence of frames however the bytes are split', () => {
    const frameArb = fc.record({
      topic: fc.string({ minLength: 1, maxLength: 20, unit: fc.constantFrom('a', 'b', '/', 'q', '1', 'é') }),
      payload: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => frameOf(f.topic, f.payload)));
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          chunks.push(bytes.subarray(at, at + n));
          at += n;
        }
        const decoder = new FrameDecoder(1000);
        const decoded = decodeAll(decoder, chunks);
        expect(decoded).toEqual(frames.map((f) => ({ kind: 'message', topic: f.topic, payload: Uint8Array.from(f.payload) })));
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('skips a frame announced above the limit without buffering it, then decodes the next', () => {
    const decoder = new FrameDecoder(1024);
    const big = frameOf('/big', new Uint8Array(100_000).fill(1));
    const out: DecodedFrame[] = [];
    let maxBuffered = 0;
    for (let at = 0; at < big.length; at += 4096) {
      decoder.push(big.subarray(at, at + 4096), (f) => out.push(f));
      maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    }
    decoder.push(frameOf('/small', [5]), (f) => out.push(f));
    expect(maxBuffered).toBeLessThan(4096);
    expect(out).toEqual([
      { kind: 'oversized', frameBytes: big.length, maxMessageBytes: 1024 },
      { kind: 'message', topic: '/small', payload: Uint8Array.from([5]) },
    ]);
  });

  it('drops a payload above the limit that fits the body bound (short topic), then decodes the next', () => {
    const decoder = new FrameDecoder(10);
    const out = decodeAll(decoder, [frameOf('/t', new Uint8Array(11)), frameOf('/t', new Uint8Array(10))]);
    expect(out.map((f) => f.kind)).toEqual(['oversized', 'message']);
  });

  it('reports malformed frames and stays in step with the stream', () => {
    const decoder = new FrameDecoder(100);
    const out = decodeAll(decoder, [
      rawFrame([]), // body length 0
      rawFrame([0, 1, 2]), // topic length 0
      rawFrame([5, 0x61]), // topic longer than the body
      rawFrame([2, 0xc3, 0x28, 9]), // invalid UTF-8 topic
      frameOf('/ok', [1]),
    ]);
    expect(out).toEqual([
      { kind: 'malformed', reason: 'empty frame (body length 0)' },
      { kind: 'malformed', reason: 'empty topic' },
      { kind: 'malformed', reason: 'topic length 5 exceeds the frame body of 2 bytes' },
      { kind: 'malformed', reason: 'topic is not valid UTF-8' },
      { kind: 'message', topic: '/ok', payload: Uint8Array.from([1]) },
    ]);
  });

  it('hands out payloads that do not alias the received chunk', () => {
    const bytes = frameOf('/t', [1, 2]);
    const out = decodeAll(new FrameDecoder(), [bytes]);
    bytes.fill(0);
    expect(out[0]).toEqual({ kind: 'message', topic: '/t', payload: Uint8Array.from([1, 2]) });
  });

  it('rejects a negative or fractional limit', () => {
    expect(() => new FrameDecoder(-1)).toThrow(/maxMessageBytes/);
    expect(() => new FrameDecoder(1.5)).toThrow(P2pError);
  });
});

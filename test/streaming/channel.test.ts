import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedResponseStream } from '../../lib/invoke/stream-invoke.js';
import {
  deliverStreamMessage,
  environmentTarget,
  type StreamFromEnvironment,
  type StreamToEnvironment,
} from '../../lib/pool/stream-channel.js';
import { recordingTarget } from './support.js';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

/** An environment's stream whose bytes cross a real MessagePort to a target that takes `delay` ms per chunk. */
function across(delay: number, highWaterMark: number) {
  const channel = new MessageChannel();
  channels.push(channel);
  const { posted, target } = recordingTarget(delay);
  const env = environmentTarget('req-1', (message) => channel.port1.postMessage(message));
  channel.port1.on('message', (message: StreamToEnvironment) => env.acknowledge(message));
  channel.port2.on('message', (message: StreamFromEnvironment) =>
    deliverStreamMessage(message, target, (reply) => channel.port2.postMessage(reply)),
  );
  return { posted, stream: new EmulatedResponseStream(env.target, highWaterMark) };
}

describe('a response stream across the environment boundary', () => {
  it('delivers the content type, every chunk in order and the end', async () => {
    const { posted, stream } = across(0, 1024);
    stream.setContentType('text/plain');
    for (const part of ['one', 'two', 'three']) stream.write(part);
    await new Promise<void>((r) => stream.end(r));
    await new Promise((r) => setTimeout(r, 20));
    expect(posted.contentType).toBe('text/plain');
    expect(posted.chunks.map(String)).toEqual(['one', 'two', 'three']);
    expect(posted.ended).toBe(true);
  });

  it("passes the receiver's pace back: the stream's queue stays within its highWaterMark", async () => {
    const { posted, stream } = across(5, 4096);
    const chunk = Buffer.alloc(1024, 97);
    let maxQueued = 0;
    let refusals = 0;
    for (let i = 0; i < 40; i++) {
      if (!stream.write(chunk)) {
        refusals++;
        maxQueued = Math.max(maxQueued, stream.writableLength);
        await new Promise((r) => stream.once('drain', r));
      }
    }
    await new Promise<void>((r) => stream.end(r));
    expect(refusals).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(4096);
    expect(Buffer.concat(posted.chunks).length).toBe(40 * 1024);
  });

  it("a receiver's error reaches the environment's stream", async () => {
    const channel = new MessageChannel();
    channels.push(channel);
    const env = environmentTarget('req-2', (message) => channel.port1.postMessage(message));
    channel.port1.on('message', (message: StreamToEnvironment) => env.acknowledge(message));
    channel.port2.on('message', (message: StreamFromEnvironment) =>
      deliverStreamMessage(
        message,
        { start() {}, write: (_c, done) => done(new Error('client limit')), end() {} },
        (reply) => channel.port2.postMessage(reply),
      ),
    );
    const stream = new EmulatedResponseStream(env.target);
    const failed = new Promise<Error>((r) => stream.once('error', r));
    stream.write('x');
    expect((await failed).message).toBe('client limit');
  });
});

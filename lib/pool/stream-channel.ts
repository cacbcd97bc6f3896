import type { StreamTarget } from '../invoke/stream-invoke.js';

/** What an execution environment sends about a streamed response, in order. */
export type StreamFromEnvironment =
  | { type: 'stream-start'; id: string; contentType: string }
  /** The bytes in base64: environments talk JSON over their IPC channel. */
  | { type: 'stream-chunk'; id: string; seq: number; chunk: string }
  | { type: 'stream-end'; id: string };

/** The server's acknowledgement of one chunk: the client took it, or the answer failed. */
export type StreamToEnvironment = { type: 'stream-ack'; id: string; seq: number; error?: string };

/** The largest piece of a write that crosses the boundary in one message. */
const SLICE = 64 * 1024;
/** Slices of one write posted before the first is acknowledged. */
const IN_FLIGHT = 4;

/**
 * The environment's half: a {@link StreamTarget} whose bytes cross the process or thread boundary
 * as messages. A chunk's `done` waits for the server's acknowledgement, so the client's
 * backpressure reaches the handler's stream through the boundary as it does in one process.
 */
export function environmentTarget(
  id: string,
  post: (message: StreamFromEnvironment) => void,
): { target: StreamTarget; acknowledge(message: StreamToEnvironment): void } {
  let seq = 0;
  const waiting = new Map<number, (error?: Error | null) => void>();
  return {
    target: {
      start: (contentType) => post({ type: 'stream-start', id, contentType }),
      write(chunk, done) {
        // A large write crosses in slices, a few in flight at a time: it never costs several
        // times its size in base64 and JSON at once. `done` waits for the last slice.
        const count = Math.max(1, Math.ceil(chunk.length / SLICE));
        let posted = 0;
        let acknowledged = 0;
        let failed = false;
        const sliceDone = (error?: Error | null) => {
          if (failed) return;
          if (error) {
            failed = true;
            return done(error);
          }
          acknowledged++;
          if (acknowledged === count) done();
          else postSlices();
        };
        const postSlices = () => {
          while (posted < count && posted - acknowledged < IN_FLIGHT) {
            const at = posted * SLICE;
            posted++;
            seq++;
            waiting.set(seq, sliceDone);
            post({ type: 'stream-chunk', id, seq, chunk: chunk.toString('base64', at, at + SLICE) });
          }
        };
        postSlices();
      },
      end: () => post({ type: 'stream-end', id }),
    },
    acknowledge(message) {
      const done = waiting.get(message.seq);
      if (done === undefined || message.id !== id) return;
      waiting.delete(message.seq);
      done(message.error === undefined ? null : new Error(message.error));
    },
  };
}

/** The server's half: hands one environment message to the call's target and acknowledges chunks. */
export function deliverStreamMessage(
  message: StreamFromEnvironment,
  target: StreamTarget,
  reply: (message: StreamToEnvironment) => void,
): void {
  const ack = (seq: number, error?: Error | null) =>
    reply({ type: 'stream-ack', id: message.id, seq, ...(error ? { error: error.message } : {}) });
  try {
    if (message.type === 'stream-start') target.start(message.contentType);
    else if (message.type === 'stream-end') target.end();
    else target.write(Buffer.from(message.chunk, 'base64'), (error) => ack(message.seq, error));
  } catch (thrown) {
    // A failure of one answer ends that answer, never the server that delivers it.
    const reason = `the streamed response failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
    target.abort?.(reason);
    if (message.type === 'stream-chunk') ack(message.seq, new Error(reason));
  }
}

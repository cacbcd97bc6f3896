import type { Context } from 'aws-lambda';
import { createContext } from '../../lib/invoke/context.js';
import { EmulatedResponseStream, type StreamTarget } from '../../lib/invoke/stream-invoke.js';

export interface Posted {
  contentType: string | undefined;
  /** Every chunk as the runtime's stream received it. */
  chunks: Buffer[];
  ended: boolean;
  /** The prelude JSON before the 8 NULs, when the content type is the HTTP integration one. */
  prelude: Record<string, unknown> | undefined;
  body: Buffer;
  /** The handler's promise: resolved, or rejected with this error. */
  error: unknown;
}

/** A target that records what the runtime would post, accepting each chunk at once (or after `delay` ms). */
export function recordingTarget(delay = 0) {
  const posted: Posted = {
    contentType: undefined,
    chunks: [],
    ended: false,
    prelude: undefined,
    body: Buffer.alloc(0),
    error: undefined,
  };
  const target: StreamTarget = {
    start(type) {
      posted.contentType = type;
    },
    write(chunk, done) {
      posted.chunks.push(Buffer.from(chunk));
      if (delay > 0) setTimeout(done, delay);
      else done();
    },
    end() {
      posted.ended = true;
    },
  };
  return { posted, target };
}

/** Splits a posted body into its prelude and body, as the service reads it. */
export function readPosted(posted: Posted): void {
  const all = Buffer.concat(posted.chunks);
  if (posted.contentType === 'application/vnd.awslambda.http-integration-response') {
    const at = all.indexOf(Buffer.alloc(8));
    posted.prelude = JSON.parse(all.subarray(0, at).toString('utf8'));
    posted.body = all.subarray(at + 8);
  } else {
    posted.body = all;
  }
}

type StreamHandler = (event: never, stream: EmulatedResponseStream, context: Context) => Promise<void>;

/** Runs a streaming handler against the emulated runtime stream and reads what it posted. */
export async function runStreaming(
  handler: unknown,
  event: unknown,
  options: { context?: Context; delay?: number; highWaterMark?: number } = {},
): Promise<Posted & { stream: EmulatedResponseStream }> {
  const { posted, target } = recordingTarget(options.delay);
  const stream = new EmulatedResponseStream(target, options.highWaterMark);
  try {
    await (handler as StreamHandler)(event as never, stream, options.context ?? createContext());
  } catch (error) {
    posted.error = error;
  }
  if (posted.contentType !== undefined) readPosted(posted);
  return { ...posted, stream };
}

const servers: import('node:http').Server[] = [];

/** Serves a listener on 127.0.0.1 (port 0) until `closeServers`. */
export async function listen(listener: import('node:http').RequestListener): Promise<string> {
  const { createServer } = await import('node:http');
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
}

export async function closeServers(): Promise<void> {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((r) => {
          s.closeAllConnections();
          s.close(r);
        }),
    ),
  );
}

export interface Received {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** Chunks with the milliseconds since the request was sent. */
  chunks: [Buffer, number][];
  /** The response was cut short (the connection closed mid-body). */
  aborted: boolean;
}

/** One request over a fresh connection, read to its end or until it is cut short. */
export async function fetchRaw(url: string, method = 'GET'): Promise<Received> {
  const http = await import('node:http');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      const chunks: [Buffer, number][] = [];
      let aborted = false;
      const done = () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks.map(([c]) => c)),
          chunks,
          aborted,
        });
      res.on('data', (chunk: Buffer) => chunks.push([chunk, performance.now() - started]));
      res.on('aborted', () => {
        aborted = true;
      });
      res.on('error', () => {
        aborted = true;
      });
      res.on('close', () => {
        if (!res.complete) aborted = true;
        done();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

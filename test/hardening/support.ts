import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  IncomingMessage,
  type RequestListener,
  type Server,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, afterEach, beforeEach, expect, vi } from 'vitest';
import type { LogEntry, LogHook } from '../../index.js';

/** A `log` hook that keeps every entry, so nothing reaches the console. */
export function collector(): { log: LogHook; entries: LogEntry[]; codes(): string[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    log: (entry) => {
      entries.push(entry);
    },
    codes: () => entries.map((entry) => entry.code),
  };
}

/** A `log` hook that drops everything. */
export const silent: LogHook = () => {};

/**
 * Starts Node HTTP servers on 127.0.0.1 (port 0) for the calling test file and closes them all
 * in `afterAll`. Call once at the top level of a file.
 */
export function useServers() {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map(closeServer));
  });
  return {
    async listen(listener: RequestListener): Promise<{ server: Server; port: number; url: string }> {
      const server = createServer(listener);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return { server, port, url: `http://127.0.0.1:${port}` };
    },
  };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** A response as it came off the socket. */
export interface WireResponse {
  status: number;
  reason: string;
  /** Header lines in wire order, names as sent. */
  lines: Array<[string, string]>;
  /** The header block folded as Node's HTTP client folds it. */
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Every byte the server sent. */
  raw: Buffer;
}

/** Folds header lines exactly as Node's HTTP parser folds them into `headers`. */
export function nodeFold(lines: ReadonlyArray<readonly [string, string]>): IncomingHttpHeaders {
  const target = Object.create(IncomingMessage.prototype) as IncomingMessage & {
    _addHeaderLine(field: string, value: string, dest: IncomingHttpHeaders): void;
  };
  const dest: IncomingHttpHeaders = {};
  for (const [name, value] of lines) target._addHeaderLine(name, value, dest);
  return dest;
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) throw new Error('truncated chunked body');
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    if (size === 0) return Buffer.concat(out);
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  throw new Error('too many chunks');
}

/** Parses one HTTP/1.1 response (the connection closes after it). */
export function parseResponse(raw: Buffer, method: string): WireResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split === -1) throw new Error(`no complete header block in ${JSON.stringify(raw.toString('latin1'))}`);
  const [statusLine, ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3}) ?(.*)$/.exec(statusLine);
  if (!match) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const lines = headerLines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad header line ${JSON.stringify(line)}`);
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const headers = nodeFold(lines);
  let body = raw.subarray(split + 4);
  const status = Number(match[1]);
  if (method === 'HEAD' || status === 204 || status === 304) {
    if (body.length !== 0)
      throw new Error(`a ${method} ${status} response carried ${body.length} body bytes`);
  } else if (headers['transfer-encoding'] === 'chunked') {
    body = dechunk(body);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length !== length) {
      throw new Error(`content-length ${length} but ${body.length} body bytes arrived`);
    }
  }
  return { status, reason: match[2], lines, headers, body, raw };
}

/**
 * Sends raw request bytes on a fresh TCP connection and collects everything the server sends
 * until it closes the connection. The request should carry `Connection: close`.
 */
export function exchangeRaw(
  port: number,
  request: Buffer | readonly Buffer[],
  timeoutMs = 15_000,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      for (const part of Buffer.isBuffer(request) ? [request] : request) socket.write(part);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      if (chunks.length === 0) {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

export async function exchange(port: number, request: Buffer, method: string): Promise<WireResponse> {
  return parseResponse(await exchangeRaw(port, request), method);
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects when `promise` has not settled within `ms`; the timer never outlives the race. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The own property names of the built-in prototypes a pollution attack targets. */
export function prototypeSnapshot(): string {
  const protos = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
  return JSON.stringify(protos.map((proto) => Reflect.ownKeys(proto).map(String).sort()));
}

/**
 * Fails the current test when anything reaches the console or process.stdout/stderr, or when a
 * promise rejection goes unhandled or an exception uncaught, while it runs.
 */
export function guardProcess() {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const output: string[] = [];
  beforeEach(() => {
    unhandled.length = 0;
    output.length = 0;
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    const record = (where: string) => (chunk: unknown) => {
      output.push(`${where}: ${String(chunk)}`);
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(record('stdout') as typeof process.stdout.write);
    vi.spyOn(process.stderr, 'write').mockImplementation(record('stderr') as typeof process.stderr.write);
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        output.push(`console.${method}: ${args.map(String).join(' ')}`);
      });
    }
  });
  afterEach(async () => {
    // Rejections are reported after a macrotask turn.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    vi.restoreAllMocks();
    expect(unhandled, 'unhandled rejections or uncaught exceptions').toEqual([]);
    expect(output, 'console or stdio output outside the log hook').toEqual([]);
  });
}

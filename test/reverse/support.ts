import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import { toNodeHandler } from 'h3';
import Koa from 'koa';
import Koa2 from 'koa2';
import request from 'supertest';
import { afterAll, expect, vi } from 'vitest';
import {
  type AlbEmulatorOptions,
  type LambdaHandler,
  type LogEntry,
  toExpress,
  toFetch,
  toKoa,
  toListener,
} from '../../index.js';

export type Listener = (req: IncomingMessage, res: ServerResponse) => void;
export type Handler = LambdaHandler<ALBEvent>;

/**
 * A handler typed loosely, as the tests need it: they hand the middleware results of every kind,
 * invalid ones included, which the public handler type (`FormatHandler`) refuses.
 */
export function loose(handler: LambdaHandler<never>): never {
  return handler as never;
}

/** One way a user mounts a Lambda handler behind the emulated ALB. */
export interface Mounting {
  name: string;
  kind: 'express' | 'koa' | 'listener' | 'fetch';
  /** The request listener of an app that mounts `handler` the way the README shows. */
  mount(handler: Handler, options: AlbEmulatorOptions): Listener;
}

function expressMounting(name: string, make: typeof express): Mounting {
  return {
    name,
    kind: 'express',
    mount(handler, options) {
      return make().use(toExpress(loose(handler), options));
    },
  };
}

function koaMounting(name: string, Make: typeof Koa): Mounting {
  return {
    name,
    kind: 'koa',
    mount(handler, options) {
      const app = new Make();
      app.silent = true;
      app.use(toKoa(loose(handler), options));
      return app.callback();
    },
  };
}

export const express5Mounting = expressMounting('express().use(toExpress(handler))', express);
export const express4Mounting = expressMounting('express4().use(toExpress(handler))', express4);
export const koa3Mounting = koaMounting('new Koa().use(toKoa(handler))', Koa);
export const koa2Mounting = koaMounting('new Koa2().use(toKoa(handler))', Koa2);
export const listenerMounting: Mounting = {
  name: 'http.createServer(toListener(handler))',
  kind: 'listener',
  mount: (handler, options) => toListener(loose(handler), options),
};

/** `toFetch(handler)` served by a fetch host on Node (srvx, through H3's toNodeHandler). */
export const fetchMounting: Mounting = {
  name: 'toNodeHandler({ fetch: toFetch(handler) })',
  kind: 'fetch',
  mount: (handler, options) =>
    toNodeHandler({ fetch: toFetch(loose(handler), options) } as never) as Listener,
};

/** Express 5, Express 4, Koa 3, Koa 2, a bare Node listener, and toFetch behind a fetch host. */
export const mountings: Mounting[] = [
  express5Mounting,
  express4Mounting,
  koa3Mounting,
  koa2Mounting,
  listenerMounting,
  fetchMounting,
];

export interface Served {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** A supertest client for the server. */
  http: ReturnType<typeof request>;
  /** Everything sent to the `log` hook. */
  log: LogEntry[];
}

/**
 * Starts servers on 127.0.0.1 (port 0) for the calling test file and closes them all in
 * `afterAll`. Call it once at the top level of a test file.
 */
export function useServers() {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  });

  /** Serves a plain request listener. */
  async function listen(listener: Listener): Promise<{ url: string; port: number }> {
    const server = createServer(listener);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, port };
  }

  /** Mounts `handler` with `options` (plus a `log` hook that collects) and serves it. */
  async function serve(
    mounting: Mounting,
    handler: Handler,
    options: AlbEmulatorOptions = {},
  ): Promise<Served> {
    const log: LogEntry[] = [];
    const listener = mounting.mount(handler, {
      ...options,
      log: (entry) => {
        log.push(entry);
        options.log?.(entry);
      },
    });
    const { url, port } = await listen(listener);
    return { url, port, http: request(url), log };
  }

  return { listen, serve };
}

/** A handler that records every event and context it gets and answers `result`. */
export function recorder(result: unknown = { statusCode: 200 }) {
  const events: ALBEvent[] = [];
  const contexts: Context[] = [];
  const handler: Handler = async (event, context) => {
    events.push(event);
    contexts.push(context);
    return result;
  };
  return { handler, events, contexts };
}

/** The one event a recorder saw. */
export function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0];
}

/** A handler that answers with a fixed result, whatever the event. */
export function answering(result: unknown): Handler {
  return async () => result;
}

/** A result in the header field of the mode, so it is valid in both. */
export function resultFor(
  multiValue: boolean,
  headers: Record<string, string>,
  rest: Omit<ALBResult, 'headers' | 'multiValueHeaders'> = { statusCode: 200 },
): ALBResult {
  if (!multiValue) return { ...rest, headers };
  const multi: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) multi[name] = [value];
  return { ...rest, multiValueHeaders: multi };
}

export interface RawResponse {
  /** The status line, without CRLF: `HTTP/1.1 418 I'm a teapot`. */
  statusLine: string;
  status: number;
  /** Header lines in wire order, names as sent. */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Every value of a header in a raw response, in wire order (names compared case-insensitively). */
export function rawValues(response: RawResponse, name: string): string[] {
  return response.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/**
 * Sends a request over a plain TCP socket, so repeated header lines stay repeated on the wire,
 * and returns the response exactly as it came back. `Connection: close` is added.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  lines: ReadonlyArray<readonly [string, string]> = [],
  body: Buffer = Buffer.alloc(0),
): Promise<RawResponse> {
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    lines.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    (body.length > 0 && !lines.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name))
      ? `Content-Length: ${body.length}\r\n`
      : '') +
    'Connection: close\r\n\r\n';
  return new Promise((resolve, reject) => {
    // The socket stays open for writing: a half-closed request counts as aborted for Node's server.
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(Buffer.concat([Buffer.from(head, 'utf8'), body])),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server may answer and close before it has read the whole request (413): keep its answer.
    socket.on('error', (error) => {
      if (chunks.length === 0) reject(error);
    });
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      if (all.length === 0) return reject(new Error('the server closed the connection without an answer'));
      const split = all.indexOf('\r\n\r\n');
      const [statusLine, ...headerLines] = all.subarray(0, split).toString('latin1').split('\r\n');
      resolve({
        statusLine,
        status: Number(statusLine.split(' ')[1]),
        headers: headerLines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon), line.slice(colon + 1).trim()];
        }),
        body: all.subarray(split + 4),
      });
    });
  });
}

type Parser = (res: request.Response, done: (error: Error | null, body: unknown) => void) => void;

/** A supertest parser that keeps the response body as bytes (it gets the Node response stream). */
export const bytes = ((res: NodeJS.ReadableStream, done: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}) as unknown as Parser;

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The ALB's own 502 page, as a real ALB sends it to the client. */
export function expectAlb502(response: { status: number; headers: Record<string, string>; text: string }) {
  expect(response.status).toBe(502);
  expect(response.headers.server).toBe('awselb/2.0');
  expect(response.headers['content-type']).toBe('text/html');
  expect(response.text).toContain('<title>502 Bad Gateway</title>');
  expect(response.text).toContain('<center><h1>502 Bad Gateway</h1></center>');
}

/** The log entries with `code`. */
export function entries(log: LogEntry[], code: string): LogEntry[] {
  return log.filter((entry) => entry.code === code);
}

/**
 * Tracks the timers (`setTimeout`, `setImmediate`) created from now on: the returned set holds
 * those that are neither fired nor cleared. Restore with `vi.restoreAllMocks()`.
 */
export function trackTimers(): Set<unknown> {
  const live = new Set<unknown>();
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const realSetImmediate = globalThis.setImmediate;
  const realClearImmediate = globalThis.clearImmediate;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
    fn: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    const handle = realSetTimeout(() => {
      live.delete(handle);
      fn(...args);
    }, ms);
    live.add(handle);
    return handle;
  }) as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation((handle) => {
    live.delete(handle);
    realClearTimeout(handle);
  });
  vi.spyOn(globalThis, 'setImmediate').mockImplementation(((
    fn: (...args: unknown[]) => void,
    ...args: unknown[]
  ) => {
    const handle = realSetImmediate(() => {
      live.delete(handle);
      fn(...args);
    });
    live.add(handle);
    return handle;
  }) as typeof setImmediate);
  vi.spyOn(globalThis, 'clearImmediate').mockImplementation((handle) => {
    live.delete(handle);
    realClearImmediate(handle);
  });
  return live;
}

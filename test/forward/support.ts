import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import Koa2 from 'koa2';
import { expect } from 'vitest';
import { type AppSource, type ToLambdaOptions, toLambda } from '../../adapters/lambda.js';
import type { LogEntry } from '../../lib/log.js';

export type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** What an app sees of a request, read through its framework's own API. */
export interface View {
  /**
   * The request: Node's own for the Node kinds; for a fetch app, its method, URL, and headers
   * as an object (`set-cookie` an array, as Node has it), with no `rawHeaders` or `socket`.
   */
  req: IncomingMessage;
  query: Record<string, unknown>;
  protocol: string;
  ip: string | undefined;
  /** The request body, read through the framework. */
  body: Buffer;
}

/** A response, as a test asks every framework to send it. */
export interface Reply {
  /** @default 200 */
  status?: number;
  reason?: string;
  /** Header lines in order; a name may repeat. */
  headers?: Array<[string, string]>;
  body?: string | Buffer;
}

export interface Framework {
  name: string;
  kind: 'express' | 'koa' | 'fastify' | 'server' | 'listener' | 'fetch';
  /** An app that answers every request with `reply`. */
  answer(reply: Reply): AppSource;
  /** An app that reports what the framework sees of each request, then answers 200 "ok". */
  view(onView: (view: View) => void): AppSource;
  /** An app that starts its response ("never finished") and never ends it. */
  stall(): AppSource;
}

/** A framework that runs on Node's `req` and `res`. */
export interface NodeFramework extends Framework {
  kind: 'express' | 'koa' | 'fastify' | 'server' | 'listener';
  /** An app that hands every request to `listener`, working on Node's own req and res. */
  wrap(listener: Listener): AppSource;
}

/** Writes a reply with Node's response API. */
export function replyListener(reply: Reply): Listener {
  return (_req, res) => {
    res.statusCode = reply.status ?? 200;
    if (reply.reason !== undefined) res.statusMessage = reply.reason;
    for (const [name, value] of reply.headers ?? []) res.appendHeader(name, value);
    res.end(reply.body);
  };
}

function nodeKind(framework: Omit<NodeFramework, 'answer' | 'stall'>): NodeFramework {
  return {
    ...framework,
    answer: (reply) => framework.wrap(replyListener(reply)),
    stall: () =>
      framework.wrap((_req, res) => {
        res.write('never finished');
      }),
  };
}

function expressFramework(name: string, make: typeof express): NodeFramework {
  return nodeKind({
    name,
    kind: 'express',
    wrap(listener) {
      const app = make();
      app.use((req, res) => {
        listener(req, res);
      });
      return app;
    },
    view(onView) {
      const app = make();
      app.use(async (req, res) => {
        const body = await readBody(req);
        onView({ req, query: req.query, protocol: req.protocol, ip: req.ip, body });
        res.send('ok');
      });
      return app;
    },
  });
}

function koaFramework(name: string, Make: typeof Koa): NodeFramework {
  return nodeKind({
    name,
    kind: 'koa',
    wrap(listener) {
      const app = new Make();
      app.silent = true;
      app.use((ctx) => {
        ctx.respond = false;
        // Koa answers 404 until a body is set; a listener on the raw res starts from Node's 200.
        ctx.res.statusCode = 200;
        listener(ctx.req, ctx.res);
      });
      return app;
    },
    view(onView) {
      const app = new Make();
      app.silent = true;
      app.use(async (ctx) => {
        const body = await readBody(ctx.req);
        onView({ req: ctx.req, query: ctx.query, protocol: ctx.protocol, ip: ctx.ip, body });
        ctx.body = 'ok';
      });
      return app;
    },
  });
}

const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

function fastifyApp() {
  const app = Fastify();
  // Bodies of every type reach the route unparsed; the route reads them itself.
  app.removeAllContentTypeParsers();
  return app;
}

export const fastifyFramework: NodeFramework = nodeKind({
  name: 'Fastify 5',
  kind: 'fastify',
  wrap(listener) {
    const app = fastifyApp();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    app.route({
      method: ALL_METHODS,
      url: '*',
      handler(request, reply) {
        reply.hijack();
        listener(request.raw, reply.raw);
      },
    });
    return app;
  },
  view(onView) {
    const app = fastifyApp();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.route({
      method: ALL_METHODS,
      url: '*',
      async handler(request) {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        onView({
          req: request.raw,
          query: request.query as Record<string, unknown>,
          protocol: request.protocol,
          ip: request.ip,
          body,
        });
        return 'ok';
      },
    });
    return app;
  },
});

/** A reply as a fetch `Response`; a string body goes as bytes, so no content type is added. */
export function replyResponse(reply: Reply): Response {
  const headers = new Headers();
  for (const [name, value] of reply.headers ?? []) headers.append(name, value);
  const body = reply.body === undefined ? null : Buffer.from(reply.body);
  return new Response(body, { status: reply.status ?? 200, statusText: reply.reason, headers });
}

/** What a fetch app sees of a request, in the shape of a View. */
async function fetchView(request: Request, query: Record<string, unknown>): Promise<View> {
  const headers: IncomingHttpHeaders = {};
  request.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = request.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const url = new URL(request.url);
  const req = { method: request.method, url: url.pathname + url.search, headers } as IncomingMessage;
  return {
    req,
    query,
    protocol: url.protocol.slice(0, -1),
    ip: (request as { ip?: string }).ip,
    body: Buffer.from(await request.arrayBuffer()),
  };
}

export const honoFramework: Framework = {
  name: 'Hono 4',
  kind: 'fetch',
  answer(reply) {
    const app = new Hono();
    app.all('*', () => replyResponse(reply));
    return app;
  },
  view(onView) {
    const app = new Hono();
    app.all('*', async (c) => {
      const query: Record<string, unknown> = {};
      for (const [key, values] of Object.entries(c.req.queries())) {
        query[key] = values.length === 1 ? values[0] : values;
      }
      onView(await fetchView(c.req.raw, query));
      return c.text('ok');
    });
    return app;
  },
  stall() {
    const app = new Hono();
    app.all('*', () => {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(Buffer.from('never finished'));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/plain' } });
    });
    return app;
  },
};

/** The query of a request target as a plain listener would read it (WHATWG URLSearchParams). */
export function searchQuery(url: string | undefined): Record<string, string | string[]> {
  const params = new URL(url ?? '/', 'http://localhost').searchParams;
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    query[key] = all.length === 1 ? all[0] : all;
  }
  return query;
}

function listenerView(onView: (view: View) => void): Listener {
  return async (req, res) => {
    const encrypted = Reflect.get(req.socket, 'encrypted') === true;
    const body = await readBody(req);
    onView({
      req,
      query: searchQuery(req.url),
      protocol: encrypted ? 'https' : 'http',
      ip: req.socket.remoteAddress,
      body,
    });
    res.end('ok');
  };
}

const listenerFramework: NodeFramework = nodeKind({
  name: 'listener',
  kind: 'listener',
  wrap: (listener) => listener,
  view: listenerView,
});

/** `http.createServer(listener)`, passed as the server. */
export const serverFramework: NodeFramework = nodeKind({
  name: 'http.Server',
  kind: 'server',
  wrap: (listener) => createServer(listener),
  view: (onView) => createServer(listenerView(onView)),
});

export const express5Framework = expressFramework('Express 5', express);
export const express4Framework = expressFramework('Express 4', express4);
export const koa3Framework = koaFramework('Koa 3', Koa);
export const koa2Framework = koaFramework('Koa 2', Koa2);
export { listenerFramework };

/** The Node kinds: Express 5 and 4, Koa 3 and 2, Fastify 5, an http.Server and a bare `(req, res)` listener. */
export const nodeFrameworks: NodeFramework[] = [
  express5Framework,
  express4Framework,
  koa3Framework,
  koa2Framework,
  fastifyFramework,
  serverFramework,
  listenerFramework,
];

/** Every kind: the Node kinds and Hono 4 (a fetch app). */
export const frameworks: Framework[] = [...nodeFrameworks, honoFramework];

export interface Invoked {
  result: ALBResult;
  warnings: LogEntry[];
}

/** Runs one event through `toLambda(app)`, collecting its warnings through the `log` option. */
export async function invoke(
  app: AppSource,
  event: ALBEvent,
  options: ToLambdaOptions = {},
  context?: Context,
): Promise<Invoked> {
  const warnings: LogEntry[] = [];
  const handler = toLambda(app, {
    ...options,
    log: (entry) => {
      warnings.push(entry);
    },
  });
  const result = await handler(event, context);
  return { result, warnings };
}

/** Runs one event and checks that nothing was logged. */
export async function call(
  app: AppSource,
  event: ALBEvent,
  options: ToLambdaOptions = {},
  context?: Context,
): Promise<ALBResult> {
  const { result, warnings } = await invoke(app, event, options, context);
  expect(warnings).toEqual([]);
  return result;
}

/** What the framework's app sees of the request built from `event`. */
export async function see(framework: Framework, event: ALBEvent, options?: ToLambdaOptions): Promise<View> {
  const box: { view?: View } = {};
  const result = await call(
    framework.view((view) => {
      box.view = view;
    }),
    event,
    options,
  );
  if (box.view === undefined) throw new Error(`the app was not reached: ${result.statusCode} ${result.body}`);
  expect(result.statusCode).toBe(200);
  return box.view;
}

/** Reads a request body through the stream API ('data' and 'end'). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The bytes of a result body, decoded from base64 when the result says so. */
export function bodyBytes(result: ALBResult): Buffer {
  return Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
}

/** The value of a header in a single-value result (throws on a multi-value result). */
export function single(result: ALBResult, name: string): string | undefined {
  if (result.headers === undefined) throw new Error('the result has no "headers" field');
  const value = result.headers[name];
  return value === undefined ? undefined : String(value);
}

/** The values of a header in a multi-value result (throws on a single-value result). */
export function multi(result: ALBResult, name: string): string[] | undefined {
  if (result.multiValueHeaders === undefined) throw new Error('the result has no "multiValueHeaders" field');
  const values = result.multiValueHeaders[name];
  return values === undefined ? undefined : values.map(String);
}

/** A Lambda context whose remaining time is fixed, so a deadline arrives at a known point. */
export function fakeContext(remainingMs: number, awsRequestId = 'r1'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bridge-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bridge-test',
    memoryLimitInMB: '128',
    awsRequestId,
    logGroupName: '/aws/lambda/bridge-test',
    logStreamName: '2025/01/01/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** An event as it arrives on the wire: parsed JSON, so it may hold what the ALB types forbid. */
export function fromJson(value: unknown): ALBEvent {
  return JSON.parse(JSON.stringify(value));
}

/** Freezes an object and everything it holds, so any write to it throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze(Reflect.get(value, key));
    Object.freeze(value);
  }
  return value;
}

/** Checks the shape an ALB accepts: a number status, no null field, string header values, one header field. */
export function expectWellFormed(result: ALBResult, mode: 'single' | 'multi'): void {
  expect(Number.isInteger(result.statusCode)).toBe(true);
  expect(result.statusDescription).toMatch(new RegExp(`^${result.statusCode} \\S`));
  expect(typeof result.isBase64Encoded).toBe('boolean');
  expect(typeof result.body).toBe('string');
  for (const value of Object.values(result)) expect(value).not.toBeNull();
  if (mode === 'multi') {
    expect(result).not.toHaveProperty('headers');
    for (const values of Object.values(result.multiValueHeaders ?? {})) {
      for (const value of values) expect(typeof value).toBe('string');
    }
  } else {
    expect(result).not.toHaveProperty('multiValueHeaders');
    for (const value of Object.values(result.headers ?? {})) expect(typeof value).toBe('string');
  }
}

import { readFileSync } from 'node:fs';
import { toNodeHandler } from 'h3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { app as expressApp } from '../examples/express-app/app.js';
import { app as fastifyApp } from '../examples/fastify-app/app.js';
import { app as honoApp } from '../examples/hono-app/app.js';
import { app as koaApp } from '../examples/koa-app/app.js';
import { type AppSource, type LogEntry, toFetch, toLambda, toListener } from '../index.js';
import { type Listener, type RawResponse, rawRequest, useServers } from './reverse/support.js';

const { listen } = useServers();

// What a proxy in front of the app adds or drops: connection management and the date.
const IGNORED = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

interface Exchange {
  status: number;
  /** Lower-case names, each with its values sorted (an ALB does not keep header order). */
  headers: Record<string, string[]>;
  body: Buffer;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function exchange(response: RawResponse): Exchange {
  const headers: Record<string, string[]> = {};
  let chunked = false;
  for (const [name, value] of response.headers) {
    const lower = name.toLowerCase();
    if (lower === 'transfer-encoding' && value === 'chunked') chunked = true;
    if (IGNORED.has(lower)) continue;
    headers[lower] = [...(headers[lower] ?? []), value];
  }
  for (const values of Object.values(headers)) values.sort();
  const body = chunked ? dechunk(response.body) : response.body;
  // A proxy computes the length of what it sends; an app that streamed sent none.
  if (headers['content-length'] === undefined && chunked) headers['content-length'] = [String(body.length)];
  return { status: response.status, headers, body };
}

interface Route {
  name: string;
  method: string;
  path: string;
  lines?: Array<[string, string]>;
  body?: string;
}

const expressRoutes: Route[] = [
  {
    name: 'JSON with an encoded query',
    method: 'GET',
    path: '/api/items?tag=a+b&owner=John%20Doe&utm=%%URL%%',
  },
  {
    name: 'a JSON post',
    method: 'POST',
    path: '/api/items',
    lines: [['Content-Type', 'application/json']],
    body: '{"name":"Widget","price":9.5}',
  },
  { name: 'the PNG', method: 'GET', path: '/logo.png' },
  { name: 'HEAD of the PNG', method: 'HEAD', path: '/logo.png' },
  {
    name: 'a form post',
    method: 'POST',
    path: '/form',
    lines: [['Content-Type', 'application/x-www-form-urlencoded']],
    body: 'name=Ada+Lovelace&email=ada%40example.com',
  },
  { name: 'two cookies set', method: 'POST', path: '/login' },
  { name: 'two cookies cleared', method: 'POST', path: '/logout' },
  { name: 'a 404', method: 'GET', path: '/nope' },
];

const koaRoutes: Route[] = [
  { name: 'JSON with an encoded query', method: 'GET', path: '/api/items?tag=a+b&owner=John%20Doe' },
  {
    name: 'a JSON post',
    method: 'POST',
    path: '/api/items',
    lines: [['Content-Type', 'application/json']],
    body: '{"name":"Widget"}',
  },
  {
    name: 'a 415 for a text post',
    method: 'POST',
    path: '/api/items',
    lines: [['Content-Type', 'text/plain']],
    body: 'x',
  },
  {
    name: 'a form post',
    method: 'POST',
    path: '/form',
    lines: [['Content-Type', 'application/x-www-form-urlencoded']],
    body: 'name=Ada+Lovelace',
  },
  {
    name: 'a 400 for an empty form',
    method: 'POST',
    path: '/form',
    lines: [['Content-Type', 'application/x-www-form-urlencoded']],
    body: 'name=',
  },
  { name: 'two cookies set', method: 'POST', path: '/login' },
  {
    name: 'two cookies read',
    method: 'GET',
    path: '/me',
    lines: [['Cookie', 'session=abc123; theme=dark']],
  },
  { name: 'a 404', method: 'GET', path: '/nope' },
];

/** The same routes, for apps that have no static file or 415 route of their own. */
const appRoutes: Route[] = koaRoutes;

describe.each<{ name: string; app: AppSource; direct: () => Promise<Listener> | Listener; routes: Route[] }>([
  {
    name: 'examples/express-app',
    app: expressApp,
    direct: () => expressApp as Listener,
    routes: expressRoutes,
  },
  { name: 'examples/koa-app', app: koaApp, direct: () => koaApp.callback() as Listener, routes: koaRoutes },
  {
    name: 'examples/fastify-app',
    app: fastifyApp,
    // What Fastify's own server runs for each request.
    direct: async () => {
      await fastifyApp.ready();
      return (req, res) => fastifyApp.routing(req, res);
    },
    routes: appRoutes,
  },
  {
    name: 'examples/hono-app',
    app: honoApp,
    // Served by a fetch host on Node (srvx, through H3's toNodeHandler).
    direct: () => toNodeHandler(honoApp as never) as Listener,
    routes: appRoutes,
  },
])('$name through toListener(toLambda(app))', ({ app, direct, routes }) => {
  const log: LogEntry[] = [];
  const hook = { log: (entry: LogEntry) => log.push(entry) };
  const ports = { direct: 0, multi: 0 };

  beforeAll(async () => {
    ports.direct = (await listen(await direct())).port;
    ports.multi = (await listen(toListener(toLambda(app, hook), { ...hook, multiValueHeaders: true }))).port;
  });

  beforeEach(() => {
    // Cookie expiry dates are computed from the clock: hold it still so both answers agree.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-06-01T12:00:00Z') });
    log.length = 0;
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(() => {
    vi.useRealTimers();
  });

  async function send(port: number, route: Route): Promise<Exchange> {
    const body = route.body === undefined ? undefined : Buffer.from(route.body);
    return exchange(await rawRequest(port, route.method, route.path, route.lines, body));
  }

  it.each(routes)('multi-value mode: $name gives the same status, headers and bytes', async (route) => {
    const direct = await send(ports.direct, route);
    const bridged = await send(ports.multi, route);
    expect(bridged.status).toBe(direct.status);
    expect(bridged.headers).toEqual(direct.headers);
    expect(bridged.body.equals(direct.body)).toBe(true);
    expect(log).toEqual([]);
  });

  it.each(routes)(
    'single-value mode: $name differs at most by the documented Set-Cookie rule',
    async (route) => {
      // A fresh handler: the Set-Cookie warning is given once per handler.
      const single = await listen(toListener(toLambda(app, hook), hook));
      const direct = await send(ports.direct, route);
      const bridged = await send(single.port, route);
      expect(bridged.status).toBe(direct.status);
      expect(bridged.body.equals(direct.body)).toBe(true);
      const { 'set-cookie': directCookies = [], ...directRest } = direct.headers;
      const { 'set-cookie': bridgedCookies = [], ...bridgedRest } = bridged.headers;
      expect(bridgedRest).toEqual(directRest);
      if (directCookies.length <= 1) {
        expect(bridgedCookies).toEqual(directCookies);
        expect(log).toEqual([]);
      } else {
        // The last cookie the app set is kept, and a warning names the target-group attribute.
        const wire = await rawRequest(ports.direct, route.method, route.path, route.lines);
        const lastSet = wire.headers.filter(([name]) => name.toLowerCase() === 'set-cookie').at(-1)?.[1];
        expect(bridgedCookies).toEqual([lastSet]);
        expect(log.map((entry) => entry.code)).toEqual(['SET_COOKIE_DROPPED']);
        expect(log[0].message).toContain('lambda.multi_value_headers.enabled');
      }
    },
  );
});

// The other front doors: every result shape that can carry each Set-Cookie answers like the app;
// a VPC Lattice result carries one (the last the app set).
const FRONT_DOORS = [
  { format: 'lattice-v1', everyCookie: false },
  { format: 'lattice-v2', everyCookie: false },
  { format: 'edge-viewer-request', everyCookie: true },
  { format: 'edge-origin-request', everyCookie: true },
] as const;

describe.each([
  { name: 'examples/express-app', listener: expressApp as Listener, routes: expressRoutes },
  { name: 'examples/koa-app', listener: koaApp.callback() as Listener, routes: koaRoutes },
])('$name through toListener(toLambda(app), { format })', ({ listener, routes }) => {
  const log: LogEntry[] = [];
  const hook = { log: (entry: LogEntry) => log.push(entry) };
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    ports.direct = (await listen(listener)).port;
    for (const { format, everyCookie } of FRONT_DOORS)
      if (everyCookie)
        ports[format] = (await listen(toListener(toLambda(listener, hook), { ...hook, format }))).port;
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-06-01T12:00:00Z') });
    log.length = 0;
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  async function send(port: number, route: Route): Promise<Exchange> {
    const body = route.body === undefined ? undefined : Buffer.from(route.body);
    return exchange(await rawRequest(port, route.method, route.path, route.lines, body));
  }

  describe.each(FRONT_DOORS)('$format', ({ format, everyCookie }) => {
    it.each(routes)('$name gives the same status, headers and bytes', async (route) => {
      // A fresh handler for Lattice: the Set-Cookie warning is given once per handler.
      const port = everyCookie
        ? ports[format]
        : (await listen(toListener(toLambda(listener, hook), { ...hook, format }))).port;
      const direct = await send(ports.direct, route);
      const bridged = await send(port, route);
      expect(bridged.status).toBe(direct.status);
      expect(bridged.body.equals(direct.body)).toBe(true);
      const { 'set-cookie': directCookies = [], ...directRest } = direct.headers;
      const { 'set-cookie': bridgedCookies = [], ...bridgedRest } = bridged.headers;
      // content-length is read-only for Lambda@Edge: a HEAD answer loses the length a GET would have.
      if (everyCookie && route.method === 'HEAD') {
        expect(bridgedRest['content-length']).toBeUndefined();
        delete directRest['content-length'];
      }
      expect(bridgedRest).toEqual(directRest);
      if (everyCookie || directCookies.length <= 1) {
        expect(bridgedCookies).toEqual(directCookies);
        expect(log).toEqual([]);
      } else {
        expect(bridgedCookies).toHaveLength(1);
        expect(directCookies).toContain(bridgedCookies[0]);
        expect(log.map((entry) => entry.code)).toEqual(['SET_COOKIE_DROPPED']);
      }
    });
  });
});

describe('examples/koa-app with two Cookie request lines', () => {
  const route: Route = {
    name: 'two cookies read',
    method: 'GET',
    path: '/me',
    lines: [
      ['Cookie', 'session=abc123'],
      ['Cookie', 'theme=dark'],
    ],
  };

  it('multi-value mode: the app reads both, as when served directly', async () => {
    const direct = await rawRequest(
      (await listen(koaApp.callback())).port,
      route.method,
      route.path,
      route.lines,
    );
    const bridgedPort = (
      await listen(
        toListener(toLambda(koaApp, { log: () => {} }), { multiValueHeaders: true, log: () => {} }),
      )
    ).port;
    const bridged = await rawRequest(bridgedPort, route.method, route.path, route.lines);
    expect(JSON.parse(direct.body.toString())).toEqual({ session: 'abc123', theme: 'dark' });
    expect(bridged.body.equals(direct.body)).toBe(true);
  });

  it('single-value mode: the ALB passes only the last Cookie line', async () => {
    const port = (await listen(toListener(toLambda(koaApp, { log: () => {} }), { log: () => {} }))).port;
    const bridged = await rawRequest(port, route.method, route.path, route.lines);
    expect(JSON.parse(bridged.body.toString())).toEqual({ session: null, theme: 'dark' });
  });
});

describe('examples/express-app PNG through the bridge', () => {
  it('is the file on disk, byte for byte', async () => {
    const handler = toLambda(expressApp, { log: () => {} });
    const { port } = await listen(toListener(handler, { log: () => {} }));
    const response = await rawRequest(port, 'GET', '/logo.png');
    const file = readFileSync(new URL('../examples/express-app/public/logo.png', import.meta.url));
    expect(response.status).toBe(200);
    expect(response.body.equals(file)).toBe(true);
  });
});

describe.each([
  { name: 'examples/hono-app', app: honoApp },
  { name: 'examples/fastify-app', app: fastifyApp },
])('$name through toFetch(toLambda(app))', ({ app }) => {
  // The app answering a Request itself: Hono's fetch, or Fastify's inject.
  async function directly(request: Request): Promise<Response> {
    if ('fetch' in app) return app.fetch(request);
    const injected = await app.inject({
      method: request.method as 'GET',
      url: new URL(request.url).pathname + new URL(request.url).search,
      headers: Object.fromEntries(request.headers),
      payload: request.body === null ? undefined : Buffer.from(await request.arrayBuffer()),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(injected.headers)) {
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, String(item));
    }
    return new Response(injected.rawPayload.length > 0 ? injected.rawPayload : null, {
      status: injected.statusCode,
      headers,
    });
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-06-01T12:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(appRoutes)('$name gives the same status, headers and bytes', async (route) => {
    const bridged = toFetch(toLambda(app, { log: () => {} }), { multiValueHeaders: true, log: () => {} });
    const make = () =>
      new Request(`http://localhost${route.path}`, {
        method: route.method,
        headers: route.lines,
        body: route.body,
      });
    const [want, got] = [await directly(make()), await bridged(make())];
    expect(got.status).toBe(want.status);
    const headersOf = (response: Response) => {
      const out: Record<string, string[]> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie' && !IGNORED.has(name) && name !== 'content-length') out[name] = [value];
      });
      out['set-cookie'] = response.headers.getSetCookie();
      return out;
    };
    expect(headersOf(got)).toEqual(headersOf(want));
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(await want.arrayBuffer()))).toBe(true);
  });
});

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ALBEvent } from 'aws-lambda';
import express from 'express';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toLambda, toListener } from '../../index.js';
import { requestFromAlbEvent } from '../../lib/formats/alb.js';
import { albEventFromRequest, withAlbHeaders } from '../../lib/formats/alb-reverse.js';
import { detectFormat } from '../../lib/formats/detect.js';
import { EDGE_BODY_LIMITS, TRUNCATED_HEADER } from '../../lib/formats/edge.js';
import { type FormatName, reverseFormat } from '../../lib/formats/reverse.js';
import type { HttpRequest } from '../../lib/http.js';
import {
  type CodecRequest,
  codecRequest,
  type EventShape,
  eventShape,
  serialize,
  type WireRequest,
  wireRequest,
} from './generators.js';
import {
  appendedForwardedFor,
  escapePath,
  expectedLines,
  expectQuery,
  grouped,
  queryPairs,
  TRACE_ID,
  wireText,
} from './model.js';
import {
  collector,
  exchange,
  guardProcess,
  nodeFold,
  prototypeSnapshot,
  sha256,
  silent,
  useServers,
  type WireResponse,
} from './support.js';

// FC_RUNS is the number of generated cases across the three properties of this file.
const TOTAL = Math.max(3, Number(process.env.FC_RUNS ?? 1000));
const CODEC_RUNS = Math.round(TOTAL * 0.4);
const EVENT_RUNS = Math.round(TOTAL * 0.2);
const BRIDGE_RUNS = TOTAL - CODEC_RUNS - EVENT_RUNS;
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const params = (numRuns: number) => ({ numRuns, seed: SEED });

guardProcess();

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/props/0123456789abcdef';
const TRACE = 'Root=1-67891234-0123456789abcdef01234567';

function neutral(r: CodecRequest): HttpRequest {
  return {
    method: r.method,
    path: r.path,
    rawQuery: r.rawQuery,
    headers: r.headers,
    body: r.body,
    remoteAddress: r.remoteAddress,
    remotePort: undefined,
    protocol: r.protocol,
    port: r.port,
  };
}

/** Header lines with each value as the forward bridge hands it to Node (UTF-8 bytes as Latin-1). */
function asWire(lines: readonly string[]): string[] {
  return lines.map((item, i) => (i % 2 === 1 ? wireText(item) : item));
}

describe('property 1: requestFromAlbEvent(albEventFromRequest(r)) preserves the request', () => {
  for (const multi of [false, true]) {
    const mode = multi ? 'multi-value' : 'single-value';
    it(
      `${mode} mode: method, path, raw query, headers, body bytes and peer survive (${Math.ceil(CODEC_RUNS / 2)} cases)`,
      () => {
        fc.assert(
          fc.property(codecRequest, (r) => {
            const request = neutral(r);
            const lines = withAlbHeaders(request, TRACE);
            const event = albEventFromRequest(
              { ...request, headers: lines },
              { multiValue: multi, targetGroupArn: ARN },
            );
            // The event travels as JSON.
            const wire = JSON.parse(JSON.stringify(event)) as ALBEvent;
            expect('multiValueHeaders' in wire).toBe(multi);
            expect('headers' in wire).toBe(!multi);
            const back = requestFromAlbEvent(wire);
            if (typeof back === 'string') throw new Error(`the event was refused: ${back}`);

            expect(back.method).toBe(r.method);
            expect(back.path).toBe(escapePath(r.path));
            expectQuery(back.rawQuery, r.rawQuery, multi);
            expect(grouped(back.headers)).toEqual(
              grouped(asWire(expectedLines(lines, multi, r.body.length))),
            );
            expect(back.body.equals(r.body)).toBe(true);
            expect(back.remoteAddress).toBe(r.remoteAddress);
            expect(back.protocol).toBe(r.protocol);
            expect(back.port).toBe(r.port ?? (r.protocol === 'https' ? 443 : 80));
          }),
          params(Math.ceil(CODEC_RUNS / 2)),
        );
      },
      20_000 + CODEC_RUNS * 5,
    );
  }
});

/** A query key or value read as a form decoder reads it; a malformed escape stays as it is. */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text.replace(/\+/g, ' ');
  }
}

/** A raw query with only the characters that cannot stand in a request target percent-encoded. */
function targetSafe(raw: string): string {
  let out = '';
  for (const ch of raw) {
    if (/^(?:[\x00-\x20\x7f#]|[^\x00-\x7f])$/u.test(ch)) {
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else out += ch;
  }
  return out;
}

// The other front doors: each format's reverse codec, JSON, then detection and the forward codec.
const FRONT_DOORS: FormatName[] = ['lattice-v1', 'lattice-v2', 'edge-viewer-request', 'edge-origin-request'];

describe('property 1c: each front door reads back the event its emulator builds', () => {
  for (const name of FRONT_DOORS) {
    it(
      `${name}: method, path, query, headers, body bytes and peer survive (${Math.ceil(CODEC_RUNS / 2)} cases)`,
      () => {
        const format = reverseFormat(name, {
          multiValue: false,
          strict: true,
          targetGroupArn: ARN,
          region: 'us-east-1',
          accountId: '123456789012',
          stage: undefined,
        });
        const edge = name.startsWith('edge-');
        fc.assert(
          fc.property(codecRequest, (r) => {
            const request = neutral(r);
            const lines = format.forwardHeaders(request, TRACE);
            const wire = JSON.parse(
              JSON.stringify(format.eventFromRequest({ ...request, headers: lines }, 'id', 0)),
            );
            const back = detectFormat(wire).requestFromEvent(wire, undefined);
            if (typeof back === 'string') throw new Error(`the event was refused: ${back}`);

            expect(back.method).toBe(r.method);
            expect(back.path).toBe(escapePath(r.path));
            const limit = edge
              ? EDGE_BODY_LIMITS[name === 'edge-viewer-request' ? 'viewer-request' : 'origin-request']
              : Infinity;
            const truncated = r.body.length > limit;
            expect(back.body.equals(truncated ? r.body.subarray(0, limit) : r.body)).toBe(true);

            if (edge) {
              // The querystring is raw: passed as sent.
              expect(back.rawQuery).toBe(targetSafe(r.rawQuery));
            } else {
              // Lattice values are decoded in the event and encoded once again: the decoded pairs survive.
              const sent = queryPairs(r.rawQuery).map(([k, v]) => [formDecode(k), formDecode(v)] as const);
              const expected = new Map<string, string[]>();
              for (const [k, v] of sent) {
                const list = expected.get(k);
                if (list === undefined) expected.set(k, [v]);
                else if (name === 'lattice-v2') list.push(v);
                else list[0] = v;
              }
              const got = new Map<string, string[]>();
              for (const [k, v] of queryPairs(back.rawQuery)) {
                const key = decodeURIComponent(k);
                got.set(key, [...(got.get(key) ?? []), decodeURIComponent(v)]);
              }
              expect(got).toEqual(expected);
            }

            const wanted = expectedLines(
              lines.filter((_, i) => lines[i - (i % 2)] !== TRUNCATED_HEADER),
              true,
              back.body.length,
            );
            if (truncated) wanted.push(TRUNCATED_HEADER, 'true');
            let expectedGroups = grouped(asWire(wanted));
            if (name === 'lattice-v1') {
              // V1 carries one comma-joined value per name.
              expectedGroups = Object.fromEntries(
                Object.entries(expectedGroups).map(([n, values]) => [
                  n,
                  n === 'content-length' ? values : [values.join(', ')],
                ]),
              );
            }
            expect(grouped(back.headers)).toEqual(expectedGroups);
            expect(back.remoteAddress).toBe(r.remoteAddress);
            expect(back.protocol).toBe(name === 'edge-viewer-request' ? 'http' : r.protocol);
          }),
          params(Math.ceil(CODEC_RUNS / 2)),
        );
      },
      20_000 + CODEC_RUNS * 5,
    );
  }
});

const NOT_ECHOED = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
]);

function eventFrom(shape: EventShape): { event: ALBEvent; bodyBytes: Buffer } {
  const last = <T>(pairs: ReadonlyArray<readonly [string, T]>) => Object.fromEntries(pairs);
  const all = <T>(pairs: ReadonlyArray<readonly [string, T]>) => {
    const map = new Map<string, T[]>();
    for (const [k, v] of pairs) map.set(k, [...(map.get(k) ?? []), v]);
    return Object.fromEntries(map);
  };
  const text = shape.body.toString('utf8');
  const event: Record<string, unknown> = {
    requestContext: { elb: { targetGroupArn: ARN } },
    httpMethod: shape.method,
    path: shape.path,
    body: shape.base64 ? shape.body.toString('base64') : text,
    isBase64Encoded: shape.base64,
  };
  if (!shape.multi || shape.both) {
    event.headers = last(shape.headers);
    event.queryStringParameters = last(shape.query);
  }
  if (shape.multi || shape.both) {
    event.multiValueHeaders = all(shape.headers);
    event.multiValueQueryStringParameters = all(shape.query);
  }
  // JSON.parse makes `__proto__` an own key, as in an event the runtime parsed.
  return {
    event: JSON.parse(JSON.stringify(event)) as ALBEvent,
    bodyBytes: shape.base64 ? shape.body : Buffer.from(text, 'utf8'),
  };
}

describe('property 1b: the forward codec reads hostile ALB events', () => {
  // Parses the query with qs, echoes every request header name as a response header, and
  // reports the headers it saw.
  const queryApp = express();
  queryApp.set('query parser', 'extended');
  queryApp.use((req, res) => {
    const names = new Set<string>();
    for (let i = 0; i < req.rawHeaders.length; i += 2) names.add(req.rawHeaders[i].toLowerCase());
    for (const name of names) if (!NOT_ECHOED.has(name)) res.setHeader(name, 'echo');
    // Written without res.json: Express answers a GET with `if-none-match: *` 304 (a fresh request).
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        query: req.query,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        echoed: [...names],
      }),
    );
  });

  it(
    `events with prototype keys, both field pairs, unicode and binary bodies (${EVENT_RUNS} cases)`,
    async () => {
      const before = prototypeSnapshot();
      const { log, entries } = collector();
      const handler = toLambda(queryApp, { log });
      await fc.assert(
        fc.asyncProperty(eventShape, async (shape) => {
          const { event, bodyBytes } = eventFrom(shape);
          const multi = shape.multi || shape.both;
          const back = requestFromAlbEvent(event);
          if (typeof back === 'string') throw new Error(`the event was refused: ${back}`);
          // Names are lower-cased defensively; values keep the event's order.
          const source = (multi ? event.multiValueHeaders : event.headers) ?? {};
          const lines = Object.entries(source).flatMap(([name, values]) =>
            (Array.isArray(values) ? values : [values]).flatMap((value) => [
              name.toLowerCase(),
              String(value),
            ]),
          );
          expect(grouped(back.headers)).toEqual(
            grouped(asWire(expectedLines(lines, true, bodyBytes.length))),
          );
          expectQuery(
            back.rawQuery,
            multi ? shape.query : Object.entries(Object.fromEntries(shape.query)),
            multi,
          );
          expect(back.path).toBe(escapePath(shape.path));
          expect(back.body.equals(bodyBytes)).toBe(true);

          const result = await handler(event);
          expect(result.statusCode, String(result.body)).toBe(200);
          const seen = JSON.parse(
            Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8').toString(),
          );
          // req.headers is what Node's own server folds from the same lines.
          expect(seen.headers).toEqual(nodeFold(pairsOf(seen.rawHeaders)));
          const resultHeaders = (multi ? result.multiValueHeaders : result.headers) ?? {};
          for (const name of seen.echoed as string[]) {
            if (!NOT_ECHOED.has(name))
              expect(Object.hasOwn(resultHeaders, name), `response header ${name}`).toBe(true);
          }
          expect(prototypeSnapshot()).toBe(before);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        params(EVENT_RUNS),
      );
      expect(entries).toEqual([]);
    },
    20_000 + EVENT_RUNS * 25,
  );
});

// ---------------------------------------------------------------------------------------------
// Property 2: an echo app served directly and through toListener(toLambda(app))

/** What the echo app saw of one request. */
interface View {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Bodies up to this size are echoed; a larger one is answered with its digest. */
const ECHO_LIMIT = 128 * 1024;

const views = new Map<string, View>();

function echo(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    views.set(String(req.headers['x-case']), {
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: [...req.rawHeaders],
      headers: { ...req.headers },
      body,
    });
    res.statusCode = Number(req.headers['x-echo-status']);
    const reason = req.headers['x-echo-reason'];
    if (typeof reason === 'string' && reason !== '') res.statusMessage = reason;
    res.setHeader('content-type', req.headers['content-type'] ?? 'application/octet-stream');
    const coding = req.headers['content-encoding'];
    if (coding !== undefined) res.setHeader('content-encoding', coding);
    res.setHeader('x-echo-method', req.method ?? '');
    res.setHeader('x-echo-url', req.url ?? '');
    const cookies = Number(req.headers['x-echo-cookies']);
    if (cookies > 0)
      res.setHeader(
        'set-cookie',
        Array.from({ length: cookies }, (_, i) => `c${i}=v${i}; Path=/`),
      );
    res.appendHeader('x-multi', 'one');
    res.appendHeader('x-multi', 'two');
    res.end(body.length <= ECHO_LIMIT ? body : Buffer.from(`sha256:${sha256(body)}:${body.length}`));
  });
}

/** The echo body a request gets (what a GET would carry). */
function echoed(body: Buffer): Buffer {
  return body.length <= ECHO_LIMIT ? body : Buffer.from(`sha256:${sha256(body)}:${body.length}`);
}

function pairsOf(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

function splitUrl(url: string): [string, string | undefined] {
  const q = url.indexOf('?');
  return q === -1 ? [url, undefined] : [url.slice(0, q), url.slice(q + 1)];
}

/** Checks what the app saw through the bridge against what it saw directly, by the ALB rules. */
function expectSameRequest(direct: View, bridged: View, multi: boolean, port: number): void {
  expect(bridged.method).toBe(direct.method);
  const [path, query] = splitUrl(direct.url);
  const [bridgedPath, bridgedQuery] = splitUrl(bridged.url);
  expect(bridgedPath).toBe(path);
  expectQuery(bridgedQuery ?? '', query ?? '', multi);
  if (bridgedQuery !== undefined) expect(bridgedQuery).not.toBe('');
  expect(bridged.body.equals(direct.body)).toBe(true);

  // The headers an ALB adds, then the header mode's rule.
  const sent: string[] = [];
  const forwarded: string[] = [];
  for (const [name, value] of pairsOf(direct.rawHeaders)) {
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwarded.push(value);
    else if (lower === 'x-case') sent.push(lower, String(bridged.headers['x-case']));
    else if (lower !== 'x-forwarded-proto' && lower !== 'x-forwarded-port' && lower !== 'x-amzn-trace-id')
      sent.push(lower, value);
  }
  sent.push('x-forwarded-for', appendedForwardedFor(forwarded, '127.0.0.1'));
  sent.push('x-forwarded-port', String(port), 'x-forwarded-proto', 'http');
  const seen = [...bridged.rawHeaders];
  const trace = seen.indexOf('x-amzn-trace-id');
  expect(seen[trace + 1]).toMatch(TRACE_ID);
  seen.splice(trace, 2);
  expect(grouped(seen)).toEqual(grouped(expectedLines(sent, multi, direct.body.length)));
  // req.headers is what Node's own server folds from those lines.
  expect(bridged.headers).toEqual(nodeFold(pairsOf(bridged.rawHeaders)));
}

const HOP_AND_FRAMING = ['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'];

function comparable(response: WireResponse): IncomingHttpHeaders {
  const headers = { ...response.headers };
  for (const name of [...HOP_AND_FRAMING, 'x-echo-url', 'set-cookie']) delete headers[name];
  return headers;
}

/** Checks the bridged response against the direct one, by the ALB rules for results. */
function expectSameResponse(
  r: WireRequest,
  direct: WireResponse,
  bridged: WireResponse,
  views: { direct: View; bridged: View },
  multi: boolean,
): void {
  expect(bridged.headers['x-lambda-bridge-reason']).toBeUndefined();
  expect(bridged.status).toBe(direct.status);
  expect(bridged.reason).toBe(direct.reason);
  expect(bridged.body.equals(direct.body)).toBe(true);
  expect(comparable(bridged)).toEqual(comparable(direct));
  expect(direct.headers['x-echo-url']).toBe(views.direct.url);
  expect(bridged.headers['x-echo-url']).toBe(views.bridged.url);
  const cookies = direct.headers['set-cookie'];
  // A single-value result carries one Set-Cookie: the last (README).
  expect(bridged.headers['set-cookie']).toEqual(multi || cookies === undefined ? cookies : cookies.slice(-1));
  const bodiless = r.method === 'HEAD' || r.status === 204 || r.status === 304;
  if (!bodiless) expect(bridged.headers['content-length']).toBe(String(bridged.body.length));
  // A HEAD response keeps the length a GET would have (the length of what the app wrote).
  if (r.method === 'HEAD' && r.status !== 204 && r.status !== 304) {
    const length = echoed(views.bridged.body).length;
    expect(bridged.headers['content-length']).toBe(length > 0 ? String(length) : undefined);
  }
  expect(bridged.headers['transfer-encoding']).toBeUndefined();
}

describe('property 2: an echo app directly and through toListener(toLambda(app))', () => {
  const { listen } = useServers();

  it(
    `same status, byte-identical bodies and headers up to the ALB rules, both modes (${BRIDGE_RUNS} cases)`,
    async () => {
      const { log, entries } = collector();
      const direct = await listen(echo);
      const single = await listen(toListener(toLambda(echo, { log }), { log }));
      const multi = await listen(toListener(toLambda(echo, { log }), { log, multiValueHeaders: true }));
      let n = 0;
      await fc.assert(
        fc.asyncProperty(wireRequest, async (r) => {
          const id = String(n++);
          const [d, s, m] = await Promise.all([
            exchange(direct.port, serialize(r, `${id}-d`), r.method),
            exchange(single.port, serialize(r, `${id}-s`), r.method),
            exchange(multi.port, serialize(r, `${id}-m`), r.method),
          ]);
          const seen = { d: views.get(`${id}-d`), s: views.get(`${id}-s`), m: views.get(`${id}-m`) };
          for (const key of ['d', 's', 'm']) views.delete(`${id}-${key}`);
          if (seen.d === undefined) throw new Error(`the direct app was not reached: ${d.status}`);
          for (const [mode, response, view, port] of [
            [false, s, seen.s, single.port],
            [true, m, seen.m, multi.port],
          ] as const) {
            if (view === undefined) {
              throw new Error(
                `the app behind the ${mode ? 'multi' : 'single'}-value bridge was not reached: ${response.status} ${response.headers['x-lambda-bridge-reason']}`,
              );
            }
            expectSameRequest(seen.d, view, mode, port);
            expectSameResponse(r, d, response, { direct: seen.d, bridged: view }, mode);
          }
        }),
        params(BRIDGE_RUNS),
      );
      // Only the documented Set-Cookie warning may appear.
      expect(entries.filter((entry) => entry.code !== 'SET_COOKIE_DROPPED')).toEqual([]);
    },
    // Generous: the bound catches a hang, and shared CI machines run other test files meanwhile.
    60_000 + BRIDGE_RUNS * 200,
  );
});

// ---------------------------------------------------------------------------------------------
// Named regression tests for what the properties found

describe('regressions found by the properties', () => {
  const { listen } = useServers();
  const event = (changes: Partial<ALBEvent>): ALBEvent => ({
    requestContext: { elb: { targetGroupArn: ARN } },
    httpMethod: 'GET',
    path: '/r',
    headers: { 'x-forwarded-for': '203.0.113.9' },
    body: '',
    isBase64Encoded: false,
    ...changes,
  });
  const seeUrl = async (e: ALBEvent) => {
    let url: string | undefined;
    await toLambda(
      (req: IncomingMessage, res: ServerResponse) => {
        url = req.url;
        res.end();
      },
      { log: silent },
    )(e);
    return url;
  };

  it('a query pair with an empty key and an empty value (?=) is kept in req.url, not dropped', async () => {
    expect(await seeUrl(event({ queryStringParameters: { '': '' } }))).toBe('/r?=');
    expect(await seeUrl(event({ queryStringParameters: { a: '1', '': '' } }))).toBe('/r?a=1&=');
    expect(
      await seeUrl(event({ headers: undefined, multiValueQueryStringParameters: { '': ['', 'x'] } })),
    ).toBe('/r?=&=x');
  });

  it('a response header named constructor, __proto__ or toString does not crash the result builder', async () => {
    const app = (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('constructor', 'c');
      res.setHeader('__proto__', 'p');
      res.setHeader('toString', 't');
      res.end('ok');
    };
    const multi = await toLambda(app, { log: silent })(event({ headers: undefined, multiValueHeaders: {} }));
    expect(multi.statusCode).toBe(200);
    expect(Object.getOwnPropertyDescriptor(multi.multiValueHeaders, 'constructor')?.value).toEqual(['c']);
    expect(Object.getOwnPropertyDescriptor(multi.multiValueHeaders, '__proto__')?.value).toEqual(['p']);
    expect(Object.getPrototypeOf(multi.multiValueHeaders)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(multi)).multiValueHeaders.tostring).toEqual(['t']);
  });

  it('a single-value result keeps a __proto__ response header as an own key', async () => {
    const app = (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('__proto__', 'p');
      res.end('ok');
    };
    const result = await toLambda(app, { log: silent })(event({}));
    expect(Object.getOwnPropertyDescriptor(result.headers, '__proto__')?.value).toBe('p');
    expect(Object.getPrototypeOf(result.headers)).toBe(Object.prototype);
    expect(JSON.stringify(result)).toContain('"__proto__":"p"');
  });

  it('a request header named constructor is folded as Node folds it, not onto Object.prototype.constructor', async () => {
    let headers: IncomingHttpHeaders | undefined;
    await toLambda(
      (req: IncomingMessage, res: ServerResponse) => {
        headers = req.headers;
        res.end();
      },
      { log: silent },
    )(
      event({
        headers: undefined,
        multiValueHeaders: JSON.parse('{"constructor":["a","b"],"__proto__":["p"]}'),
      }),
    );
    expect(headers?.constructor).toBe('a, b');
    expect(headers).toEqual(
      nodeFold([
        ['constructor', 'a'],
        ['constructor', 'b'],
        ['__proto__', 'p'],
      ]),
    );
  });

  it('R2: a text/plain request body that is not valid UTF-8 is refused with 400, as an ALB refuses it', async () => {
    const sent = Buffer.from([0x41, 0x80, 0xff, 0x42]);
    const events: ALBEvent[] = [];
    const { port } = await listen(
      toListener(
        async (e: ALBEvent) => {
          events.push(e);
          return { statusCode: 200 };
        },
        { log: silent },
      ),
    );
    const response = await exchange(
      port,
      Buffer.concat([
        Buffer.from(
          'POST /t HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\n',
        ),
        sent,
      ]),
      'POST',
    );
    expect(events).toHaveLength(0);
    expect(response.status).toBe(400);
  });

  it('R3: header bytes that are not valid UTF-8 are refused with 400, as an ALB refuses them', async () => {
    let seen: string | undefined;
    const app = (req: IncomingMessage, res: ServerResponse) => {
      seen = req.headers['x-bytes'] as string;
      res.end();
    };
    const { port } = await listen(toListener(toLambda(app, { log: silent }), { log: silent }));
    const response = await exchange(
      port,
      Buffer.concat([
        Buffer.from('GET /h HTTP/1.1\r\nHost: x\r\nX-Bytes: '),
        Buffer.from([0xe9, 0x41]),
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]),
      'GET',
    );
    expect(seen).toBeUndefined();
    expect(response.status).toBe(400);
  });
});

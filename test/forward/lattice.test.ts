import type { IncomingMessage } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { getInvocation, toLambda } from '../../adapters/lambda.js';
import type { LatticeEventV1, LatticeEventV2, LatticeResult } from '../../lib/formats/lattice.js';
import type { LogEntry } from '../../lib/log.js';
import { latticeV1Event, latticeV2Event } from '../fixtures/lattice-events.js';
import { png as PNG } from '../fixtures/png.js';
import { frameworks, type View } from './support.js';

function run<E extends LatticeEventV1 | LatticeEventV2>(
  app: Parameters<typeof toLambda>[0],
  event: E,
  options: Parameters<typeof toLambda>[1] = {},
) {
  const log: LogEntry[] = [];
  const handler = toLambda<E>(app, { ...options, log: (entry) => log.push(entry) });
  return { log, result: handler(JSON.parse(JSON.stringify(event)) as E) as Promise<LatticeResult> };
}

async function view(framework: (typeof frameworks)[number], event: LatticeEventV1 | LatticeEventV2) {
  const box: { view?: View } = {};
  const { result, log } = run(
    framework.view((v) => {
      box.view = v;
    }),
    event,
  );
  const answer = await result;
  expect(answer.statusCode).toBe(200);
  expect(log).toEqual([]);
  if (box.view === undefined) throw new Error('the app was not reached');
  return box.view;
}

describe.each(frameworks)('VPC Lattice events through $name', (framework) => {
  it('V1 (the AWS example): method, path, decoded query, base64 body, peer from x-forwarded-for', async () => {
    const seen = await view(framework, latticeV1Event);
    expect(seen.req.method).toBe('POST');
    expect(seen.req.url).toBe('/testpath?order-id=1');
    expect(seen.query).toEqual({ 'order-id': '1' });
    expect(seen.ip).toBe('10.213.229.10');
    // '{"test": "event"}' is 17 bytes; the app is told the decoded length.
    expect(seen.req.headers['content-length']).toBe('17');
  });

  it('V2 (the AWS example): repeated query values in order, protocol from x-forwarded-proto', async () => {
    const event: LatticeEventV2 = {
      ...latticeV2Event,
      headers: { ...latticeV2Event.headers, 'x-forwarded-proto': ['https'] },
    };
    const seen = await view(framework, event);
    expect(seen.req.url).toBe('/health?state=prod&multi=a&multi=DEF&multi=g');
    expect(seen.query).toEqual({ state: 'prod', multi: ['a', 'DEF', 'g'] });
    expect(seen.protocol).toBe('https');
    expect(seen.ip).toBe('10.0.2.100');
  });

  it('query values arrive decoded and are encoded once, so the app decodes them once', async () => {
    const v2: LatticeEventV2 = {
      ...latticeV2Event,
      queryStringParameters: { q: ['a b&c=d', '100%'], 'k y': ['é'] },
    };
    expect((await view(framework, v2)).query).toEqual({ q: ['a b&c=d', '100%'], 'k y': 'é' });
    const v1: LatticeEventV1 = { ...latticeV1Event, query_string_parameters: { q: 'a+b %41' } };
    expect((await view(framework, v1)).query).toEqual({ q: 'a+b %41' });
  });
});

describe('VPC Lattice headers and identity', () => {
  it('V2 keeps repeated header lines in order; V1 hands over the comma-joined value', async () => {
    const seen: IncomingMessage[] = [];
    const app = (req: IncomingMessage, res: { end(): void }) => {
      seen.push(req);
      res.end();
    };
    await run(app as never, { ...latticeV2Event, headers: { 'x-multi': ['x', 'y'], cookie: ['a=1', 'b=2'] } })
      .result;
    expect(seen[0].rawHeaders).toEqual(['x-multi', 'x', 'x-multi', 'y', 'cookie', 'a=1', 'cookie', 'b=2']);
    expect(seen[0].headers.cookie).toBe('a=1; b=2');
    await run(app as never, { ...latticeV1Event, headers: { 'x-multi': 'x, y' } }).result;
    expect(seen[1].headers['x-multi']).toBe('x, y');
  });

  it('getInvocation exposes the V2 caller identity and the target ARNs', async () => {
    let identity: unknown;
    let targetGroupArn: unknown;
    const { result } = run((req, res) => {
      const invocation = getInvocation<LatticeEventV2>(req);
      identity = invocation?.event.requestContext.identity;
      targetGroupArn = invocation?.event.requestContext.targetGroupArn;
      res.end();
    }, latticeV2Event);
    await result;
    expect(identity).toEqual(latticeV2Event.requestContext.identity);
    expect(targetGroupArn).toBe(latticeV2Event.requestContext.targetGroupArn);
  });
});

describe('VPC Lattice results', () => {
  it('are statusCode, statusDescription, one string per header, body and isBase64Encoded', async () => {
    const app = express();
    app.get('/health', (_req, res) => {
      res.set('x-multi', ['x', 'y']);
      res.status(201).json({ ok: true });
    });
    const result = await run(app, latticeV2Event).result;
    expect(result).toEqual({
      statusCode: 201,
      statusDescription: '201 Created',
      headers: expect.objectContaining({
        'content-type': 'application/json; charset=utf-8',
        'x-multi': 'x, y',
        'content-length': '11',
      }),
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
  });

  it('a binary body travels base64', async () => {
    const result = await run((_req, res) => {
      res.setHeader('content-type', 'image/png');
      res.end(PNG);
    }, latticeV1Event).result;
    expect(result.isBase64Encoded).toBe(true);
    expect(Buffer.from(result.body as string, 'base64').equals(PNG)).toBe(true);
  });

  it('several Set-Cookie: the last is kept (one string per name), with one warning saying why', async () => {
    const app = express();
    app.use((_req, res) => {
      res.cookie('a', '1');
      res.cookie('b', '2');
      res.end();
    });
    const { result, log } = run(app, latticeV2Event);
    expect((await result).headers?.['set-cookie']).toBe('b=2; Path=/');
    expect(log.map((entry) => entry.code)).toEqual(['SET_COOKIE_DROPPED']);
    expect(log[0].message).toContain('VPC Lattice');
    const first = run(app, latticeV1Event, { singleSetCookie: 'first' });
    expect((await first.result).headers?.['set-cookie']).toBe('a=1; Path=/');
    const failing = run(app, latticeV1Event, { singleSetCookie: 'fail' });
    expect((await failing.result).statusCode).toBe(500);
    expect(failing.log.map((entry) => entry.code)).toEqual(['RESULT_INEXPRESSIBLE']);
  });

  it('a result over the 6 MB limit is answered with a coded 502 instead', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 'a');
    const { result, log } = run((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-encoding', 'identity');
      res.end(big);
    }, latticeV2Event);
    const answer = await result;
    expect(answer.statusCode).toBe(502);
    expect(answer.body).toContain('6291456-byte limit');
    expect(log.map((entry) => entry.code)).toEqual(['RESULT_TOO_LARGE']);
    expect(log[0].message).toContain('VPC Lattice');
  });

  it('a body just under the limit is passed whole', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 'b');
    const answer = await run((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(body);
    }, latticeV1Event).result;
    expect(answer.statusCode).toBe(200);
    expect(answer.body?.length).toBe(body.length);
  });
});

describe('malformed VPC Lattice events are answered with 400 in the Lattice shape', () => {
  it.each([
    ['V1 without a method', { ...latticeV1Event, method: 7 }, 'method must be'],
    ['V1 with a relative path', { ...latticeV1Event, raw_path: 'x' }, 'raw_path must be'],
    [
      'V1 with an array query value',
      { ...latticeV1Event, query_string_parameters: { a: ['1'] } },
      'query_string_parameters',
    ],
    ['V2 with string header values', { ...latticeV2Event, headers: { a: 'b' } }, 'array of strings'],
    [
      'V2 with string query values',
      { ...latticeV2Event, queryStringParameters: { a: '1' } },
      'queryStringParameters',
    ],
    ['V2 with bad base64', { ...latticeV2Event, body: '%%%', isBase64Encoded: true }, 'base64'],
  ])('%s', async (_name, event, reason) => {
    let reached = false;
    const { result, log } = run((_req, res) => {
      reached = true;
      res.end();
    }, event as LatticeEventV2);
    const answer = await result;
    expect(reached).toBe(false);
    expect(answer).toMatchObject({
      statusCode: 400,
      statusDescription: '400 Bad Request',
      isBase64Encoded: false,
    });
    expect(log.map((entry) => entry.code)).toEqual(['INVALID_EVENT']);
    expect(log[0].message).toContain('VPC Lattice');
    expect(log[0].message).toContain(reason);
  });
});

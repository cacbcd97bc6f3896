import type { ALBEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albEvent, healthCheckEvent } from '../fixtures/alb-event.js';
import { albEventMulti, healthCheckEventMulti } from '../fixtures/alb-event-multi.js';
import { type Line, lastOfEach, multiValueEventFor, NodeServer, singleValueEventFor } from './node-server.js';
import {
  type Framework,
  frameworks,
  invoke,
  listenerFramework,
  nodeFrameworks,
  see,
  type View,
} from './support.js';

/** Checks Node's raw header lines; a fetch `Request` has none (its headers are checked in full beside). */
function expectRaw(framework: Framework, view: View, raw: string[]): void {
  if (framework.kind === 'fetch') expect(view.req.rawHeaders).toBeUndefined();
  else expect(view.req.rawHeaders).toEqual(raw);
}

let node: NodeServer;
beforeAll(async () => {
  node = await NodeServer.start();
});
afterAll(async () => {
  await node.close();
});

const repeated: Line[] = [
  ['Host', 'lambda-alb-123578498.us-east-2.elb.amazonaws.com'],
  ['host', 'other.example'],
  ['Cookie', 'a=1'],
  ['cookie', 'b=2'],
  ['Accept', 'text/html'],
  ['accept', 'application/json'],
  ['X-Forwarded-For', '203.0.113.1'],
  ['x-forwarded-for', '203.0.113.10'],
  ['Content-Type', 'text/plain'],
  ['content-type', 'application/json'],
  ['Set-Cookie', 's=1'],
  ['set-cookie', 's=2; Path=/'],
  ['User-Agent', 'first-agent'],
  ['user-agent', 'second-agent'],
  ['Authorization', 'Bearer a'],
  ['authorization', 'Bearer b'],
  ['Referer', 'https://example.com/a'],
  ['referer', 'https://example.com/b'],
  ['X-Custom', '1'],
  ['x-custom', '2'],
  ['x-custom', '3'],
  ['X-Empty', ''],
];

const albSample: Line[] = [
  ['Accept', '*/*'],
  ['Host', 'alb-c-LoadB-14POFKYCLBNSF-1815800096.eu-central-1.elb.amazonaws.com'],
  ['User-Agent', 'curl/7.79.1'],
  ['X-Amzn-Trace-Id', 'Root=1-62fa9327-21cdd4da4c6db451490a5fb7'],
  ['X-Forwarded-For', '123.123.123.123'],
  ['X-Forwarded-Port', '80'],
  ['X-Forwarded-Proto', 'http'],
  ['Connection', 'keep-alive'],
  ['X-Imforwards', '20'],
];

const nonAscii: Line[] = [
  ['Host', 'example.com'],
  ['X-Name', 'café'],
  ['X-Price', '5 €'],
  ['X-Mixed', 'naïve 日本'],
];

const cases: Array<[string, Line[]]> = [
  ['repeated cookie, accept, x-forwarded-for, content-type, host, set-cookie and custom lines', repeated],
  ['the headers of a captured ALB request', albSample],
  ['non-ASCII values (UTF-8 on the wire)', nonAscii],
];

describe('request headers agree with what Node’s own HTTP server produces', () => {
  describe.each(frameworks)('in $name', (framework) => {
    describe('in multi-value mode (every line forwarded)', () => {
      it.each(cases)('H1-H5: req.headers and req.rawHeaders for %s', async (_label, lines) => {
        const wire = await node.send('GET', '/', lines);
        expect(wire.status).toBe(200);
        const view = await see(framework, multiValueEventFor('GET', lines));
        expect(view.req.headers).toEqual(wire.headers);
        expectRaw(framework, view, wire.rawHeaders);
      });

      it('H4: a request with a body gets the content-length Node would report', async () => {
        const body = '{"hello":"x"}';
        const lines: Line[] = [
          ['Host', 'example.com'],
          ['Content-Type', 'application/json'],
          ['Content-Length', String(Buffer.byteLength(body))],
        ];
        const wire = await node.send('POST', '/', lines, Buffer.from(body));
        const view = await see(framework, multiValueEventFor('POST', lines, body));
        expect(view.req.headers).toEqual(wire.headers);
        expectRaw(framework, view, wire.rawHeaders);
      });
    });

    describe('in single-value mode (the ALB keeps the last line of each name)', () => {
      it.each(cases)('H5: req.headers and req.rawHeaders for %s', async (_label, lines) => {
        const forwarded = lastOfEach(lines);
        const wire = await node.send('GET', '/', forwarded);
        expect(wire.status).toBe(200);
        const view = await see(framework, singleValueEventFor('GET', lines));
        expect(view.req.headers).toEqual(wire.headers);
        expectRaw(framework, view, wire.rawHeaders);
      });
    });
  });

  describe('H7: lines Node’s server refuses get a 400 result and one warning', () => {
    it.each([
      ['a name with a space', 'Bad Name', '1'],
      ['a name with a parenthesis', 'x(y)', '1'],
      ['a value with a control character', 'x-ctl', 'a\u0001b'],
      ['a value with DEL', 'x-del', 'a\u007fb'],
    ])('%s', async (_label, name, value) => {
      const lines: Line[] = [
        ['Host', 'example.com'],
        [name, value],
      ];
      const wire = await node.send('GET', '/', lines);
      expect(wire.status).toBe(400);
      for (const event of [multiValueEventFor('GET', lines), singleValueEventFor('GET', lines)]) {
        let reached = false;
        const { result, warnings } = await invoke((_req, res) => {
          reached = true;
          res.end();
        }, event);
        expect(reached).toBe(false);
        expect(result.statusCode).toBe(400);
        expect(result.statusDescription).toBe('400 Bad Request');
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ level: 'warn', code: 'INVALID_EVENT' });
        expect(warnings[0].message).toContain(JSON.stringify(name.toLowerCase()));
      }
    });
  });
});

describe.each(frameworks)('request headers, in $name', (framework) => {
  it('H1: multi-value cookie lines are joined with "; "', async () => {
    const event: ALBEvent = {
      ...albEventMulti,
      multiValueHeaders: { ...albEventMulti.multiValueHeaders, cookie: ['a=1', 'b=2'] },
    };
    const view = await see(framework, event);
    expect(view.req.headers.cookie).toBe('a=1; b=2');
  });

  it('H2: other repeated headers are joined with ", "', async () => {
    const event: ALBEvent = {
      ...albEventMulti,
      multiValueHeaders: { ...albEventMulti.multiValueHeaders, accept: ['text/html', 'application/json'] },
    };
    const view = await see(framework, event);
    expect(view.req.headers.accept).toBe('text/html, application/json');
  });

  it('H3: repeated x-forwarded-for lines are all kept, with no de-duplication', async () => {
    const event: ALBEvent = {
      ...albEventMulti,
      multiValueHeaders: {
        ...albEventMulti.multiValueHeaders,
        'x-forwarded-for': ['203.0.113.1', '203.0.113.10', '203.0.113.1'],
      },
    };
    const view = await see(framework, event);
    expect(view.req.headers['x-forwarded-for']).toBe('203.0.113.1, 203.0.113.10, 203.0.113.1');
  });

  describe('H6: the app sees no header the ALB did not send', () => {
    it.each([
      ['the single-value sample', albEvent, Object.keys(albEvent.headers ?? {})],
      ['the multi-value sample', albEventMulti, Object.keys(albEventMulti.multiValueHeaders ?? {})],
      ['the health check', healthCheckEvent, ['user-agent']],
      ['the multi-value health check', healthCheckEventMulti, ['user-agent']],
    ])('%s', async (_label, event, names) => {
      const view = await see(framework, event);
      expect(Object.keys(view.req.headers)).toEqual(names);
      expect(view.req.headers['user-agent']).not.toMatch(/lightMyRequest/);
    });
  });

  it('header names sent in upper case are lower-cased, in req.headers and req.rawHeaders', async () => {
    const view = await see(framework, {
      ...albEvent,
      headers: { 'X-Custom-Thing': 'v', Host: 'example.com' },
    });
    expect(view.req.headers).toEqual({ 'x-custom-thing': 'v', host: 'example.com' });
    expectRaw(framework, view, ['x-custom-thing', 'v', 'host', 'example.com']);
  });

  it('H7: a non-ASCII value reaches the app as Node hands it over (its UTF-8 bytes as Latin-1)', async () => {
    const view = await see(framework, { ...albEvent, headers: { 'x-name': 'café' } });
    const value = view.req.headers['x-name'];
    expect(value).toBe('cafÃ©');
    expect(Buffer.from(String(value), 'latin1').toString('utf8')).toBe('café');
  });
});

describe.each(nodeFrameworks)('raw header lines, in $name', (framework) => {
  it('H5: req.rawHeaders holds the same names and values as req.headers, in pairs', async () => {
    const view = await see(framework, albEvent);
    const raw = view.req.rawHeaders;
    expect(raw.length % 2).toBe(0);
    const pairs: Record<string, string> = {};
    for (let i = 0; i < raw.length; i += 2) pairs[raw[i]] = raw[i + 1];
    expect(pairs).toEqual(view.req.headers);
  });
});

describe('missing header fields', () => {
  it('a single-value event without a headers field gives an empty header set', async () => {
    const event: ALBEvent = { ...albEvent };
    Reflect.deleteProperty(event, 'headers');
    const view = await see(listenerFramework, event);
    expect(view.req.headers).toEqual({});
    expect(view.req.rawHeaders).toEqual([]);
  });
});

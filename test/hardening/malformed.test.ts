import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { LambdaBridgeError, toLambda, toListener } from '../../index.js';
import { type EventOutcome, malformedEvents } from '../fixtures/malformed/events.js';
import { malformedResults, type ResultOutcome } from '../fixtures/malformed/results.js';
import { loose } from '../reverse/support.js';
import { collector, guardProcess, useServers, within } from './support.js';

guardProcess();

const describeEvent = (outcome: EventOutcome) =>
  'throws' in outcome
    ? `rejects with ${outcome.throws}`
    : `answers ${outcome.status}${outcome.warning ? ` with ${outcome.warning}` : ''}`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The shape an ALB accepts: a number status, no null field, string header values, one header field. */
function expectWellFormed(result: ALBResult, multi: boolean): void {
  expect(Number.isInteger(result.statusCode)).toBe(true);
  expect(result.statusDescription).toMatch(new RegExp(`^${result.statusCode} \\S`));
  expect(typeof result.body).toBe('string');
  expect(typeof result.isBase64Encoded).toBe('boolean');
  for (const value of Object.values(result)) expect(value).not.toBeNull();
  const field = multi ? result.multiValueHeaders : result.headers;
  expect(isObject(field)).toBe(true);
  expect(result).not.toHaveProperty(multi ? 'headers' : 'multiValueHeaders');
  for (const value of Object.values(field ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) expect(typeof item).toBe('string');
  }
  // Every result can travel as JSON.
  expect(() => JSON.stringify(result)).not.toThrow();
}

describe(`malformed events through toLambda (${malformedEvents.length} events)`, () => {
  it('the corpus holds at least 40 events', () => {
    expect(malformedEvents.length).toBeGreaterThanOrEqual(40);
  });

  for (const entry of malformedEvents) {
    it(`${entry.name}: ${describeEvent(entry.outcome)}`, async () => {
      const { log, entries } = collector();
      let reached = 0;
      const app = (_req: IncomingMessage, res: ServerResponse) => {
        reached++;
        res.end('ok');
      };
      const handler = toLambda(app, { log });
      const event = entry.event();
      const run = handler(event as ALBEvent);
      const { outcome } = entry;
      if ('throws' in outcome) {
        const error = await within(run, 5000, entry.name).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error).toBeInstanceOf(LambdaBridgeError);
        expect(error).toMatchObject({ code: outcome.throws });
        expect(reached).toBe(0);
        expect(entries).toEqual([]);
        return;
      }
      const result = await within(run, 5000, entry.name);
      expect(result.statusCode, String(result.body)).toBe(outcome.status);
      expect(entries.map((e) => e.code)).toEqual(outcome.warning === undefined ? [] : [outcome.warning]);
      const multi =
        isObject(event) &&
        (isObject(event.multiValueHeaders) || isObject(event.multiValueQueryStringParameters));
      expectWellFormed(result, multi);
      if (outcome.status === 400) {
        expect(result.body).toBe('Bad Request');
        expect(reached).toBe(0);
      } else {
        expect(reached).toBe(1);
      }
    });
  }

  it('a path with CR LF reaches the app percent-encoded, never as a header line', async () => {
    let url: string | undefined;
    let headers: unknown;
    const handler = toLambda(
      (req: IncomingMessage, res: ServerResponse) => {
        url = req.url;
        headers = req.headers;
        res.end();
      },
      { log: () => {} },
    );
    const event = malformedEvents.find((e) => e.name === 'path with CR LF and a NUL')?.event();
    await handler(event as ALBEvent);
    expect(url).toBe('/a%0D%0AX-Injected:%201%00?id=7');
    expect(headers).not.toHaveProperty('x-injected');
  });
});

// ---------------------------------------------------------------------------------------------

const describeResult = (outcome: ResultOutcome) =>
  outcome.status === 502 && 'code' in outcome
    ? `the ALB's 502 (${outcome.code})`
    : `served ${outcome.status}${'warning' in outcome && outcome.warning ? ' with a warning' : ''}`;

/** The bytes of a response body, whatever its type (supertest parser). */
function bytes(res: NodeJS.ReadableStream, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe(`malformed handler results through toListener (${malformedResults.length} results)`, () => {
  const { listen } = useServers();
  const { log, entries } = collector();
  const urls = new Map<string, string>();

  /** One server per target group setup; the request path picks the corpus entry. */
  beforeAll(async () => {
    const handler = async (event: ALBEvent) => malformedResults[Number(event.path.split('/')[2])].result();
    for (const multiValueHeaders of [false, true]) {
      for (const strict of [true, false]) {
        // The serialization outcomes of nodejs20.x/22.x; nodejs24.x's are held against AWS's runtime
        // client in test/runtime/ric-differential.test.ts.
        const options = { log, multiValueHeaders, strict, runtime: 'nodejs22.x' as const };
        const { url } = await listen(toListener(loose(handler), options));
        urls.set(`${multiValueHeaders}/${strict}`, url);
      }
    }
  });

  it('the corpus holds at least 40 results', () => {
    expect(malformedResults.length).toBeGreaterThanOrEqual(40);
  });

  malformedResults.forEach((entry, index) => {
    it(`${entry.name}: ${describeResult(entry.outcome)}`, async () => {
      entries.length = 0;
      const url = urls.get(`${entry.multiValueHeaders === true}/${entry.strict !== false}`) as string;
      const response = await within(
        request(url)
          .get(`/case/${index}`)
          .timeout(10_000)
          .buffer(true)
          .parse(bytes as never),
        10_000,
        entry.name,
      );
      const body = response.body as Buffer;
      const { outcome } = entry;
      expect(response.status, response.headers['x-lambda-bridge-reason']).toBe(outcome.status);
      if ('code' in outcome) {
        expect(response.headers.server).toBe('awselb/2.0');
        expect(response.headers['content-type']).toBe('text/html');
        expect(body.toString()).toContain('<center><h1>502 Bad Gateway</h1></center>');
        expect(response.headers['x-lambda-bridge-reason']).toMatch(outcome.reason);
        expect(entries.map((e) => e.code)).toContain(outcome.code);
        // No stack frame reaches the client.
        expect(`${body}${JSON.stringify(response.headers)}`).not.toMatch(/\n\s+at |\.ts:\d+/);
        return;
      }
      expect(response.headers['x-lambda-bridge-reason']).toBeUndefined();
      if (outcome.body !== undefined) expect(body.equals(outcome.body), body.toString()).toBe(true);
      const warnings = entries.filter((e) => e.code === 'RESULT').map((e) => e.message);
      if (outcome.warning === undefined) expect(warnings).toEqual([]);
      else
        expect(
          warnings.some((w) => outcome.warning?.test(w)),
          warnings.join('\n'),
        ).toBe(true);
    });
  });
});

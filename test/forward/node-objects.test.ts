import { finished } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import type { LogEntry } from '../../lib/log.js';
import { albEvent } from '../fixtures/alb-event.js';

describe('the in-memory response behaves as a finished Node response', () => {
  it('stream.finished(res) calls back, and writableFinished and closed are true, after the response ends', async () => {
    let seen: { finishedError: unknown; writableFinished: boolean; closed: boolean } | undefined;
    const done = new Promise<void>((resolve) => {
      void toLambda((_req, res) => {
        res.end('x');
        setTimeout(() => {
          finished(res, (error) => {
            seen = { finishedError: error, writableFinished: res.writableFinished, closed: res.closed };
            resolve();
          });
        }, 5);
      })(albEvent);
    });
    await done;
    expect(seen).toEqual({ finishedError: undefined, writableFinished: true, closed: true });
  });
});

describe('the in-memory request', () => {
  it('headersDistinct holds every header line as an array, as Node gives it', async () => {
    let distinct: Record<string, string[]> | undefined;
    await toLambda((req, res) => {
      distinct = req.headersDistinct as Record<string, string[]>;
      res.end();
    })({ ...albEvent, headers: undefined, multiValueHeaders: { 'x-a': ['1', '2'], cookie: ['a=1'] } });
    expect(distinct).toEqual({ 'x-a': ['1', '2'], cookie: ['a=1'] });
  });
});

describe('compression choice for an oversized result', () => {
  it('an exact "gzip;q=0" refuses gzip even when "*" is accepted', async () => {
    const log: LogEntry[] = [];
    const random = Buffer.alloc(1_200_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    const text = random.toString('base64').slice(0, 1_200_000);
    const result = await toLambda(
      (_req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.end(text);
      },
      { log: (e) => log.push(e) },
    )({ ...albEvent, headers: { 'accept-encoding': '*, gzip;q=0, br;q=0' } });
    expect(result.statusCode).toBe(502);
    expect(log.map((e) => e.code)).toContain('RESULT_TOO_LARGE');
  });
});

describe('a HEAD request whose app cannot be created', () => {
  it('gets a 500 without a body', async () => {
    const result = await toLambda(
      async () => {
        throw new Error('no database');
      },
      { log: () => {} },
    )({ ...albEvent, httpMethod: 'HEAD' });
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe('');
  });
});

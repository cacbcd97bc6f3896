import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ALBEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import { InvalidOptionError } from '../../lib/errors.js';
import { createContext } from '../../lib/invoke/context.js';
import type { LogEntry } from '../../lib/log.js';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { expectWellFormed, fakeContext, invoke } from '../forward/support.js';
import { useServers } from '../reverse/support.js';

const event: ALBEvent = { ...albEvent, path: '/' };

describe('defect 8: the status line is the one written with the head, and checked', () => {
  it('a status or reason changed after the head was written does not reach the result', async () => {
    for (const late of ['abc', 0, 700, 101] as unknown[]) {
      const { result, warnings } = await invoke((_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(201, 'Made');
        res.statusCode = late as number;
        res.statusMessage = 'bad\r\nx-injected: 1';
        res.end('ok');
      }, event);
      expect(result.statusCode).toBe(201);
      expect(result.statusDescription).toBe('201 Made');
      expect(warnings).toEqual([]);
    }
  });

  for (const status of [100, 101, 103, 199, 600, 700, 999]) {
    it(`a final status of ${status} answers 500 with INVALID_STATUS`, async () => {
      const { result, warnings } = await invoke((_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(status);
        res.end('x');
      }, event);
      expect(result.statusCode).toBe(500);
      expect(warnings.map((w) => w.code)).toEqual(['INVALID_STATUS']);
      expect(warnings[0].message).toContain(String(status));
    });
  }

  it('2,000 random sequences of response calls each give a result an ALB accepts', async () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('status'),
        value: fc.oneof(fc.integer({ min: -5, max: 1100 }), fc.string()),
      }),
      fc.record({ kind: fc.constant('message'), value: fc.string({ unit: 'binary', maxLength: 12 }) }),
      fc.record({ kind: fc.constant('writeHead'), value: fc.integer({ min: 90, max: 1000 }) }),
      fc.record({ kind: fc.constant('write'), value: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant('header'), value: fc.string({ maxLength: 8 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 6 }), fc.boolean(), async (steps, multiValue) => {
        const handler = toLambda(
          (_req: IncomingMessage, res: ServerResponse) => {
            for (const s of steps) {
              try {
                if (s.kind === 'status') res.statusCode = s.value as number;
                else if (s.kind === 'message') res.statusMessage = s.value as string;
                else if (s.kind === 'writeHead') res.writeHead(s.value as number);
                else if (s.kind === 'write') res.write(s.value as string);
                else res.setHeader('x-h', s.value as string);
              } catch {
                // Node refuses some calls; the app goes on.
              }
            }
            try {
              res.end();
            } catch {
              res.statusCode = 200;
              res.end();
            }
          },
          { log() {} },
        );
        const result = await handler(multiValue ? { ...albEventMulti, path: '/' } : event);
        expectWellFormed(result, multiValue ? 'multi' : 'single');
        expect(result.statusCode).toBeGreaterThanOrEqual(200);
        expect(result.statusCode).toBeLessThanOrEqual(599);
        expect(result.statusDescription).toMatch(/^[2-5]\d\d [\t\x20-\x7e\x80-\xff]+$/);
      }),
      { numRuns: 2000 },
    );
  }, 60_000);
});

describe('defect 9: the whole result is counted, and the ALB header limit is checked', () => {
  it('a 2 MB header with a small body answers 502 RESULT_TOO_LARGE', async () => {
    const { result, warnings } = await invoke((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('x-big', 'a'.repeat(2_000_000));
      res.end('small');
    }, event);
    expect(result.statusCode).toBe(502);
    expect(warnings.map((w) => w.code)).toEqual(['RESULT_TOO_LARGE']);
    expect(JSON.stringify(result).length).toBeLessThan(2000);
  });

  it('headers over 32 KB in total answer 502, though the result is far under 1 MB', async () => {
    const { result, warnings } = await invoke((_req: IncomingMessage, res: ServerResponse) => {
      for (let i = 0; i < 40; i++) res.setHeader(`x-h${i}`, 'v'.repeat(1000));
      res.end('small');
    }, event);
    expect(result.statusCode).toBe(502);
    expect(warnings.map((w) => w.code)).toEqual(['RESULT_TOO_LARGE']);
    expect(warnings[0].message).toContain('32768');
  });

  it('headers just under 32 KB pass', async () => {
    const { result, warnings } = await invoke((_req: IncomingMessage, res: ServerResponse) => {
      for (let i = 0; i < 30; i++) res.setHeader(`x-h${i}`, 'v'.repeat(1000));
      res.end('small');
    }, event);
    expect(result.statusCode).toBe(200);
    expect(warnings).toEqual([]);
  });
});

describe('defect 10: the deadline is armed before the app factory resolves', () => {
  it('a factory that never resolves answers 504 by the deadline', async () => {
    const { result, warnings } = await invoke(
      () => new Promise<never>(() => {}),
      event,
      { deadlineMargin: 1100 },
      fakeContext(1200),
    );
    expect(result.statusCode).toBe(504);
    expect(warnings.map((w) => w.code)).toEqual(['APP_TIMEOUT']);
  });

  it('a slow factory leaves the app only the time that remains', async () => {
    const started = Date.now();
    const { result } = await invoke(
      () =>
        new Promise<(req: IncomingMessage, res: ServerResponse) => void>((resolve) =>
          setTimeout(() => resolve(() => {}), 400),
        ),
      event,
      { deadlineMargin: 1100 },
      fakeContext(1200),
    );
    expect(result.statusCode).toBe(504);
    // 600 ms in all, not 400 ms for the factory plus 600 ms for the app.
    expect(Date.now() - started).toBeLessThan(950);
  });

  it('the factory still completes and serves the next invocation', async () => {
    let release: (() => void) | undefined;
    const handler = toLambda(
      () =>
        new Promise<(req: IncomingMessage, res: ServerResponse) => void>((resolve) => {
          release = () => resolve((_req, res) => res.setHeader('content-type', 'text/plain').end('ready'));
        }),
      { deadlineMargin: 1100, log() {} },
    );
    expect((await handler(event, fakeContext(1200))).statusCode).toBe(504);
    release?.();
    const next = await handler(event, fakeContext(1200));
    expect(next.statusCode).toBe(200);
    expect(next.body).toBe('ready');
  });
});

describe('defect 11: deadlines and timeouts beyond what a timer holds', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const remaining of [Number.POSITIVE_INFINITY, 1e10, 2 ** 31, Number.NaN]) {
    it(`getRemainingTimeInMillis() = ${remaining}: no deadline, no 504, nothing printed`, async () => {
      const emitted = vi.spyOn(process, 'emitWarning');
      const { result, warnings } = await invoke(
        (_req: IncomingMessage, res: ServerResponse) => {
          res.setHeader('content-type', 'text/plain');
          setTimeout(() => res.end('late but fine'), 30);
        },
        event,
        {},
        fakeContext(remaining),
      );
      expect(result.statusCode).toBe(200);
      expect(result.body).toBe('late but fine');
      expect(warnings).toEqual([]);
      expect(emitted).not.toHaveBeenCalled();
    });
  }

  it('a timeout option of 2^31 ms or more is an InvalidOptionError', () => {
    expect(() => createContext({ timeout: 2 ** 31 })).toThrow(InvalidOptionError);
    expect(() => createContext({ timeout: 2 ** 31 - 1 })).not.toThrow();
    for (const margin of [2 ** 31, Number.POSITIVE_INFINITY]) {
      expect(() => toLambda(() => {}, { deadlineMargin: margin })).toThrow(InvalidOptionError);
    }
  });

  it('the emulator refuses a timeout of 2^31 ms', async () => {
    const { toListener } = await import('../../adapters/node.js');
    expect(() => toListener(async () => ({ statusCode: 200 }), { timeout: 2 ** 31 })).toThrow(
      InvalidOptionError,
    );
  });
});

describe('defect 22: a response still open long after the start, with no deadline, is warned about once', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('one APP_PENDING warning through the log hook after 30 s; the response still completes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const log: LogEntry[] = [];
    let finish: (() => void) | undefined;
    const handler = toLambda(
      (_req: IncomingMessage, res: ServerResponse) => {
        finish = () => res.setHeader('content-type', 'text/plain').end('done');
      },
      { log: (entry) => log.push(entry) },
    );
    const pending = handler(event);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(log.map((e) => e.code)).toEqual(['APP_PENDING']);
    expect(log[0].message).toContain('30 s');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(log).toHaveLength(1);
    finish?.();
    const result = await pending;
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('done');
  });

  it('no warning for a response that ends in time, and none with a deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const log: LogEntry[] = [];
    const quick = toLambda(
      (_req: IncomingMessage, res: ServerResponse) => {
        setTimeout(() => res.end('x'), 1000);
      },
      { log: (entry) => log.push(entry) },
    );
    const pending = quick(event);
    await vi.advanceTimersByTimeAsync(1000);
    await pending;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).toEqual([]);
  });

  it('the warning timer does not keep the process alive', async () => {
    const set = vi.spyOn(globalThis, 'setTimeout');
    let finish: (() => void) | undefined;
    const handler = toLambda(
      (_req: IncomingMessage, res: ServerResponse) => {
        finish = () => res.setHeader('content-type', 'text/plain').end('done');
      },
      { log() {} },
    );
    const pending = handler(event);
    await new Promise((resolve) => setImmediate(resolve));
    const index = set.mock.calls.findIndex((args) => args[1] === 30_000);
    expect(index).toBeGreaterThanOrEqual(0);
    const timer = set.mock.results[index].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    finish?.();
    await pending;
  });
});

// Keeps the reverse helpers' servers closed if a test above starts one.
useServers();

describe('defect 9: the size guard counts headers in every format', () => {
  it('a payload 2.0 result whose headers pass 6 MB answers 502, with a small body', async () => {
    const { apiGatewayV2Event } = await import('../fixtures/apigw-v2-event.js');
    const handler = toLambda<import('aws-lambda').APIGatewayProxyEventV2>(
      (_req: IncomingMessage, res: ServerResponse) => {
        for (let i = 0; i < 7; i++) res.setHeader(`x-big${i}`, 'a'.repeat(1_000_000));
        res.end('small');
      },
      { log() {} },
    );
    const result = (await handler(apiGatewayV2Event)) as { statusCode: number };
    expect(result.statusCode).toBe(502);
  });
});

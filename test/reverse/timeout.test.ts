import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toListener } from '../../index.js';
import {
  entries,
  expectAlb502,
  type Handler,
  loose,
  mountings,
  sleep,
  trackTimers,
  useServers,
} from './support.js';

const { serve } = useServers();

describe.each(mountings)('the function timeout, through $name', (mounting) => {
  it('24: a handler still running after the timeout gets the ALB 502 and the log says Task timed out after 0.20 seconds', async () => {
    const handler: Handler = async () => {
      await sleep(500);
      return { statusCode: 200, body: 'too late' };
    };
    const { http, log } = await serve(mounting, handler, { timeout: 200 });
    const response = await http.get('/');
    expectAlb502(response);
    expect(response.text).not.toContain('too late');
    expect(response.headers['x-lambda-bridge-reason']).toBe('Task timed out after 0.20 seconds');
    const [entry] = entries(log, 'TIMEOUT');
    expect(entry.message).toBe('answered 502: Task timed out after 0.20 seconds');
    expect(entry.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('24: the late completion is ignored and the next invocation gets its own answer', async () => {
    let calls = 0;
    let lateDone: () => void = () => {};
    const late = new Promise<void>((resolve) => {
      lateDone = resolve;
    });
    const handler: Handler = async () => {
      calls += 1;
      if (calls === 1) {
        await sleep(300);
        lateDone();
        return { statusCode: 200, body: 'first, late' };
      }
      return { statusCode: 200, body: 'second' };
    };
    const { http, log } = await serve(mounting, handler, { timeout: 200 });
    expectAlb502(await http.get('/'));
    await late;
    await sleep(5);
    const second = await http.get('/').expect(200);
    expect(second.text).toBe('second');
    expect(entries(log, 'TIMEOUT')).toHaveLength(1);
    expect(entries(log, 'HANDLER_ERROR')).toHaveLength(0);
    expect(entries(log, 'RUNTIME').map((entry) => entry.message)).toEqual([
      'The handler completed after the invocation timed out; the completion was ignored.',
    ]);
  });

  it('24: a late throw after the timeout changes nothing', async () => {
    const handler: Handler = async () => {
      await sleep(250);
      throw new Error('late failure');
    };
    const { http, log } = await serve(mounting, handler, { timeout: 150 });
    const response = await http.get('/');
    expect(response.headers['x-lambda-bridge-reason']).toBe('Task timed out after 0.15 seconds');
    await sleep(150);
    expect(entries(log, 'HANDLER_ERROR')).toHaveLength(0);
    expect(entries(log, 'TIMEOUT')).toHaveLength(1);
  });

  it('24: the timeout is printed with two decimals of seconds', async () => {
    const { http } = await serve(mounting, () => new Promise(() => {}), { timeout: 125 });
    const response = await http.get('/');
    expect(response.headers['x-lambda-bridge-reason']).toBe('Task timed out after 0.13 seconds');
  });

  it('a handler that finishes before the timeout is answered normally', async () => {
    const handler: Handler = async () => {
      await sleep(20);
      return { statusCode: 200, body: 'in time' };
    };
    const { http, log } = await serve(mounting, handler, { timeout: 300 });
    expect((await http.get('/').expect(200)).text).toBe('in time');
    expect(log).toEqual([]);
  });
});

describe('no timer outlives its invocation', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A response object that records the end of the answer, without a socket. */
  function fakeResponse(): ServerResponse & { ended: Promise<void> } {
    let ended: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      ended = resolve;
    });
    return {
      ended: done,
      headersSent: false,
      writableEnded: false,
      statusCode: 200,
      setHeader: () => {},
      removeHeader: () => {},
      end() {
        ended();
      },
    } as unknown as ServerResponse & { ended: Promise<void> };
  }

  function fakeRequest(): IncomingMessage {
    return {
      method: 'GET',
      url: '/',
      headers: {},
      rawHeaders: [],
      readableEnded: true,
      readableDidRead: true,
      socket: { remoteAddress: '127.0.0.1', localPort: 80 },
    } as unknown as IncomingMessage;
  }

  it.each([
    ['an async handler', (async () => ({ statusCode: 200 })) as Handler],
    ['a callback handler', ((_e, _c, callback) => callback(null, { statusCode: 200 })) as Handler],
    ['a sync handler that returns nothing', (() => {}) as Handler],
    ['a failing handler', (async () => Promise.reject(new Error('x'))) as Handler],
  ])('the timers of %s are gone when it is answered', async (_name, handler) => {
    const listener = toListener(loose(handler), { timeout: 60_000, log: () => {} });
    const live = trackTimers();
    const res = fakeResponse();
    await listener(fakeRequest(), res);
    await res.ended;
    expect(live.size).toBe(0);
  });

  it('the timer of a timed-out invocation is gone once the 502 is sent', async () => {
    const listener = toListener(
      loose(() => new Promise(() => {})),
      { timeout: 100, log: () => {} },
    );
    const live = trackTimers();
    const res = fakeResponse();
    await listener(fakeRequest(), res);
    await res.ended;
    expect(live.size).toBe(0);
  });

  it('the tracker sees a timer that is left running', () => {
    const live = trackTimers();
    const timer = setTimeout(() => {}, 60_000);
    expect(live.size).toBe(1);
    clearTimeout(timer);
    expect(live.size).toBe(0);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { toListener } from '../../index.js';
import { answering, entries, type Handler, loose, mountings, recorder, useServers } from './support.js';

const { serve, listen } = useServers();

const REPORT =
  /^REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: (\d+) MB\tMax Memory Used: \d+ MB$/;

describe.each(mountings)('invocation log lines, through $name', (mounting) => {
  it('30: with logInvocations, START, END and REPORT lines name the request id of the invocation', async () => {
    const { handler, contexts } = recorder();
    const { http, log } = await serve(mounting, handler, { logInvocations: true });
    await http.get('/').expect(200);
    const id = contexts[0].awsRequestId;
    expect(log.map((entry) => entry.code)).toEqual(['START', 'END', 'REPORT']);
    expect(log.every((entry) => entry.level === 'info' && entry.requestId === id)).toBe(true);
    expect(log[0].message).toBe(`START RequestId: ${id} Version: $LATEST`);
    expect(log[1].message).toBe(`END RequestId: ${id}`);
    const report = REPORT.exec(log[2].message);
    expect(report?.[1]).toBe(id);
    expect(report?.[2]).toBe('128');
  });

  it('30: the lines carry the function version and memory size of the options', async () => {
    const { handler } = recorder();
    const { http, log } = await serve(mounting, handler, {
      logInvocations: true,
      functionVersion: '7',
      memorySize: 512,
    });
    await http.get('/').expect(200);
    expect(log[0].message).toMatch(/^START RequestId: [0-9a-f-]{36} Version: 7$/);
    expect(REPORT.exec(log[2].message)?.[2]).toBe('512');
  });

  it('30: one set of lines per invocation, failed ones included, before the 502 reason', async () => {
    const handler: Handler = async (event) => {
      if (event.path === '/fail') throw new Error('boom');
      return { statusCode: 200 };
    };
    const { http, log } = await serve(mounting, handler, { logInvocations: true });
    await http.get('/ok').expect(200);
    await http.get('/fail').expect(502);
    expect(log.map((entry) => entry.code)).toEqual([
      'START',
      'END',
      'REPORT',
      'START',
      'END',
      'REPORT',
      'HANDLER_ERROR',
    ]);
    expect(log[3].requestId).not.toBe(log[0].requestId);
    expect(log[6].requestId).toBe(log[3].requestId);
  });

  it('30: off by default: no info lines at all', async () => {
    const { handler } = recorder();
    const { http, log } = await serve(mounting, handler);
    await http.get('/').expect(200);
    expect(log).toEqual([]);
  });

  it('no invocation lines for requests the ALB answers itself', async () => {
    const { handler } = recorder();
    const { http, log } = await serve(mounting, handler, { logInvocations: true });
    await http.trace('/');
    expect(log.map((entry) => entry.code)).toEqual(['METHOD_NOT_ALLOWED']);
  });

  it('a warning names the request id of its invocation', async () => {
    const { http, log } = await serve(mounting, answering({ statusCode: 200, cookies: [] }));
    await http.get('/').expect(200);
    const [warning] = entries(log, 'RESULT');
    expect(warning.level).toBe('warn');
    expect(warning.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a log hook that throws does not break the answer', async () => {
    const { handler } = recorder({ statusCode: 200, body: 'fine' });
    const { http } = await serve(mounting, handler, {
      logInvocations: true,
      log: () => {
        throw new Error('hook failure');
      },
    });
    expect((await http.get('/').expect(200)).text).toBe('fine');
  });
});

describe('without a log hook', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('warnings go to stderr, one line each, and invocation lines are not printed', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const { url } = await listen(toListener(loose(answering('not an object')), { logInvocations: true }));
    const response = await fetch(url);
    expect(response.status).toBe(502);
    await response.text();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^lambda-bridge INVALID_RESULT: answered 502: invalid result: .* \(request [0-9a-f-]{36}\)\n$/,
    );
  });
});

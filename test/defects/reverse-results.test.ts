import type { ALBEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { answering, entries, expectAlb502, mountings, rawRequest, useServers } from '../reverse/support.js';

const { serve } = useServers();

describe('defect 4: a 1xx statusCode is an invalid result in every format', () => {
  for (const format of ['alb', 'apigw-v1', 'apigw-v2', 'function-url'] as const) {
    for (const status of [100, 101, 103, 199]) {
      it(`${format}: ${status} answers the failure page at once, with the reason`, async () => {
        const served = await serve(mountings[4], answering({ statusCode: status, body: 'x' }), { format });
        const response = await served.http.get('/').timeout(3000);
        // API Gateway REST answers a malformed proxy result with 502, HTTP APIs with 500.
        expect(response.status).toBe(format === 'alb' || format === 'apigw-v1' ? 502 : 500);
        const invalid = entries(served.log, 'INVALID_RESULT');
        expect(invalid).toHaveLength(1);
        expect(invalid[0].message).toContain('from 200 to 599');
      });
    }
  }
  it('alb in every mounting, and a numeric string with strict off', async () => {
    for (const mounting of mountings) {
      const served = await serve(mounting, answering({ statusCode: 102 }));
      expectAlb502(await served.http.get('/').timeout(3000));
    }
    const lax = await serve(mountings[4], answering({ statusCode: '101' }), { strict: false });
    expect((await lax.http.get('/').timeout(3000)).status).toBe(502);
  });
});

describe('defect 12: on HEAD, a handler content-length goes out only when it is a valid length', () => {
  for (const bad of ['abc', '-1', '5, 6', '1.5', '', '0x10']) {
    it(`content-length ${JSON.stringify(bad)} is not sent (the body's length is); the client reads the answer`, async () => {
      const served = await serve(
        mountings[4],
        answering({ statusCode: 200, headers: { 'content-length': bad, 'x-ok': '1' }, body: 'hello' }),
      );
      const response = await rawRequest(served.port, 'HEAD', '/');
      expect(response.status).toBe(200);
      expect(response.headers.filter(([name]) => name.toLowerCase() === 'content-length')).toEqual([
        ['content-length', '5'],
      ]);
      expect(response.headers.find(([name]) => name === 'x-ok')).toBeDefined();
    });
  }
  it('a valid content-length is kept on HEAD', async () => {
    const served = await serve(
      mountings[4],
      answering({ statusCode: 200, headers: { 'content-length': '42' } }),
    );
    const response = await rawRequest(served.port, 'HEAD', '/');
    expect(response.headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1]).toBe('42');
  });
});

describe('defect 15: a result header named with U+212A is refused, never sent as Set-Cookie', () => {
  it('502 in the ALB format, 500 in API Gateway', async () => {
    const result = { statusCode: 200, headers: { 'Set-Coo\u212Aie': 'a=1' }, body: 'x' };
    const alb = await serve(mountings[4], answering(result));
    const response = await alb.http.get('/');
    expectAlb502(response);
    expect(response.headers['set-cookie']).toBeUndefined();
    for (const format of ['apigw-v1', 'apigw-v2'] as const) {
      const api = await serve(mountings[4], answering(result), { format });
      const answer = await api.http.get('/');
      expect(answer.status).toBe(format === 'apigw-v1' ? 502 : 500);
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
  });
});

describe('defect 18: unknown result keys give one warning with a bounded list', () => {
  it('80,000 extra keys: one warning naming a few of them and the count', async () => {
    const result: Record<string, unknown> = { statusCode: 200, body: 'ok' };
    for (let i = 0; i < 80_000; i++) result[`k${i}`] = 1;
    const served = await serve(mountings[4], async (_event: ALBEvent) => result);
    const response = await served.http.get('/');
    expect(response.status).toBe(200);
    const warnings = entries(served.log, 'RESULT');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('80000 keys');
    expect(warnings[0].message).toContain('"k0"');
    expect(warnings[0].message.length).toBeLessThan(500);
  });
  it('one extra key reads as before', async () => {
    const served = await serve(mountings[4], answering({ statusCode: 200, extra: 1 }));
    await served.http.get('/');
    const warnings = entries(served.log, 'RESULT');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('"extra"');
  });
});

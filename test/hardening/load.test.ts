import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { type DevServer, serve } from '../../adapters/serve.js';
import { toExpress } from '../../index.js';
import { handler } from './apps/echo-id.js';
import { collector, guardProcess, useServers } from './support.js';

// Short runs in `npm test`; LOAD_FULL=1 runs 100 connections for 10 s per target.
const FULL = process.env.LOAD_FULL === '1';
const CONNECTIONS = FULL ? 100 : 20;
const SECONDS = FULL ? 10 : 2;
const TIMEOUT = (SECONDS + 30) * 1000;

guardProcess();

interface Checked {
  result: Result;
  checked: number;
  mismatches: string[];
}

/**
 * Loads `url` with POSTs whose query, header and body carry a request number, and checks that
 * each response body names its own request (one request in flight per connection, so the
 * connection's context holds the number of the request being answered).
 */
async function load(url: string): Promise<Checked> {
  let next = 0;
  let checked = 0;
  const mismatches: string[] = [];
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 10,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        setupRequest(request, context) {
          const id = next++;
          context.id = id;
          return {
            ...request,
            path: `/echo?id=${id}`,
            headers: { ...request.headers, 'content-type': 'text/plain', 'x-id': String(id) },
            body: `payload-${id}`,
          };
        },
        onResponse(status, body, context) {
          checked++;
          const expected = `${context.id}|${context.id}|payload-${context.id}`;
          if ((status !== 200 || body !== expected) && mismatches.length < 10) {
            mismatches.push(`request ${context.id}: ${status} ${JSON.stringify(body)}`);
          }
        },
      },
    ],
  });
  return { result, checked, mismatches };
}

function expectClean({ result, checked, mismatches }: Checked): void {
  expect(result.errors).toBe(0);
  expect(result.timeouts).toBe(0);
  expect(result.non2xx).toBe(0);
  expect(mismatches).toEqual([]);
  expect(result['2xx']).toBeGreaterThan(SECONDS * 50);
  // Every answered request was checked (the last ones may be cut off by the end of the run).
  expect(checked).toBeGreaterThanOrEqual(result['2xx']);
}

describe(`load: ${CONNECTIONS} connections for ${SECONDS} s on 127.0.0.1`, () => {
  const { listen } = useServers();
  let devServer: DevServer | undefined;
  afterAll(async () => {
    await devServer?.close();
  });

  it(
    'express().use(toExpress(handler)): no errors, no non-2xx, every body matches its request',
    async () => {
      const { log, entries } = collector();
      const { url } = await listen(express().use(toExpress(handler, { log })));
      expectClean(await load(url));
      expect(entries).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'the dev server (serve()): no errors, no non-2xx, every body matches its request',
    async () => {
      const { log, entries } = collector();
      const concurrency = FULL ? 10 : 4;
      devServer = await serve({
        handler: join(dirname(fileURLToPath(import.meta.url)), 'apps', 'echo-id.ts'),
        port: 0,
        log,
        concurrency,
      });
      // Start every execution environment first: a cold start takes about a second.
      const { url } = devServer;
      const warm = await Promise.all(
        Array.from({ length: concurrency * 2 }, (_, i) =>
          fetch(`${url}/echo?id=${i}`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain', 'x-id': String(i) },
            body: `payload-${i}`,
            signal: AbortSignal.timeout(20_000),
          }).then((response) => response.text()),
        ),
      );
      expect(warm).toEqual(Array.from({ length: concurrency * 2 }, (_, i) => `${i}|${i}|payload-${i}`));
      expectClean(await load(url));
      expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
    },
    TIMEOUT,
  );
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type CliIo, main, parseCli } from '../../adapters/cli.js';
import type { DevServer } from '../../adapters/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'lb-cli-output-'));
const HANDLER = join(dir, 'handler.mjs');
writeFileSync(
  HANDLER,
  `export const handler = async (event) => {
  if (event.path === '/hang') await new Promise((resolve) => setTimeout(resolve, 60_000));
  if (event.path === '/bad') return 'not a result';
  return { statusCode: 200, body: 'ok' };
};
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const servers: DevServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

function recorder(): CliIo & { lines: { out: string[]; err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, color: false, out: (line) => lines.out.push(line), err: (line) => lines.err.push(line) };
}

async function start(args: string[], io: CliIo): Promise<DevServer> {
  const server = await main(['serve', HANDLER, '--port', '0', ...args], io);
  if (typeof server === 'number') throw new Error(`exit code ${server}`);
  servers.push(server);
  return server;
}

async function get(server: DevServer, path: string): Promise<number> {
  const response = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(15_000) });
  await response.text();
  return response.status;
}

/** Waits until `check` holds; fails after `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('--quiet', () => {
  it('parses, also as -q', () => {
    expect(parseCli(['serve', HANDLER, '--quiet'])).toMatchObject({ quiet: true });
    expect(parseCli(['serve', HANDLER, '-q'])).toMatchObject({ quiet: true });
    expect(parseCli(['serve', HANDLER])).toMatchObject({ quiet: false });
  });

  it('prints the ready line and warnings, and no request or invocation lines', async () => {
    const io = recorder();
    const server = await start(['--quiet'], io);
    expect(io.lines.out).toEqual([expect.stringMatching(/^lambda-bridge: serving /)]);
    expect(await get(server, '/')).toBe(200);
    expect(await get(server, '/bad')).toBe(502);
    await until(() => io.lines.err.length > 0);
    expect(io.lines.out).toHaveLength(1);
    expect(io.lines.err.every((line) => line.startsWith('WARN '))).toBe(true);
    expect(io.lines.err.join('\n')).toContain('invalid result');
  });

  it('without it, requests are logged', async () => {
    const io = recorder();
    const server = await start([], io);
    expect(await get(server, '/')).toBe(200);
    await until(() => io.lines.out.some((line) => line.startsWith('GET / 200')));
  });
});

describe('the timeout message', () => {
  it('names --timeout, in text and in --json lines', async () => {
    const text = recorder();
    const server = await start(['--timeout', '0.3'], text);
    expect(await get(server, '/hang')).toBe(502);
    await until(() => text.lines.err.some((line) => line.includes('Task timed out')));
    const line = text.lines.err.find((l) => l.includes('Task timed out')) ?? '';
    expect(line).toMatch(
      /^WARN answered 502: Task timed out after 0\.30 seconds \(the function timeout: raise it with --timeout <seconds>\)/,
    );

    const json = recorder();
    const second = await start(['--timeout', '0.3', '--json'], json);
    expect(await get(second, '/hang')).toBe(502);
    await until(() => json.lines.out.some((l) => l.includes('"TIMEOUT"')));
    const entry = JSON.parse(json.lines.out.find((l) => l.includes('"TIMEOUT"')) ?? '{}');
    expect(entry).toMatchObject({ level: 'warn', code: 'TIMEOUT' });
    expect(entry.message).toContain('raise it with --timeout <seconds>');
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, main, parseCli } from '../../adapters/cli.js';
import type { DevServer } from '../../adapters/serve.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
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

/** The modes whose handler warnings reach the server's log. */
const FORWARDED = [true, false];

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

describe('--json lines', () => {
  // One file per test: a handler module loaded in this process warns once for good.
  let files = 0;
  let source = '';
  beforeAll(() => {
    // The handler uses the built package, as a user's handler would.
    if (!existsSync(join(ROOT, 'dist', 'esm', 'index.js')))
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
    source = `import { toLambda } from ${JSON.stringify(join(ROOT, 'dist', 'esm', 'index.js'))};
export const handler = toLambda((_req, res) => {
  res.setHeader('set-cookie', ['a=1', 'b=2']);
  res.end('two cookies');
});
`;
  });

  async function jsonServer(isolate: boolean) {
    const io = recorder();
    const file = join(dir, `cookies-${++files}.mjs`);
    writeFileSync(file, source);
    const server = await main(
      ['serve', file, '--port', '0', '--json', ...(isolate ? [] : ['--no-isolate'])],
      io,
    );
    if (typeof server === 'number') throw new Error(`exit code ${server}`);
    servers.push(server);
    expect(await get(server, '/shop?x=1')).toBe(200);
    const parsed = () => io.lines.out.map((line) => JSON.parse(line) as Record<string, unknown>);
    await until(() => parsed().some((entry) => entry.code === 'REQUEST'));
    return { io, parsed, request: parsed().find((entry) => entry.code === 'REQUEST') ?? {} };
  }

  it.each([true, false])(
    'request lines carry method, path, status, durationMs and requestId (isolate: %s)',
    async (isolate) => {
      const { request } = await jsonServer(isolate);
      expect(request).toMatchObject({ level: 'info', method: 'GET', path: '/shop?x=1', status: 200 });
      expect(typeof request.durationMs).toBe('number');
      expect(request.requestId).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it.each(FORWARDED)(
    "a toLambda warning from inside the handler comes through the server's log with the request id (isolate: %s)",
    async (isolate) => {
      const { io, parsed, request } = await jsonServer(isolate);
      const dropped = parsed().find((entry) => entry.code === 'SET_COOKIE_DROPPED');
      expect(dropped).toMatchObject({ level: 'warn', requestId: request.requestId });
      expect(io.lines.err).toEqual([]);
    },
  );
});

describe('an address this machine does not have', () => {
  it('--host gets one line that names --host, and exit code 1', async () => {
    const io = recorder();
    expect(await main(['serve', HANDLER, '--port', '0', '--host', '192.0.2.1'], io)).toBe(1);
    expect(io.lines.err).toEqual([
      'lambda-bridge: Address 192.0.2.1 is not available on this machine; choose another with --host (127.0.0.1, 0.0.0.0 for every interface, or an address this machine has).',
    ]);
    const named = recorder();
    expect(await main(['serve', HANDLER, '--port', '0', '--host', 'no-such-host.invalid'], named)).toBe(1);
    expect(named.lines.err).toHaveLength(1);
    expect(named.lines.err[0]).toMatch(/^lambda-bridge: Address no-such-host\.invalid .*--host/);
  });
});

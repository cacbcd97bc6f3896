import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOWNLOAD_SIZE, downloadBlock } from './app.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'lambda-bridge.mjs');

let child: ChildProcess;
let base: string;

beforeAll(async () => {
  // The bin runs the built package; `npm test` builds first, a lone run of this file may not have.
  if (!existsSync(join(ROOT, 'dist', 'esm', 'cli.js'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  }
  child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      'examples/streaming/handler.ts',
      '--format',
      'function-url',
      '--port',
      '0',
      '--timeout',
      '60',
    ],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const found = /serving \S+ at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`lambda-bridge serve exited with ${code}: ${out}`)));
  });
});

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

function get(path: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http.get(`${base}${path}`, { agent: false }, resolve).on('error', reject);
  });
}

describe('examples/streaming under lambda-bridge serve --format function-url', () => {
  it('streams server-sent events one by one', async () => {
    const started = performance.now();
    const res = await get('/events?count=3&interval=200');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events: [string, number][] = [];
    for await (const chunk of res) events.push([String(chunk), performance.now() - started]);
    expect(events).toHaveLength(3);
    expect(events.map(([e]) => /data: (.*)/.exec(e)?.[1]).map((d) => JSON.parse(d ?? '{}').n)).toEqual([
      1, 2, 3,
    ]);
    expect(events[2][1] - events[0][1]).toBeGreaterThanOrEqual(300);
  });

  it('streams a 20 MiB download, byte for byte', async () => {
    const res = await get('/download');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const received = createHash('sha256');
    let size = 0;
    for await (const chunk of res) {
      received.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const expected = createHash('sha256');
    for (let i = 0; i < DOWNLOAD_SIZE / (64 * 1024); i++) expected.update(downloadBlock(i));
    expect(size).toBe(DOWNLOAD_SIZE);
    expect(received.digest('hex')).toBe(expected.digest('hex'));
  });
});

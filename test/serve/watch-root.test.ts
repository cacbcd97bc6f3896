import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type DevServer, serve } from '../../adapters/serve.js';
import type { LogEntry } from '../../lib/log.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lb-watch-root-')));
const at = (...parts: string[]) => join(dir, ...parts);
function put(path: string, text: string): void {
  mkdirSync(dirname(at(path)), { recursive: true });
  writeFileSync(at(path), text);
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: DevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function body(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return response.text();
}

/** Polls until `check` holds; fails after `ms` (generous: watchers on a loaded machine are slow). */
async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('--watch watches the handler package, minus node_modules', () => {
  it.each([true, false])(
    'a module the handler imports from another folder of its package reloads it (isolate: %s)',
    async (isolate) => {
      const root = `pkg-${isolate}`;
      put(`${root}/package.json`, '{ "type": "module" }');
      put(`${root}/src/lib/value.mjs`, "export const value = 'one';\n");
      put(`${root}/node_modules/dep/index.mjs`, 'export {};\n');
      put(
        `${root}/src/handlers/api.mjs`,
        "import { value } from '../lib/value.mjs';\nexport const handler = async () => ({ statusCode: 200, body: value });\n",
      );
      const log: LogEntry[] = [];
      server = await serve({
        handler: at(root, 'src/handlers/api.mjs'),
        port: 0,
        watch: true,
        isolate,
        log: (entry) => log.push(entry),
      });
      const url = server.url;
      expect(await body(url)).toBe('one');

      // A change under node_modules is not a reload.
      put(`${root}/node_modules/dep/index.mjs`, 'export const changed = true;\n');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(log.filter((e) => e.code === 'RELOAD')).toEqual([]);

      put(`${root}/src/lib/value.mjs`, "export const value = 'two';\n");
      await eventually(async () => log.some((e) => e.code === 'RELOAD' && e.message.includes('value.mjs')));
      if (isolate) await eventually(async () => (await body(url)) === 'two');
      else expect(await body(url)).toBe('one'); // In one process the handler's imports stay cached.
    },
  );
});

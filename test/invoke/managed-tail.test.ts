import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DevServer, serve } from '../../adapters/serve.js';

const folder = mkdtempSync(join(tmpdir(), 'lb-managed-tail-'));
const handler = join(folder, 'handler.mjs');
writeFileSync(
  handler,
  `export const handler = async (event) => {
  console.log('before ' + event.name);
  await new Promise((resolve) => setTimeout(resolve, event.sleep));
  console.log('after ' + event.name);
  return event.name;
};
`,
);

let server: DevServer;
let client: LambdaClient;

beforeAll(async () => {
  server = await serve({ handler, port: 0, invokePort: 0, maxConcurrency: 4, functionName: 'fn' });
  client = new LambdaClient({
    endpoint: server.invokeUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
});

it('--max-concurrency: the Tail log of an invocation keeps its own lines when another one overlaps it', async () => {
  const invoke = (name: string, sleep: number, tail: boolean) =>
    client.send(
      new InvokeCommand({
        FunctionName: 'fn',
        Payload: JSON.stringify({ name, sleep }),
        ...(tail ? { LogType: 'Tail' as const } : {}),
      }),
    );
  const first = invoke('A', 600, true);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const [a, b] = await Promise.all([first, invoke('B', 50, false)]);
  expect(Buffer.from(b.Payload ?? []).toString()).toBe('"B"');
  const logA = Buffer.from(a.LogResult ?? '', 'base64').toString();
  expect(logA).toContain('before A');
  expect(logA).toContain('after A');
  expect(logA).toMatch(/^START RequestId: /m);
  expect(logA).toMatch(/^REPORT RequestId: /m);
});

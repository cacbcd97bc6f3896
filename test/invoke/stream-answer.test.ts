import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeWithResponseStreamCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EventStreamAnswer } from '../../adapters/invoke-stream.js';

// EventStreamAnswer writes chunks as they come; the SDK reads them as separate PayloadChunk
// events, in order, then InvokeComplete.
let server: Server;
let client: LambdaClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    const answer = new EventStreamAnswer(res, 'req-stream');
    const parts = ['first ', 'second ', 'third'];
    const next = () => {
      const part = parts.shift();
      if (part === undefined) {
        answer.complete({ LogResult: Buffer.from('log').toString('base64') });
        return;
      }
      answer.chunk(Buffer.from(part));
      setTimeout(next, 20);
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new LambdaClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client?.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

it('chunks written one by one arrive as PayloadChunk events, then InvokeComplete', async () => {
  const out = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'f', Payload: '{}' }));
  expect(out.StatusCode).toBe(200);
  expect(out.ExecutedVersion).toBe('$LATEST');
  expect(out.$metadata.requestId).toBe('req-stream');
  const seen: string[] = [];
  for await (const event of out.EventStream ?? []) {
    if (event.PayloadChunk) seen.push(`chunk:${Buffer.from(event.PayloadChunk.Payload ?? []).toString()}`);
    if (event.InvokeComplete) seen.push(`complete:${event.InvokeComplete.LogResult}`);
  }
  expect(seen).toEqual([
    'chunk:first ',
    'chunk:second ',
    'chunk:third',
    `complete:${Buffer.from('log').toString('base64')}`,
  ]);
});

// Runs one forward invocation whose app writes a large body, in a process started with
// --expose-gc, and prints the peak of Buffer memory while it ran (garbage collected as it goes).
//
//   node --expose-gc --import tsx test/defects/memory-probe.ts <get|get-gzip|head> <megabytes>
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ALBEvent } from 'aws-lambda';
import { toLambda } from '../../adapters/lambda.js';

const [kind, megabytesArg] = process.argv.slice(2);
const total = Number(megabytesArg) * 1024 * 1024;
const CHUNK = 256 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

// Incompressible bytes: a counter through a multiplicative hash, so every chunk is fresh memory.
let seed = 1;
function chunk(): Buffer {
  const out = Buffer.allocUnsafe(CHUNK);
  for (let i = 0; i < CHUNK; i += 4) {
    seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5;
    out.writeInt32LE(seed | 0, i);
  }
  return out;
}

let peak = 0;
let produced = 0;
let writes = 0;
function sample(): void {
  if (++writes % 8 === 0) gc?.();
  peak = Math.max(peak, process.memoryUsage().arrayBuffers);
}

const handler = toLambda(
  (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-type', 'application/octet-stream');
    const body = new Readable({
      read() {
        sample();
        if (produced >= total) {
          this.push(null);
          return;
        }
        produced += CHUNK;
        this.push(chunk());
      },
    });
    body.pipe(res);
  },
  { log() {} },
);

const event: ALBEvent = {
  requestContext: {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/p/1' },
  },
  httpMethod: kind === 'head' ? 'HEAD' : 'GET',
  path: '/',
  queryStringParameters: {},
  headers: kind === 'get-gzip' ? { 'accept-encoding': 'gzip' } : {},
  body: '',
  isBase64Encoded: false,
};

gc();
const base = process.memoryUsage().arrayBuffers;
const result = await handler(event);
const headers = result.headers ?? {};
process.stdout.write(
  `${JSON.stringify({
    status: result.statusCode,
    contentLength: headers['content-length'] ?? null,
    producedMB: Math.round(produced / 1048576),
    peakMB: Math.round((peak - base) / 1048576),
  })}\n`,
);
process.exit(0);

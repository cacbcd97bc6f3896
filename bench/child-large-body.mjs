// Peak memory of one forward invocation whose app streams a large response body. Prints one
// JSON line: the answer's status, its time, and the process's resident memory before the
// invocation and at its peak (the OS's maxRSS).
//
//   node bench/child-large-body.mjs <dist-index.js> <get|get-gzip|head> <megabytes>

import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const [dist, kind, megabytesArg = '200'] = process.argv.slice(2);
const megabytes = Number(megabytesArg);
const CHUNK = 64 * 1024;
const pool = randomBytes(1024 * 1024);

/** `total` bytes of incompressible data in fresh 64 KB chunks, made as they are read. */
function source(total) {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const at = sent % pool.length;
      sent += CHUNK;
      produced += CHUNK;
      this.push(Buffer.from(pool.subarray(at, at + CHUNK)));
    },
  });
}

let produced = 0;
const { toLambda } = await import(pathToFileURL(dist).href);
const handler = toLambda(
  (_req, res) => {
    res.setHeader('content-type', 'application/octet-stream');
    source(megabytes * 1024 * 1024).pipe(res);
  },
  { log() {} },
);
const event = {
  requestContext: {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/1' },
  },
  httpMethod: kind === 'head' ? 'HEAD' : 'GET',
  path: '/large',
  queryStringParameters: {},
  headers: kind === 'get-gzip' ? { host: 'bench', 'accept-encoding': 'gzip' } : { host: 'bench' },
  body: '',
  isBase64Encoded: false,
};
const mb = (bytes) => Math.round(bytes / 1048576);
const before = process.memoryUsage().rss;
const started = performance.now();
const result = await handler(event);
const ms = Math.round(performance.now() - started);
process.stdout.write(
  `${JSON.stringify({
    kind,
    megabytes,
    status: result.statusCode,
    ms,
    producedMB: mb(produced),
    rssBeforeMB: mb(before),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
process.exit(0);

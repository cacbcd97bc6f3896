// Time to first byte of a 10 MB response through a function URL, streamed and buffered: the app
// (an Express 5 route) writes 10 MB of JSON lines in 64 KiB chunks, yielding between chunks as a
// producer that does work would. Both handlers run behind the emulated function URL on 127.0.0.1
// (the built package), and a client measures when its first body byte and its last arrive.
//
//   node bench/child-ttfb.mjs <runs>

import http from 'node:http';
import express from 'express';
import { toLambda, toListener } from 'lambda-bridge';

const runs = Number(process.argv[2] ?? '5');
const SIZE = 10 * 1024 * 1024;
const CHUNK = 64 * 1024;
const line = `${JSON.stringify({ id: 0, text: 'x'.repeat(100) })}\n`;
const chunk = Buffer.from(line.repeat(Math.ceil(CHUNK / line.length)).slice(0, CHUNK));

function app() {
  const a = express();
  a.get('/big', (_req, res) => {
    res.type('application/x-ndjson');
    let sent = 0;
    const next = () => {
      if (sent >= SIZE) return res.end();
      sent += chunk.length;
      if (res.write(chunk)) setImmediate(next);
      else res.once('drain', next);
    };
    next();
  });
  return a;
}

async function measure(listener) {
  const server = http.createServer(listener);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const samples = [];
  try {
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const sample = await new Promise((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port, path: '/big', agent: false, headers: { 'accept-encoding': 'gzip' } },
          (res) => {
            let first;
            let bytes = 0;
            res.on('data', (c) => {
              first ??= performance.now() - started;
              bytes += c.length;
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode,
                encoding: res.headers['content-encoding'],
                first,
                total: performance.now() - started,
                bytes,
              }),
            );
          },
        );
        req.on('error', reject);
      });
      samples.push(sample);
    }
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    status: samples[0].status,
    encoding: samples[0].encoding ?? 'identity',
    bytes: samples[0].bytes,
    ttfbMs: median(samples.map((s) => s.first)),
    totalMs: median(samples.map((s) => s.total)),
  };
}

const options = { format: 'function-url', timeout: 60_000, log: () => {} };
const streaming = await measure(toListener(toLambda(app(), { streaming: true }), options));
const buffered = await measure(toListener(toLambda(app(), { log: () => {} }), options));
// Correct: the streamed body is the full 10 MB raw; the buffered one had to be compressed to fit 6 MB.
const ok = streaming.status === 200 && streaming.bytes === SIZE && buffered.status === 200;
process.stdout.write(`${JSON.stringify({ ok, runs, streaming, buffered })}\n`);

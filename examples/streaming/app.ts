import express from 'express';

/** The size of `/download`: far over the 6 MB a buffered Lambda response may carry. */
export const DOWNLOAD_SIZE = 20 * 1024 * 1024;

/** Block `i` of the download: 64 KiB of pseudo-random bytes seeded by its index, so any client can check them. */
export function downloadBlock(i: number): Buffer {
  const words = new Uint32Array(16 * 1024);
  let x = (i + 1) * 2654435761;
  for (let w = 0; w < words.length; w++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[w] = x >>> 0;
  }
  return Buffer.from(words.buffer);
}

export const app = express();

/** Server-sent events: one event every `interval` ms (default 200), `count` of them (default 5). */
app.get('/events', (req, res) => {
  const count = Math.min(Number(req.query.count ?? 5), 100);
  const interval = Math.min(Number(req.query.interval ?? 200), 5000);
  res.setHeader('content-type', 'text/event-stream');
  res.setHeader('cache-control', 'no-cache');
  res.flushHeaders();
  let sent = 0;
  const timer = setInterval(() => {
    sent++;
    res.write(`id: ${sent}\ndata: ${JSON.stringify({ n: sent, at: new Date().toISOString() })}\n\n`);
    if (sent >= count) {
      clearInterval(timer);
      res.end();
    }
  }, interval);
  res.on('close', () => clearInterval(timer));
});

/** A 20 MiB download, written block by block as the client reads it. */
app.get('/download', (_req, res) => {
  res.setHeader('content-type', 'application/octet-stream');
  res.setHeader('content-disposition', 'attachment; filename="data.bin"');
  const blocks = DOWNLOAD_SIZE / (64 * 1024);
  let i = 0;
  const pump = () => {
    while (i < blocks) {
      if (res.destroyed) return;
      if (!res.write(downloadBlock(i++))) return res.once('drain', pump);
    }
    res.end();
  };
  pump();
});

app.get('/', (_req, res) => {
  res.type('text/plain').send('GET /events for server-sent events, GET /download for a 20 MiB file\n');
});

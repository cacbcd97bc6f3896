// An Express app behind toLambda whose stream 'error' listener throws: an uncaught exception in
// the execution environment. `/ok` answers normally.
import { Readable } from 'node:stream';
import express from 'express';
import { toLambda } from '../../../index.js';

const app = express();
app.get('/ok', (_req, res) => {
  res.send('fine');
});
app.get('/boom', (_req, res) => {
  const source = new Readable({
    read() {
      setImmediate(() => this.destroy(new Error('disk gone')));
    },
  });
  source.on('error', (error) => {
    throw error;
  });
  source.pipe(res);
});

export const handler = toLambda(app, { log: () => {} });

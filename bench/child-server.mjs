// A reverse-scenario server in its own process, on 127.0.0.1 and a free port. Prints
// {"port": N} once listening; closes and exits when its stdin ends (the orchestrator is done
// with it) or when its lifetime runs out.
//
//   node bench/child-server.mjs <native|middleware> <lifetime-ms>

import express from 'express';
import { toExpress } from 'lambda-bridge';
import { serve } from 'lambda-bridge/serve';
import { REVERSE_BODY, REVERSE_CONTENT_TYPE, REVERSE_PATH } from './reverse.mjs';

const [kind, lifetimeArg = '120000'] = process.argv.slice(2);

const app = express();
if (kind === 'native') {
  app.get(REVERSE_PATH, (_req, res) => {
    res.set('content-type', REVERSE_CONTENT_TYPE).send(REVERSE_BODY);
  });
} else if (kind === 'middleware') {
  // A Lambda handler for ALB events, behind the emulated ALB.
  const handler = async () => ({
    statusCode: 200,
    statusDescription: '200 OK',
    headers: { 'content-type': REVERSE_CONTENT_TYPE },
    body: REVERSE_BODY,
    isBase64Encoded: false,
  });
  app.use(toExpress(handler));
} else if (kind !== 'dev-server') {
  throw new Error(`unknown server kind ${JSON.stringify(kind)}`);
}

let stop;
if (kind === 'dev-server') {
  // The dev server as `lambda-bridge serve` runs it: isolated worker environments, default concurrency.
  const dev = await serve({ handler: new URL('./hello-handler.mjs', import.meta.url).pathname, port: 0 });
  process.stdout.write(`${JSON.stringify({ port: dev.port })}\n`);
  stop = () => {
    process.stdin.destroy();
    void dev.close();
  };
} else {
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
  stop = () => {
    process.stdin.destroy();
    server.close();
    server.closeAllConnections();
  };
}
process.stdin.on('end', stop);
process.stdin.resume();
setTimeout(stop, Number(lifetimeArg)).unref();

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAlbEmulator } from '../lib/emulate.js';
import type { AlbEmulatorOptions } from '../lib/emulate-options.js';
import { describeThrown } from '../lib/errors.js';
import type { FormatName } from '../lib/formats/reverse.js';
import type { FormatHandler } from '../lib/formats/typed.js';
import type { LambdaHandler } from '../lib/invoke/invoke.js';
import type { StreamingMark } from '../lib/invoke/streaming.js';

/**
 * A Lambda handler as a Node request listener behind an emulated ALB, for
 * `http.createServer(toListener(handler))` and `supertest(toListener(handler))`.
 *
 * @example
 * import http from 'node:http';
 * import { toListener } from 'lambda-bridge';
 * import { handler } from './handler.js';
 * http.createServer(toListener(handler, { multiValueHeaders: true })).listen(3000, '127.0.0.1');
 */
export function toListener<F extends FormatName = 'alb'>(
  // A handler marked by streamifyResponse streams behind a function URL or API Gateway REST.
  handler: FormatHandler<F> | StreamingMark,
  options: AlbEmulatorOptions & { format?: F } = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const emulate = createAlbEmulator(handler as LambdaHandler<never>, options);
  return (req, res) =>
    emulate(req, res).catch((error: unknown) => {
      // Only a bug in the bridge itself gets here; the client still gets an answer.
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
      }
      res.end(`lambda-bridge failed: ${describeThrown(error)}`);
    });
}

type Next = (error?: unknown) => void;

/**
 * A Lambda handler as Express (4 or 5) or Connect middleware behind an emulated ALB. Mounted
 * under a prefix (`app.use('/api', …)`), the event `path` is the full original path, as an ALB
 * sends it; `stripPrefix` removes a prefix. Mount it before any body parser.
 *
 * @example
 * app.use('/api', toExpress(handler));
 */
export function toExpress<F extends FormatName = 'alb'>(
  // A handler marked by streamifyResponse streams behind a function URL or API Gateway REST.
  handler: FormatHandler<F> | StreamingMark,
  options: AlbEmulatorOptions & { format?: F } = {},
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const emulate = createAlbEmulator(handler as LambdaHandler<never>, options);
  return (req, res, next) => {
    emulate(req, res).catch(next);
  };
}

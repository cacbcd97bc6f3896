import express from 'express';
import { type LogHook, toExpress } from 'lambda-bridge';
import { createAdminHandler, createOrdersHandler } from './handlers.js';

export interface DevServerOptions {
  /** Receives the START/END/REPORT lines, warnings and 502 reasons. @default stderr for warnings */
  log?: LogHook;
  /** The Lambda timeout of both functions, in ms. @default 3000 */
  timeout?: number;
}

/**
 * A local development server: two Lambda functions behind emulated ALB target groups, mounted
 * next to the ordinary routes of an Express app.
 *
 * @example
 * import { createDevServer } from './server.js';
 * createDevServer().listen(3000, '127.0.0.1');
 */
export function createDevServer(options: DevServerOptions = {}): express.Express {
  const { log, timeout } = options;
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Mount the handlers before any body parser: they read the raw request body themselves.
  app.use(
    '/api',
    toExpress(createOrdersHandler(), { functionName: 'orders-api', logInvocations: true, log, timeout }),
  );
  app.use(
    '/admin',
    toExpress(createAdminHandler(), {
      functionName: 'admin-api',
      multiValueHeaders: true,
      logInvocations: true,
      log,
      timeout,
    }),
  );
  app.use(express.json());
  app.post('/echo', (req, res) => {
    res.json({ echoed: req.body });
  });
  return app;
}

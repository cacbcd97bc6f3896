import type { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { albErrorPage } from '../lib/alb-pages.js';
import type { AlbEmulator } from '../lib/emulate.js';
import { LambdaBridgeError } from '../lib/errors.js';
import type { LogEntry } from '../lib/log.js';
import { PoolClosedError } from '../lib/pool/pool.js';

// The dev server's HTTP listener: the ALB's header quotas, a request line per request, the 503
// while stopping, and the order in which it closes.

/** An ALB's request header quotas: 16 KB for one header line, 64 KB for all of them. */
const HEADER_LINE_LIMIT = 16 * 1024;
const HEADER_BLOCK_LIMIT = 64 * 1024;
/** What Node's parser accepts: the request line (up to 16 KB) and the whole header block, with room to spare. */
const MAX_HEADER_BYTES = HEADER_LINE_LIMIT + HEADER_BLOCK_LIMIT + 1024;

/** Which ALB header quota a request breaks, if any. */
function headerOverLimit(req: IncomingMessage): string | undefined {
  const raw = req.rawHeaders;
  let total = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const line = raw[i].length + 2 + raw[i + 1].length;
    if (line > HEADER_LINE_LIMIT) {
      return `the header line ${JSON.stringify(raw[i].toLowerCase())} is ${line} bytes, over the ALB's ${HEADER_LINE_LIMIT}-byte limit for one header`;
    }
    total += line + 2;
  }
  if (total > HEADER_BLOCK_LIMIT) {
    return `the request headers are ${total} bytes, over the ALB's ${HEADER_BLOCK_LIMIT}-byte limit for all headers`;
  }
  return undefined;
}

function refuseHeaders(
  res: ServerResponse,
  reason: string,
  emit: (entry: LogEntry) => void,
  diagnostics: boolean,
): void {
  emit({
    level: 'warn',
    code: 'HEADERS_TOO_LARGE',
    message: `answered 431: ${reason}; the handler was not invoked`,
  });
  const page = albErrorPage(431);
  for (let i = 0; i < page.headers.length; i += 2) res.setHeader(page.headers[i], page.headers[i + 1]);
  if (diagnostics) res.setHeader('x-lambda-bridge-reason', reason);
  res.setHeader('connection', 'close');
  res.writeHead(431, page.reason);
  res.end(page.body);
}

const STOPPING_BODY = Buffer.from(
  'lambda-bridge is stopping: this request was not sent to the handler. Send it again once the server is back.\n',
);

/** The answer to a request the server accepted while stopping, before any environment ran it. */
function stopping(res: ServerResponse): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  res.writeHead(503, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': STOPPING_BODY.length,
    'retry-after': '1',
    connection: 'close',
  });
  res.end(STOPPING_BODY);
}

export interface ListenSettings {
  host: string;
  port: number;
  /** Whether a 431 names the quota it broke (`x-lambda-bridge-reason`). */
  diagnostics: boolean;
  emit(entry: LogEntry): void;
}

export interface Listener {
  port: number;
  /** From now on, every request is answered 503 without reaching the handler. */
  refuse(): void;
  /**
   * Closes idle connections, lets requests in flight finish (at most `timeout` + 1 s), then
   * closes every connection. `grace` ends that bound; `closed` settles once the listener has closed.
   */
  shutdown(timeout: number): Promise<{ grace: Promise<void>; closed: Promise<void> }>;
  /** Closes the listener and every connection now. */
  kill(): void;
}

/**
 * Opens the HTTP listener in front of `frontEnd`; each request runs inside `requests`, whose
 * store receives the invocation's request id for the request line.
 */
export async function listen(
  frontEnd: AlbEmulator,
  requests: AsyncLocalStorage<{ id?: string }>,
  settings: ListenSettings,
): Promise<Listener> {
  const { emit, host } = settings;
  const inFlight = new Set<Promise<void>>();
  let refusing = false;
  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    const started = performance.now();
    const store: { id?: string } = {};
    const done = (async () => {
      if (refusing) return stopping(res);
      const oversized = headerOverLimit(req);
      if (oversized !== undefined) return refuseHeaders(res, oversized, emit, settings.diagnostics);
      await requests.run(store, () => frontEnd(req, res));
    })().then(
      () => {
        const ms = (performance.now() - started).toFixed(2);
        emit({
          level: 'info',
          code: 'REQUEST',
          message: `${req.method} ${req.url} ${res.statusCode} ${ms} ms`,
          requestId: store.id,
          method: req.method,
          path: req.url,
          status: res.statusCode,
          durationMs: Number(ms),
        });
      },
      (error: unknown) => {
        // Waiting for an environment when the server began to stop: the handler never ran.
        if (error instanceof PoolClosedError) return stopping(res);
        emit({
          level: 'warn',
          code: 'SERVER_ERROR',
          message: `lambda-bridge failed on ${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`,
        });
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new LambdaBridgeError(
            'LAMBDA_BRIDGE_PORT_IN_USE',
            `Port ${settings.port} on ${host} is in use; choose another with --port (0 picks a free one).`,
          ),
        );
      } else if (['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'].includes(String(error.code))) {
        const why =
          error.code === 'EADDRNOTAVAIL'
            ? 'is not available on this machine'
            : 'does not resolve to an address of this machine';
        reject(
          new LambdaBridgeError(
            'LAMBDA_BRIDGE_HOST_UNAVAILABLE',
            `Address ${host} ${why}; choose another with --host (127.0.0.1, 0.0.0.0 for every interface, or an address this machine has).`,
          ),
        );
      } else reject(error);
    });
    server.listen(settings.port, host, () => resolvePromise());
  });

  return {
    port: (server.address() as AddressInfo).port,
    refuse() {
      refusing = true;
    },
    async shutdown(timeout) {
      server.closeIdleConnections();
      const grace = new Promise<void>((done) => setTimeout(done, timeout + 1000).unref());
      await Promise.race([Promise.all(inFlight), grace]);
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      await Promise.race([Promise.all(inFlight), new Promise((done) => setTimeout(done, 100).unref())]);
      server.closeAllConnections();
      return { grace, closed };
    },
    kill() {
      server.close();
      server.closeAllConnections();
    },
  };
}

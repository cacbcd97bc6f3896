import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

// A small Lambda Runtime API (the part the runtime interface client talks to) on 127.0.0.1,
// running AWS's own client, aws-lambda-ric 4, as a child process, and playing the Lambda service
// around it: it enforces the deadline and reports a process that exits without answering.

export type RicOutcome =
  | { kind: 'result'; json: string }
  | { kind: 'stream'; contentType: string; body: Buffer }
  | { kind: 'error'; errorType: string; errorMessage: string; trace?: string[] };

export interface RicInvocation {
  id: string;
  event: unknown;
  /** Function timeout in ms. */
  timeout: number;
  traceId: string;
  tenantId?: string;
}

interface Pending extends RicInvocation {
  resolve(outcome: RicOutcome): void;
  timer?: NodeJS.Timeout;
  started?: boolean;
}

const require = createRequire(import.meta.url);
const RIC = join(dirname(require.resolve('aws-lambda-ric/package.json')), 'index.mjs');

/** The function settings the runtime client reads from the environment. */
export const FUNCTION = {
  name: 'local-function',
  version: '$LATEST',
  memory: '128',
  arn: 'arn:aws:lambda:us-east-1:123456789012:function:local-function',
  logGroup: '/aws/lambda/local-function',
  logStream: '2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
};

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One execution environment: the runtime client in its own process, serving one handler. */
export class RicEnvironment {
  private server: Server;
  private child: ChildProcess | undefined;
  private queue: Pending[] = [];
  private waiting: (() => void) | undefined;
  private current: Pending | undefined;
  private initError: RicOutcome | undefined;
  private port = 0;
  /** What the process wrote, for failure messages. */
  output = '';

  constructor(
    private readonly taskRoot: string,
    private readonly handler: string,
  ) {
    this.server = createServer((req, res) => {
      void this.route(req, res).then(
        (status) => {
          if (status < 0) return;
          res.statusCode = status;
          res.setHeader('content-type', 'application/json');
          res.end(status === 202 ? '{"status":"OK"}' : '{}');
        },
        () => res.destroy(),
      );
    });
    this.server.keepAliveTimeout = 60_000;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.spawn();
  }

  private spawn(): void {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${this.port}`,
      _HANDLER: this.handler,
      LAMBDA_TASK_ROOT: this.taskRoot,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION.name,
      AWS_LAMBDA_FUNCTION_VERSION: FUNCTION.version,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: FUNCTION.memory,
      AWS_LAMBDA_LOG_GROUP_NAME: FUNCTION.logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: FUNCTION.logStream,
      AWS_REGION: 'us-east-1',
      TZ: 'UTC',
    };
    const child = spawn(process.execPath, [RIC], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      // A process that ends before it asks for its first invocation (while loading the handler)
      // fails the invocation waiting for it, as an INIT that ends does on Lambda.
      const pending =
        this.current ??
        (signal !== 'SIGKILL' && this.initError === undefined ? this.queue.shift() : undefined);
      if (pending && signal !== 'SIGKILL') {
        // Lambda's report for a runtime that exits during an invocation.
        const reason =
          code === 0
            ? 'Runtime exited without providing a reason'
            : `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`;
        this.settle(pending, {
          kind: 'error',
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${pending.id} Error: ${reason}`,
        });
      }
    });
  }

  /** Invokes the handler once; a fresh process replaces one that exited or was stopped. */
  invoke(invocation: RicInvocation): Promise<RicOutcome> {
    if (this.initError) return Promise.resolve(this.initError);
    if (!this.child) this.spawn();
    return new Promise<RicOutcome>((resolve) => {
      const pending: Pending = { ...invocation, resolve };
      this.queue.push(pending);
      this.waiting?.();
    });
  }

  private settle(pending: Pending, outcome: RicOutcome): void {
    if (this.current === pending) this.current = undefined;
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  private async next(): Promise<Pending> {
    while (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
    this.waiting = undefined;
    return this.queue.shift() as Pending;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
      return this.serveNext(res);
    }
    const body = await readBody(req);
    if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
      const payload = JSON.parse(body.toString()) as { errorType: string; errorMessage: string };
      this.initError = { kind: 'error', errorType: payload.errorType, errorMessage: payload.errorMessage };
      for (const pending of [...this.queue, ...(this.current ? [this.current] : [])]) {
        this.settle(pending, this.initError);
      }
      this.queue = [];
      return 202;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    const pending = this.current;
    if (!match || !pending || decodeURIComponent(match[1]) !== pending.id) return 400;
    if (match[2] === 'error') {
      const payload = JSON.parse(body.toString()) as { errorType: string; errorMessage: string };
      this.settle(pending, {
        kind: 'error',
        errorType: payload.errorType,
        errorMessage: payload.errorMessage,
      });
      return 202;
    }
    const trailerType = req.trailers['lambda-runtime-function-error-type'];
    if (trailerType !== undefined) {
      const encoded = req.trailers['lambda-runtime-function-error-body'] ?? '';
      const payload = JSON.parse(Buffer.from(encoded, 'base64').toString()) as {
        errorType: string;
        errorMessage: string;
      };
      this.settle(pending, {
        kind: 'error',
        errorType: payload.errorType,
        errorMessage: payload.errorMessage,
      });
      return 202;
    }
    if (req.headers['lambda-runtime-function-response-mode'] === 'streaming') {
      this.settle(pending, {
        kind: 'stream',
        contentType: String(req.headers['content-type']),
        body,
      });
      return 202;
    }
    this.settle(pending, { kind: 'result', json: body.toString() });
    return 202;
  }

  private async serveNext(res: ServerResponse): Promise<number> {
    const pending = await this.next();
    this.current = pending;
    const deadline = Date.now() + pending.timeout;
    // Lambda stops the environment at the deadline and reports the timeout itself.
    pending.timer = setTimeout(() => {
      if (this.current !== pending) return;
      this.child?.kill('SIGKILL');
      this.child = undefined;
      this.settle(pending, {
        kind: 'error',
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${pending.id} Error: Task timed out after ${(pending.timeout / 1000).toFixed(2)} seconds`,
      });
    }, pending.timeout);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': pending.id,
      'lambda-runtime-deadline-ms': String(deadline),
      'lambda-runtime-invoked-function-arn': FUNCTION.arn,
      'lambda-runtime-trace-id': pending.traceId,
    };
    if (pending.tenantId !== undefined) headers['lambda-runtime-aws-tenant-id'] = pending.tenantId;
    res.writeHead(200, headers);
    res.end(JSON.stringify(pending.event));
    return -1;
  }

  async close(): Promise<void> {
    this.child?.kill('SIGKILL');
    this.child = undefined;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

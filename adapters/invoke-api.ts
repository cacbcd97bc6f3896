import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reportLine } from '../lib/emulate.js';
import { LambdaBridgeError } from '../lib/errors.js';
import { newTraceId } from '../lib/formats/alb-reverse.js';
import type { InvokerOutcome } from '../lib/invoke/handler.js';
import type { Outcome } from '../lib/invoke/invoke.js';
import type { StreamTarget } from '../lib/invoke/stream-invoke.js';
import { EXECUTED_VERSION, InvocationLog, invokeAnswer, resultBody } from '../lib/invoke-api/answer.js';
import {
  type ApiAnswer,
  apiError,
  EVENT_REQUEST_LIMIT,
  SYNC_REQUEST_LIMIT,
  tooLarge,
} from '../lib/invoke-api/errors.js';
import { type InvokeRequest, readInvokeRequest, readPayload } from '../lib/invoke-api/request.js';
import type { LogEntry } from '../lib/log.js';
import { PoolClosedError } from '../lib/pool/pool.js';
import type { ApiFunction } from './functions.js';
import { answerWhole, CollectedResponse, EventStreamAnswer } from './invoke-stream.js';

// Lambda's Invoke API (Invoke and InvokeWithResponseStream) in front of the dev server's
// functions, for the AWS SDKs and CLI pointed at it with `endpoint`/`--endpoint-url`.

export interface InvokeApiSettings {
  port: number;
  host: string;
  region: string;
  accountId: string;
  /** How many times a failed `Event` invocation runs again (Lambda's default is 2). */
  eventRetries: number;
  emit(entry: LogEntry): void;
}

export interface InvokeApi {
  url: string;
  port: number;
  /** The functions to serve; requests that arrive before wait for them. */
  serve(functions: ApiFunction[]): void;
  /** Stops taking requests; invocations in flight (and queued `Event` ones) finish within `grace` ms. */
  close(grace: number): Promise<void>;
  stop(): void;
}

type Body = { ok: true; bytes: Buffer } | { ok: false; size: number } | 'aborted';

/**
 * Reads a request body of at most `limit` bytes. A body declared larger is refused before it is
 * read (and then drained); one that grows past the limit is counted, not kept.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ ok: false, size: declared });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(over ? { ok: false, size } : { ok: true, bytes: Buffer.concat(chunks) }));
    req.on('error', () => resolve('aborted'));
    req.on('aborted', () => resolve('aborted'));
  });
}

function send(res: ServerResponse, answer: ApiAnswer): void {
  if (res.headersSent) {
    // A failure after a streamed answer began: the client sees it cut short rather than waiting.
    if (!res.writableEnded) res.destroy();
    return;
  }
  res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
  res.end(answer.body);
}

const STOPPING =
  'lambda-bridge is stopping: the function was not invoked. Send the request again once the server is back.';

/** Starts the Invoke API on its own port. */
export async function startInvokeApi(settings: InvokeApiSettings): Promise<InvokeApi> {
  const { emit, region, accountId } = settings;
  let serveFunctions: (functions: ApiFunction[]) => void = () => {};
  const registry = new Promise<Map<string, ApiFunction>>((resolve) => {
    serveFunctions = (functions) => resolve(new Map(functions.map((fn) => [fn.name, fn])));
  });
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  /** Runs one invocation with START, END and REPORT lines, in the log and in `tail` when asked. */
  async function run(
    fn: ApiFunction,
    id: string,
    event: unknown,
    clientContext: unknown,
    tail: InvocationLog | undefined,
    stream: StreamTarget,
  ): Promise<InvokerOutcome> {
    const line = (code: string, message: string) => {
      fn.log({ level: 'info', code, message, requestId: id });
      tail?.write(`${message}\n`);
    };
    line('START', `START RequestId: ${id} Version: ${EXECUTED_VERSION}`);
    const outcome = await fn.invoke({
      event,
      awsRequestId: id,
      traceId: newTraceId(),
      warn: (message) => fn.log({ level: 'warn', code: 'RUNTIME', message, requestId: id }),
      clientContext,
      output: tail === undefined ? undefined : (chunk) => tail.write(chunk),
      stream,
    });
    // What the function wrote just before it returned may still be in the pipe.
    if (tail !== undefined) await new Promise((resolve) => setImmediate(resolve));
    line('END', `END RequestId: ${id}`);
    line('REPORT', reportLine(id, outcome, fn.memorySize));
    return outcome;
  }

  /** An `Event` invocation: queued behind the concurrency limit, run in the background. */
  function runEvent(fn: ApiFunction, id: string, event: unknown): void {
    const attempts = 1 + settings.eventRetries;
    const background = (async () => {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        let outcome: Outcome;
        try {
          outcome = await run(fn, id, event, undefined, undefined, new CollectedResponse());
        } catch (error) {
          if (!(error instanceof PoolClosedError)) throw error;
          fn.log({
            level: 'warn',
            code: 'EVENT_NOT_RUN',
            requestId: id,
            message: 'the Event invocation was not run: the server is stopping',
          });
          return;
        }
        const { error } = resultBody(outcome);
        if (error === undefined) return;
        const retry = attempt < attempts && !closing;
        const next = retry
          ? `; running it again (retry ${attempt} of ${settings.eventRetries})`
          : settings.eventRetries === 0
            ? '; not retried (Lambda retries a failed Event invocation twice; --event-retries 2 does too)'
            : '; no retries left';
        fn.log({
          level: 'warn',
          code: 'EVENT_FAILED',
          requestId: id,
          message: `the Event invocation failed: ${error.errorType}: ${error.errorMessage}${next}`,
        });
        if (!retry) return;
      }
    })().catch((error: unknown) =>
      emit({
        level: 'warn',
        code: 'SERVER_ERROR',
        requestId: id,
        message: `lambda-bridge failed running an Event invocation: ${error instanceof Error ? error.stack : String(error)}`,
      }),
    );
    inFlight.add(background);
    void background.finally(() => inFlight.delete(background));
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<[InvokeRequest | undefined, string]> {
    const id = randomUUID();
    const refuse = (answer: ApiAnswer) => {
      req.resume();
      send(res, answer);
      return [undefined, id] as [undefined, string];
    };
    if (closing) return refuse(apiError(503, 'ServiceException', STOPPING, id, 'Service'));
    const request = readInvokeRequest(req.method ?? '', req.url ?? '/', req.headers, id);
    if ('status' in request) return refuse(request);
    const fn = (await registry).get(request.functionName);
    if (fn === undefined) {
      const qualified = request.qualifier === undefined ? '' : `:${request.qualifier}`;
      return refuse(
        apiError(
          404,
          'ResourceNotFoundException',
          `Function not found: arn:aws:lambda:${region}:${accountId}:function:${request.functionName}${qualified}`,
          id,
        ),
      );
    }
    const isEvent = request.invocationType === 'Event';
    const body = await readBody(req, isEvent ? EVENT_REQUEST_LIMIT : SYNC_REQUEST_LIMIT);
    if (body === 'aborted') return [request, id];
    if (!body.ok) {
      send(res, tooLarge(body.size, isEvent, id));
      return [request, id];
    }
    const payload = readPayload(body.bytes, id);
    if ('status' in payload) {
      send(res, payload);
      return [request, id];
    }
    if (request.invocationType === 'DryRun') {
      send(res, { status: 204, headers: { 'x-amzn-requestid': id }, body: Buffer.alloc(0) });
      return [request, id];
    }
    if (isEvent) {
      send(res, { status: 202, headers: { 'x-amzn-requestid': id }, body: Buffer.alloc(0) });
      runEvent(fn, id, payload.event);
      return [request, id];
    }
    const tail = request.tail ? new InvocationLog() : undefined;
    // A streaming handler writes to the event stream as it goes (InvokeWithResponseStream), or to
    // a buffer whose bytes are the payload (Invoke, which Lambda answers once the stream ends).
    const streamAnswer =
      request.operation === 'InvokeWithResponseStream' ? new EventStreamAnswer(res, id) : undefined;
    const collected = new CollectedResponse();
    let outcome: InvokerOutcome;
    try {
      outcome = await run(
        fn,
        id,
        payload.event,
        request.clientContext,
        tail,
        streamAnswer?.target() ?? collected,
      );
    } catch (error) {
      if (!(error instanceof PoolClosedError)) throw error;
      send(res, apiError(503, 'ServiceException', STOPPING, id, 'Service'));
      return [request, id];
    }
    if (!outcome.ok) {
      fn.log({
        level: 'warn',
        code: 'FUNCTION_ERROR',
        requestId: id,
        message: `the invocation failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
      });
    }
    if (streamAnswer !== undefined) {
      if (outcome.streamed) streamAnswer.end(outcome, tail?.tail());
      else answerWhole(streamAnswer, outcome, tail?.tail());
    } else {
      send(res, invokeAnswer(outcome, id, tail?.tail(), outcome.streamed ? collected.body() : undefined));
    }
    return [request, id];
  }

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const done = handle(req, res).then(
      ([request, id]) => {
        const ms = (performance.now() - started).toFixed(2);
        const what = request
          ? `${request.operation} ${request.functionName} ${request.invocationType}`
          : `${req.method} ${req.url}`;
        // A client that went away before any answer (its body cut short) got no status.
        const answered = res.headersSent;
        emit({
          level: 'info',
          code: 'INVOKE',
          message: `${what} ${answered ? res.statusCode : 'not answered: the client went away'} ${ms} ms`,
          requestId: id,
          method: req.method,
          path: req.url,
          ...(answered ? { status: res.statusCode } : {}),
          durationMs: Number(ms),
        });
      },
      (error: unknown) => {
        emit({
          level: 'warn',
          code: 'SERVER_ERROR',
          message: `lambda-bridge failed on ${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`,
        });
        send(
          res,
          apiError(500, 'ServiceException', 'lambda-bridge failed; see its log.', randomUUID(), 'Service'),
        );
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LambdaBridgeError(
              'LAMBDA_BRIDGE_PORT_IN_USE',
              `Port ${settings.port} on ${settings.host} is in use; choose another with --invoke-port (0 picks a free one).`,
            )
          : error,
      );
    });
    server.listen(settings.port, settings.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = settings.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    serve: (functions) => serveFunctions(functions),
    async close(grace) {
      closing = true;
      serveFunctions([]);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const limit = new Promise<void>((resolve) => setTimeout(resolve, grace).unref());
      await Promise.race([Promise.all(inFlight), limit]);
      server.closeAllConnections();
      await stopped;
    },
    stop() {
      closing = true;
      serveFunctions([]);
      server.close();
      server.closeAllConnections();
    },
  };
}

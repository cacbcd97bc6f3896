import type { Context } from 'aws-lambda';
import { randomBytes, randomUUID } from '../builtin.js';
import { describe, InvalidOptionError } from '../errors.js';
import { newTraceId } from '../formats/alb-reverse.js';
import { MAX_TIMER_MS } from '../timers.js';

/** The Node.js runtimes whose rules can be applied. */
export type NodeRuntime = 'nodejs20.x' | 'nodejs22.x' | 'nodejs24.x';

export const RUNTIMES: readonly NodeRuntime[] = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'];

export interface ContextOptions {
  /** @default 'local-function' */
  functionName?: string;
  /** @default '$LATEST' */
  functionVersion?: string;
  /** Memory size in MB. @default 128 */
  memorySize?: number;
  /** @default 'us-east-1' */
  region?: string;
  /** The 12-digit account id in ARNs. @default '123456789012' */
  accountId?: string;
  /** The function timeout in milliseconds; `getRemainingTimeInMillis()` counts down from it. @default 3000 */
  timeout?: number;
  /** @default a fresh UUID */
  awsRequestId?: string;
  /**
   * Whose context to build: `'nodejs24.x'` builds the runtime interface client 4 context (12 keys,
   * no `done`/`succeed`/`fail`/`callbackWaitsForEmptyEventLoop`); `'nodejs20.x'` and `'nodejs22.x'`
   * the older one with those methods.
   * @default 'nodejs24.x'
   */
  runtime?: NodeRuntime;
  /** `context.tenantId` (nodejs24.x), as a tenant-isolated function receives it. @default undefined */
  tenantId?: string;
  /** `context.xRayTraceId` (nodejs24.x). @default a fresh `Root=1-…` trace id per context */
  xRayTraceId?: string;
}

/** How a context reports completion through its legacy `done`/`succeed`/`fail` methods. */
export type CompletionSink = (error: unknown, result?: unknown) => void;

const SINK = Symbol('lambda-bridge.context-sink');

type WiredContext = Context & { [SINK]?: CompletionSink };

function checkName(value: unknown, option: string): void {
  if (value !== undefined && (typeof value !== 'string' || value === '' || /[\s:]/.test(value))) {
    throw new InvalidOptionError(
      `The "${option}" option is a non-empty name without spaces or colons; it got ${describe(value)}.`,
    );
  }
}

/** Checks the options a context is built from; throws `InvalidOptionError` naming the bad one. */
export function checkContextOptions(options: ContextOptions): void {
  checkName(options.functionName, 'functionName');
  checkName(options.functionVersion, 'functionVersion');
  checkName(options.region, 'region');
  if (options.accountId !== undefined && !/^\d{12}$/.test(String(options.accountId))) {
    throw new InvalidOptionError(
      `The "accountId" option is 12 digits; it got ${describe(options.accountId)}.`,
    );
  }
  if (
    options.memorySize !== undefined &&
    !(Number.isInteger(options.memorySize) && options.memorySize >= 128 && options.memorySize <= 10240)
  ) {
    throw new InvalidOptionError(
      `The "memorySize" option is a whole number of MB from 128 to 10240; it got ${describe(options.memorySize)}.`,
    );
  }
  if (options.runtime !== undefined && !RUNTIMES.includes(options.runtime)) {
    throw new InvalidOptionError(
      `The "runtime" option is 'nodejs20.x', 'nodejs22.x' or 'nodejs24.x'; it got ${describe(options.runtime)}.`,
    );
  }
  for (const name of ['tenantId', 'xRayTraceId'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new InvalidOptionError(`The "${name}" option is a non-empty string; it got ${describe(value)}.`);
    }
  }
  if (
    options.timeout !== undefined &&
    !(typeof options.timeout === 'number' && options.timeout > 0 && options.timeout <= MAX_TIMER_MS)
  ) {
    throw new InvalidOptionError(
      `The "timeout" option is a positive number of milliseconds, at most ${MAX_TIMER_MS}; it got ${describe(options.timeout)}.`,
    );
  }
}

function logStreamName(now: Date, version: string): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[${version}]${randomBytes(16).toString('hex')}`;
}

/**
 * A Lambda context as the chosen Node.js runtime builds it. For `nodejs24.x` (the default) it has
 * exactly the 12 keys of the runtime interface client 4: `clientContext`, `identity`,
 * `invokedFunctionArn`, `awsRequestId`, `tenantId`, `xRayTraceId`, `getRemainingTimeInMillis`,
 * `functionName`, `functionVersion`, `memoryLimitInMB`, `logGroupName`, `logStreamName`. For
 * `nodejs20.x`/`nodejs22.x` it also has `done`, `succeed`, `fail` and
 * `callbackWaitsForEmptyEventLoop` (default `true`), and no `tenantId`/`xRayTraceId`.
 * `memoryLimitInMB` is a string, `getRemainingTimeInMillis()` counts down live from `timeout`.
 *
 * @example
 * const context = createContext({ functionName: 'orders', timeout: 10_000 });
 * const result = await handler(createAlbEvent({ url: '/orders' }), context);
 */
export function createContext(options: ContextOptions = {}): Context {
  return contextFactory(options)(options.awsRequestId ?? randomUUID());
}

/**
 * Contexts for one execution environment: the options are checked once, and every invocation's
 * context shares the environment's log stream, as on Lambda. The trace id, when given, is the one
 * the invocation carries (`xRayTraceId` on nodejs24.x). `ric4` builds the runtime interface client
 * 4 context whatever the runtime (nodejs22.x on Lambda Managed Instances runs client 4).
 */
export function contextFactory(
  options: ContextOptions,
  ric4 = (options.runtime ?? 'nodejs24.x') === 'nodejs24.x',
): (awsRequestId: string, traceId?: string, clientContext?: unknown) => Context {
  checkContextOptions(options);
  const functionName = options.functionName ?? 'local-function';
  const version = options.functionVersion ?? '$LATEST';
  const region = options.region ?? 'us-east-1';
  const account = options.accountId ?? '123456789012';
  const arn = `arn:aws:lambda:${region}:${account}:function:${functionName}`;
  const memory = String(options.memorySize ?? 128);
  const stream = logStreamName(new Date(), version);
  const timeout = options.timeout ?? 3000;
  if (ric4) {
    const tenantId = options.tenantId;
    return (awsRequestId, traceId, clientContext) => {
      const deadline = Date.now() + timeout;
      // The key order of the runtime interface client 4: invocation data, then the environment's.
      return {
        clientContext,
        identity: undefined,
        invokedFunctionArn: arn,
        awsRequestId,
        tenantId,
        xRayTraceId: traceId ?? options.xRayTraceId ?? newTraceId(),
        getRemainingTimeInMillis: () => deadline - Date.now(),
        functionName,
        functionVersion: version,
        memoryLimitInMB: memory,
        logGroupName: `/aws/lambda/${functionName}`,
        logStreamName: stream,
      } as unknown as Context;
    };
  }
  return (awsRequestId, _traceId, clientContext) =>
    makeContext(
      functionName,
      version,
      arn,
      memory,
      awsRequestId,
      stream,
      Date.now() + timeout,
      clientContext,
    );
}

function makeContext(
  functionName: string,
  version: string,
  arn: string,
  memory: string,
  awsRequestId: string,
  stream: string,
  deadline: number,
  clientContext: unknown,
): Context {
  let waits = true;
  const context: WiredContext = {
    functionName,
    functionVersion: version,
    invokedFunctionArn: arn,
    memoryLimitInMB: memory,
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: stream,
    identity: undefined,
    clientContext: clientContext as Context['clientContext'],
    get callbackWaitsForEmptyEventLoop() {
      return waits;
    },
    set callbackWaitsForEmptyEventLoop(value: boolean) {
      waits = value;
    },
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done(error?: Error | string | null, result?: unknown) {
      context[SINK]?.(error ?? null, result);
    },
    fail(error: Error | string) {
      context[SINK]?.(error ?? 'handled');
    },
    succeed(result: unknown) {
      context[SINK]?.(null, result);
    },
  };
  return context;
}

/** Routes a context's `done`/`succeed`/`fail` to the invocation that uses it. */
export function wireContext(context: Context, sink: CompletionSink): void {
  (context as WiredContext)[SINK] = sink;
}

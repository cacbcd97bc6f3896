import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAwsLambdaGlobal } from '../../lib/invoke/global.js';
import { type InvokeHandlerOutcome, invokeHandler } from '../../lib/invoke/handler.js';
import { Environment } from '../../lib/pool/environment.js';
import { RicEnvironment, type RicOutcome } from './ric-api.js';

// The proof behind the nodejs24.x rules: every fixture handler runs under AWS's own runtime
// interface client (aws-lambda-ric 4, a child process per handler, driven by a Runtime API on
// 127.0.0.1) and through invokeHandler with runtime 'nodejs24.x'; the outcomes must be identical:
// the result's JSON, the streamed bytes and content type, or the error's type and message.

const FIXTURES = join(import.meta.dirname, 'fixtures');
const FIVE_SECONDS = 5000;

interface Case {
  name: string;
  /** The events, invoked in order in one process (reused between invocations, as Lambda does). */
  events?: unknown[];
  /** The function timeout, ms. */
  timeout?: number;
  tenantId?: string;
  /** A difference lambda-bridge documents: what each side gives instead of one shared outcome. */
  differs?: { ric: Compared; bridge: Compared };
}

const CASES: Case[] = [
  { name: 'syncReturn', events: [{ n: 1 }, { n: 2, s: 'é' }] },
  { name: 'asyncReturn', events: [{ n: 3 }] },
  { name: 'promiseReturn' },
  { name: 'dateAndUndefined' },
  { name: 'returnUndefined' },
  { name: 'asyncUndefined' },
  { name: 'returnBigInt' },
  { name: 'returnCircular' },
  { name: 'returnFunction' },
  { name: 'returnSymbol' },
  { name: 'throwingToJSON' },
  { name: 'thenable' },
  { name: 'thenableThrows' },
  { name: 'callbackHandler' },
  { name: 'asyncThreeParams' },
  { name: 'defaultThirdParam' },
  { name: 'restParams' },
  { name: 'contextSucceed' },
  { name: 'throwError' },
  { name: 'throwSubclass' },
  { name: 'throwString' },
  { name: 'throwNullProto' },
  { name: 'throwHostileProxy' },
  { name: 'throwErrorWithThrowingGetters' },
  { name: 'rejectNumber' },
  { name: 'rejectUndefined' },
  { name: 'rejectPlainObject' },
  { name: 'errorNameNotString' },
  { name: 'errorWithDel' },
  { name: 'contextShape' },
  { name: 'contextValues' },
  { name: 'counter', events: [{}, {}, {}] },
  { name: 'invokeStore', events: [{}, {}] },
  { name: 'neverSettlesWithTimer', timeout: 1000 },
  { name: 'streamingNonAsync' },
  { name: 'streamingCallableThenable' },
  { name: 'streamingBody' },
  { name: 'streamingContentType' },
  { name: 'streamingThrows' },
  { name: 'streamingThrowsNullProto' },
  { name: 'awslambdaGlobal' },
  { name: 'streamingPrelude' },
  { name: 'streamingPreludeEndOnly' },
  { name: 'streamingLateContentType' },
  {
    // With nothing left to run, the runtime client's process exits and Lambda reports it at once;
    // one process cannot see that, so the invocation runs into the timeout.
    name: 'neverSettlesIdle',
    // Long enough for the runtime client's process to exit on a busy machine before the deadline.
    timeout: 3000,
    differs: {
      ric: {
        error: ['Runtime.ExitError', 'RequestId: <id> Error: Runtime exited without providing a reason'],
      },
      bridge: { error: ['Sandbox.Timedout', 'RequestId: <id> Error: Task timed out after 3.00 seconds'] },
    },
  },
];

type Compared = { result: string } | { stream: [string, string] } | { error: [string, string] };

function fromRic(outcome: RicOutcome, id: string): Compared {
  if (outcome.kind === 'result') return { result: outcome.json };
  if (outcome.kind === 'stream') return { stream: [outcome.contentType, outcome.body.toString('hex')] };
  return { error: [outcome.errorType, outcome.errorMessage.replaceAll(id, '<id>')] };
}

function fromBridge(outcome: InvokeHandlerOutcome, id: string): Compared {
  if ('result' in outcome) return { result: JSON.stringify(outcome.result) };
  if ('stream' in outcome)
    return { stream: [outcome.stream.contentType, outcome.stream.body.toString('hex')] };
  return { error: [outcome.error.errorType, outcome.error.errorMessage.replaceAll(id, '<id>')] };
}

interface Invocation {
  id: string;
  event: unknown;
  traceId: string;
}

const invocations = new Map<string, Invocation[]>();
const ric = new Map<string, Compared[]>();
const environments: RicEnvironment[] = [];
let handlers: Record<string, never>;

async function runUnderRic(test: Case): Promise<void> {
  const env = new RicEnvironment(FIXTURES, `handlers.${test.name}`);
  environments.push(env);
  await env.start();
  const list = (test.events ?? [{ n: 1 }]).map((event) => ({
    id: randomUUID(),
    event,
    traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Sampled=0`,
  }));
  invocations.set(test.name, list);
  const outcomes: Compared[] = [];
  for (const call of list) {
    const outcome = await env.invoke({
      ...call,
      timeout: test.timeout ?? FIVE_SECONDS,
      tenantId: test.tenantId,
    });
    outcomes.push(fromRic(outcome, call.id));
  }
  ric.set(test.name, outcomes);
  await env.close();
}

beforeAll(async () => {
  installAwsLambdaGlobal();
  handlers = (await import(pathToFileURL(join(FIXTURES, 'handlers.mjs')).href)) as Record<string, never>;
  // A few runtime processes at a time: each is a Node process loading the runtime client.
  const queue = [...CASES];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let test = queue.shift(); test; test = queue.shift()) await runUnderRic(test);
    }),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(environments.map((env) => env.close().catch(() => {})));
});

describe('nodejs24.x: invokeHandler against the runtime interface client 4 (aws-lambda-ric 4.0.2)', () => {
  it('covers at least 20 handlers', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES)('$name', async (test) => {
    const list = invocations.get(test.name) ?? [];
    const bridge: Compared[] = [];
    for (const call of list) {
      const outcome = await invokeHandler(handlers[test.name], call.event, {
        runtime: 'nodejs24.x',
        timeout: test.timeout ?? FIVE_SECONDS,
        awsRequestId: call.id,
        xRayTraceId: call.traceId,
        tenantId: test.tenantId,
        log: () => {},
      });
      bridge.push(fromBridge(outcome, call.id));
    }
    if (test.differs) {
      expect(ric.get(test.name)).toEqual(list.map(() => test.differs?.ric));
      expect(bridge).toEqual(list.map(() => test.differs?.bridge));
    } else {
      expect(bridge).toEqual(ric.get(test.name));
    }
  });
});

// What only a process can show: a handler or module that ends its runtime process (an uncaught
// exception, an unhandled rejection, process.exit), or fails while loading. Each runs under the
// runtime interface client 4 and in one of serve's environment processes (lib/pool), nodejs24.x.
interface ProcessCase {
  /** The fixture module and its export, as a handler string names them. */
  file: string;
  exportName: string;
}

const PROCESS_CASES: ProcessCase[] = [
  ...[
    'uncaughtInTimer',
    'uncaughtString',
    'unhandledRejection',
    'unhandledRejectionValue',
    'rejectionAfterReturn',
    'processExit',
    'processExitZero',
  ].map((exportName) => ({ file: 'crashes.mjs', exportName })),
  ...['init-throws.mjs', 'init-exits.mjs', 'init-missing-package.mjs', 'init-missing-module.cjs'].map(
    (file) => ({ file, exportName: 'handler' }),
  ),
];

const processCall = (test: ProcessCase) => `${test.file.replace(/\.[cm]?js$/, '')}.${test.exportName}`;
const underRic = new Map<string, { id: string; outcome: Compared }>();

async function crashUnderRic(test: ProcessCase): Promise<void> {
  const env = new RicEnvironment(FIXTURES, processCall(test));
  environments.push(env);
  await env.start();
  const id = randomUUID();
  const outcome = await env.invoke({ id, event: {}, timeout: FIVE_SECONDS, traceId: 'Root=1-0-0;Sampled=0' });
  underRic.set(processCall(test), { id, outcome: fromRic(outcome, id) });
  await env.close();
}

async function crashInEnvironment(test: ProcessCase, id: string): Promise<Compared> {
  const env = new Environment(
    {
      data: {
        file: join(FIXTURES, test.file),
        exportName: test.exportName,
        context: { timeout: FIVE_SECONDS },
        runtime: 'nodejs24.x',
      },
      env: { ...(process.env as Record<string, string>), AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' },
      timeout: FIVE_SECONDS,
      memorySize: 512,
      freeze: false,
    },
    0,
    () => {},
  );
  try {
    const outcome = await env.invoke({ id, event: {}, traceId: 'Root=1-0-0;Sampled=0', warn: () => {} });
    if (outcome.ok) return { result: outcome.json };
    return { error: [outcome.error.errorType, outcome.error.errorMessage.replaceAll(id, '<id>')] };
  } finally {
    env.kill();
    await env.exited;
  }
}

describe("nodejs24.x: serve's environment processes against the runtime interface client 4", () => {
  beforeAll(async () => {
    const queue = [...PROCESS_CASES];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let test = queue.shift(); test; test = queue.shift()) await crashUnderRic(test);
      }),
    );
  }, 120_000);

  it.each(PROCESS_CASES)('$file#$exportName', async (test) => {
    const ric = underRic.get(processCall(test));
    expect(ric).toBeDefined();
    const { id, outcome } = ric as { id: string; outcome: Compared };
    expect(await crashInEnvironment(test, id)).toEqual(outcome);
  });
});

import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { describeThrown } from '../errors.js';
import { contextFactory } from '../invoke/context.js';
import { invoke, type LambdaHandler } from '../invoke/invoke.js';
import { importError, loadHandler } from './load.js';
import type { EnvironmentData, FromEnvironment, ToEnvironment } from './protocol.js';

// One execution environment: loads the handler module once, then serves one invocation at a time.
const data = workerData as EnvironmentData;
const contextFor = contextFactory(data.context);
const port = parentPort;

function post(message: FromEnvironment): void {
  port?.postMessage(message);
}

let peakMB = 0;
let current: string | undefined;

// As the Node.js runtime does: an uncaught exception or unhandled rejection fails the invocation
// and ends the environment (contract 5.3); the next invocation starts a fresh one.
function crash(errorType: string, value: unknown, code: number): void {
  let name = 'Error';
  let trace: string[] = [];
  try {
    if (value instanceof Error) {
      name = String(value.name);
      const stack = value.stack;
      if (typeof stack === 'string') trace = stack.split('\n');
    }
  } catch {
    // A getter that throws: the message alone describes the value.
  }
  post({
    type: 'crash',
    id: current,
    error: { errorType, errorMessage: `${name}: ${describeThrown(value)}`, trace },
  });
  process.exit(code);
}
process.on('uncaughtException', (error) => crash('Runtime.UncaughtException', error, 129));
process.on('unhandledRejection', (reason) => crash('Runtime.UnhandledPromiseRejection', reason, 128));

async function main(): Promise<void> {
  const started = performance.now();
  let handler: LambdaHandler;
  try {
    handler = (await loadHandler(data.file, data.exportName)) as LambdaHandler;
  } catch (error) {
    post({ type: 'init-error', error: importError(error, data.file) });
    return;
  }
  post({ type: 'ready', initDuration: performance.now() - started });
  port?.on('message', async (message: ToEnvironment) => {
    if (message.type !== 'invoke') return;
    current = message.id;
    process.env._X_AMZN_TRACE_ID = message.traceId;
    const context = contextFor(message.id);
    // The server stops the environment at the timeout; this timer is only a backstop.
    const timeout = (data.context.timeout ?? 3000) * 2 + 1000;
    const outcome = await invoke(handler, message.event, context, {
      timeout,
      runtime: data.runtime,
      warn: (text) => post({ type: 'warn', id: message.id, message: text }),
    });
    // A rejection the handler left unhandled surfaces after the microtasks; it fails this invocation.
    await new Promise((resolve) => setImmediate(resolve));
    current = undefined;
    peakMB = Math.max(peakMB, Math.round(getHeapStatistics().used_heap_size / 1048576));
    outcome.maxMemoryUsedMB = peakMB;
    post({ type: 'done', id: message.id, outcome });
  });
}

void main();

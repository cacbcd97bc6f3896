import { describeThrown } from '../errors.js';
import { contextFactory } from '../invoke/context.js';
import { invoke, type LambdaHandler } from '../invoke/invoke.js';
import { importError, loadHandler } from './load.js';
import { DATA_VARIABLE, type EnvironmentData, type FromEnvironment, type ToEnvironment } from './protocol.js';

// One execution environment, in its own process: loads the handler module once, then serves one
// invocation at a time for the server that forked it.
const data = JSON.parse(process.env[DATA_VARIABLE] as string) as EnvironmentData;
delete process.env[DATA_VARIABLE];
const contextFor = contextFactory(data.context);

function post(message: FromEnvironment, then?: () => void): void {
  if (process.connected) process.send?.(message, undefined, {}, () => then?.());
  else then?.();
}

// Without its server there is nobody to answer: an orphaned environment ends itself.
process.on('disconnect', () => process.exit(0));

let current: string | undefined;
let crashed = false;

// As the Node.js runtime does: an uncaught exception or unhandled rejection fails the invocation
// and ends the environment (contract 5.3); the next invocation starts a fresh one.
function crash(errorType: string, value: unknown, code: number): void {
  if (crashed) return;
  crashed = true;
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
  const error = { errorType, errorMessage: `${name}: ${describeThrown(value)}`, trace };
  post({ type: 'crash', id: current, error }, () => process.exit(code));
  // Should the message never be flushed, the process still ends.
  setTimeout(() => process.exit(code), 1000).unref();
}
process.on('uncaughtException', (error) => crash('Runtime.UncaughtException', error, 129));
process.on('unhandledRejection', (reason) => crash('Runtime.UnhandledPromiseRejection', reason, 128));

/** The peak resident memory of this process so far, in KB. */
const peakKB = () => process.resourceUsage().maxRSS;

async function main(): Promise<void> {
  const started = performance.now();
  let handler: LambdaHandler;
  try {
    handler = (await loadHandler(data.file, data.exportName)) as LambdaHandler;
  } catch (error) {
    post({ type: 'init-error', error: importError(error, data.file) });
    return;
  }
  post({ type: 'ready', initDuration: performance.now() - started, peakKB: peakKB() });
  process.on('message', async (message: ToEnvironment) => {
    if (message.type !== 'invoke') return;
    current = message.id;
    process.env._X_AMZN_TRACE_ID = message.traceId;
    const context = contextFor(message.id);
    // The server stops this process at the timeout; this timer is only a backstop.
    const timeout = (data.context.timeout ?? 3000) * 2 + 1000;
    const outcome = await invoke(handler, message.event, context, {
      timeout,
      runtime: data.runtime,
      warn: (text) => post({ type: 'warn', id: message.id, message: text }),
    });
    // A rejection the handler left unhandled surfaces after the microtasks; it fails this invocation.
    await new Promise((resolve) => setImmediate(resolve));
    if (crashed) return;
    current = undefined;
    const finished = outcome.ok
      ? { ok: true as const, json: outcome.json, duration: outcome.duration }
      : { ok: false as const, error: outcome.error, timedOut: outcome.timedOut, duration: outcome.duration };
    post({ type: 'done', id: message.id, outcome: finished, peakKB: peakKB() });
  });
}

void main();

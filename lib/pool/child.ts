import { describeThrown } from '../errors.js';
import { installAwsLambdaGlobal } from '../invoke/global.js';
import { handlerInvoker } from '../invoke/handler.js';
import { type LambdaHandler, usesRic4 } from '../invoke/invoke.js';
import { InvokeStore } from '../invoke/store.js';
import { LOG_SINK, type LogEntry } from '../log.js';
import { importError, loadHandler } from './load.js';
import { DATA_VARIABLE, type EnvironmentData, type FromEnvironment, type ToEnvironment } from './protocol.js';
import { environmentTarget, type StreamToEnvironment } from './stream-channel.js';

// One execution environment, in its own process: loads the handler module once, then serves one
// invocation at a time for the server that forked it, or several at once on a managed instance.
const data = JSON.parse(process.env[DATA_VARIABLE] as string) as EnvironmentData;
delete process.env[DATA_VARIABLE];
installAwsLambdaGlobal();
// Lambda Managed Instances: invocations overlap, so nothing per invocation goes in process.env.
const managed = data.maxConcurrency !== undefined;
if (managed) delete process.env._X_AMZN_TRACE_ID;

function post(message: FromEnvironment, then?: () => void): void {
  if (process.connected) process.send?.(message, undefined, {}, () => then?.());
  else then?.();
}

// Without its server there is nobody to answer: an orphaned environment ends itself.
process.on('disconnect', () => process.exit(0));

let current: string | undefined;
let crashed = false;

// A toLambda inside the handler that keeps its default log reports to the server's logger, with
// the id of the invocation it runs in (overlapping invocations each have their own).
(globalThis as Record<symbol, unknown>)[LOG_SINK] = (entry: LogEntry) => {
  const id = InvokeStore.hasContext() ? InvokeStore.getRequestId() : current;
  post({ type: 'log', id, entry: { ...entry, requestId: entry.requestId ?? id } });
};

// The runtime interface client 4 installs no handlers: an uncaught exception or unhandled
// rejection ends the process with Node's own report and exit status 1, and Lambda fails the
// invocation with `Runtime.ExitError` (the server reports the exit). Client 3 reports it as an
// error of its own, then exits (contract 5.3). Either way the next invocation starts a fresh one.
const ric4 = usesRic4(data.runtime, managed);

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
if (!ric4) {
  process.on('uncaughtException', (error) => crash('Runtime.UncaughtException', error, 129));
  process.on('unhandledRejection', (reason) => crash('Runtime.UnhandledPromiseRejection', reason, 128));
}

/** How many resources of each kind keep the event loop busy (timers, sockets, file requests, …). */
function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

// Node's names for resources, as a reader of the warning knows them.
const RESOURCE_NAMES: Record<string, string> = {
  Timeout: 'timer',
  Immediate: 'immediate',
  TCPSocketWrap: 'socket',
  TCPWRAP: 'socket',
  TLSWRAP: 'TLS socket',
  PipeWrap: 'pipe',
  UDPWrap: 'UDP socket',
  FSReqCallback: 'file operation',
  FSReqPromise: 'file operation',
  FileHandleCloseReq: 'file operation',
  GetAddrInfoReqWrap: 'DNS lookup',
  QueryReqWrap: 'DNS lookup',
  ProcessWrap: 'child process',
  FSEventWrap: 'file watcher',
  StatWatcher: 'file watcher',
  Zlib: 'compression stream',
};

/** The kinds of resource there are more of now than before the invocation. */
function leftRunning(before: Map<string, number>, after: Map<string, number>): string[] {
  const kinds: string[] = [];
  for (const [kind, count] of after) {
    if (count > (before.get(kind) ?? 0)) kinds.push(`${RESOURCE_NAMES[kind] ?? kind} (${kind})`);
  }
  return kinds;
}

/** The peak resident memory of this process so far, in KB. */
const peakKB = () => process.resourceUsage().maxRSS;

async function main(): Promise<void> {
  const started = performance.now();
  let handler: LambdaHandler;
  try {
    handler = (await loadHandler(data.file, data.exportName)) as LambdaHandler;
  } catch (error) {
    post({ type: 'init-error', error: importError(error, data.file, data.runtime, managed) });
    return;
  }
  // The server stops this process at the timeout; this timer is only a backstop. A managed
  // instance times its invocations out itself and lets them run on (the server's is the backstop).
  const timeout = data.context.timeout ?? 3000;
  const run = handlerInvoker(
    handler as LambdaHandler<never>,
    { ...data.context, runtime: data.runtime },
    managed ? timeout : timeout * 2 + 1000,
    managed,
  );
  // The acknowledgements of each invocation streaming now, by request id.
  const acknowledgers = new Map<string, (message: StreamToEnvironment) => void>();
  post({ type: 'ready', initDuration: performance.now() - started, peakKB: peakKB() });
  process.on('message', async (message: ToEnvironment) => {
    if (message.type === 'stream-ack') return acknowledgers.get(message.id)?.(message);
    if (message.type !== 'invoke') return;
    // Overlapping invocations cannot tell whose resources are whose, and nothing is frozen.
    const before = managed ? undefined : resourceCounts();
    current = message.id;
    if (!managed) process.env._X_AMZN_TRACE_ID = message.traceId;
    // The server takes a streamed response: its bytes cross as messages, each one acknowledged.
    const channel = message.stream ? environmentTarget(message.id, post) : undefined;
    if (channel !== undefined) acknowledgers.set(message.id, channel.acknowledge);
    const outcome = await run(message.event, {
      awsRequestId: message.id,
      traceId: message.traceId,
      clientContext: message.clientContext,
      warn: (text) => post({ type: 'warn', id: message.id, message: text }),
      stream: channel?.target,
    });
    acknowledgers.delete(message.id);
    // A rejection the handler left unhandled surfaces after the microtasks; it fails this invocation.
    await new Promise((resolve) => setImmediate(resolve));
    if (crashed) return;
    current = undefined;
    const streamed = outcome.streamed === true;
    const finished = outcome.ok
      ? { ok: true as const, json: outcome.json, duration: outcome.duration, streamed }
      : {
          ok: false as const,
          error: outcome.error,
          timedOut: outcome.timedOut,
          duration: outcome.duration,
          streamed,
        };
    const pending = before === undefined ? [] : leftRunning(before, resourceCounts());
    post({ type: 'done', id: message.id, outcome: finished, peakKB: peakKB(), pending });
  });
}

void main();

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InvokerOutcome } from '../invoke/handler.js';
import { type InvocationError, type Outcome, usesRic4 } from '../invoke/invoke.js';
import { ric3TimeoutError } from '../invoke/ric3.js';
import { timeoutError } from '../invoke/ric4.js';
import type { StreamTarget } from '../invoke/stream-invoke.js';
import type { LogEntry } from '../log.js';
import { exitDescription, exitReason, isHeapExhaustion, residentMemory } from './exit.js';
import { poolUrl } from './here.js';
import { tsxLoader } from './load.js';
import { DATA_VARIABLE, type EnvironmentData, type FromEnvironment, type ToEnvironment } from './protocol.js';
import { deliverStreamMessage } from './stream-channel.js';

/** What every environment of one function is started with. */
export interface EnvironmentSettings {
  data: EnvironmentData;
  /** The environment variables the process sees. */
  env: Record<string, string>;
  /** The function timeout, in ms. */
  timeout: number;
  /** The memory size in MB: the V8 heap limit, and the most resident memory the process may hold. */
  memorySize: number;
  /** Stop the process (SIGSTOP) between invocations, as Lambda freezes an idle environment. */
  freeze: boolean;
  /** Where the process's stdout (1) and stderr (2) go. @default this process's stdout and stderr */
  write?(chunk: Buffer, fd: 1 | 2): void;
}

/** One invocation as the pool hands it to an environment. */
export interface Invocation {
  id: string;
  event: unknown;
  /** The trace header value for `_X_AMZN_TRACE_ID`. */
  traceId: string;
  /** Reports a runtime warning for this invocation. */
  warn(message: string): void;
  /** Reports work the invocation left running after it completed (timer, socket, … kinds). */
  leftWork?(kinds: string[]): void;
  /** Receives what a lambda-bridge inside the handler logs during this invocation. */
  log?(entry: LogEntry): void;
  /**
   * Where a streaming handler's response goes (prelude and body bytes as the runtime posts
   * them), when the service in front streams. Each chunk's `done` is the backpressure the
   * handler's stream feels. Without it, a streaming handler fails (`Runtime.StreamingNotSupported`).
   */
  stream?: StreamTarget;
  /** `context.clientContext`. */
  clientContext?: unknown;
  /**
   * Receives what the process writes to stdout and stderr from the start of this invocation
   * until the next one starts after it completed (output still in the pipes when it completes
   * arrives after it); with several invocations at once in one environment, each receives what
   * all of them write meanwhile.
   */
  output?(chunk: Buffer): void;
}

interface Call {
  id: string;
  leftWork: ((kinds: string[]) => void) | undefined;
  started: number;
  /** The highest resident memory sampled during the call, in KB. */
  sampledKB: number;
  resolve(outcome: InvokerOutcome): void;
  warn(message: string): void;
  log?(entry: LogEntry): void;
  stream: StreamTarget | undefined;
  timer: NodeJS.Timeout;
}

/** Lambda stops an initialization that runs past 10 s (or the function timeout, if longer). */
export const INIT_LIMIT = 10_000;
/** On Lambda Managed Instances, past 130 s (or the function timeout, if longer). */
export const MANAGED_INIT_LIMIT = 130_000;
/**
 * On a managed instance the environment reports its own timeouts and keeps running; past this
 * much more, its event loop is taken to be blocked and the process is stopped.
 */
const MANAGED_TIMEOUT_GRACE = 2000;
/** How often a busy environment's resident memory is read. */
const SAMPLE_INTERVAL = 20;
const STDERR_TAIL = 4096;
/** How long a process whose channel broke has to report its crash and exit before it is stopped. */
const EXIT_GRACE = 1000;

function failure(error: InvocationError, started: number, extra: Partial<Outcome> = {}): Outcome {
  return { ok: false, error, timedOut: false, duration: performance.now() - started, ...extra } as Outcome;
}

const runningFromSources = import.meta.url.endsWith('.ts');

/**
 * One execution environment: an OS process (forked with IPC) that loads the handler module once
 * and serves one invocation at a time, or up to `maxConcurrency` at once as a Lambda Managed
 * Instance does. Its memory is limited (V8 heap and resident memory), its timeouts stop it with
 * SIGKILL whatever it is doing (a managed instance lets the invocation run on), and whatever ends
 * it (exit, abort, a signal, a native crash, an uncaught exception) fails only the invocations
 * running in it.
 */
export class Environment {
  private readonly child: ChildProcess;
  /** The invocations running now, by request id. */
  private readonly calls = new Map<string, Call>();
  private sampler: NodeJS.Timeout | undefined;
  private readonly managed: boolean;
  private initDuration: number | undefined;
  private stderrTail = '';
  private peakKB = 0;
  private frozen = false;
  /** The `output` hooks of the invocations running, and of those completed since the last one started. */
  private readonly outputs = new Set<(chunk: Buffer) => void>();
  /** The hooks of completed invocations, dropped when the next invocation starts. */
  private readonly lingering = new Set<(chunk: Buffer) => void>();
  alive = true;
  /** Settles with the Init Duration, or the error that stopped initialization. */
  readonly ready: Promise<number | InvocationError>;
  /** Settles once the process has exited. */
  readonly exited: Promise<void>;

  constructor(
    private readonly settings: EnvironmentSettings,
    readonly generation: number,
    /** Called once when the environment stops, with the reason. */
    private readonly onStop: (env: Environment, reason: string) => void,
  ) {
    this.managed = settings.data.maxConcurrency !== undefined;
    const script = fileURLToPath(new URL(runningFromSources ? 'child.ts' : 'child.js', poolUrl));
    const execArgv = [`--max-old-space-size=${settings.memorySize}`];
    // Running from the library's TypeScript sources: the environment itself needs tsx.
    if (runningFromSources) execArgv.push('--import', tsxLoader(script) as string);
    this.child = fork(script, [], {
      execArgv,
      env: { ...settings.env, [DATA_VARIABLE]: JSON.stringify(settings.data) },
      // Its own process group: a Ctrl+C at the terminal reaches the server only, which then lets
      // this environment finish its invocation; a timeout stops the whole group.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const write =
      settings.write ?? ((chunk, fd) => (fd === 1 ? process.stdout : process.stderr).write(chunk));
    this.child.stdout?.on('data', (chunk: Buffer) => {
      write(chunk, 1);
      for (const output of this.outputs) output(chunk);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      write(chunk, 2);
      for (const output of this.outputs) output(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('latin1')).slice(-STDERR_TAIL);
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      this.child.once('exit', (code, signal) => resolve([code, signal]));
    });
    // Settled once the process's handles are closed too ('close'), or shortly after its exit
    // when something it started holds its pipes open.
    this.exited = new Promise<void>((resolve) => {
      this.child.once('close', () => resolve());
      void exited.then(() => setTimeout(resolve, 300).unref());
    });
    // Lambda stops an initialization that runs past 10 s (or the function timeout, if longer).
    const limit = Math.max(this.managed ? MANAGED_INIT_LIMIT : INIT_LIMIT, settings.timeout);
    let initTimer: NodeJS.Timeout | undefined;
    this.ready = new Promise<number | InvocationError>((resolve) => {
      initTimer = setTimeout(() => {
        resolve({
          errorType: 'Runtime.InitTimeout',
          errorMessage: `The handler module did not finish loading within ${(limit / 1000).toFixed(2)} seconds.`,
          trace: [],
        });
        this.stop(
          `Runtime.InitTimeout: the handler did not load within ${(limit / 1000).toFixed(2)} seconds`,
        );
      }, limit);
      const onMessage = (message: FromEnvironment) => {
        if (message.type === 'ready') {
          this.initDuration = message.initDuration;
          this.peakKB = message.peakKB;
          // Idle after its initialization, as a provisioned environment is: frozen until invoked.
          if (settings.freeze && this.calls.size === 0) this.freezeNow();
          resolve(message.initDuration);
        } else if (message.type === 'init-error') {
          resolve(message.error);
        }
      };
      this.child.on('message', onMessage);
      void exited.then(([code, signal]) =>
        resolve({
          errorType: 'Runtime.ExitError',
          // Completed with the request id of the invocation that finds it (see `invoke`).
          errorMessage: exitReason(code, signal),
          trace: [],
        }),
      );
    }).finally(() => clearTimeout(initTimer));
    this.child.on('message', (message: FromEnvironment) => this.onMessage(message));
    this.child.on('error', (error) => this.failed(error));
    void exited.then(([code, signal]) => this.onExit(code, signal));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async invoke(invocation: Invocation): Promise<InvokerOutcome> {
    const loading = performance.now();
    const ready = await this.ready;
    if (typeof ready !== 'number') {
      this.stop(`the handler failed to load: ${ready.errorMessage}`);
      // A process that exited while loading is reported as Lambda reports it, for this invocation.
      const error =
        ready.errorType === 'Runtime.ExitError'
          ? { ...ready, errorMessage: `RequestId: ${invocation.id} Error: ${ready.errorMessage}` }
          : ready;
      return failure(error, loading);
    }
    // The invocation's duration starts once the module is loaded; loading is the Init Duration.
    const started = performance.now();
    if (!this.alive) {
      return failure(
        {
          errorType: 'Runtime.ExitError',
          errorMessage: 'The environment stopped before the invocation.',
          trace: [],
        },
        started,
      );
    }
    const cold = this.initDuration;
    this.initDuration = undefined;
    const { id, output } = invocation;
    return new Promise<InvokerOutcome>((resolve) => {
      // A managed instance reports its own timeouts; this one is then only a backstop.
      const limit = this.settings.timeout + (this.managed ? MANAGED_TIMEOUT_GRACE : 0);
      const timer = setTimeout(() => this.timedOut(id), limit);
      const pid = this.child.pid;
      if (this.sampler === undefined && pid !== undefined) {
        this.sampler = setInterval(() => this.sample(pid), SAMPLE_INTERVAL);
      }
      this.calls.set(id, {
        id,
        leftWork: invocation.leftWork,
        started,
        sampledKB: 0,
        warn: invocation.warn,
        log: invocation.log,
        stream: invocation.stream,
        timer,
        resolve: (outcome) => {
          if (cold !== undefined) outcome.initDuration = cold;
          if (output !== undefined) this.lingering.add(output);
          resolve(outcome);
        },
      });
      for (const done of this.lingering) this.outputs.delete(done);
      this.lingering.clear();
      if (output !== undefined) this.outputs.add(output);
      this.thaw();
      const message: ToEnvironment = {
        type: 'invoke',
        id,
        event: invocation.event,
        traceId: invocation.traceId,
        stream: invocation.stream !== undefined,
      };
      if (invocation.clientContext !== undefined) message.clientContext = invocation.clientContext;
      this.child.send(message);
    });
  }

  private timedOut(id: string): void {
    const call = this.calls.get(id);
    if (call === undefined) return;
    const seconds = (this.settings.timeout / 1000).toFixed(2);
    // Lambda's wording differs between the runtime clients 3 and 4.
    const error = usesRic4(this.settings.data.runtime, this.managed)
      ? timeoutError(id, this.settings.timeout)
      : ric3TimeoutError(id, this.settings.timeout);
    this.finish(call, failure(error, call.started, { timedOut: true, maxMemoryUsedMB: this.usedMB(call) }));
    // What else runs in a managed instance fails with it: its event loop does not answer.
    this.stop(
      this.managed
        ? `an invocation blocked the event loop past its timeout of ${seconds} seconds`
        : `Task timed out after ${seconds} seconds`,
    );
  }

  /** Reads the process's resident memory; past the memory size, its invocations fail as Lambda's do. */
  private sample(pid: number): void {
    const memory = residentMemory(pid);
    if (this.calls.size === 0 || memory === undefined) return;
    for (const call of this.calls.values()) call.sampledKB = Math.max(call.sampledKB, memory.peak);
    if (memory.peak > this.settings.memorySize * 1024) this.outOfMemory(memory.peak);
  }

  private usedMB(call: Call): number {
    return Math.round(Math.max(this.peakKB, call.sampledKB) / 1024);
  }

  /** Every invocation running in the environment fails with `Runtime.OutOfMemory`, and it stops. */
  private outOfMemory(peakKB: number, detail?: string): void {
    if (this.calls.size === 0) return;
    const used = Math.round(peakKB / 1024);
    const reason =
      detail ?? `resident memory reached ${used} MB, over the ${this.settings.memorySize} MB memory size`;
    for (const call of [...this.calls.values()]) {
      this.finish(
        call,
        failure(
          {
            errorType: 'Runtime.OutOfMemory',
            errorMessage: `RequestId: ${call.id} Error: Runtime exited with error: signal: killed (${reason})`,
            trace: [],
          },
          call.started,
          { maxMemoryUsedMB: Math.max(used, this.usedMB(call)) },
        ),
      );
    }
    this.stop(`Runtime.OutOfMemory: ${reason}`);
  }

  private finish(call: Call, outcome: InvokerOutcome): void {
    if (this.calls.get(call.id) !== call) return;
    this.calls.delete(call.id);
    clearTimeout(call.timer);
    if (this.calls.size === 0) {
      clearInterval(this.sampler);
      this.sampler = undefined;
    }
    call.resolve(outcome);
  }

  /** Every invocation running in the environment fails, each with its own error. */
  private failAll(error: (call: Call) => InvocationError): void {
    for (const call of [...this.calls.values()]) {
      this.finish(call, failure(error(call), call.started, { maxMemoryUsedMB: this.usedMB(call) }));
    }
  }

  private onMessage(message: FromEnvironment): void {
    if (message.type === 'warn') {
      this.calls.get(message.id)?.warn(message.message);
    } else if (message.type === 'log') {
      if (message.id !== undefined) this.calls.get(message.id)?.log?.(message.entry);
    } else if (message.type === 'done') {
      const call = this.calls.get(message.id);
      if (call === undefined) return;
      this.peakKB = Math.max(this.peakKB, message.peakKB);
      const limitKB = this.settings.memorySize * 1024;
      const peak = Math.max(this.peakKB, call.sampledKB);
      if (peak > limitKB) {
        this.outOfMemory(peak);
        return;
      }
      const done = message.outcome;
      const measures = {
        duration: done.duration,
        maxMemoryUsedMB: this.usedMB(call),
        ...(done.streamed ? { streamed: true } : {}),
      };
      if (message.pending.length > 0) call.leftWork?.(message.pending);
      // The pool freezes it (`idle`) before the answer goes out, unless the next invocation
      // takes it at once.
      this.finish(
        call,
        done.ok
          ? { ok: true, json: done.json, result: JSON.parse(done.json), ...measures }
          : { ok: false, error: done.error, timedOut: done.timedOut, ...measures },
      );
    } else if (
      message.type === 'stream-start' ||
      message.type === 'stream-chunk' ||
      message.type === 'stream-end'
    ) {
      // The client's pace travels back as acknowledgements, so the handler's stream feels it.
      const call = this.calls.get(message.id);
      if (call?.stream !== undefined) {
        deliverStreamMessage(message, call.stream, (reply) => {
          if (this.alive && this.child.connected) this.child.send(reply);
        });
      }
    } else if (message.type === 'crash') {
      // The process ends: whatever runs in it fails with the error that ends it.
      this.failAll(() => message.error);
      this.stop(`${message.error.errorType}: ${message.error.errorMessage}`);
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.alive) return;
    const description = exitDescription(code, signal);
    const reason = exitReason(code, signal);
    if (this.calls.size > 0) {
      // V8's fatal message may still be on its way through the pipe.
      const settle = () => {
        if (!this.alive) return;
        if (isHeapExhaustion(this.stderrTail)) {
          const sampled = Math.max(0, ...[...this.calls.values()].map((call) => call.sampledKB));
          this.outOfMemory(
            Math.max(this.peakKB, sampled),
            `the JavaScript heap reached the ${this.settings.memorySize} MB memory size; ${description}`,
          );
          return;
        }
        // Every invocation running in the process fails with the exit, each with its request id.
        this.failAll((call) => ({
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${call.id} Error: ${reason}`,
          trace: [],
        }));
        this.ended(reason);
      };
      if (this.child.stderr === null || this.child.stderr.readableEnded) settle();
      else {
        const timer = setTimeout(settle, 200);
        this.child.stderr.once('end', () => {
          clearTimeout(timer);
          settle();
        });
      }
      return;
    }
    this.ended(reason);
  }

  /**
   * A failed send to a process that is exiting (an uncaught exception from a timer the thaw let
   * run) is not the reason: its crash report and exit follow, and they say what happened.
   */
  private failed(error: Error): void {
    const reason = `the environment process failed: ${error.message}`;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPIPE' && code !== 'ERR_IPC_CHANNEL_CLOSED') {
      this.ended(reason);
      return;
    }
    setTimeout(() => this.ended(reason), EXIT_GRACE).unref();
  }

  /** Marks the environment stopped (the process is gone or going) and fails the calls still running. */
  private ended(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.failAll(() => ({
      errorType: 'Runtime.ExitError',
      errorMessage: `The environment stopped: ${reason}.`,
      trace: [],
    }));
    this.kill();
    this.onStop(this, reason);
  }

  /**
   * Called by the pool when no invocation takes the environment after one ended: it is frozen
   * (with `freeze`), so that nothing the handler left behind runs until the next invocation. One
   * handed straight to a waiting invocation is not frozen and thawed in between: for it there is
   * no time between invocations. A streamed response is complete by now: its last chunk was
   * acknowledged before 'done'.
   */
  idle(): void {
    if (this.settings.freeze && this.calls.size === 0) this.freezeNow();
  }

  /** SIGSTOP: the process stays in memory but runs nothing (timers, sockets) until it is thawed. */
  private freezeNow(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.frozen || !this.alive) return;
    try {
      process.kill(-pid, 'SIGSTOP'); // the whole group, as Lambda freezes the whole sandbox
      this.frozen = true;
    } catch {
      // Already gone: its exit is on its way.
    }
  }

  /** SIGCONT: work the last invocation left behind runs from here on, inside this invocation. */
  private thaw(): void {
    const pid = this.child.pid;
    if (pid === undefined || !this.frozen) return;
    this.frozen = false;
    try {
      process.kill(-pid, 'SIGCONT');
    } catch {
      // Already gone: its exit is on its way.
    }
  }

  /** Stops the environment at once (SIGKILL to its process group); an invocation still running fails. */
  stop(reason: string): void {
    this.ended(reason);
  }

  /** SIGKILL to the environment's process group (what it started too), or to the process alone. */
  kill(): void {
    const pid = this.child.pid;
    // Once the process is reaped its id may belong to another process: signal only a live one.
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      // The whole group: processes it started die with it (`execSync('sleep 8')`).
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }
}

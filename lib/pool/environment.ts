import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InvokerOutcome } from '../invoke/handler.js';
import type { InvocationError, Outcome } from '../invoke/invoke.js';
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
  sampler: NodeJS.Timeout | undefined;
}

/** Lambda stops an initialization that runs past 10 s (or the function timeout, if longer). */
export const INIT_LIMIT = 10_000;
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
 * and serves one invocation at a time. Its memory is limited (V8 heap and resident memory), its
 * timeouts stop it with SIGKILL whatever it is doing, and whatever ends it (exit, abort, a signal,
 * a native crash, an uncaught exception) fails only its own invocation.
 */
export class Environment {
  private readonly child: ChildProcess;
  private call: Call | undefined;
  private initDuration: number | undefined;
  private stderrTail = '';
  private peakKB = 0;
  private frozen = false;
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
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
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
    const limit = Math.max(INIT_LIMIT, settings.timeout);
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
          if (settings.freeze && this.call === undefined) this.freezeNow();
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

  get busy(): boolean {
    return this.call !== undefined;
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
    const { id } = invocation;
    return new Promise<InvokerOutcome>((resolve) => {
      const timer = setTimeout(() => this.timedOut(id), this.settings.timeout);
      const pid = this.child.pid;
      const sampler = pid === undefined ? undefined : setInterval(() => this.sample(pid), SAMPLE_INTERVAL);
      this.call = {
        id,
        leftWork: invocation.leftWork,
        started,
        sampledKB: 0,
        warn: invocation.warn,
        log: invocation.log,
        stream: invocation.stream,
        timer,
        sampler,
        resolve: (outcome) => {
          if (cold !== undefined) outcome.initDuration = cold;
          resolve(outcome);
        },
      };
      this.thaw();
      const message: ToEnvironment = {
        type: 'invoke',
        id,
        event: invocation.event,
        traceId: invocation.traceId,
        stream: invocation.stream !== undefined,
      };
      this.child.send(message);
    });
  }

  private timedOut(id: string): void {
    const call = this.call;
    if (call === undefined || call.id !== id) return;
    const seconds = (this.settings.timeout / 1000).toFixed(2);
    this.finish(
      failure(
        {
          errorType: 'Sandbox.Timedout',
          errorMessage: `${new Date().toISOString()} ${id} Task timed out after ${seconds} seconds`,
          trace: [],
        },
        call.started,
        { timedOut: true, maxMemoryUsedMB: this.usedMB(call) },
      ),
    );
    this.stop(`Task timed out after ${seconds} seconds`);
  }

  /** Reads the process's resident memory; past the memory size, the invocation fails as Lambda's does. */
  private sample(pid: number): void {
    const call = this.call;
    const memory = residentMemory(pid);
    if (call === undefined || memory === undefined) return;
    call.sampledKB = Math.max(call.sampledKB, memory.peak);
    if (memory.peak > this.settings.memorySize * 1024) this.outOfMemory(memory.peak);
  }

  private usedMB(call: Call): number {
    return Math.round(Math.max(this.peakKB, call.sampledKB) / 1024);
  }

  private outOfMemory(peakKB: number, detail?: string): void {
    const call = this.call;
    if (call === undefined) return;
    const used = Math.round(peakKB / 1024);
    const reason =
      detail ?? `resident memory reached ${used} MB, over the ${this.settings.memorySize} MB memory size`;
    this.finish(
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
    this.stop(`Runtime.OutOfMemory: ${reason}`);
  }

  private finish(outcome: InvokerOutcome): void {
    const call = this.call;
    if (call === undefined) return;
    this.call = undefined;
    clearTimeout(call.timer);
    clearInterval(call.sampler);
    call.resolve(outcome);
  }

  private onMessage(message: FromEnvironment): void {
    const call = this.call;
    if (message.type === 'warn') {
      if (call?.id === message.id) call.warn(message.message);
    } else if (message.type === 'log') {
      if (call !== undefined && call.id === message.id) call.log?.(message.entry);
    } else if (message.type === 'done') {
      if (call?.id !== message.id) return;
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
      // Frozen before the answer goes out: nothing the handler left behind runs meanwhile. A
      // streamed response is complete by now: its last chunk was acknowledged before 'done'.
      if (this.settings.freeze) this.freezeNow();
      this.finish(
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
      if (call?.id === message.id && call.stream !== undefined) {
        deliverStreamMessage(message, call.stream, (reply) => {
          if (this.alive && this.child.connected) this.child.send(reply);
        });
      }
    } else if (message.type === 'crash') {
      if (call !== undefined)
        this.finish(failure(message.error, call.started, { maxMemoryUsedMB: this.usedMB(call) }));
      this.stop(`${message.error.errorType}: ${message.error.errorMessage}`);
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.alive) return;
    const description = exitDescription(code, signal);
    const reason = exitReason(code, signal);
    const call = this.call;
    if (call !== undefined) {
      // V8's fatal message may still be on its way through the pipe.
      const settle = () => {
        if (this.call !== call) return;
        if (isHeapExhaustion(this.stderrTail)) {
          this.outOfMemory(
            Math.max(this.peakKB, call.sampledKB),
            `the JavaScript heap reached the ${this.settings.memorySize} MB memory size; ${description}`,
          );
          return;
        }
        this.finish(
          failure(
            {
              errorType: 'Runtime.ExitError',
              errorMessage: `RequestId: ${call.id} Error: ${reason}`,
              trace: [],
            },
            call.started,
            { maxMemoryUsedMB: this.usedMB(call) },
          ),
        );
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

  /** Marks the environment stopped (the process is gone or going) and fails a call still running. */
  private ended(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    const call = this.call;
    if (call !== undefined) {
      this.finish(
        failure(
          { errorType: 'Runtime.ExitError', errorMessage: `The environment stopped: ${reason}.`, trace: [] },
          call.started,
        ),
      );
    }
    this.kill();
    this.onStop(this, reason);
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

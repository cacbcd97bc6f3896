import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ALBEvent } from 'aws-lambda';
import type { InvocationError, Outcome } from '../invoke/invoke.js';
import { poolUrl } from './here.js';
import { findTsx } from './load.js';
import type { EnvironmentData, FromEnvironment, ToEnvironment } from './protocol.js';

export interface PoolSettings {
  data: Omit<EnvironmentData, 'typescript'>;
  /** The environment variables each environment sees. */
  env: Record<string, string>;
  /** The most environments at once; further invocations wait for one to be free. */
  concurrency: number;
  timeout: number;
  /** The V8 heap limit of an environment, in MB (the function's memory size). */
  memorySize: number;
  /** Reports that an environment was stopped and why. */
  onRetire(reason: string): void;
}

interface Call {
  id: string;
  started: number;
  resolve(outcome: Outcome): void;
  warn(message: string): void;
  timer: NodeJS.Timeout;
}

const INIT_LIMIT = 10_000;

function failure(error: InvocationError, started: number, timedOut = false): Outcome {
  return { ok: false, error, timedOut, duration: performance.now() - started };
}

/** One execution environment: a worker thread with the handler module loaded once. */
class Environment {
  readonly worker: Worker;
  readonly generation: number;
  private readonly ready: Promise<number | InvocationError>;
  private call: Call | undefined;
  private initDuration: number | undefined;
  alive = true;
  /** Settles when the worker has stopped, once the environment is retired. */
  stopped: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: EnvironmentPool,
    settings: PoolSettings,
    generation: number,
  ) {
    this.generation = generation;
    const typescript = import.meta.url.endsWith('.ts');
    const data: EnvironmentData = { ...settings.data, typescript };
    const workerUrl = new URL(typescript ? 'worker.ts' : 'worker.js', poolUrl);
    const options = {
      workerData: data,
      env: settings.env,
      resourceLimits: { maxOldGenerationSizeMb: settings.memorySize },
    };
    if (typescript) {
      // Running from the library's TypeScript sources: the worker itself needs tsx.
      const api = findTsx(fileURLToPath(workerUrl)) as string;
      const boot = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`;
      this.worker = new Worker(boot, { ...options, eval: true });
    } else {
      this.worker = new Worker(workerUrl, options);
    }
    this.ready = new Promise((resolve) => {
      const onMessage = (message: FromEnvironment) => {
        if (message.type === 'ready') {
          this.initDuration = message.initDuration;
          resolve(message.initDuration);
        } else if (message.type === 'init-error') {
          resolve(message.error);
        }
      };
      this.worker.on('message', onMessage);
      this.worker.once('exit', () =>
        resolve({
          errorType: 'Runtime.ExitError',
          errorMessage: 'The environment exited while loading the handler.',
          trace: [],
        }),
      );
    });
    this.worker.on('message', (message: FromEnvironment) => this.onMessage(message));
    this.worker.on('error', (error) => this.onCrash(error));
    this.worker.on('exit', (code) => this.onCrash(new Error(`the environment exited with code ${code}`)));
  }

  async invoke(
    id: string,
    event: ALBEvent,
    traceId: string,
    warn: (message: string) => void,
  ): Promise<Outcome> {
    const loading = performance.now();
    // Lambda stops an initialization that runs past 10 s (or the function timeout, if longer).
    const limit = Math.max(INIT_LIMIT, this.pool.settings.timeout);
    let initTimer: NodeJS.Timeout | undefined;
    const overdue = new Promise<InvocationError>((resolve) => {
      initTimer = setTimeout(
        () =>
          resolve({
            errorType: 'Runtime.InitTimeout',
            errorMessage: `The handler module did not finish loading within ${(limit / 1000).toFixed(2)} seconds.`,
            trace: [],
          }),
        limit,
      );
    });
    const ready = await Promise.race([this.ready, overdue]);
    clearTimeout(initTimer);
    if (typeof ready !== 'number') {
      this.retire(`the handler failed to load: ${ready.errorMessage}`);
      return failure(ready, loading);
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
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        const seconds = (this.pool.settings.timeout / 1000).toFixed(2);
        this.finish(
          failure(
            {
              errorType: 'Sandbox.Timedout',
              errorMessage: `${new Date().toISOString()} ${id} Task timed out after ${seconds} seconds`,
              trace: [],
            },
            started,
            true,
          ),
        );
        this.retire(`Task timed out after ${seconds} seconds`);
      }, this.pool.settings.timeout);
      this.call = {
        id,
        started,
        warn,
        timer,
        resolve: (outcome) => {
          if (cold !== undefined) outcome.initDuration = cold;
          resolve(outcome);
        },
      };
      const message: ToEnvironment = { type: 'invoke', id, event, traceId };
      this.worker.postMessage(message);
    });
  }

  private finish(outcome: Outcome): void {
    const call = this.call;
    if (call === undefined) return;
    this.call = undefined;
    clearTimeout(call.timer);
    call.resolve(outcome);
  }

  private onMessage(message: FromEnvironment): void {
    if (message.type === 'warn' && this.call?.id === message.id) this.call.warn(message.message);
    else if (message.type === 'done' && this.call?.id === message.id) this.finish(message.outcome);
    else if (message.type === 'crash') {
      if (this.call !== undefined) this.finish(failure(message.error, this.call.started));
      this.retire(`${message.error.errorType}: ${message.error.errorMessage}`);
    }
  }

  private onCrash(error: Error): void {
    if (!this.alive) return;
    const call = this.call;
    if (call !== undefined) {
      this.finish(
        failure(
          {
            errorType: error.name === 'Error' ? 'Runtime.ExitError' : error.name,
            errorMessage: error.message,
            trace: error.stack ? error.stack.split('\n') : [],
          },
          call.started,
        ),
      );
    }
    this.retire(`the environment crashed: ${error.message}`);
  }

  get busy(): boolean {
    return this.call !== undefined;
  }

  /** Stops the environment; an invocation still running fails. */
  retire(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.stopped = this.worker.terminate().then(
      () => {},
      () => {},
    );
    if (this.call !== undefined) {
      this.finish(
        failure(
          { errorType: 'Runtime.ExitError', errorMessage: `The environment stopped: ${reason}.`, trace: [] },
          this.call.started,
        ),
      );
    }
    this.pool.release(this, reason);
  }
}

/**
 * Execution environments as Lambda runs them: each serves one invocation at a time; more
 * concurrent invocations start more environments, up to `concurrency`, and beyond that wait
 * in order. A timed-out or crashed environment is replaced by a fresh one.
 */
export class EnvironmentPool {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private readonly waiting: Array<(env: Environment | undefined) => void> = [];
  /** Retired environments whose workers are still stopping. */
  private readonly stopping = new Set<Promise<void>>();
  private generation = 0;
  private closed = false;

  constructor(readonly settings: PoolSettings) {}

  get size(): number {
    return this.all.size;
  }

  async invoke(
    id: string,
    event: ALBEvent,
    traceId: string,
    warn: (message: string) => void,
  ): Promise<Outcome> {
    const env = await this.acquire();
    if (env === undefined) {
      return failure(
        {
          errorType: 'Runtime.ExitError',
          errorMessage: 'The server closed before the invocation.',
          trace: [],
        },
        performance.now(),
      );
    }
    const outcome = await env.invoke(id, event, traceId, warn);
    if (env.alive) {
      if (env.generation !== this.generation) env.retire('the code changed');
      else this.handBack(env);
    }
    return outcome;
  }

  private acquire(): Promise<Environment | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const env = this.idle.pop();
    if (env !== undefined) return Promise.resolve(env);
    if (this.all.size < this.settings.concurrency) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private spawn(): Environment {
    const env = new Environment(this, this.settings, this.generation);
    this.all.add(env);
    return env;
  }

  private handBack(env: Environment): void {
    const next = this.waiting.shift();
    if (next) next(env);
    else this.idle.push(env);
  }

  /** Called by an environment that stopped: its place goes to the next waiting invocation. */
  release(env: Environment, reason: string): void {
    this.all.delete(env);
    const stopped = env.stopped;
    this.stopping.add(stopped);
    void stopped.then(() => this.stopping.delete(stopped));
    const at = this.idle.indexOf(env);
    if (at !== -1) this.idle.splice(at, 1);
    if (reason !== 'the code changed' && reason !== 'closed') this.settings.onRetire(reason);
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next) next(this.spawn());
  }

  /** New code: idle environments stop now; busy ones finish their invocation on the old code. */
  reload(): void {
    this.generation++;
    for (const env of [...this.idle]) env.retire('the code changed');
  }

  /** Stops every environment, and waits for the workers retired earlier to stop too. */
  async close(): Promise<void> {
    this.closed = true;
    for (const next of this.waiting.splice(0)) next(undefined);
    for (const env of [...this.all]) env.retire('closed');
    await Promise.all(this.stopping);
  }
}

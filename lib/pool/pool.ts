import { LambdaBridgeError } from '../errors.js';
import type { InvokerOutcome } from '../invoke/handler.js';
import type { InvocationError } from '../invoke/invoke.js';
import { Environment, type EnvironmentSettings, type Invocation } from './environment.js';

export type { Invocation } from './environment.js';

export interface PoolSettings extends EnvironmentSettings {
  /** The most environments at once; further invocations wait for one to be free. */
  concurrency: number;
  /** Reports that an environment was stopped and why. */
  onRetire(reason: string): void;
}

/** An invocation the pool did not run because it is closing: it waited and no environment came. */
export class PoolClosedError extends LambdaBridgeError {
  constructor() {
    super(
      'LAMBDA_BRIDGE_POOL_CLOSED',
      'The execution environments are stopping; the invocation was not run. Send it again once the server is back.',
    );
    this.name = 'PoolClosedError';
  }
}

const CODE_CHANGED = 'the code changed';
const CLOSED = 'closed';
/** How long `close()` waits for a killed process to be reaped before it stops waiting. */
const REAP_LIMIT = 1000;

/**
 * Execution environments as Lambda runs them: each serves one invocation at a time, or up to
 * `data.maxConcurrency` at once on a Lambda Managed Instance; more concurrent invocations go to
 * the environment used last that has room, then start more environments, up to `concurrency`, and
 * beyond that wait in order. An environment that ended (timeout, memory, crash) is replaced by a
 * fresh one.
 */
export class EnvironmentPool {
  private readonly all = new Set<Environment>();
  /** Per environment: invocations handed to it and not yet over. */
  private readonly claims = new Map<Environment, number>();
  /** Per environment: when it last took or ended an invocation, to reuse the latest first. */
  private readonly used = new Map<Environment, number>();
  private readonly waiting: Array<{ resolve(env: Environment): void; reject(error: Error): void }> = [];
  private readonly stopped = new Set<Environment>();
  private readonly perEnvironment: number;
  private generation = 0;
  private tick = 0;
  private closed = false;
  private readonly killAll = () => {
    for (const env of this.all) env.kill();
  };

  constructor(readonly settings: PoolSettings) {
    this.perEnvironment = settings.data.maxConcurrency ?? 1;
  }

  /** Environments alive now (idle or busy). */
  get size(): number {
    return this.all.size;
  }

  /** Invocations waiting for an environment. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs one invocation in an environment with room, waiting for one if all are full. Rejects
   * with `PoolClosedError` when the pool closes before an environment is free.
   */
  async invoke(invocation: Invocation): Promise<InvokerOutcome> {
    const env = await this.acquire();
    const outcome = await env.invoke(invocation);
    const claims = this.claims.get(env);
    if (claims !== undefined) {
      this.claims.set(env, claims - 1);
      this.used.set(env, ++this.tick);
    }
    if (env.alive) {
      // Old code, or closing: it takes nothing new and stops once its last invocation ends.
      if (env.generation !== this.generation || this.closed) {
        if (claims === 1) env.stop(this.closed ? CLOSED : CODE_CHANGED);
      } else this.handBack(env);
    }
    return outcome;
  }

  private claim(env: Environment): Environment {
    this.claims.set(env, (this.claims.get(env) ?? 0) + 1);
    this.used.set(env, ++this.tick);
    return env;
  }

  /** The current environment with room that was used last, if any. */
  private roomy(): Environment | undefined {
    let best: Environment | undefined;
    for (const env of this.all) {
      if (env.generation !== this.generation || (this.claims.get(env) ?? 0) >= this.perEnvironment) continue;
      if (best === undefined || (this.used.get(env) ?? 0) > (this.used.get(best) ?? 0)) best = env;
    }
    return best;
  }

  private acquire(): Promise<Environment> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    const env = this.roomy();
    if (env !== undefined) return Promise.resolve(this.claim(env));
    if (this.all.size < this.settings.concurrency) return Promise.resolve(this.claim(this.spawn()));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private spawn(): Environment {
    if (this.all.size === 0) process.on('exit', this.killAll);
    const env = new Environment(this.settings, this.generation, (stopped, reason) =>
      this.release(stopped, reason),
    );
    this.all.add(env);
    this.claims.set(env, 0);
    return env;
  }

  /**
   * An environment has room again: the next waiting invocation takes it, or, with none waiting,
   * it idles (frozen) until one comes.
   */
  private handBack(env: Environment): void {
    const next = this.waiting.shift();
    if (next) next.resolve(this.claim(env));
    else if (this.claims.get(env) === 0) env.idle();
  }

  /** Called by an environment that stopped: its places go to the next waiting invocations. */
  private release(env: Environment, reason: string): void {
    this.all.delete(env);
    this.claims.delete(env);
    this.used.delete(env);
    if (this.all.size === 0) process.removeListener('exit', this.killAll);
    this.stopped.add(env);
    void env.exited.then(() => this.stopped.delete(env));
    if (reason !== CODE_CHANGED && reason !== CLOSED) this.settings.onRetire(reason);
    if (this.closed || this.waiting.length === 0) return;
    const fresh = this.roomy() ?? (this.all.size < this.settings.concurrency ? this.spawn() : undefined);
    if (fresh === undefined) return;
    for (let room = this.perEnvironment - (this.claims.get(fresh) ?? 0); room > 0; room--) {
      const next = this.waiting.shift();
      if (next === undefined) break;
      next.resolve(this.claim(fresh));
    }
  }

  /**
   * Starts one environment now if there is none, so that the handler loads before the first
   * invocation (INIT); settles with its Init Duration, or the error that stopped it.
   */
  prewarm(): Promise<number | InvocationError> | undefined {
    if (this.closed || this.all.size > 0) return undefined;
    return this.spawn().ready;
  }

  /** New code: idle environments stop now; busy ones finish their invocations on the old code. */
  reload(): void {
    this.generation++;
    for (const env of [...this.all]) if (this.claims.get(env) === 0) env.stop(CODE_CHANGED);
  }

  /**
   * Stops taking invocations: those waiting are refused (`PoolClosedError`), idle environments
   * stop, busy ones finish their invocation (their timeout bounds it) and then stop. Resolves once
   * every process is gone (a killed one is waited for at most a second).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const next of this.waiting.splice(0)) next.reject(new PoolClosedError());
    for (const env of [...this.all]) if (this.claims.get(env) === 0) env.stop(CLOSED);
    const busy = [...this.all].map((env) => env.exited);
    await Promise.all(busy);
    await this.reaped();
  }

  /** Stops every environment now: invocations still running fail. */
  async stop(): Promise<void> {
    this.closed = true;
    for (const next of this.waiting.splice(0)) next.reject(new PoolClosedError());
    for (const env of [...this.all]) env.stop(CLOSED);
    await this.reaped();
  }

  private async reaped(): Promise<void> {
    const exits = [...this.stopped].map((env) => env.exited);
    if (exits.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, REAP_LIMIT);
    });
    await Promise.race([Promise.all(exits), limit]);
    clearTimeout(timer);
    // A process's handle is closed in the close phase of the event loop, after its 'close' event.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

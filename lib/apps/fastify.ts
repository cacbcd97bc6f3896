import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatch } from './dispatch.js';
import { errorMessage, plain, timedOut } from './dispatch.js';
import { nodeDispatch } from './node.js';

/** The part of a Fastify instance (v4, v5) the bridge uses: its boot and its router. */
export interface FastifyLike {
  ready(): PromiseLike<unknown>;
  routing(req: IncomingMessage, res: ServerResponse): void;
}

export function isFastify(app: object): app is FastifyLike {
  const f = app as Partial<FastifyLike> & { inject?: unknown };
  return typeof f.ready === 'function' && typeof f.routing === 'function' && typeof f.inject === 'function';
}

type Boot = { ok: true } | { ok: false; error: unknown } | 'late';

/**
 * A Fastify instance: the first invocation awaits `ready()` (plugins, hooks, routes) under the
 * deadline, then every request goes through `fastify.routing`, Fastify's documented entry to its
 * router, with no server listening.
 */
export function fastifyDispatch(app: FastifyLike): Dispatch {
  const route = nodeDispatch((req, res) => app.routing(req, res));
  let booted = false;
  let boot: Promise<{ ok: true } | { ok: false; error: unknown }> | undefined;
  return async (exchange) => {
    if (booted) return route(exchange);
    boot ??= Promise.resolve()
      .then(() => app.ready())
      .then(
        () => {
          booted = true;
          return { ok: true } as const;
        },
        (error: unknown) => ({ ok: false, error }) as const,
      );
    const started = performance.now();
    const outcome = await beforeDeadline(boot, exchange.wait);
    if (outcome === 'late') return timedOut(exchange, 'become ready (fastify.ready())');
    if (!outcome.ok) {
      exchange.warn(
        'APP_INIT_ERROR',
        `answered 500: the Fastify app failed to become ready: ${errorMessage(outcome.error)}`,
      );
      return plain(500, 'Internal Server Error');
    }
    const { wait } = exchange;
    const left = wait === undefined ? undefined : Math.max(0, wait - (performance.now() - started));
    return route({ ...exchange, wait: left, budget: wait });
  };
}

function beforeDeadline<T extends Boot>(work: Promise<T>, wait: number | undefined): Promise<T | 'late'> {
  if (wait === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, wait, 'late');
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

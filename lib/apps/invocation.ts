import type { IncomingMessage } from 'node:http';
import type { ALBEvent, Context } from 'aws-lambda';

/** The event and context of the invocation a request belongs to. */
export interface Invocation<E = ALBEvent> {
  event: E;
  context: Context | undefined;
}

// Symbol.for, so the ESM and CommonJS builds loaded side by side share it.
const INVOCATION = Symbol.for('lambda-bridge.invocation');

/** Ties a request object (a Node `IncomingMessage` or a fetch `Request`) to its invocation. */
export function attachInvocation(request: object, invocation: Invocation<unknown>): void {
  (request as Record<symbol, Invocation<unknown>>)[INVOCATION] = invocation;
}

/**
 * The event and context of the current invocation, from inside the app: pass Express's `req`,
 * Koa's `ctx.req`, Fastify's `request.raw`, or the fetch `Request` (Hono's `c.req.raw`, H3's
 * `event.req`). Safe with concurrent invocations; `undefined` for a request that did not come
 * through `toLambda`.
 */
export function getInvocation<E = ALBEvent>(req: IncomingMessage | Request): Invocation<E> | undefined {
  if (typeof req !== 'object' || req === null) return undefined;
  return (req as unknown as Record<symbol, Invocation<E> | undefined>)[INVOCATION];
}

import { describe, InvalidAppError, InvalidOptionError } from '../errors.js';
import type { Dispatch } from './dispatch.js';
import { type FastifyLike, fastifyDispatch, isFastify } from './fastify.js';
import { type FetchApp, type FetchHandler, fetchDispatch } from './fetch.js';
import { nodeDispatch, type RequestListener } from './node.js';
import { isServer, type ServerLike, serverListener } from './server.js';

/** A Koa application (2 or 3), or anything else with a `callback()` that returns a listener. */
export interface CallbackApp {
  callback(): RequestListener;
}

/** Every kind of app `toLambda` runs. */
export type App = RequestListener | CallbackApp | ServerLike | FastifyLike | FetchApp;

/**
 * A bare fetch function as an app: `toLambda(fromFetch((request) => new Response('hi')))`.
 * (An object with a `fetch` method, such as a Hono or H3 app, is passed as it is.)
 */
export function fromFetch(fetch: FetchHandler): FetchApp {
  if (typeof fetch !== 'function') {
    throw new InvalidAppError(
      `fromFetch expects a function (request: Request) => Response; it got ${describe(fetch)}.`,
    );
  }
  return { fetch };
}

/**
 * The one dispatch function for an app, found by its shape (the library imports no framework):
 * a function is a Node listener; an object is a Fastify instance (`ready` and `routing`), a Koa
 * app (`callback`), a fetch app (`fetch`), or an `http.Server` (its `'request'` listeners).
 */
export function dispatchOf(app: unknown, from: string): Dispatch {
  if (typeof app === 'function') return nodeDispatch(app as RequestListener);
  if (typeof app === 'object' && app !== null) {
    if (isFastify(app)) return fastifyDispatch(app);
    if (typeof (app as Partial<CallbackApp>).callback === 'function') {
      const listener = (app as CallbackApp).callback();
      if (typeof listener === 'function') return nodeDispatch(listener);
      throw new InvalidAppError(
        `The app's callback() returned ${describe(listener)}; a Koa app returns a (req, res) listener.`,
      );
    }
    if (typeof (app as Partial<FetchApp>).fetch === 'function') {
      const fetchApp = app as FetchApp;
      return fetchDispatch({ fetch: (request, env) => fetchApp.fetch(request, env) });
    }
    if (isServer(app)) return nodeDispatch(serverListener(app));
  }
  throw new InvalidAppError(
    `toLambda expects an Express app, a Koa app, a Fastify instance, an http.Server, an object with a fetch(request) method (Hono, H3), a (req, res) listener, or a promise or factory of one; ${from} ${describe(app)}.`,
  );
}

/**
 * The Node listener a streamed response runs through (`toLambda(app, { streaming: true })`): an
 * Express app or `(req, res)` function, a Koa app (`callback()`), or an `http.Server`. Fastify
 * and fetch apps answer through their own response objects and run buffered only.
 */
export function streamingListenerOf(app: unknown, from: string): RequestListener {
  if (typeof app === 'function') return app as RequestListener;
  if (typeof app === 'object' && app !== null) {
    const kind = isFastify(app)
      ? 'a Fastify instance'
      : typeof (app as Partial<FetchApp>).fetch === 'function' &&
          typeof (app as Partial<CallbackApp>).callback !== 'function'
        ? 'a fetch app (an object with a fetch(request) method, such as Hono or H3)'
        : undefined;
    if (kind !== undefined) {
      throw new InvalidOptionError(
        `The "streaming" option streams Node listener apps (Express, Koa, an http.Server, a (req, res) function); ${from} ${kind}, which runs buffered only. Drop the streaming option for it, or serve the route that streams from an Express or Koa app.`,
      );
    }
    if (typeof (app as Partial<CallbackApp>).callback === 'function') {
      const listener = (app as CallbackApp).callback();
      if (typeof listener === 'function') return listener;
      throw new InvalidAppError(
        `The app's callback() returned ${describe(listener)}; a Koa app returns a (req, res) listener.`,
      );
    }
    if (isServer(app)) return serverListener(app);
  }
  throw new InvalidAppError(
    `toLambda(app, { streaming: true }) expects an Express app, a Koa app, an http.Server, a (req, res) listener, or a promise or factory of one; ${from} ${describe(app)}.`,
  );
}

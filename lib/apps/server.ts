import type { IncomingMessage, ServerResponse } from 'node:http';
import { isThenable } from '../invoke/invoke.js';
import type { RequestListener } from './node.js';

/** The part of a Node `http.Server` (or `https.Server`) the bridge uses. */
export interface ServerLike {
  listeners(event: string): unknown[];
  listen(...args: never[]): unknown;
}

export function isServer(app: object): app is ServerLike {
  const server = app as Partial<ServerLike>;
  return typeof server.listeners === 'function' && typeof server.listen === 'function';
}

/**
 * The server's `'request'` listeners as one listener: each is called in order with the server
 * as `this`, as the server's own emit would (read per request, so listeners added later count).
 */
export function serverListener(server: ServerLike): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const listeners = server.listeners('request') as Array<(...args: unknown[]) => unknown>;
    if (listeners.length === 0) {
      throw new Error(
        "the http.Server has no 'request' listener; pass http.createServer(listener), or add one with server.on('request', listener)",
      );
    }
    const pending: PromiseLike<unknown>[] = [];
    for (const listener of listeners) {
      const returned = listener.call(server, req, res);
      if (isThenable(returned)) pending.push(returned);
    }
    return pending.length === 0 ? undefined : Promise.all(pending);
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpResponse } from '../http.js';
import { isThenable } from '../invoke/invoke.js';
import { createRequest } from '../node/request.js';
import { createResponse, dropResponse } from '../node/response.js';
import { BridgeSocket } from '../node/socket.js';
import { type Dispatch, errorMessage, failed, OVERFLOWED, plain, timedOut } from './dispatch.js';
import { attachInvocation } from './invocation.js';

/** A Node request listener: an Express app, `koaApp.callback()`, or any `(req, res)` function. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Runs a Node listener on an in-memory `IncomingMessage` / `ServerResponse` pair and resolves
 * with what it wrote.
 */
export function nodeDispatch(app: RequestListener): Dispatch {
  return (exchange) =>
    new Promise<HttpResponse>((resolve) => {
      const { request, wait, warn, limit } = exchange;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const socket = new BridgeSocket(
        request.remoteAddress,
        request.remotePort,
        request.protocol === 'https',
        request.port,
      );
      const req = createRequest(request, socket);
      attachInvocation(req, exchange.invocation);

      const settle = (response: HttpResponse) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        resolve(response);
      };
      const fail = (error: unknown) => {
        const message = errorMessage(error);
        if (settled) {
          // Reported, not swallowed: nothing else would ever show it.
          warn('APP_ERROR', `the app failed after its invocation was answered: ${message}`);
          return;
        }
        if (res.writableEnded) {
          // The response is complete (it settles on the next tick); it is sent as the app ended it.
          warn(
            'APP_ERROR',
            `the app failed after finishing its response, which is sent as it was: ${message}`,
          );
          return;
        }
        warn('APP_ERROR', `answered 500: the app failed before finishing its response: ${message}`);
        settle(failed(error, exchange.exposeErrors));
        abandon();
      };
      // The invocation is answered without the app's response: drop what it still writes.
      const abandon = () => {
        dropResponse(res);
        socket.destroy();
      };

      const res = createResponse(req, socket, settle, limit, (size, compressed) => {
        if (settled) return;
        limit.onOverflow(size, compressed);
        settle(OVERFLOWED);
        socket.destroy();
      });
      socket.once('close', () => {
        if (settled) return;
        warn('APP_CLOSED', 'answered 502: the app closed the connection without finishing its response.');
        settle(plain(502, 'Bad Gateway'));
        dropResponse(res);
      });
      try {
        const returned = app(req, res);
        if (isThenable(returned)) returned.then(undefined, fail);
      } catch (error) {
        fail(error);
      }
      // A response the app ended synchronously needs no deadline: no timer is armed for it.
      if (wait !== undefined && !settled && !res.writableEnded) {
        timer = setTimeout(() => {
          if (settled) return;
          settle(timedOut(exchange));
          abandon();
        }, wait);
      }
    });
}

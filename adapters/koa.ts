import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAlbEmulator } from '../lib/emulate.js';
import type { AlbEmulatorOptions } from '../lib/emulate-options.js';
import type { FormatName } from '../lib/formats/reverse.js';
import type { FormatHandler } from '../lib/formats/typed.js';
import type { LambdaHandler } from '../lib/invoke/invoke.js';
import type { StreamingMark } from '../lib/invoke/streaming.js';

/** The part of a Koa context the middleware uses (Koa 2 and 3). */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  originalUrl: string;
  respond?: boolean;
  /** Where koa-bodyparser keeps the raw text, as `rawBody`. */
  request: object;
}

/**
 * A Lambda handler as Koa (2 or 3) middleware behind an emulated ALB. It answers every request
 * that reaches it, writing to `ctx.res` directly (`ctx.respond = false`), so mount it on the
 * routes it owns and before any body parser (a parser's `ctx.request.rawBody` is used if set).
 *
 * @example
 * app.use(toKoa(handler, { multiValueHeaders: true }));
 */
export function toKoa<F extends FormatName = 'alb'>(
  // A handler marked by streamifyResponse streams behind a function URL or API Gateway REST.
  handler: FormatHandler<F> | StreamingMark,
  options: AlbEmulatorOptions & { format?: F } = {},
): (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void> {
  const emulate = createAlbEmulator(handler as LambdaHandler<never>, options);
  return async (ctx) => {
    ctx.respond = false;
    await emulate(ctx.req, ctx.res, {
      url: ctx.originalUrl,
      rawBody: (ctx.request as { rawBody?: unknown }).rawBody,
    });
  };
}

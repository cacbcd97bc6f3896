import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyResultV2,
  CloudFrontRequestEvent,
  CloudFrontRequestResult,
  Context,
} from 'aws-lambda';
import type { LatticeEventV1, LatticeEventV2, LatticeResult } from './lattice.js';
import type { FormatName } from './reverse.js';

/** The event a handler receives behind each service the middleware plays. */
export type FormatEvent<F extends FormatName = 'alb'> = F extends 'alb'
  ? ALBEvent
  : F extends 'apigw-v1'
    ? APIGatewayProxyEvent
    : F extends 'lattice-v1'
      ? LatticeEventV1
      : F extends 'lattice-v2'
        ? LatticeEventV2
        : F extends 'edge-viewer-request' | 'edge-origin-request'
          ? CloudFrontRequestEvent
          : APIGatewayProxyEventV2;

/** The result each service reads from the handler. */
export type FormatResult<F extends FormatName = 'alb'> = F extends 'alb'
  ? ALBResult
  : F extends 'apigw-v1'
    ? APIGatewayProxyResult
    : F extends 'lattice-v1' | 'lattice-v2'
      ? LatticeResult
      : F extends 'edge-viewer-request' | 'edge-origin-request'
        ? CloudFrontRequestResult
        : APIGatewayProxyResultV2;

// biome-ignore lint/suspicious/noConfusingVoidType: a callback-style handler returns nothing, as in aws-lambda's own Handler type.
type Completion<R> = void | PromiseLike<R>;

/**
 * A Lambda handler behind the service `F` (an ALB by default), async or callback style. The
 * runtime ignores a value returned without a promise, so a non-async handler that returns a
 * result, or an async one that resolves to nothing, is a type error rather than a 502.
 */
export type FormatHandler<F extends FormatName = 'alb'> = (
  event: FormatEvent<F>,
  context: Context,
  callback: (error?: unknown, result?: FormatResult<F>) => void,
) => Completion<FormatResult<F>>;

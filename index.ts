// The whole library: the forward direction (also alone as `lambda-bridge/lambda`), the emulator
// and the runtime model.

export { toFetch } from './adapters/fetch.js';
export { type KoaContextLike, toKoa } from './adapters/koa.js';
export { toExpress, toListener } from './adapters/node.js';
export * from './lambda.js';
export { ALB_REQUEST_LIMIT, type FormatName, REASON_HEADER } from './lib/emulate.js';
export type { AlbEmulatorOptions } from './lib/emulate-options.js';
export {
  createAlbEvent,
  createApiGatewayEvent,
  createEdgeEvent,
  createHealthCheckEvent,
  createLatticeEvent,
  type EventRequest,
} from './lib/events.js';
export { type ContextOptions, createContext, type NodeRuntime } from './lib/invoke/context.js';
export { type AwsLambdaGlobal, installAwsLambdaGlobal } from './lib/invoke/global.js';
export {
  type InvokeHandlerOptions,
  type InvokeHandlerOutcome,
  invokeHandler,
} from './lib/invoke/handler.js';
export type { InvocationError, LambdaHandler } from './lib/invoke/invoke.js';
export { InvokeStore, type InvokeStoreContext, LambdaInvokeStore } from './lib/invoke/store.js';
export {
  type HttpPrelude,
  HttpResponseStream,
  isStreamingHandler,
  MalformedStreamingHandlerError,
  type StreamifyOptions,
  type StreamingHandler,
  type StreamingMark,
  streamifyResponse,
} from './lib/invoke/streaming.js';

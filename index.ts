export { toFetch } from './adapters/fetch.js';
export { type KoaContextLike, toKoa } from './adapters/koa.js';
export {
  type AlbHandler,
  type App,
  type AppSource,
  type CallbackApp,
  type FetchApp,
  type FetchHandler,
  fromFetch,
  getInvocation,
  type HttpHandler,
  type Invocation,
  type RequestListener,
  type ToLambdaOptions,
  type ToLambdaStreamingOptions,
  toLambda,
} from './adapters/lambda.js';
export {
  type ResponseStreamLike,
  StreamAbortedError,
  type StreamingHttpHandler,
  StreamingUnsupportedError,
} from './adapters/lambda-stream.js';
export { toExpress, toListener } from './adapters/node.js';
export { type BinaryOption, type BinaryPredicate, defaultIsBinary } from './lib/binary.js';
export {
  ALB_REQUEST_LIMIT,
  type AlbEmulatorOptions,
  createAlbEvent,
  createApiGatewayEvent,
  createEdgeEvent,
  createHealthCheckEvent,
  createLatticeEvent,
  type EventRequest,
  type FormatName,
  REASON_HEADER,
} from './lib/emulate.js';
export {
  InvalidAppError,
  InvalidOptionError,
  LambdaBridgeError,
  UnknownEventError,
  UnsupportedEventError,
} from './lib/errors.js';
export { MULTI_VALUE_ATTRIBUTE, type SingleSetCookie } from './lib/formats/alb.js';
export type { HttpEvent, ResultFor } from './lib/formats/detect.js';
export { TRUNCATED_HEADER } from './lib/formats/edge.js';
export type {
  LatticeEventV1,
  LatticeEventV2,
  LatticeIdentity,
  LatticeResult,
} from './lib/formats/lattice.js';
export type { FormatEvent, FormatHandler, FormatResult } from './lib/formats/typed.js';
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
export type { LogEntry, LogHook } from './lib/log.js';

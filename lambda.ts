// `lambda-bridge/lambda`: the forward direction alone (toLambda and what its users read, catch and
// type), without the emulator, the runtime model or the dev server, for the smallest cold start.
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
export type { ResponseStreamLike, StreamingHttpHandler } from './adapters/lambda-stream.js';
export { type BinaryOption, type BinaryPredicate, defaultIsBinary } from './lib/binary.js';
export {
  InvalidAppError,
  InvalidOptionError,
  LambdaBridgeError,
  StreamAbortedError,
  StreamingUnsupportedError,
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
export type { LogEntry, LogHook } from './lib/log.js';

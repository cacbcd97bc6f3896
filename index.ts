export {
  type AlbHandler,
  type App,
  type AppSource,
  type CallbackApp,
  getInvocation,
  type Invocation,
  type RequestListener,
  type ToLambdaOptions,
  toLambda,
} from './adapters/lambda.js';
export { type BinaryOption, type BinaryPredicate, defaultIsBinary } from './lib/binary.js';
export {
  InvalidAppError,
  InvalidOptionError,
  LambdaBridgeError,
  UnknownEventError,
  UnsupportedEventError,
} from './lib/errors.js';
export { MULTI_VALUE_ATTRIBUTE, type SingleSetCookie } from './lib/formats/alb.js';
export type { LogEntry, LogHook } from './lib/log.js';

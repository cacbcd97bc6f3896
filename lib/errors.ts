/**
 * Errors thrown by lambda-bridge. Match on `code`, which is stable across releases;
 * messages may be reworded.
 */
export class LambdaBridgeError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LambdaBridgeError';
    this.code = code;
  }
}

/** The event is of no kind this library knows (thrown: there is no HTTP client to answer). */
export class UnknownEventError extends LambdaBridgeError {
  override readonly code = 'LAMBDA_BRIDGE_UNKNOWN_EVENT';
  constructor(message: string) {
    super('LAMBDA_BRIDGE_UNKNOWN_EVENT', message);
    this.name = 'UnknownEventError';
  }
}

/** The event is of a known kind that this release does not handle yet. */
export class UnsupportedEventError extends LambdaBridgeError {
  override readonly code = 'LAMBDA_BRIDGE_UNSUPPORTED_EVENT';
  constructor(message: string) {
    super('LAMBDA_BRIDGE_UNSUPPORTED_EVENT', message);
    this.name = 'UnsupportedEventError';
  }
}

/** An event from a service that cannot stream reached a streaming handler. */
export class StreamingUnsupportedError extends LambdaBridgeError {
  override readonly code = 'LAMBDA_BRIDGE_STREAMING_UNSUPPORTED';
  constructor(message: string) {
    super('LAMBDA_BRIDGE_STREAMING_UNSUPPORTED', message);
    this.name = 'StreamingUnsupportedError';
  }
}

/** The response stream was ended with an error after its first byte: the client sees it cut short. */
export class StreamAbortedError extends LambdaBridgeError {
  override readonly code = 'LAMBDA_BRIDGE_STREAM_ABORTED';
  constructor(message: string, options?: { cause?: unknown }) {
    super('LAMBDA_BRIDGE_STREAM_ABORTED', message, options);
    this.name = 'StreamAbortedError';
  }
}

/** The app given to `toLambda` is of no kind it runs (listener, Koa, Fastify, http.Server, fetch app), nor a promise or factory of one. */
export class InvalidAppError extends LambdaBridgeError {
  override readonly code = 'LAMBDA_BRIDGE_INVALID_APP';
  constructor(message: string) {
    super('LAMBDA_BRIDGE_INVALID_APP', message);
    this.name = 'InvalidAppError';
  }
}

/** An option has a value of the wrong type or out of range. */
export class InvalidOptionError extends LambdaBridgeError {
  override readonly code = 'LAMBDA_BRIDGE_INVALID_OPTION';
  constructor(message: string) {
    super('LAMBDA_BRIDGE_INVALID_OPTION', message);
    this.name = 'InvalidOptionError';
  }
}

/** Describes a value for an error message: its type and a short rendering. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `the ${typeof value} ${String(value)}`;
  }
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return `an object with keys ${JSON.stringify(Object.keys(value as object).slice(0, 8))}`;
}

/**
 * Text for a value that was thrown or rejected with: an Error's message, a string as it is,
 * anything else as `String()` renders it. Never throws, whatever the value: an object with a
 * null prototype, a `toString` or getter that throws, a Proxy whose traps throw, a symbol.
 */
export function describeThrown(value: unknown): string {
  try {
    if (typeof value === 'string') return value;
    if (value instanceof Error) {
      const message = value.message;
      if (typeof message === 'string') return message;
    }
    const text = String(value);
    if (typeof text === 'string') return text;
  } catch {
    // Described by its shape below.
  }
  return unconvertible(value);
}

function unconvertible(value: unknown): string {
  const kind = typeof value === 'function' ? 'a function' : 'an object';
  let prototype = '';
  try {
    if (Object.getPrototypeOf(value) === null) prototype = ' with a null prototype and';
    const keys = Object.keys(value as object)
      .slice(0, 8)
      .map((key) => JSON.stringify(key));
    return `${kind}${prototype || ' with'} keys [${keys.join(',')}]`;
  } catch {
    return `${kind} that cannot be converted to text`;
  }
}

import { isUtf8 } from 'node:buffer';
import { type ApiAnswer, apiError, CLIENT_CONTEXT_LIMIT } from './errors.js';

/** The operations of Lambda's Invoke API that lambda-bridge serves. */
export type Operation = 'Invoke' | 'InvokeWithResponseStream';

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

/** What a request to the Invoke API asks for, once its path and headers are read. */
export interface InvokeRequest {
  operation: Operation;
  /** The function's name, out of the name, ARN or partial ARN in the path. */
  functionName: string;
  /** The version or alias, from the ARN or the `Qualifier` query parameter. */
  qualifier: string | undefined;
  invocationType: InvocationType;
  tail: boolean;
  /** The decoded `X-Amz-Client-Context`. */
  clientContext: unknown;
}

const ROUTES: Array<[RegExp, Operation]> = [
  [/^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/, 'Invoke'],
  [/^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations\/?$/, 'InvokeWithResponseStream'],
];

// Lambda's pattern for FunctionName: a name, a partial ARN or an ARN, with an optional qualifier.
const FUNCTION_NAME =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:[a-z]{2}(?:(?:-gov)|(?:-iso(?:[a-z]?)))?-[a-z]+-\d{1}:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9-_.]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$/;
const QUALIFIER = /^(\$LATEST|[a-zA-Z0-9$_-]{1,128})$/;

function validation(value: string, member: string, constraint: string, requestId: string): ApiAnswer {
  return apiError(
    400,
    'ValidationException',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`,
    requestId,
  );
}

function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Reads what a request asks for: the operation from its method and path, the function from the
 * name or ARN in the path, and the invocation's headers. Answers with Lambda's error otherwise.
 */
export function readInvokeRequest(
  method: string,
  url: string,
  headers: Record<string, string | string[] | undefined>,
  requestId: string,
): InvokeRequest | ApiAnswer {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const params = new URLSearchParams(query === -1 ? '' : url.slice(query + 1));
  let found: [string, Operation] | undefined;
  for (const [pattern, operation] of ROUTES) {
    const match = pattern.exec(path);
    if (match) found = [match[1], operation];
  }
  if (found === undefined || method !== 'POST') {
    return apiError(
      404,
      'UnknownOperationException',
      `lambda-bridge serves Invoke (POST /2015-03-31/functions/{FunctionName}/invocations) and InvokeWithResponseStream (POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations); it got ${method} ${path}.`,
      requestId,
    );
  }
  const [segment, operation] = found;
  const raw = decodePathSegment(segment) ?? segment;
  const name = FUNCTION_NAME.exec(raw);
  if (name === null || raw.length > 256 || (raw === name[1] && raw.length > 64)) {
    return validation(
      raw,
      'functionName',
      'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?',
      requestId,
    );
  }
  const fromName = name[2];
  const fromQuery = params.get('Qualifier') ?? undefined;
  if (fromQuery !== undefined && !QUALIFIER.test(fromQuery)) {
    return validation(
      fromQuery,
      'qualifier',
      'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)',
      requestId,
    );
  }
  if (fromName !== undefined && fromQuery !== undefined && fromName !== fromQuery) {
    return apiError(
      400,
      'InvalidParameterValueException',
      'The derived qualifier from the function name does not match the specified qualifier.',
      requestId,
    );
  }
  const header = (key: string) => {
    const value = headers[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const invocationType = header('x-amz-invocation-type') ?? 'RequestResponse';
  if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
    return validation(
      invocationType,
      'invocationType',
      'Member must satisfy enum value set: [Event, RequestResponse, DryRun]',
      requestId,
    );
  }
  if (operation === 'InvokeWithResponseStream' && invocationType === 'Event') {
    return validation(
      invocationType,
      'invocationType',
      'Member must satisfy enum value set: [RequestResponse, DryRun]',
      requestId,
    );
  }
  const logType = header('x-amz-log-type') ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    return validation(logType, 'logType', 'Member must satisfy enum value set: [None, Tail]', requestId);
  }
  const context = readClientContext(header('x-amz-client-context'), requestId);
  if (context !== undefined && 'status' in context) return context;
  return {
    operation,
    functionName: name[1],
    qualifier: fromName ?? fromQuery,
    invocationType: invocationType as InvocationType,
    tail: logType === 'Tail',
    // Lambda passes the client context to synchronous invocations only.
    clientContext: invocationType === 'Event' ? undefined : context?.value,
  };
}

/** `X-Amz-Client-Context`: base64 of a JSON object, at most 3583 bytes once decoded. */
function readClientContext(
  header: string | undefined,
  requestId: string,
): { value: unknown } | ApiAnswer | undefined {
  if (header === undefined || header === '') return undefined;
  const invalid = (why: string) =>
    apiError(
      400,
      'InvalidRequestContentException',
      `Client context must be a valid Base64-encoded JSON object: ${why}.`,
      requestId,
    );
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(header) || header.length % 4 === 1) return invalid('it is not Base64');
  const bytes = Buffer.from(header, 'base64');
  if (bytes.length > CLIENT_CONTEXT_LIMIT) {
    return invalid(`it is ${bytes.length} bytes, over the ${CLIENT_CONTEXT_LIMIT}-byte limit`);
  }
  if (!isUtf8(bytes)) return invalid('its bytes are not UTF-8');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return invalid((error as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('it is JSON but not an object');
  }
  return { value };
}

/**
 * The event of an invocation: the payload's JSON. An empty payload is `{}`, as Lambda invokes a
 * function called without one.
 */
export function readPayload(body: Buffer, requestId: string): { event: unknown } | ApiAnswer {
  if (body.length === 0) return { event: {} };
  const invalid = (why: string) =>
    apiError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${why}`,
      requestId,
    );
  if (!isUtf8(body)) return invalid('the payload is not UTF-8 text');
  try {
    return { event: JSON.parse(body.toString('utf8')) };
  } catch (error) {
    return invalid((error as Error).message);
  }
}

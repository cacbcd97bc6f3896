/** An answer of the Invoke API, as its HTTP response. */
export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * An error answer as Lambda's API sends it: the error type in `x-amzn-errortype` (where the AWS
 * SDKs read it) and a JSON body `{ Type, Message }`; `Type` is `User` for the caller's mistakes.
 */
export function apiError(
  status: number,
  errorType: string,
  message: string,
  requestId: string,
  type: 'User' | 'Service' = 'User',
): ApiAnswer {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': errorType,
      'x-amzn-requestid': requestId,
    },
    body: Buffer.from(JSON.stringify({ Type: type, Message: message })),
  };
}

/** The most bytes a synchronous invocation's request may have (`RequestEntityTooLargeException`). */
export const SYNC_REQUEST_LIMIT = 6 * 1024 * 1024;
/** The most bytes of an `Event` invocation's payload. */
export const EVENT_REQUEST_LIMIT = 1024 * 1024;
/** The most bytes of a result; Lambda's limit is 100 bytes over 6 MB. */
export const RESULT_LIMIT = 6 * 1024 * 1024 + 100;
/** The most bytes of a decoded client context. */
export const CLIENT_CONTEXT_LIMIT = 3583;

/** The 413 Lambda answers for a request over its invocation type's limit. */
export function tooLarge(size: number, event: boolean, requestId: string): ApiAnswer {
  return apiError(
    413,
    'RequestEntityTooLargeException',
    event
      ? `${size} byte payload is too large for the Event invocation type (limit ${EVENT_REQUEST_LIMIT} bytes)`
      : `Request must be smaller than ${SYNC_REQUEST_LIMIT} bytes for the InvokeFunction operation`,
    requestId,
  );
}

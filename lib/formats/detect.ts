import type { ALBEvent, ALBResult } from 'aws-lambda';
import { describe, UnknownEventError, UnsupportedEventError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import {
  ALB_RESULT_LIMIT,
  type AlbResultSettings,
  albResultFromResponse,
  isAlbEvent,
  isMultiValueEvent,
  requestFromAlbEvent,
} from './alb.js';

/** What the forward bridge needs from an event format. */
export interface ForwardFormat<E, R> {
  readonly name: string;
  /** The largest serialized result the service in front of the function accepts, in bytes. */
  readonly resultLimit: number;
  requestFromEvent(event: E): HttpRequest | string;
  /** A result, or a string that says why the response cannot be expressed in this format. */
  resultFromResponse(response: HttpResponse, event: E, settings: AlbResultSettings): R | string;
}

export const albFormat: ForwardFormat<ALBEvent, ALBResult> = {
  name: 'ALB',
  resultLimit: ALB_RESULT_LIMIT,
  requestFromEvent: requestFromAlbEvent,
  resultFromResponse: (response, event, settings) =>
    albResultFromResponse(response, isMultiValueEvent(event), settings),
};

/**
 * Picks the format of an event, in the order of contract 4.5: an ALB event is recognised by
 * `requestContext.elb` before anything else, because it also has `httpMethod` and `path`.
 */
export function detectFormat(event: unknown): ForwardFormat<ALBEvent, ALBResult> {
  if (isAlbEvent(event)) return albFormat;
  const e = event as Record<string, unknown> | null | undefined;
  if (typeof e === 'object' && e !== null) {
    const records = e.Records;
    if (
      Array.isArray(records) &&
      typeof records[0] === 'object' &&
      records[0] !== null &&
      'cf' in records[0]
    ) {
      throw new UnsupportedEventError(
        'lambda-bridge received a CloudFront Lambda@Edge event, which it does not support yet. Put an Application Load Balancer in front of the function.',
      );
    }
    const rc = e.requestContext as Record<string, unknown> | undefined;
    if (
      typeof rc === 'object' &&
      rc !== null &&
      (('http' in rc && e.version === '2.0') || 'httpMethod' in e)
    ) {
      throw new UnsupportedEventError(
        'lambda-bridge received an API Gateway or function URL event, which this release does not handle yet; it handles Application Load Balancer events (requestContext.elb).',
      );
    }
  }
  throw new UnknownEventError(
    `lambda-bridge expected an Application Load Balancer event (an object with requestContext.elb, httpMethod and path); it received ${describe(event)}. Invoke the handler through an ALB target group, or build a test event with createAlbEvent().`,
  );
}

import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { describe, UnknownEventError, UnsupportedEventError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import {
  ALB_RESULT_LIMIT,
  albResultFromResponse,
  isAlbEvent,
  isMultiValueEvent,
  type ResultSettings,
  requestFromAlbEvent,
} from './alb.js';
import {
  isApiGatewayV1Event,
  isHandWrittenV1Event,
  LAMBDA_RESULT_LIMIT,
  requestFromHandWrittenV1Event,
  requestFromV1Event,
  v1ResultFromResponse,
} from './apigw-v1.js';
import {
  isApiGatewayV2Event,
  isFunctionUrlEvent,
  requestFromV2Event,
  v2ResultFromResponse,
} from './apigw-v2.js';

/** The HTTP events the forward bridge reads. */
export type HttpEvent = ALBEvent | APIGatewayProxyEvent | APIGatewayProxyEventV2;

/** The result shape that answers each event. */
export type ResultFor<E> = E extends ALBEvent
  ? ALBResult
  : E extends APIGatewayProxyEventV2
    ? APIGatewayProxyStructuredResultV2
    : E extends APIGatewayProxyEvent
      ? APIGatewayProxyResult
      : ALBResult | APIGatewayProxyResult | APIGatewayProxyStructuredResultV2;

/** What the forward bridge needs from an event format. */
export interface ForwardFormat<E, R> {
  /** The service in front of the function, for messages: "ALB", "API Gateway". */
  readonly name: string;
  /** The largest serialized result the service accepts, in bytes. */
  readonly resultLimit: number;
  requestFromEvent(event: E, basePath: string | undefined): HttpRequest | string;
  /** A result, or a string that says why the response cannot be expressed in this format. */
  resultFromResponse(response: HttpResponse, event: E, settings: ResultSettings): R | string;
}

export const albFormat: ForwardFormat<ALBEvent, ALBResult> = {
  name: 'ALB',
  resultLimit: ALB_RESULT_LIMIT,
  requestFromEvent: requestFromAlbEvent,
  resultFromResponse: (response, event, settings) =>
    albResultFromResponse(response, isMultiValueEvent(event), settings),
};

export const apiGatewayV1Format: ForwardFormat<APIGatewayProxyEvent, APIGatewayProxyResult> = {
  name: 'API Gateway',
  resultLimit: LAMBDA_RESULT_LIMIT,
  requestFromEvent: requestFromV1Event,
  resultFromResponse: (response, _event, settings) => v1ResultFromResponse(response, settings.isBinary),
};

export const apiGatewayV2Format: ForwardFormat<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> = {
  name: 'API Gateway',
  resultLimit: LAMBDA_RESULT_LIMIT,
  requestFromEvent: requestFromV2Event,
  resultFromResponse: (response, _event, settings) => v2ResultFromResponse(response, settings.isBinary),
};

/** Payload 1.0 written by hand for a test: no requestContext, perhaps no path or headers. */
export const handWrittenV1Format: ForwardFormat<APIGatewayProxyEvent, APIGatewayProxyResult> = {
  ...apiGatewayV1Format,
  requestFromEvent: requestFromHandWrittenV1Event,
};

/** Payload 2.0 from a function URL: the same shapes, named as the service in messages. */
export const functionUrlFormat: ForwardFormat<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> = {
  ...apiGatewayV2Format,
  name: 'function URL',
};

/**
 * Picks the format of an event, in the order of contract 4.5: an ALB event is recognised by
 * `requestContext.elb` before anything else, because it also has `httpMethod` and `path`; a
 * payload 2.0 event by `version: "2.0"` with `requestContext.http` (a REST event behind a custom
 * domain can carry `rawPath` too); payload 1.0 by `httpMethod` with a `requestContext`. Last, an
 * event with `httpMethod` and no `requestContext` at all, which no service sends, is a test event
 * written by hand and read as payload 1.0.
 */
export function detectFormat(event: unknown): ForwardFormat<HttpEvent, ResultFor<HttpEvent>> {
  if (isAlbEvent(event)) return albFormat as ForwardFormat<HttpEvent, ResultFor<HttpEvent>>;
  const records = (event as { Records?: unknown } | null)?.Records;
  if (Array.isArray(records) && typeof records[0] === 'object' && records[0] !== null && 'cf' in records[0]) {
    throw new UnsupportedEventError(
      'lambda-bridge received a CloudFront Lambda@Edge event, which it does not support yet. Put an Application Load Balancer, API Gateway or a function URL in front of the function.',
    );
  }
  if (isApiGatewayV2Event(event)) {
    const format = isFunctionUrlEvent(event) ? functionUrlFormat : apiGatewayV2Format;
    return format as ForwardFormat<HttpEvent, ResultFor<HttpEvent>>;
  }
  if (isApiGatewayV1Event(event)) return apiGatewayV1Format as ForwardFormat<HttpEvent, ResultFor<HttpEvent>>;
  if (isHandWrittenV1Event(event))
    return handWrittenV1Format as ForwardFormat<HttpEvent, ResultFor<HttpEvent>>;
  throw new UnknownEventError(
    `lambda-bridge expected an HTTP event from an Application Load Balancer (requestContext.elb), API Gateway (httpMethod and requestContext, or version "2.0" with requestContext.http) or a function URL; it received ${describe(event)}. Invoke the handler through one of them, or build a test event with createAlbEvent().`,
  );
}

import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  CloudFrontRequestEvent,
  CloudFrontResultResponse,
} from 'aws-lambda';
import { describe, UnknownEventError, UnsupportedEventError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import {
  ALB_RESPONSE_HEADER_LIMIT,
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
import {
  EDGE_RESULT_LIMITS,
  type EdgeEventType,
  edgeEventType,
  edgeRecord,
  edgeResultFromResponse,
  requestFromEdgeEvent,
} from './edge.js';
import {
  isLatticeV1Event,
  isLatticeV2Event,
  LATTICE_LIMIT,
  type LatticeEventV1,
  type LatticeEventV2,
  type LatticeResult,
  latticeResultFromResponse,
  requestFromLatticeV1Event,
  requestFromLatticeV2Event,
} from './lattice.js';

/** The HTTP events the forward bridge reads. */
export type HttpEvent =
  | ALBEvent
  | APIGatewayProxyEvent
  | APIGatewayProxyEventV2
  | LatticeEventV1
  | LatticeEventV2
  | CloudFrontRequestEvent;

/** The result shape that answers each event. */
export type ResultFor<E> = E extends ALBEvent
  ? ALBResult
  : E extends LatticeEventV2
    ? LatticeResult
    : E extends APIGatewayProxyEventV2
      ? APIGatewayProxyStructuredResultV2
      : E extends APIGatewayProxyEvent
        ? APIGatewayProxyResult
        : E extends LatticeEventV1
          ? LatticeResult
          : E extends CloudFrontRequestEvent
            ? CloudFrontResultResponse
            :
                | ALBResult
                | APIGatewayProxyResult
                | APIGatewayProxyStructuredResultV2
                | LatticeResult
                | CloudFrontResultResponse;

/** What the forward bridge needs from an event format. */
export interface ForwardFormat<E, R> {
  /** The service in front of the function, for messages: "ALB", "API Gateway". */
  readonly name: string;
  /** The largest serialized result the service accepts, in bytes. */
  readonly resultLimit: number;
  /** The most response-header bytes the service passes on, when it has such a limit. */
  readonly headerLimit?: number;
  requestFromEvent(event: E, basePath: string | undefined): HttpRequest | string;
  /** A result, or a string that says why the response cannot be expressed in this format. */
  resultFromResponse(response: HttpResponse, event: E, settings: ResultSettings): R | string;
}

export const albFormat: ForwardFormat<ALBEvent, ALBResult> = {
  name: 'ALB',
  resultLimit: ALB_RESULT_LIMIT,
  headerLimit: ALB_RESPONSE_HEADER_LIMIT,
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

export const latticeV1Format: ForwardFormat<LatticeEventV1, LatticeResult> = {
  name: 'VPC Lattice',
  resultLimit: LATTICE_LIMIT,
  requestFromEvent: requestFromLatticeV1Event,
  resultFromResponse: (response, _event, settings) => latticeResultFromResponse(response, settings),
};

export const latticeV2Format: ForwardFormat<LatticeEventV2, LatticeResult> = {
  ...(latticeV1Format as unknown as ForwardFormat<LatticeEventV2, LatticeResult>),
  requestFromEvent: requestFromLatticeV2Event,
};

function edgeFormat(type: EdgeEventType): ForwardFormat<CloudFrontRequestEvent, CloudFrontResultResponse> {
  return {
    name: `CloudFront (Lambda@Edge ${type})`,
    resultLimit: EDGE_RESULT_LIMITS[type],
    requestFromEvent: requestFromEdgeEvent,
    resultFromResponse: (response, _event, settings) => edgeResultFromResponse(response, type, settings),
  };
}

export const edgeViewerRequestFormat = edgeFormat('viewer-request');
export const edgeOriginRequestFormat = edgeFormat('origin-request');

type AnyFormat = ForwardFormat<HttpEvent, ResultFor<HttpEvent>>;

/** A CloudFront event: request events are bridged, response events refused with a coded error. */
function edgeFormatOf(cf: Record<string, unknown>): AnyFormat {
  const type = edgeEventType(cf);
  if (type === 'viewer-response' || type === 'origin-response' || ('response' in cf && !('request' in cf))) {
    throw new UnsupportedEventError(
      `lambda-bridge received a CloudFront Lambda@Edge ${type ?? 'response'} event. A response trigger edits a response CloudFront already has; it is not a request for the app to answer. Associate the function with the viewer-request or origin-request event instead.`,
    );
  }
  // A request event without a known type is answered in the stricter viewer-request shape (400).
  return (type === 'origin-request' ? edgeOriginRequestFormat : edgeViewerRequestFormat) as AnyFormat;
}

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
  const cf = edgeRecord(event);
  if (cf !== undefined) return edgeFormatOf(cf);
  if (isLatticeV2Event(event)) return latticeV2Format as AnyFormat;
  if (isApiGatewayV2Event(event)) {
    const format = isFunctionUrlEvent(event) ? functionUrlFormat : apiGatewayV2Format;
    return format as ForwardFormat<HttpEvent, ResultFor<HttpEvent>>;
  }
  if (isApiGatewayV1Event(event)) return apiGatewayV1Format as ForwardFormat<HttpEvent, ResultFor<HttpEvent>>;
  if (isHandWrittenV1Event(event))
    return handWrittenV1Format as ForwardFormat<HttpEvent, ResultFor<HttpEvent>>;
  if (isLatticeV1Event(event)) return latticeV1Format as AnyFormat;
  throw new UnknownEventError(
    `lambda-bridge expected an HTTP event from an Application Load Balancer (requestContext.elb), API Gateway (httpMethod and requestContext, or version "2.0" with requestContext.http), a function URL, VPC Lattice (raw_path and method, or version "2.0" with requestContext.targetGroupArn) or a Lambda@Edge request trigger (Records[0].cf.request); it received ${describe(event)}. Invoke the handler through one of them, or build a test event with createAlbEvent().`,
  );
}

import type { IncomingHttpHeaders } from 'node:http';
import { albErrorPage } from '../alb-pages.js';
import { randomBytes } from '../builtin.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import {
  albEventFromRequest,
  isUnreadableText,
  type ResultReading,
  responseFromAlbResult,
  withAlbHeaders,
} from './alb-reverse.js';
import {
  type ApiTarget,
  apiErrorResponse,
  responseFromV1Result,
  responseFromV2Result,
  v1EventFromRequest,
  v2EventFromRequest,
} from './apigw-reverse.js';
import { LAMBDA_RESULT_LIMIT } from './apigw-v1.js';
import {
  cloudFrontErrorPage,
  edgeEventFromRequest,
  edgeHeaders,
  responseFromEdgeResult,
} from './edge-reverse.js';
import { LATTICE_LIMIT } from './lattice.js';
import {
  latticeErrorResponse,
  latticeV1EventFromRequest,
  latticeV2EventFromRequest,
  responseFromLatticeResult,
  withLatticeHeaders,
} from './lattice-reverse.js';

/** The service the emulator plays in front of the handler. */
export type FormatName =
  | 'alb'
  | 'apigw-v1'
  | 'apigw-v2'
  | 'function-url'
  | 'lattice-v1'
  | 'lattice-v2'
  | 'edge-viewer-request'
  | 'edge-origin-request';

export const FORMAT_NAMES: readonly FormatName[] = [
  'alb',
  'apigw-v1',
  'apigw-v2',
  'function-url',
  'lattice-v1',
  'lattice-v2',
  'edge-viewer-request',
  'edge-origin-request',
];

/** The largest request body an ALB passes to a Lambda target, in bytes (contract 3). */
export const ALB_REQUEST_LIMIT = 1024 * 1024;

/** A request the service answers itself, before any invocation. */
export interface Rejection {
  status: number;
  code: string;
  reason: string;
}

/** What the emulator needs from each service it can play. */
export interface ReverseFormat {
  readonly name: FormatName;
  /** For messages: "ALB", "API Gateway", "function URL". */
  readonly service: string;
  /** The largest request body passed to the function, in bytes. */
  readonly requestLimit: number;
  precheck(method: string, url: string, headers: IncomingHttpHeaders): Rejection | undefined;
  /** The request's headers as the function sees them: what the service adds, drops or replaces. */
  forwardHeaders(request: HttpRequest, traceId: string): string[];
  /** A request, body read, that the service refuses before invoking the function. */
  checkRequest(request: HttpRequest): Rejection | undefined;
  eventFromRequest(request: HttpRequest, requestId: string, now: number): unknown;
  readResult(result: unknown, json: string): ResultReading;
  /** The service's own answer for a status it generates (413, and the ALB's 4xx). */
  page(status: number): HttpResponse;
  /**
   * The service's own answer when the invocation fails or times out (`'error'`), or returns a
   * result it refuses (`'invalid'`).
   */
  failure(kind: 'error' | 'invalid'): HttpResponse;
}

export interface ReverseSettings {
  multiValue: boolean;
  strict: boolean;
  targetGroupArn: string;
  region: string;
  accountId: string;
  stage: string | undefined;
}

const URL_LIMIT = 16 * 1024;
const FORWARDED_HOPS_LIMIT = 30;

function albFormat(s: ReverseSettings): ReverseFormat {
  const target = { multiValue: s.multiValue, targetGroupArn: s.targetGroupArn };
  const rules = { strict: s.strict, multiValue: s.multiValue };
  return {
    name: 'alb',
    service: 'ALB',
    requestLimit: ALB_REQUEST_LIMIT,
    precheck(method, url, headers) {
      if (method === 'TRACE')
        return {
          status: 405,
          code: 'METHOD_NOT_ALLOWED',
          reason: 'an ALB answers TRACE requests itself with 405',
        };
      if (headers.upgrade !== undefined) {
        return {
          status: 400,
          code: 'UPGRADE_REJECTED',
          reason: 'an ALB does not pass WebSocket or other upgrade requests to a Lambda target',
        };
      }
      if (url.length > URL_LIMIT)
        return {
          status: 414,
          code: 'URL_TOO_LONG',
          reason: `the request line is over the ALB's ${URL_LIMIT}-byte limit`,
        };
      const xff = headers['x-forwarded-for'];
      if (typeof xff === 'string' && xff.split(',').length > FORWARDED_HOPS_LIMIT) {
        return {
          status: 463,
          code: 'TOO_MANY_FORWARDED_HOPS',
          reason: `x-forwarded-for holds more than ${FORWARDED_HOPS_LIMIT} addresses`,
        };
      }
      return undefined;
    },
    checkRequest(request) {
      if (!isUnreadableText(request)) return undefined;
      return {
        status: 400,
        code: 'INVALID_UTF8',
        reason:
          'the body has a text content type but is not valid UTF-8; an ALB refuses such a request (LambdaBadRequest) and the handler was not invoked',
      };
    },
    forwardHeaders: withAlbHeaders,
    eventFromRequest: (request) => albEventFromRequest(request, target),
    readResult: (result, json) => responseFromAlbResult(result, rules, Buffer.byteLength(json)),
    page: albErrorPage,
    failure: () => albErrorPage(502),
  };
}

function apiFormat(name: FormatName, s: ReverseSettings): ReverseFormat {
  const functionUrl = name === 'function-url';
  const apiId = functionUrl ? randomBytes(16).toString('hex') : randomBytes(5).toString('hex');
  const target: ApiTarget = {
    region: s.region,
    accountId: s.accountId,
    apiId,
    domainName: functionUrl
      ? `${apiId}.lambda-url.${s.region}.on.aws`
      : `${apiId}.execute-api.${s.region}.amazonaws.com`,
    stage: s.stage ?? (name === 'apigw-v1' ? 'prod' : '$default'),
  };
  const v1 = name === 'apigw-v1';
  return {
    name,
    service: functionUrl ? 'function URL' : 'API Gateway',
    requestLimit: LAMBDA_RESULT_LIMIT,
    precheck: () => undefined,
    forwardHeaders: withAlbHeaders,
    // A body that is not UTF-8 travels base64, whatever its type.
    checkRequest: () => undefined,
    eventFromRequest: (request, requestId, now) =>
      v1
        ? v1EventFromRequest(request, target, requestId, now)
        : v2EventFromRequest(request, target, requestId, now),
    readResult: v1 ? responseFromV1Result : responseFromV2Result,
    page: (status) => apiErrorResponse(status, status === 413 ? 'Request Entity Too Large' : 'Bad Request'),
    // REST answers 502 for a failed integration; HTTP APIs and function URLs answer 500 (pitfalls 42-43).
    failure: () =>
      v1 ? apiErrorResponse(502, 'Internal server error') : apiErrorResponse(500, 'Internal Server Error'),
  };
}

function latticeFormat(name: 'lattice-v1' | 'lattice-v2', s: ReverseSettings): ReverseFormat {
  const id = randomBytes(9).toString('hex').slice(0, 17);
  const arn = (kind: string, prefix: string) =>
    `arn:aws:vpc-lattice:${s.region}:${s.accountId}:${kind}/${prefix}-${id}`;
  const target = {
    serviceNetworkArn: arn('servicenetwork', 'sn'),
    serviceArn: arn('service', 'svc'),
    targetGroupArn: s.targetGroupArn.includes(':vpc-lattice:') ? s.targetGroupArn : arn('targetgroup', 'tg'),
    region: s.region,
    sourceVpcArn: `arn:aws:ec2:${s.region}:${s.accountId}:vpc/vpc-${id}`,
  };
  return {
    name,
    service: 'VPC Lattice',
    requestLimit: LATTICE_LIMIT,
    precheck: () => undefined,
    forwardHeaders: withLatticeHeaders,
    checkRequest: () => undefined,
    eventFromRequest: (request, _id, now) =>
      name === 'lattice-v1'
        ? latticeV1EventFromRequest(request)
        : latticeV2EventFromRequest(request, target, now),
    readResult: responseFromLatticeResult,
    page: latticeErrorResponse,
    // AWS does not document Lattice's answer to a failed invocation; a proxy's 502 is assumed.
    failure: () => latticeErrorResponse(502),
  };
}

function edgeFormat(name: 'edge-viewer-request' | 'edge-origin-request'): ReverseFormat {
  const type = name === 'edge-viewer-request' ? 'viewer-request' : 'origin-request';
  const distributionId = `E${randomBytes(7).toString('hex').toUpperCase()}`;
  const target = {
    distributionId,
    distributionDomainName: `d${randomBytes(6).toString('hex')}.cloudfront.net`,
  };
  return {
    name,
    service: 'CloudFront',
    // CloudFront truncates what it exposes to the function; the emulator reads at most this much.
    requestLimit: LAMBDA_RESULT_LIMIT,
    precheck: () => undefined,
    forwardHeaders: (request) => edgeHeaders(request, type),
    checkRequest: () => undefined,
    eventFromRequest: (request) => edgeEventFromRequest(request, type, target),
    readResult: (result, json) => responseFromEdgeResult(result, json, type),
    page: (status) => cloudFrontErrorPage(status),
    // A result that fails validation: 502 LambdaValidationError; a failed function: 503 LambdaExecutionError.
    failure: (kind) =>
      kind === 'invalid'
        ? cloudFrontErrorPage(502, 'LambdaValidationError')
        : cloudFrontErrorPage(503, 'LambdaExecutionError'),
  };
}

/** The emulated service for a format name. */
export function reverseFormat(name: FormatName, settings: ReverseSettings): ReverseFormat {
  switch (name) {
    case 'alb':
      return albFormat(settings);
    case 'lattice-v1':
    case 'lattice-v2':
      return latticeFormat(name, settings);
    case 'edge-viewer-request':
    case 'edge-origin-request':
      return edgeFormat(name);
    default:
      return apiFormat(name, settings);
  }
}

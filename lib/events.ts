import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  CloudFrontRequestEvent,
} from 'aws-lambda';
import { randomUUID } from './builtin.js';
import {
  type AlbEmulatorOptions,
  checkOptions,
  type EmulatorSettings,
  reverseSettings,
  settingsOf,
} from './emulate-options.js';
import { describe, InvalidOptionError } from './errors.js';
import { newTraceId } from './formats/alb-reverse.js';
import { stripBasePath } from './formats/fields.js';
import type { LatticeEventV1, LatticeEventV2 } from './formats/lattice.js';
import type { FormatName } from './formats/reverse.js';
import type { HttpRequest } from './http.js';

// The events the emulated services send, built for a request as a test describes it.

/** The request as a test builds it for `createAlbEvent`. */
export interface EventRequest {
  /** @default 'GET' */
  method?: string;
  /** Path and query, as sent: `/orders?id=7`. @default '/' */
  url?: string;
  /** An object, or a flat `[name, value, …]` list that may repeat names. @default {} */
  headers?: Record<string, string | readonly string[]> | readonly string[];
  /** @default empty */
  body?: string | Uint8Array;
  /** The client address the ALB appends to `x-forwarded-for`. @default '127.0.0.1' */
  remoteAddress?: string;
  /** The listener protocol. @default 'http' */
  protocol?: 'http' | 'https';
  /** The listener port. @default 80 for http, 443 for https */
  port?: number;
}

export function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

function requestFromInit(
  request: EventRequest,
  settings: EmulatorSettings,
  defaultHost?: string,
): HttpRequest {
  const [path, rawQuery] = splitUrl(request.url ?? '/');
  const given = request.headers ?? {};
  const headers: string[] = [];
  if (Array.isArray(given)) {
    for (let i = 0; i + 1 < given.length; i += 2)
      headers.push(String(given[i]).toLowerCase(), String(given[i + 1]));
  } else {
    for (const [name, value] of Object.entries(given as Record<string, string | readonly string[]>)) {
      for (const item of typeof value === 'string' ? [value] : value) headers.push(name.toLowerCase(), item);
    }
  }
  // Every client sends Host and an ALB passes it on; without one, Express's req.hostname is undefined.
  if (defaultHost !== undefined && !headers.some((name, i) => i % 2 === 0 && name === 'host')) {
    headers.unshift('host', defaultHost);
  }
  const body =
    request.body === undefined
      ? Buffer.alloc(0)
      : typeof request.body === 'string'
        ? Buffer.from(request.body, 'utf8')
        : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
  const http: HttpRequest = {
    method: (request.method ?? 'GET').toUpperCase(),
    path: stripBasePath(path || '/', settings.stripPrefix),
    rawQuery,
    headers,
    body,
    remoteAddress: request.remoteAddress ?? '127.0.0.1',
    remotePort: undefined,
    protocol: request.protocol ?? 'http',
    port: request.port,
  };
  http.headers = settings.format.forwardHeaders(http, newTraceId());
  return http;
}

/**
 * Builds the exact event the middleware would pass to the handler for a request, ALB headers
 * (`x-forwarded-*`, a fresh `x-amzn-trace-id`) included. Without a `host` header, the event has
 * `host: localhost`, as every client sends one.
 *
 * @example
 * const event = createAlbEvent({ method: 'POST', url: '/orders?id=7', headers: { 'content-type': 'application/json' }, body: '{}' });
 * const result = await handler(event, createContext());
 */
export function createAlbEvent(request: EventRequest = {}, options: AlbEmulatorOptions = {}): ALBEvent {
  checkOptions(options); // before the spread, which would read null as {}
  const settings = settingsOf({ ...options, format: 'alb' });
  return settings.format.eventFromRequest(
    requestFromInit(request, settings, 'localhost'),
    randomUUID(),
    Date.now(),
  ) as ALBEvent;
}

/**
 * Builds the event API Gateway (`format: 'apigw-v1'`), an HTTP API (`'apigw-v2'`, the default)
 * or a function URL (`'function-url'`) would pass for a request, as the middleware does.
 *
 * @example
 * const event = createApiGatewayEvent({ url: '/orders?id=7' }, { format: 'apigw-v1' });
 */
export function createApiGatewayEvent<F extends 'apigw-v1' | 'apigw-v2' | 'function-url' = 'apigw-v2'>(
  request: EventRequest = {},
  options: AlbEmulatorOptions & { format?: F } = {},
): F extends 'apigw-v1' ? APIGatewayProxyEvent : APIGatewayProxyEventV2 {
  return builtEvent(
    request,
    options,
    ['apigw-v1', 'apigw-v2', 'function-url'],
    'apigw-v2',
    'createApiGatewayEvent',
  ) as never;
}

/**
 * Builds the event a VPC Lattice target group sends for a request, in event structure V2 (the
 * default here) or V1 (`format: 'lattice-v1'`), as the middleware does.
 *
 * @example
 * const event = createLatticeEvent({ url: '/orders?id=7' }, { format: 'lattice-v1' });
 */
export function createLatticeEvent<F extends 'lattice-v1' | 'lattice-v2' = 'lattice-v2'>(
  request: EventRequest = {},
  options: AlbEmulatorOptions & { format?: F } = {},
): F extends 'lattice-v1' ? LatticeEventV1 : LatticeEventV2 {
  return builtEvent(
    request,
    options,
    ['lattice-v1', 'lattice-v2'],
    'lattice-v2',
    'createLatticeEvent',
  ) as never;
}

/**
 * Builds the event a Lambda@Edge trigger receives for a request: viewer request (the default)
 * or origin request (`format: 'edge-origin-request'`), with "include body" on.
 *
 * @example
 * const event = createEdgeEvent({ method: 'POST', url: '/form', body: 'a=1' });
 */
export function createEdgeEvent(
  request: EventRequest = {},
  options: AlbEmulatorOptions & { format?: 'edge-viewer-request' | 'edge-origin-request' } = {},
): CloudFrontRequestEvent {
  return builtEvent(
    request,
    options,
    ['edge-viewer-request', 'edge-origin-request'],
    'edge-viewer-request',
    'createEdgeEvent',
  ) as CloudFrontRequestEvent;
}

function builtEvent(
  request: EventRequest,
  options: AlbEmulatorOptions,
  formats: readonly FormatName[],
  fallback: FormatName,
  builder: string,
): unknown {
  checkOptions(options);
  const format = options.format ?? fallback;
  if (!formats.includes(format)) {
    throw new InvalidOptionError(
      `${builder} builds ${formats.map((n) => `'${n}'`).join(' and ')} events; it got format ${describe(format)}. Use the builder of that service.`,
    );
  }
  const settings = settingsOf({ ...options, format });
  return settings.format.eventFromRequest(requestFromInit(request, settings), randomUUID(), Date.now());
}

/** The health-check event a target group sends (contract 1.6), in the options' header mode. */
export function createHealthCheckEvent(options: AlbEmulatorOptions = {}): ALBEvent {
  const target = reverseSettings(options);
  settingsOf(options);
  const base = {
    requestContext: { elb: { targetGroupArn: target.targetGroupArn } },
    httpMethod: 'GET',
    path: '/',
    body: '',
    isBase64Encoded: false,
  };
  return target.multiValue
    ? {
        ...base,
        multiValueQueryStringParameters: {},
        multiValueHeaders: { 'user-agent': ['ELB-HealthChecker/2.0'] },
      }
    : { ...base, queryStringParameters: {}, headers: { 'user-agent': 'ELB-HealthChecker/2.0' } };
}

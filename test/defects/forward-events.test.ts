import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ALBEvent, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import { toListener } from '../../adapters/node.js';
import { albEvent } from '../fixtures/alb-event.js';
import { apiGatewayV2Event } from '../fixtures/apigw-v2-event.js';
import { call, invoke } from '../forward/support.js';
import { rawRequest } from '../reverse/support.js';

/** A listener that answers with what it saw of the request, as JSON. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
}

describe('defect 15: header names are validated as given, before lower-casing', () => {
  it('a request header named with U+212A KELVIN SIGN is a 400, never a cookie', async () => {
    const event: ALBEvent = { ...albEvent, headers: { 'Coo\u212Aie': 'session=stolen' } };
    const { result, warnings } = await invoke(echo, event);
    expect(result.statusCode).toBe(400);
    expect(warnings.map((w) => w.code)).toEqual(['INVALID_EVENT']);
    expect(warnings[0].message).toContain('Coo\u212Aie');
  });

  it('the same in a multi-value event and a payload 2.0 event', async () => {
    const multi: ALBEvent = {
      ...albEvent,
      headers: undefined,
      multiValueHeaders: { 'Coo\u212Aie': ['a=1'] },
      multiValueQueryStringParameters: {},
    };
    expect((await invoke(echo, multi)).result.statusCode).toBe(400);
    const v2: APIGatewayProxyEventV2 = { ...apiGatewayV2Event, headers: { 'x-\u212A': 'v' } };
    const handler = toLambda<APIGatewayProxyEventV2>(echo, { log() {} });
    expect(((await handler(v2)) as APIGatewayProxyStructuredResultV2).statusCode).toBe(400);
  });
});

describe('defect 16: an event with "headers" and "multiValueQueryStringParameters" keeps its headers', () => {
  it('the app sees every request header, and the query', async () => {
    const event: ALBEvent = {
      ...albEvent,
      queryStringParameters: undefined,
      multiValueQueryStringParameters: { a: ['1', '2'] },
      headers: { 'x-custom': 'kept', host: 'example.com' },
    };
    const result = await call(echo, event);
    expect(result.statusCode).toBe(200);
    const seen = JSON.parse(result.body ?? '');
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers.host).toBe('example.com');
    expect(seen.url).toBe('/lambda?a=1&a=2');
    // The result is in the mode the event's query field implies.
    expect(result.multiValueHeaders).toBeDefined();
  });
});

describe('defect 17: payload 2.0 results keep a __proto__ response header', () => {
  it('as an own property', async () => {
    const handler = toLambda<APIGatewayProxyEventV2>(
      (_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('__proto__', 'x');
        res.end('ok');
      },
      { log() {} },
    );
    const result = (await handler(apiGatewayV2Event)) as APIGatewayProxyStructuredResultV2;
    expect(Object.hasOwn(result.headers ?? {}, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(result.headers, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(result.headers)).toBe(Object.prototype);
  });
});

describe('defect 21: OPTIONS * through toListener(toLambda(app)) answers as the app on a Node server', () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });
  async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
    const server = createServer(listener);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }
  const app = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('allow', 'GET, OPTIONS');
    res.setHeader('content-type', 'text/plain');
    res.end(`${req.method} ${req.url}`);
  };

  it('both answer 200 with the url "*"', async () => {
    const direct = await rawRequest(await listen(app), 'OPTIONS', '*');
    const bridged = await rawRequest(await listen(toListener(toLambda(app), { log() {} })), 'OPTIONS', '*');
    expect(direct.status).toBe(200);
    expect(direct.body.toString()).toBe('OPTIONS *');
    expect(bridged.status).toBe(direct.status);
    expect(bridged.body.toString()).toBe(direct.body.toString());
  });

  it('an event with path "*" is accepted for OPTIONS only', async () => {
    const options = await call(app, {
      ...albEvent,
      httpMethod: 'OPTIONS',
      path: '*',
      queryStringParameters: {},
    });
    expect(options.statusCode).toBe(200);
    expect(options.body).toBe('OPTIONS *');
    const { result } = await invoke(app, { ...albEvent, httpMethod: 'GET', path: '*' });
    expect(result.statusCode).toBe(400);
  });
});

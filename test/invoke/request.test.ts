import { describe, expect, it } from 'vitest';
import { errorPayload, InvocationLog, invokeAnswer } from '../../lib/invoke-api/answer.js';
import type { ApiAnswer } from '../../lib/invoke-api/errors.js';
import { type InvokeRequest, readInvokeRequest, readPayload } from '../../lib/invoke-api/request.js';

const PATH = (name: string) => `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
const read = (url: string, headers: Record<string, string> = {}, method = 'POST') =>
  readInvokeRequest(method, url, headers, 'req-1');
const ok = (value: InvokeRequest | ApiAnswer) => {
  if ('status' in value) throw new Error(`refused: ${value.body.toString()}`);
  return value;
};
const refused = (value: InvokeRequest | ApiAnswer) => {
  if (!('status' in value)) throw new Error('accepted');
  return {
    status: value.status,
    type: value.headers['x-amzn-errortype'],
    body: JSON.parse(value.body.toString()),
  };
};

describe('readInvokeRequest', () => {
  it('names, ARNs, partial ARNs and qualifiers', () => {
    expect(ok(read(PATH('orders')))).toMatchObject({ functionName: 'orders', qualifier: undefined });
    expect(ok(read(PATH('arn:aws:lambda:eu-west-1:123456789012:function:orders:prod')))).toMatchObject({
      functionName: 'orders',
      qualifier: 'prod',
    });
    expect(ok(read(PATH('123456789012:function:orders')))).toMatchObject({ functionName: 'orders' });
    expect(ok(read(`${PATH('orders')}?Qualifier=%24LATEST`))).toMatchObject({ qualifier: '$LATEST' });
    expect(ok(read(`${PATH('orders:7')}?Qualifier=7`))).toMatchObject({ qualifier: '7' });
  });

  it('the operation from the path', () => {
    expect(ok(read(PATH('f'))).operation).toBe('Invoke');
    expect(ok(read('/2021-11-15/functions/f/response-streaming-invocations')).operation).toBe(
      'InvokeWithResponseStream',
    );
  });

  it("Lambda's errors for what it refuses", () => {
    expect(refused(read('/2015-03-31/functions/f/invocations', {}, 'GET'))).toMatchObject({
      status: 404,
      type: 'UnknownOperationException',
    });
    expect(refused(read('/2015-03-31/functions/a/b/invocations'))).toMatchObject({ status: 404 });
    expect(refused(read(PATH('no/slash')))).toMatchObject({ status: 400, type: 'ValidationException' });
    expect(refused(read(PATH('bad name!')))).toMatchObject({ status: 400, type: 'ValidationException' });
    expect(refused(read(PATH('x'.repeat(65))))).toMatchObject({ status: 400, type: 'ValidationException' });
    expect(refused(read(`${PATH('f:1')}?Qualifier=2`))).toMatchObject({
      status: 400,
      type: 'InvalidParameterValueException',
    });
    expect(refused(read(`${PATH('f')}?Qualifier=a%20b`))).toMatchObject({
      status: 400,
      type: 'ValidationException',
    });
    expect(refused(read(PATH('f'), { 'x-amz-log-type': 'Head' }))).toMatchObject({
      type: 'ValidationException',
    });
    expect(
      refused(
        read('/2021-11-15/functions/f/response-streaming-invocations', { 'x-amz-invocation-type': 'Event' }),
      ),
    ).toMatchObject({ status: 400 });
    const error = refused(read(PATH('f'), { 'x-amz-invocation-type': 'Async' }));
    expect(error.body).toEqual({
      Type: 'User',
      Message:
        "1 validation error detected: Value 'Async' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
    });
  });

  it('the client context: decoded for synchronous invocations, dropped for Event, refused when not Base64 JSON', () => {
    const context = Buffer.from('{"custom":{"a":1}}').toString('base64');
    expect(ok(read(PATH('f'), { 'x-amz-client-context': context })).clientContext).toEqual({
      custom: { a: 1 },
    });
    expect(
      ok(read(PATH('f'), { 'x-amz-client-context': context, 'x-amz-invocation-type': 'Event' }))
        .clientContext,
    ).toBeUndefined();
    for (const bad of [
      'not base64!',
      Buffer.from('"text"').toString('base64'),
      Buffer.from('{').toString('base64'),
    ]) {
      expect(refused(read(PATH('f'), { 'x-amz-client-context': bad })).type).toBe(
        'InvalidRequestContentException',
      );
    }
    const huge = Buffer.from(JSON.stringify({ custom: { s: 'x'.repeat(3600) } })).toString('base64');
    expect(refused(read(PATH('f'), { 'x-amz-client-context': huge })).body.Message).toContain(
      '3583-byte limit',
    );
  });
});

describe('readPayload', () => {
  it('JSON payloads; an empty one is {}', () => {
    expect(readPayload(Buffer.from('[1,"a"]'), 'r')).toEqual({ event: [1, 'a'] });
    expect(readPayload(Buffer.from('"text"'), 'r')).toEqual({ event: 'text' });
    expect(readPayload(Buffer.alloc(0), 'r')).toEqual({ event: {} });
  });

  it('what is not JSON, or not UTF-8: InvalidRequestContentException', () => {
    for (const body of [Buffer.from('{'), Buffer.from([0x22, 0xff, 0x22])]) {
      const answer = readPayload(body, 'r') as ApiAnswer;
      expect(answer.status).toBe(400);
      expect(answer.headers['x-amzn-errortype']).toBe('InvalidRequestContentException');
    }
  });
});

describe('answers', () => {
  it('errors Lambda reports carry no trace; the runtime’s keep theirs', () => {
    expect(errorPayload({ errorType: 'Sandbox.Timedout', errorMessage: 'late', trace: [] })).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'late',
    });
    expect(errorPayload({ errorType: 'Error', errorMessage: 'x', trace: [] })).toEqual({
      errorType: 'Error',
      errorMessage: 'x',
      trace: [],
    });
  });

  it('a result: 200 with the version and request id', () => {
    const answer = invokeAnswer({ ok: true, json: '{"a":1}', result: { a: 1 }, duration: 1 }, 'id-1', 'TE9H');
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({
      'x-amz-executed-version': '$LATEST',
      'x-amzn-requestid': 'id-1',
      'x-amz-log-result': 'TE9H',
    });
    expect(answer.headers['x-amz-function-error']).toBeUndefined();
  });

  it('the log keeps its last 4 KB, across many writes', () => {
    const log = new InvocationLog();
    for (let i = 0; i < 1000; i++) log.write(`line ${i}\n`);
    const tail = Buffer.from(log.tail(), 'base64').toString();
    expect(tail.length).toBe(4096);
    expect(tail.endsWith('line 999\n')).toBe(true);
  });
});

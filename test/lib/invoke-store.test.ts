import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installAwsLambdaGlobal } from '../../lib/invoke/global.js';
import { invokeHandler } from '../../lib/invoke/handler.js';
import { InvokeStore, LambdaInvokeStore } from '../../lib/invoke/store.js';
import { HttpResponseStream, streamifyResponse } from '../../lib/invoke/streaming.js';

const holder = globalThis as { awslambda?: Record<string, unknown> };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let saved: Record<string, unknown> | undefined;
beforeEach(() => {
  saved = holder.awslambda;
  delete holder.awslambda;
});
afterEach(() => {
  if (saved === undefined) delete holder.awslambda;
  else holder.awslambda = saved;
  delete process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
});

describe('InvokeStore', () => {
  it('outside an invocation: no context, request id "-"', () => {
    expect(InvokeStore.hasContext()).toBe(false);
    expect(InvokeStore.getContext()).toBeUndefined();
    expect(InvokeStore.getRequestId()).toBe('-');
    expect(InvokeStore.getXRayTraceId()).toBeUndefined();
    expect(() => InvokeStore.set('k', 1)).toThrow('No context available');
  });

  it('the protected keys are the registered symbols of @aws/lambda-invoke-store', () => {
    expect(LambdaInvokeStore.PROTECTED_KEYS).toEqual({
      REQUEST_ID: Symbol.for('_AWS_LAMBDA_REQUEST_ID'),
      X_RAY_TRACE_ID: Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID'),
      TENANT_ID: Symbol.for('_AWS_LAMBDA_TENANT_ID'),
    });
  });

  it('every invocation through invokeHandler runs inside it, with the context ids', async () => {
    const outcome = await invokeHandler(
      async (_event, context) => {
        await sleep(1);
        InvokeStore.set('user', 'u1');
        return {
          requestId: InvokeStore.getRequestId(),
          contextId: context.awsRequestId,
          traceId: InvokeStore.getXRayTraceId(),
          contextTrace: (context as { xRayTraceId?: string }).xRayTraceId,
          tenantId: InvokeStore.getTenantId(),
          user: InvokeStore.get('user'),
        };
      },
      {},
      { tenantId: 'tenant-9' },
    );
    if (!('result' in outcome)) throw new Error('expected a result');
    const seen = outcome.result as Record<string, string>;
    expect(seen.requestId).toBe(seen.contextId);
    expect(seen.traceId).toBe(seen.contextTrace);
    expect(seen.tenantId).toBe('tenant-9');
    expect(seen.user).toBe('u1');
  });

  it('the protected keys cannot be set', async () => {
    const outcome = await invokeHandler(async () => {
      InvokeStore.set(LambdaInvokeStore.PROTECTED_KEYS.REQUEST_ID, 'forged');
    }, {});
    expect(outcome).toMatchObject({
      error: { errorMessage: 'Cannot modify protected Lambda context field: Symbol(_AWS_LAMBDA_REQUEST_ID)' },
    });
  });

  it('is async-context safe: 200 overlapping invocations each see their own ids', async () => {
    const runs = Array.from({ length: 200 }, (_, i) =>
      invokeHandler(
        async () => {
          InvokeStore.set('n', i);
          await sleep((i * 7) % 13);
          await Promise.resolve();
          return [InvokeStore.getRequestId(), InvokeStore.get('n')];
        },
        {},
        { awsRequestId: `req-${i}`, runtime: i % 2 ? 'nodejs24.x' : 'nodejs22.x' },
      ),
    );
    const outcomes = await Promise.all(runs);
    outcomes.forEach((outcome, i) => {
      expect(outcome).toEqual({ result: [`req-${i}`, i] });
    });
  });

  it('an InvokeStore another package put on awslambda also holds the invocation', async () => {
    const seen: unknown[] = [];
    const foreign = {
      run<T>(context: Record<symbol, unknown>, fn: () => T): T {
        seen.push(context[Symbol.for('_AWS_LAMBDA_REQUEST_ID')]);
        return fn();
      },
    };
    holder.awslambda = { InvokeStore: foreign };
    await invokeHandler(async () => 1, {}, { awsRequestId: 'req-f' });
    expect(seen).toEqual(['req-f']);
  });
});

describe('the awslambda global', () => {
  it('installAwsLambdaGlobal installs it when there is none', () => {
    const installed = installAwsLambdaGlobal();
    expect(holder.awslambda).toBe(installed);
    expect(installed.InvokeStore).toBe(InvokeStore);
    expect(installed.streamifyResponse).toBe(streamifyResponse);
    expect(installed.HttpResponseStream).toBe(HttpResponseStream);
  });

  it('never replaces an existing one, and keeps its members', () => {
    const theirs = { InvokeStore: { mine: true }, other: 1 };
    holder.awslambda = theirs;
    expect(installAwsLambdaGlobal()).toBe(theirs);
    expect(holder.awslambda).toBe(theirs);
    expect(theirs.InvokeStore).toEqual({ mine: true });
  });

  it('gives an existing object the members it lacks', () => {
    const theirs: Record<string, unknown> = {};
    holder.awslambda = theirs;
    installAwsLambdaGlobal();
    expect(theirs.InvokeStore).toBe(InvokeStore);
  });

  it('AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA=true turns it off, as in the runtime', () => {
    process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA = 'true';
    const members = installAwsLambdaGlobal();
    expect(holder.awslambda).toBeUndefined();
    expect(members.InvokeStore).toBe(InvokeStore);
  });

  it('@aws/lambda-invoke-store (as the runtime client and Powertools load it) finds this store', async () => {
    installAwsLambdaGlobal();
    const require = createRequire(import.meta.url);
    const path = require.resolve('aws-lambda-ric/package.json').replace(/package\.json$/, '');
    const pkg = require(`${path}node_modules/@aws/lambda-invoke-store/dist-cjs/invoke-store.js`) as {
      InvokeStore: { getInstanceAsync(): Promise<{ getRequestId(): string }> };
    };
    const store = await pkg.InvokeStore.getInstanceAsync();
    expect(store).toBe(InvokeStore);
    const outcome = await invokeHandler(async () => store.getRequestId(), {}, { awsRequestId: 'req-p' });
    expect(outcome).toEqual({ result: 'req-p' });
  });
});

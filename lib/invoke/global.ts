import { InvokeStore, type LambdaInvokeStore } from './store.js';
import { HttpResponseStream, streamifyResponse } from './streaming.js';

/** The members of `globalThis.awslambda` that lambda-bridge provides. */
export interface AwsLambdaGlobal {
  InvokeStore: LambdaInvokeStore;
  streamifyResponse: typeof streamifyResponse;
  HttpResponseStream: typeof HttpResponseStream;
  [key: string]: unknown;
}

/** The members an installed `awslambda` object gets, when it lacks them. */
function members(): Record<string, unknown> {
  return { InvokeStore, streamifyResponse, HttpResponseStream };
}

/**
 * Installs `globalThis.awslambda` as the Node.js runtime provides it, when there is none; an
 * existing object is never replaced, only given the members it lacks (an `InvokeStore` installed
 * by `@aws/lambda-invoke-store` stays). As in the runtime, `AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA`
 * set to `true` or `1` turns the global off. Returns the global (or, turned off, the members).
 */
export function installAwsLambdaGlobal(): AwsLambdaGlobal {
  const own = members();
  const flag = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (flag === 'true' || flag === '1') return own as AwsLambdaGlobal;
  const holder = globalThis as { awslambda?: Record<string, unknown> };
  const existing = holder.awslambda;
  if (typeof existing !== 'object' || existing === null) {
    holder.awslambda = own;
    return own as AwsLambdaGlobal;
  }
  for (const [name, value] of Object.entries(own)) {
    if (existing[name] === undefined) existing[name] = value;
  }
  return existing as AwsLambdaGlobal;
}

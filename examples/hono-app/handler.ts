import { type ToLambdaOptions, toLambda } from 'lambda-bridge';
import { app } from './app.js';

/** Builds a Lambda handler for the app; tests pass their own options, such as a `log` hook. */
export function createHandler(options: ToLambdaOptions = {}) {
  // Any object with a fetch(request) method: the Hono app itself.
  return toLambda(app, options);
}

/** The handler to configure in Lambda, behind an ALB target group. */
export const handler = createHandler();

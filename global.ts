// `import 'lambda-bridge/global'`: installs `globalThis.awslambda` (InvokeStore, streamifyResponse,
// HttpResponseStream) as the Node.js Lambda runtime provides it, when none exists.
import { installAwsLambdaGlobal } from './lib/invoke/global.js';

installAwsLambdaGlobal();

export { type AwsLambdaGlobal, installAwsLambdaGlobal } from './lib/invoke/global.js';
export { InvokeStore, type InvokeStoreContext, LambdaInvokeStore } from './lib/invoke/store.js';
export { HttpResponseStream, streamifyResponse } from './lib/invoke/streaming.js';

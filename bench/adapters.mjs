// The adapters under comparison. `modules` is what a handler module imports to build an ALB
// handler (the cold-import scenario imports exactly these); `build` turns the imported modules and
// an app into an `(event, context) => Promise<result>` handler. Every peer is configured the way
// its documentation describes for ALB events, with application/octet-stream declared binary.

const BINARY_TYPES = ['application/octet-stream'];

/** The app kinds the generic Node adapters serve. */
const NODE_KINDS = ['listener', 'koa', 'express'];

export const ADAPTERS = [
  {
    name: 'lambda-bridge',
    // The package itself, through its "exports" map: the built dist/esm/index.js.
    modules: ['lambda-bridge'],
    kinds: [...NODE_KINDS, 'fastify', 'hono'],
    build([bridge], app) {
      // application/octet-stream is binary by default.
      return bridge.toLambda(app);
    },
  },
  {
    name: 'serverless-http',
    modules: ['serverless-http'],
    kinds: NODE_KINDS,
    build([serverlessHttp], app) {
      return serverlessHttp.default(app, { binary: BINARY_TYPES });
    },
  },
  {
    name: '@codegenie/serverless-express',
    modules: ['@codegenie/serverless-express'],
    kinds: NODE_KINDS,
    build([serverlessExpress], app) {
      // The event source (AWS_ALB) is detected from requestContext.elb; the framework
      // (Express, Koa, or a plain listener) from the app.
      return serverlessExpress.default({
        app,
        binarySettings: { contentTypes: BINARY_TYPES },
      });
    },
  },
  {
    // The previous major, as an extra column: not counted as a peer when finding the fastest.
    name: '@codegenie/serverless-express 4',
    modules: ['codegenie4'],
    package: 'codegenie4',
    extra: true,
    kinds: NODE_KINDS,
    build([serverlessExpress], app) {
      return serverlessExpress.default({
        app,
        binarySettings: { contentTypes: BINARY_TYPES },
      });
    },
  },
  {
    name: '@h4ad/serverless-adapter',
    modules: [
      '@h4ad/serverless-adapter',
      '@h4ad/serverless-adapter/adapters/aws',
      '@h4ad/serverless-adapter/frameworks/express',
      '@h4ad/serverless-adapter/frameworks/koa',
      '@h4ad/serverless-adapter/handlers/default',
      '@h4ad/serverless-adapter/resolvers/promise',
    ],
    kinds: NODE_KINDS,
    build([core, aws, expressFw, koaFw, handlers, resolvers], app, kind) {
      // ExpressFramework calls app(req, res), so it also serves a plain listener.
      const framework = kind === 'koa' ? new koaFw.KoaFramework() : new expressFw.ExpressFramework();
      return core.ServerlessAdapter.new(app)
        .setFramework(framework)
        .setHandler(new handlers.DefaultHandler())
        .setResolver(new resolvers.PromiseResolver())
        .setBinarySettings({ contentTypes: BINARY_TYPES, contentEncodings: ['gzip', 'deflate', 'br'] })
        .addAdapter(new aws.AlbAdapter())
        .build();
    },
  },
  {
    name: '@fastify/aws-lambda',
    modules: ['@fastify/aws-lambda'],
    kinds: ['fastify'],
    build([awsLambdaFastify], app) {
      return awsLambdaFastify.default(app, { binaryMimeTypes: BINARY_TYPES });
    },
  },
  {
    name: 'hono/aws-lambda',
    modules: ['hono/aws-lambda'],
    package: 'hono',
    kinds: ['hono'],
    build([honoLambda], app) {
      return honoLambda.handle(app);
    },
  },
];

/** The adapters that serve an app of `kind`. */
export function adaptersFor(kind) {
  return ADAPTERS.filter((a) => a.kinds.includes(kind));
}

export function adapterByName(name) {
  const found = ADAPTERS.find((a) => a.name === name);
  if (!found) throw new Error(`unknown adapter ${JSON.stringify(name)}`);
  return found;
}

/** Imports an adapter's modules and returns `(app, kind) => handler`. */
export async function loadAdapter(name) {
  const adapter = adapterByName(name);
  const modules = [];
  for (const specifier of adapter.modules) modules.push(await import(specifier));
  return (app, kind) => adapter.build(modules, app, kind);
}

/** A Lambda context as the Node.js runtime passes it, with 30 s left. */
export function lambdaContext() {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bench-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench-function',
    memoryLimitInMB: '1024',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/bench-function',
    logStreamName: '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done() {},
    fail() {},
    succeed() {},
  };
}

// The forward scenarios: the app, the ALB event and the expected response of each, plus the
// targets. Every adapter gets the same app and the same event, which carries the headers an ALB
// forwards from a browser (its own x-forwarded-* and x-amzn-trace-id included).

const targetGroupArn =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bench-target/0123456789abcdef';

const singleHeaders = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'accept-language': 'en-US,en;q=0.9,de;q=0.8',
  cookie: 'session=3f9a1c7e2b8d4f60a5e1c9b7d3f2a8e4; theme=dark; _ga=GA1.1.1234567890.1700000000',
  host: 'bench-alb-123456789.us-east-1.elb.amazonaws.com',
  'user-agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'x-amzn-trace-id': 'Root=1-6789abcd-0123456789abcdef01234567',
  'x-forwarded-for': '203.0.113.7',
  'x-forwarded-port': '443',
  'x-forwarded-proto': 'https',
};

const singleQuery = { name: 'world', page: '2', sort: 'asc' };

function singleEvent(method, path, extra = {}) {
  return {
    requestContext: { elb: { targetGroupArn } },
    httpMethod: method,
    path,
    queryStringParameters: { ...singleQuery },
    headers: { ...singleHeaders, ...extra.headers },
    body: extra.body ?? '',
    isBase64Encoded: false,
  };
}

function multiEvent(method, path) {
  const multiValueHeaders = {};
  for (const [name, value] of Object.entries(singleHeaders)) multiValueHeaders[name] = [value];
  const multiValueQueryStringParameters = {};
  for (const [name, value] of Object.entries(singleQuery)) multiValueQueryStringParameters[name] = [value];
  return {
    requestContext: { elb: { targetGroupArn } },
    httpMethod: method,
    path,
    multiValueQueryStringParameters,
    multiValueHeaders,
    body: '',
    isBase64Encoded: false,
  };
}

/** A compact JSON document of a little over 10 KB; JSON.stringify(JSON.parse(it)) gives it back. */
function jsonDocument() {
  const items = [];
  let text = '';
  for (let i = 0; text.length < 10 * 1024; i++) {
    items.push({ id: i, name: `item-${i}`, tags: ['alpha', 'beta'], price: i * 1.25, active: i % 2 === 0 });
    text = JSON.stringify({ items });
  }
  return text;
}

/** 200 KB of deterministic bytes that are not valid UTF-8. */
function binaryPayload() {
  const bytes = Buffer.alloc(200 * 1024);
  let state = 0x2545f491;
  for (let i = 0; i < bytes.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/**
 * Each scenario: `kind` tells the adapter which framework the app is ('listener', 'koa',
 * 'express', 'fastify', 'hono'; only the adapters that serve that kind are measured); `makeApp` builds it (imports the framework on demand); `event()` gives a fresh
 * event; `expected` is what the ALB must receive.
 */
export const SCENARIOS = [
  {
    id: '1',
    title: 'bare listener, single-value event',
    target: { ratio: 1.5 },
    kind: 'listener',
    async makeApp() {
      return (_req, res) => res.end('hello');
    },
    event: () => singleEvent('GET', '/hello'),
    expected: () => ({ multiValue: false, status: 200, body: Buffer.from('hello'), headers: {} }),
  },
  {
    id: '2',
    title: 'bare listener, multi-value event',
    target: { ratio: 1.5 },
    kind: 'listener',
    async makeApp() {
      return (_req, res) => res.end('hello');
    },
    event: () => multiEvent('GET', '/hello'),
    expected: () => ({ multiValue: true, status: 200, body: Buffer.from('hello'), headers: {} }),
  },
  {
    id: '3',
    title: 'Koa 3 hello world',
    target: { ratio: 1.25 },
    kind: 'koa',
    async makeApp() {
      const { default: Koa } = await import('koa');
      const app = new Koa();
      app.use((ctx) => {
        ctx.body = 'Hello World';
      });
      return app;
    },
    event: () => singleEvent('GET', '/hello'),
    expected: () => ({
      multiValue: false,
      status: 200,
      body: Buffer.from('Hello World'),
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    }),
  },
  {
    id: '4',
    title: 'Express 5 hello world',
    target: { ratio: 1.2 },
    kind: 'express',
    async makeApp() {
      const { default: express } = await import('express');
      const app = express();
      app.get('/hello', (_req, res) => {
        res.send('Hello World!');
      });
      return app;
    },
    event: () => singleEvent('GET', '/hello'),
    expected: () => ({
      multiValue: false,
      status: 200,
      body: Buffer.from('Hello World!'),
      headers: { 'content-type': 'text/html; charset=utf-8' },
    }),
  },
  {
    id: '5',
    title: 'Express 5 JSON echo, 10 KB POST body',
    target: { ratio: 1.2 },
    kind: 'express',
    async makeApp() {
      const { default: express } = await import('express');
      const app = express();
      app.use(express.json({ limit: '1mb' }));
      app.post('/echo', (req, res) => {
        res.json(req.body);
      });
      return app;
    },
    event() {
      const body = jsonDocument();
      return singleEvent('POST', '/echo', {
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        body,
      });
    },
    expected: () => ({
      multiValue: false,
      status: 200,
      body: Buffer.from(jsonDocument()),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    }),
  },
  {
    id: '6',
    title: '200 KB binary response, base64 in the result',
    target: { ratio: 1.5 },
    kind: 'listener',
    async makeApp() {
      const payload = binaryPayload();
      return (_req, res) => {
        res.setHeader('content-type', 'application/octet-stream');
        res.end(payload);
      };
    },
    event: () => singleEvent('GET', '/download'),
    expected: () => ({
      multiValue: false,
      status: 200,
      body: binaryPayload(),
      headers: { 'content-type': 'application/octet-stream' },
    }),
  },
  {
    id: '8',
    title: 'Fastify 5 hello world',
    target: { ratio: 1.2 },
    kind: 'fastify',
    async makeApp() {
      const { default: Fastify } = await import('fastify');
      const app = Fastify();
      app.get('/hello', async () => 'Hello World');
      return app;
    },
    event: () => singleEvent('GET', '/hello'),
    expected: () => ({
      multiValue: false,
      status: 200,
      body: Buffer.from('Hello World'),
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    }),
  },
  {
    id: '9',
    title: 'Hono 4 hello world',
    target: { ratio: 1.2 },
    kind: 'hono',
    async makeApp() {
      const { Hono } = await import('hono');
      const app = new Hono();
      app.get('/hello', (c) => c.text('Hello World'));
      return app;
    },
    event: () => singleEvent('GET', '/hello'),
    expected: () => ({
      multiValue: false,
      status: 200,
      body: Buffer.from('Hello World'),
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    }),
  },
];

/**
 * Scenario 7: the time to import each adapter's modules, in milliseconds. The target: at most
 * `node:http` alone (measured in the same run) plus `overHttpMs`, and below every peer.
 */
export const IMPORT_SCENARIO = {
  id: '7',
  title: 'cold import of toLambda (in-process, Node start-up excluded)',
  target: { overHttpMs: 3 },
};

export function scenarioById(id) {
  const found = SCENARIOS.find((s) => s.id === id);
  if (!found) throw new Error(`unknown scenario ${JSON.stringify(id)}`);
  return found;
}

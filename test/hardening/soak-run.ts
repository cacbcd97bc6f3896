// Soak run of the forward bridge, in a process of its own so that garbage collection and the
// active handles belong to it alone: `node --expose-gc --import tsx soak-run.ts <invocations>`.
// It prints one JSON report on stdout.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ALBEvent, ALBResult, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import express from 'express';
import Koa from 'koa';
import { createContext, type HttpHandler, toLambda } from '../../index.js';

export interface SoakReport {
  invocations: number;
  /** Heap in use after a forced collection, before and after the run (bytes). */
  heapBefore: number;
  heapAfter: number;
  /** `process.getActiveResourcesInfo()`, before and after, sorted. */
  resourcesBefore: string[];
  resourcesAfter: string[];
  /** Invocations whose status was not the scenario's. */
  mismatches: string[];
  statuses: Record<string, number>;
  warnings: Record<string, number>;
  milliseconds: number;
}

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/soak/0123456789abcdef';

function albEvent(i: number, changes: Partial<ALBEvent> = {}): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: ARN } },
    httpMethod: 'GET',
    path: '/items',
    queryStringParameters: { id: String(i), q: 'a+b%20c' },
    headers: {
      host: 'soak.example.com',
      'accept-encoding': 'gzip',
      'x-forwarded-for': `10.0.${i % 256}.1`,
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
    },
    body: '',
    isBase64Encoded: false,
    ...changes,
  };
}

function multiEvent(i: number): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: ARN } },
    httpMethod: 'GET',
    path: '/cookies',
    multiValueQueryStringParameters: { id: [String(i)], tag: ['a', 'b'] },
    multiValueHeaders: {
      host: ['soak.example.com'],
      cookie: ['a=1', 'b=2'],
      'x-forwarded-for': ['10.1.1.1'],
    },
    body: '',
    isBase64Encoded: false,
  };
}

function v2Event(i: number): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/items',
    rawQueryString: `id=${i}`,
    headers: { host: 'api.example.com', 'content-type': 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/items', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'soak' },
      requestId: `r${i}`,
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2025:00:00:00 +0000',
      timeEpoch: 0,
    },
    body: JSON.stringify({ id: i }),
    isBase64Encoded: false,
  };
}

interface Scenario {
  name: string;
  status: number;
  run(i: number): Promise<{ statusCode?: number }>;
}

function scenarios(warn: (code: string) => void): Scenario[] {
  const log = (entry: { code: string }) => warn(entry.code);

  const expressApp = express();
  expressApp.use(express.json());
  expressApp.get('/items', (req, res) => {
    res.json({ id: req.query.id, q: req.query.q, ip: req.ip });
  });
  expressApp.post('/items', (req, res) => {
    res.status(201).json(req.body);
  });
  const expressHandler = toLambda(expressApp, { log });
  const expressV2 = toLambda<APIGatewayProxyEventV2>(expressApp, { log });

  const koaApp = new Koa();
  koaApp.silent = true;
  koaApp.use((ctx) => {
    ctx.cookies.set('seen', String(ctx.query.id));
    ctx.cookies.set('other', 'x');
    ctx.body = { cookie: ctx.get('cookie'), tag: ctx.query.tag };
  });
  const koaHandler = toLambda(koaApp, { log });
  const koaSingle = toLambda(koaApp, { log });

  const binary = Buffer.alloc(4096, 0xff);
  const large = 'x'.repeat(300 * 1024);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/binary')) {
      res.setHeader('content-type', 'image/png');
      res.end(binary);
    } else if (req.url?.startsWith('/large')) {
      res.setHeader('content-type', 'text/plain');
      res.end(large);
    } else if (req.url?.startsWith('/throw')) {
      throw new Error('soak failure');
    } else if (req.url?.startsWith('/hang')) {
      // Never answers: the deadline does.
    } else {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(Buffer.concat(chunks)));
    }
  };
  const listenerHandler: HttpHandler = toLambda(listener, { log });
  const short = (): Context => ({ ...createContext(), getRemainingTimeInMillis: () => 4 });

  const alb = (handler: HttpHandler, event: ALBEvent, context?: Context) =>
    handler(event, context) as Promise<ALBResult>;
  return [
    { name: 'express GET', status: 200, run: (i) => alb(expressHandler, albEvent(i)) },
    {
      name: 'express POST json',
      status: 201,
      run: (i) =>
        alb(
          expressHandler,
          albEvent(i, {
            httpMethod: 'POST',
            headers: { host: 'x', 'content-type': 'application/json' },
            body: JSON.stringify({ i, text: 'é€😀' }),
          }),
        ),
    },
    { name: 'express 404', status: 404, run: (i) => alb(expressHandler, albEvent(i, { path: '/missing' })) },
    {
      name: 'express HEAD',
      status: 200,
      run: (i) => alb(expressHandler, albEvent(i, { httpMethod: 'HEAD' })),
    },
    { name: 'koa multi-value cookies', status: 200, run: (i) => alb(koaHandler, multiEvent(i)) },
    { name: 'koa single-value cookie dropped', status: 200, run: (i) => alb(koaSingle, albEvent(i)) },
    {
      name: 'binary response',
      status: 200,
      run: (i) => alb(listenerHandler, albEvent(i, { path: '/binary' })),
    },
    {
      name: '300 KB response',
      status: 200,
      run: (i) => alb(listenerHandler, albEvent(i, { path: '/large' })),
    },
    {
      name: 'base64 request echoed',
      status: 200,
      run: (i) =>
        alb(
          listenerHandler,
          albEvent(i, {
            httpMethod: 'PUT',
            path: '/echo',
            body: Buffer.alloc(1024, i).toString('base64'),
            isBase64Encoded: true,
          }),
        ),
    },
    { name: 'app throws', status: 500, run: (i) => alb(listenerHandler, albEvent(i, { path: '/throw' })) },
    {
      name: 'deadline',
      status: 504,
      run: (i) => alb(listenerHandler, albEvent(i, { path: '/hang' }), short()),
    },
    {
      name: 'invalid event',
      status: 400,
      run: (i) => alb(listenerHandler, albEvent(i, { headers: { 'x-bad': 'a\r\nb' } })),
    },
    { name: 'API Gateway v2', status: 201, run: (i) => expressV2(v2Event(i)) },
  ];
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
}

function resources(): string[] {
  return process.getActiveResourcesInfo().sort();
}

/** Runs `invocations` mixed forward invocations, `parallel` at a time. */
export async function soak(invocations: number, parallel = 16): Promise<SoakReport> {
  const warnings: Record<string, number> = {};
  const list = scenarios((code) => {
    warnings[code] = (warnings[code] ?? 0) + 1;
  });
  const statuses: Record<string, number> = {};
  const mismatches: string[] = [];

  async function batch(from: number, to: number): Promise<void> {
    let next = from;
    const worker = async () => {
      while (next < to) {
        const i = next++;
        const scenario = list[i % list.length];
        const result = await scenario.run(i);
        const key = `${scenario.name}: ${result.statusCode}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (result.statusCode !== scenario.status && mismatches.length < 20) {
          mismatches.push(`${i} ${scenario.name}: ${result.statusCode}`);
        }
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  // Warm up: module caches, JIT, the once-per-handler warning.
  await batch(0, Math.min(2000, invocations));
  await new Promise((resolve) => setTimeout(resolve, 20));
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  const resourcesBefore = resources();
  const started = performance.now();
  await batch(0, invocations);
  const milliseconds = performance.now() - started;
  // Let the last deadline sockets close.
  await new Promise((resolve) => setTimeout(resolve, 20));
  collect();
  return {
    invocations,
    heapBefore,
    heapAfter: process.memoryUsage().heapUsed,
    resourcesBefore,
    resourcesAfter: resources(),
    mismatches,
    statuses,
    warnings,
    milliseconds,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 20_000);
  soak(count).then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

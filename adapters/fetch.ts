import { type BodyReading, createEmulator, type HostAnswer, type HostRequest } from '../lib/emulate.js';
import type { AlbEmulatorOptions } from '../lib/emulate-options.js';
import { describeThrown } from '../lib/errors.js';
import type { FormatName } from '../lib/formats/reverse.js';
import type { FormatHandler } from '../lib/formats/typed.js';
import { foldHeaders } from '../lib/headers.js';
import type { LambdaHandler } from '../lib/invoke/invoke.js';

const EMPTY = Buffer.alloc(0);

/** Reads a fetch body, giving up past `limit` bytes. */
async function readFetchBody(request: Request, limit: number): Promise<BodyReading> {
  if (request.bodyUsed) return 'consumed';
  if (request.body === null) return EMPTY;
  if (Number(request.headers.get('content-length')) > limit) return 'too-large';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        return 'too-large';
      }
      chunks.push(value);
    }
  } catch {
    return 'aborted';
  }
  return Buffer.concat(chunks);
}

/**
 * A fetch `Request` as the emulator reads it: its target and headers as a client sends them
 * (with the `host` a client sends), the peer from `request.ip` when the host sets it (srvx does),
 * else the loopback address.
 */
function fetchRequest(request: Request): HostRequest {
  const url = new URL(request.url);
  const href = request.url;
  const target = href.startsWith(url.origin)
    ? href.slice(url.origin.length) || '/'
    : url.pathname + url.search;
  const raw: string[] = [];
  if (!request.headers.has('host')) raw.push('host', url.host);
  request.headers.forEach((value, name) => {
    if (name !== 'set-cookie') raw.push(name, value);
  });
  for (const cookie of request.headers.getSetCookie()) raw.push('set-cookie', cookie);
  const ip = (request as { ip?: unknown }).ip;
  return {
    method: request.method,
    url: target,
    rawHeaders: raw,
    headers: foldHeaders(raw),
    readBody: (limit) => readFetchBody(request, limit),
    remoteAddress: typeof ip === 'string' ? ip : '127.0.0.1',
    remotePort: undefined,
    encrypted: url.protocol === 'https:',
    localPort: url.port === '' ? undefined : Number(url.port),
  };
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function toResponse({ response, close }: HostAnswer): Response {
  const headers = new Headers();
  const src = response.headers;
  for (let i = 0; i < src.length; i += 2) headers.append(src[i], src[i + 1]);
  if (close) headers.set('connection', 'close');
  const empty = NULL_BODY.has(response.status) || response.body.length === 0;
  return new Response(empty ? null : response.body, {
    status: response.status,
    statusText: response.reason ?? '',
    headers,
  });
}

function bridgeFailure(error: unknown): Response {
  return new Response(`lambda-bridge failed: ${describeThrown(error)}`, {
    status: 500,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

/**
 * A Lambda handler as a fetch handler `(request) => Promise<Response>` behind an emulated ALB
 * (or API Gateway, or a function URL: the same `format` and options as `toListener`). Mount it in
 * Hono (`app.all('/api/*', (c) => fetchHandler(c.req.raw))`), serve it with a fetch host
 * (`Bun.serve`, `Deno.serve`, srvx), or call it in a test with no server at all.
 *
 * @example
 * import { toFetch } from 'lambda-bridge';
 * const response = await toFetch(handler)(new Request('http://localhost/orders?id=7'));
 */
export function toFetch<F extends FormatName = 'alb'>(
  handler: FormatHandler<F>,
  options: AlbEmulatorOptions & { format?: F } = {},
): (request: Request) => Promise<Response> {
  const emulate = createEmulator(handler as LambdaHandler<never>, options);
  return async (request) => {
    try {
      const answer = await emulate(fetchRequest(request));
      // The client's body stream failed: nobody waits for this answer.
      if (answer === undefined) return new Response(null, { status: 400 });
      return toResponse(answer);
    } catch (error) {
      // Only a bug in the bridge itself, or a status a Response cannot carry, gets here.
      return bridgeFailure(error);
    }
  };
}

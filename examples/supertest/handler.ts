import type { ALBEvent, ALBResult } from 'aws-lambda';

/**
 * A Lambda function behind an Application Load Balancer: a tiny greeting API.
 *
 * GET  /hello?name=…  greets by name (the ALB passes the query still URL-encoded)
 * POST /hello         greets the name in a JSON or form body (a form arrives base64)
 */
export async function handler(event: ALBEvent): Promise<ALBResult> {
  if (event.path !== '/hello') {
    return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
  }
  if (event.httpMethod === 'GET') {
    const raw = event.queryStringParameters?.name ?? 'world';
    return greet(decodeURIComponent(raw.replace(/\+/g, ' ')));
  }
  if (event.httpMethod === 'POST') {
    const text = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
    const type = event.headers?.['content-type'] ?? '';
    const name = type.startsWith('application/json')
      ? (JSON.parse(text) as { name?: string }).name
      : new URLSearchParams(text).get('name');
    if (!name)
      return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: 'name is required' };
    return greet(name);
  }
  return { statusCode: 405, headers: { allow: 'GET, POST' }, body: '' };
}

function greet(name: string): ALBResult {
  return {
    statusCode: 200,
    statusDescription: '200 OK',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ greeting: `Hello, ${name}!` }),
    isBase64Encoded: false,
  };
}

// A handler that answers with what identifies its request: the `id` query parameter, the
// `x-id` header and the body.
import type { ALBEvent, ALBResult } from 'aws-lambda';

export async function handler(event: ALBEvent): Promise<ALBResult> {
  const query = event.queryStringParameters ?? {};
  const headers = event.headers ?? {};
  const body = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString()
    : (event.body ?? '');
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/plain' },
    body: `${query.id}|${headers['x-id']}|${body}`,
  };
}

import type { ALBEvent, ALBResult } from 'aws-lambda';

/** An order as the orders API stores it. */
export interface Order {
  id: number;
  item: string;
  quantity: number;
  status: 'open' | 'shipped';
}

const json = (statusCode: number, value: unknown): ALBResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
  isBase64Encoded: false,
});

/** The ALB does not decode query strings: decode them as a form would (`+` is a space). */
function queryValue(event: ALBEvent, name: string): string | undefined {
  const raw = event.queryStringParameters?.[name];
  return raw === undefined ? undefined : decodeURIComponent(raw.replace(/\+/g, ' '));
}

/** The request body as text, whether the ALB sent it as is or base64-encoded. */
function bodyText(event: ALBEvent): string {
  return Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
}

/**
 * The orders API, a Lambda function behind an ALB target group in single-value mode (the
 * default). Each call makes a handler with its own in-memory store.
 */
export function createOrdersHandler(
  seed: Order[] = [{ id: 1, item: 'Widget', quantity: 2, status: 'open' }],
) {
  const orders = seed.map((order) => ({ ...order }));
  return async (event: ALBEvent): Promise<ALBResult> => {
    const match = /^\/api\/orders(?:\/(\d+))?\/?$/.exec(event.path);
    if (match === null) return json(404, { message: 'Not Found' });
    const id = match[1] === undefined ? undefined : Number(match[1]);

    if (event.httpMethod === 'GET' && id === undefined) {
      const status = queryValue(event, 'status');
      return json(200, status === undefined ? orders : orders.filter((order) => order.status === status));
    }
    if (event.httpMethod === 'GET') {
      const order = orders.find((candidate) => candidate.id === id);
      return order === undefined ? json(404, { message: `No order ${id}` }) : json(200, order);
    }
    if (event.httpMethod === 'POST' && id === undefined) {
      let input: { item?: unknown; quantity?: unknown };
      try {
        input = JSON.parse(bodyText(event));
      } catch {
        return json(400, { message: 'The body is not JSON' });
      }
      if (typeof input.item !== 'string' || typeof input.quantity !== 'number') {
        return json(422, { message: 'item (string) and quantity (number) are required' });
      }
      const order: Order = {
        id: orders.length + 1,
        item: input.item,
        quantity: input.quantity,
        status: 'open',
      };
      orders.push(order);
      return {
        ...json(201, order),
        headers: { 'content-type': 'application/json', location: `/api/orders/${order.id}` },
      };
    }
    return { ...json(405, { message: 'Method Not Allowed' }), headers: { allow: 'GET, POST' } };
  };
}

/**
 * The admin API, a Lambda function behind a target group with multi-value headers enabled, so
 * it answers in `multiValueHeaders` and can set two cookies at once.
 */
export function createAdminHandler(token = 'let-me-in') {
  return async (event: ALBEvent): Promise<ALBResult> => {
    const headers = event.multiValueHeaders ?? {};
    if (event.httpMethod === 'POST' && event.path === '/admin/login') {
      const fields = new URLSearchParams(bodyText(event));
      if (fields.get('token') !== token) {
        return { statusCode: 401, statusDescription: '401 Unauthorized', multiValueHeaders: {}, body: '' };
      }
      return {
        statusCode: 204,
        statusDescription: '204 No Content',
        multiValueHeaders: {
          'set-cookie': [`admin=${token}; Path=/admin; HttpOnly`, 'theme=dark; Path=/'],
        },
      };
    }
    const cookies = (headers.cookie ?? []).flatMap((line) => line.split(/;\s*/));
    if (!cookies.includes(`admin=${token}`)) {
      return {
        statusCode: 401,
        statusDescription: '401 Unauthorized',
        multiValueHeaders: { 'www-authenticate': ['Cookie realm="admin"'] },
        body: '',
      };
    }
    return {
      statusCode: 200,
      statusDescription: '200 OK',
      multiValueHeaders: { 'content-type': ['application/json'] },
      body: JSON.stringify({ path: event.path, forwardedFor: headers['x-forwarded-for'] ?? [] }),
    };
  };
}

// An ALB Lambda handler as it would be deployed: `npm start` serves it with `lambda-bridge serve`.
let invocations = 0;

/** @param {import('aws-lambda').ALBEvent} event */
export const handler = async (event) => {
  invocations++;
  const query = event.queryStringParameters ?? {};
  const name = decodeURIComponent((query.name ?? 'world').replace(/\+/g, ' '));
  if (event.path === '/health') {
    return {
      statusCode: 200,
      statusDescription: '200 OK',
      headers: { 'content-type': 'text/plain' },
      body: 'ok',
    };
  }
  if (event.path === '/slow') await new Promise((resolve) => setTimeout(resolve, 5000));
  return {
    statusCode: 200,
    statusDescription: '200 OK',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      hello: name,
      path: event.path,
      method: event.httpMethod,
      invocationsInThisEnvironment: invocations,
      clientIp: event.headers?.['x-forwarded-for'],
    }),
    isBase64Encoded: false,
  };
};

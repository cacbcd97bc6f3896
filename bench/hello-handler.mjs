// The ALB handler the dev-server scenario serves: the same body as the other reverse servers.
export const handler = async () => ({
  statusCode: 200,
  statusDescription: '200 OK',
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'hello',
  isBase64Encoded: false,
});

import Fastify from 'fastify';

// A small Fastify app: JSON, cookies, request bodies and Fastify's own 404 and 415 answers.
export const app = Fastify();

app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body as string)));
});

app.get('/api/items', async (request) => ({ query: request.query }));

app.post('/api/items', async (request, reply) => {
  reply.code(201);
  return { created: request.body };
});

app.post('/form', async (request, reply) => {
  const { name } = request.body as { name?: string };
  if (!name) return reply.code(400).send({ error: 'name is required' });
  return reply.type('text/plain; charset=utf-8').send(`Thanks, ${name}`);
});

app.post('/login', async (_request, reply) => {
  const expires = new Date(Date.now() + 24 * 60 * 60 * 1000).toUTCString();
  reply.header('set-cookie', [
    `session=abc123; Path=/; Expires=${expires}; HttpOnly`,
    `theme=dark; Path=/; Expires=${expires}`,
  ]);
  return { loggedIn: true };
});

app.get('/me', async (request) => {
  const cookies = Object.fromEntries(
    (request.headers.cookie ?? '')
      .split(/;\s*/)
      .filter(Boolean)
      .map((pair) => pair.split('=')),
  );
  return { session: cookies.session ?? null, theme: cookies.theme ?? null };
});

import type { ALBEvent } from 'aws-lambda';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { getInvocation } from 'lambda-bridge';

// A small Hono app: JSON, cookies, request bodies, the Lambda event, and Hono's own 404.
export const app = new Hono();

app.get('/api/items', (c) => c.json({ query: c.req.queries() }));

app.post('/api/items', async (c) => {
  if (!c.req.header('content-type')?.startsWith('application/json'))
    return c.json({ error: 'Send JSON' }, 415);
  return c.json({ created: await c.req.json() }, 201);
});

app.post('/form', async (c) => {
  const form = await c.req.parseBody();
  if (!form.name) return c.json({ error: 'name is required' }, 400);
  return c.text(`Thanks, ${form.name}`);
});

app.post('/login', (c) => {
  const expires = new Date(Date.now() + 24 * 60 * 60 * 1000);
  setCookie(c, 'session', 'abc123', { path: '/', expires, httpOnly: true });
  setCookie(c, 'theme', 'dark', { path: '/', expires });
  return c.json({ loggedIn: true });
});

app.get('/me', (c) =>
  c.json({ session: getCookie(c, 'session') ?? null, theme: getCookie(c, 'theme') ?? null }),
);

// The event and context of the invocation, from the fetch Request (undefined when served directly).
app.get('/whoami', (c) => {
  const invocation = getInvocation<ALBEvent>(c.req.raw);
  return c.json({ targetGroupArn: invocation?.event.requestContext.elb.targetGroupArn ?? null });
});

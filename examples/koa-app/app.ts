import type { IncomingMessage } from 'node:http';
import Koa from 'koa';

/** Reads a request body from the Node stream, without a body-parser middleware. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// A small Koa app: JSON, cookies, request bodies, and errors thrown with ctx.throw.
export const app = new Koa();

app.use(async (ctx) => {
  const route = `${ctx.method} ${ctx.path}`;
  switch (route) {
    case 'GET /api/items':
      ctx.body = { query: ctx.query };
      return;

    case 'POST /api/items': {
      if (!ctx.is('application/json')) ctx.throw(415, 'Send JSON');
      let item: unknown;
      try {
        item = JSON.parse(await readBody(ctx.req));
      } catch {
        ctx.throw(400, 'The body is not valid JSON');
      }
      ctx.status = 201;
      ctx.body = { created: item };
      return;
    }

    case 'POST /form': {
      const fields = new URLSearchParams(await readBody(ctx.req));
      if (!fields.get('name')) ctx.throw(400, 'name is required');
      ctx.body = `Thanks, ${fields.get('name')}`;
      return;
    }

    case 'POST /login': {
      const expires = new Date(Date.now() + 24 * 60 * 60 * 1000);
      ctx.cookies.set('session', 'abc123', { expires });
      ctx.cookies.set('theme', 'dark', { expires, httpOnly: false });
      ctx.body = { loggedIn: true };
      return;
    }

    case 'GET /me':
      ctx.body = { session: ctx.cookies.get('session') ?? null, theme: ctx.cookies.get('theme') ?? null };
      return;
  }
  // Anything else falls through to Koa's own 404.
});

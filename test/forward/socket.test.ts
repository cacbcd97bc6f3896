import { EventEmitter } from 'node:events';
import type { ALBEvent } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import { albEvent, healthCheckEvent } from '../fixtures/alb-event.js';
import { albEventMulti, healthCheckEventMulti } from '../fixtures/alb-event-multi.js';
import { call, invoke, nodeFrameworks, see } from './support.js';

const withHeaders = (headers: Record<string, string>): ALBEvent => ({
  ...albEvent,
  headers: { ...albEvent.headers, ...headers },
});

describe.each(nodeFrameworks)('the connection, in $name', (framework) => {
  describe('R1: the client address', () => {
    it('req.socket.remoteAddress is the last x-forwarded-for entry, the address the ALB saw', async () => {
      const view = await see(framework, withHeaders({ 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }));
      expect(view.req.socket.remoteAddress).toBe('203.0.113.9');
      expect(view.req.socket.remoteFamily).toBe('IPv4');
    });

    it('with a longer chain, the last entry is still the one used', async () => {
      const view = await see(
        framework,
        withHeaders({ 'x-forwarded-for': '198.51.100.7, 192.0.2.44, 203.0.113.9' }),
      );
      expect(view.req.socket.remoteAddress).toBe('203.0.113.9');
      expect(view.ip).toBe('203.0.113.9');
    });

    it('without trust in the proxy, the framework reports the last entry, not the spoofable first', async () => {
      const view = await see(framework, withHeaders({ 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }));
      expect(view.ip).toBe('203.0.113.9');
    });

    it('req has no own ip property', async () => {
      const view = await see(framework, withHeaders({ 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }));
      expect(Object.hasOwn(view.req, 'ip')).toBe(false);
    });

    it('in multi-value mode the last entry of the last x-forwarded-for line is used', async () => {
      const view = await see(framework, {
        ...albEventMulti,
        multiValueHeaders: {
          ...albEventMulti.multiValueHeaders,
          'x-forwarded-for': ['198.51.100.7', '192.0.2.1, 203.0.113.9'],
        },
      });
      expect(view.req.socket.remoteAddress).toBe('203.0.113.9');
    });

    it('an ip:port entry (xff_client_port) gives the address and the port', async () => {
      const view = await see(framework, withHeaders({ 'x-forwarded-for': '203.0.113.9:51234' }));
      expect(view.req.socket.remoteAddress).toBe('203.0.113.9');
      expect(view.req.socket.remotePort).toBe(51234);
    });

    it('a bracketed IPv6 entry gives an IPv6 address', async () => {
      const view = await see(framework, withHeaders({ 'x-forwarded-for': '[2001:db8::7]:443' }));
      expect(view.req.socket.remoteAddress).toBe('2001:db8::7');
      expect(view.req.socket.remotePort).toBe(443);
      expect(view.req.socket.remoteFamily).toBe('IPv6');
    });

    it('without x-forwarded-for the address is unknown', async () => {
      const view = await see(framework, healthCheckEvent);
      expect(view.req.socket.remoteAddress).toBeUndefined();
    });
  });

  describe('R2: the protocol', () => {
    it('x-forwarded-proto http: the socket is not encrypted and the app sees http', async () => {
      const view = await see(framework, withHeaders({ 'x-forwarded-proto': 'http' }));
      expect(Reflect.get(view.req.socket, 'encrypted')).toBeFalsy();
      expect(view.protocol).toBe('http');
    });

    it('x-forwarded-proto https: the socket is encrypted and the app sees https', async () => {
      const view = await see(
        framework,
        withHeaders({ 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' }),
      );
      expect(Reflect.get(view.req.socket, 'encrypted')).toBe(true);
      expect(view.protocol).toBe('https');
      expect(view.req.socket.localPort).toBe(443);
    });

    it('x-forwarded-port is the local port of the connection', async () => {
      const view = await see(framework, withHeaders({ 'x-forwarded-port': '8080' }));
      expect(view.req.socket.localPort).toBe(8080);
    });
  });

  describe('R3: the ALB health check', () => {
    it.each([
      ['single-value', healthCheckEvent],
      ['multi-value', healthCheckEventMulti],
    ])('the %s health-check event reaches the app and gets a 2xx result', async (mode, event) => {
      const view = await see(framework, event);
      expect(view.req.method).toBe('GET');
      expect(view.req.url).toBe('/');
      expect(view.req.headers).toEqual({ 'user-agent': 'ELB-HealthChecker/2.0' });
      const result = await call(
        framework.view(() => {}),
        event,
      );
      expect(result.statusCode).toBe(200);
      expect(mode === 'multi-value' ? result.multiValueHeaders : result.headers).toBeDefined();
    });
  });

  it('R4: an invalid host (exa mple.com:xx) reaches the app as sent, never as a thrown error', async () => {
    const view = await see(framework, withHeaders({ host: 'exa mple.com:xx' }));
    expect(view.req.headers.host).toBe('exa mple.com:xx');
  });

  it('the socket is an EventEmitter shared by req and res', async () => {
    const box: { same?: boolean; emitter?: boolean } = {};
    const app = framework.wrap((req, res) => {
      box.same = req.socket === res.socket;
      box.emitter = req.socket instanceof EventEmitter;
      const noop = () => {};
      req.socket.on('close', noop);
      req.socket.once('timeout', noop);
      req.socket.removeListener('close', noop);
      req.socket.setTimeout(1000);
      req.socket.setNoDelay(true);
      req.socket.setKeepAlive(true);
      res.end('ok');
    });
    const result = await call(app, albEvent);
    expect(result.statusCode).toBe(200);
    expect(box).toEqual({ same: true, emitter: true });
  });
});

describe('the socket API nodeFrameworks call', () => {
  it('supports the net.Socket methods a framework may call, without effect', async () => {
    const box: Record<string, unknown> = {};
    const result = await call(
      (req, res) => {
        const socket = req.socket;
        box.address = socket.address();
        box.chain = [
          socket.setEncoding('utf8'),
          socket.ref(),
          socket.unref(),
          socket.pause(),
          socket.resume(),
          socket.setTimeout(10),
        ].every((value) => value === socket);
        socket.cork();
        socket.uncork();
        socket.write('ignored', () => {
          box.writeCallback = true;
        });
        box.state = { readable: socket.readable, writable: socket.writable, destroyed: socket.destroyed };
        res.end('ok');
      },
      withHeaders({ 'x-forwarded-port': '443' }),
    );
    expect(result.statusCode).toBe(200);
    expect(box).toMatchObject({
      address: { address: '', family: 'IPv4', port: 443 },
      chain: true,
      writeCallback: true,
      state: { readable: true, writable: true, destroyed: false },
    });
  });

  it('without x-forwarded-port the socket has no local address', async () => {
    const box: { address?: unknown } = {};
    await call((req, res) => {
      box.address = req.socket.address();
      res.end();
    }, healthCheckEvent);
    expect(box.address).toEqual({});
  });

  it('socket.end() and destroySoon() close the connection: the app gets a 502 and one warning', async () => {
    for (const close of ['end', 'destroySoon'] as const) {
      const { result, warnings } = await invoke((req, _res) => {
        if (close === 'end') req.socket.end();
        else Reflect.apply(Reflect.get(req.socket, 'destroySoon'), req.socket, []);
      }, albEvent);
      expect(result.statusCode).toBe(502);
      expect(warnings.map((w) => w.code)).toEqual(['APP_CLOSED']);
    }
  });

  it('socket.destroy(error) emits the error to a listener, then close', async () => {
    const events: string[] = [];
    const { result } = await invoke((req, _res) => {
      req.socket.on('error', (error) => events.push(`error:${error.message}`));
      req.socket.on('close', (hadError) => events.push(`close:${hadError}`));
      req.socket.destroy(new Error('reset'));
      req.socket.destroy();
    }, albEvent);
    expect(result.statusCode).toBe(502);
    expect(events).toEqual(['error:reset', 'close:true']);
  });
});

describe('R1: proxy trust stays with the framework', () => {
  it.each([
    ['Express 5', express],
    ['Express 4', express4],
  ])('%s with trust proxy reads x-forwarded-for itself', async (_name, make) => {
    const app = make();
    app.set('trust proxy', true);
    app.get('/lambda', (req, res) => {
      res.json({ ip: req.ip, ips: req.ips, protocol: req.protocol });
    });
    const result = await call(
      app,
      withHeaders({ 'x-forwarded-for': '198.51.100.7, 203.0.113.9', 'x-forwarded-proto': 'https' }),
    );
    expect(JSON.parse(result.body ?? '')).toEqual({
      ip: '198.51.100.7',
      ips: ['198.51.100.7', '203.0.113.9'],
      protocol: 'https',
    });
  });

  it.each([
    ['Koa 3', Koa],
    ['Koa 2', Koa2],
  ])('%s with app.proxy reads x-forwarded-for itself', async (_name, Make) => {
    const app = new Make();
    app.proxy = true;
    app.use((ctx) => {
      ctx.body = { ip: ctx.ip, ips: ctx.ips };
    });
    const result = await call(app, withHeaders({ 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }));
    expect(JSON.parse(result.body ?? '')).toEqual({
      ip: '198.51.100.7',
      ips: ['198.51.100.7', '203.0.113.9'],
    });
  });
});

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('R2: cookies in %s', (_name, Make) => {
  const app = new Make();
  app.silent = true;
  app.use((ctx) => {
    ctx.cookies.set('sid', 'abc');
    ctx.body = 'ok';
  });

  it('over an http listener a cookie is not marked Secure', async () => {
    const result = await call(app, withHeaders({ 'x-forwarded-proto': 'http' }));
    expect(result.headers?.['set-cookie']).toBe('sid=abc; path=/; httponly');
  });

  it('over an https listener a cookie is marked Secure', async () => {
    const result = await call(app, withHeaders({ 'x-forwarded-proto': 'https' }));
    expect(result.headers?.['set-cookie']).toBe('sid=abc; path=/; secure; httponly');
  });
});

describe('R4: an app that cannot parse an invalid host', () => {
  it('gets a well-formed 500 result and a warning, not a thrown error', async () => {
    const { result, warnings } = await invoke(
      (req, res) => {
        const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
        res.end(url.href);
      },
      withHeaders({ host: 'exa mple.com:xx' }),
    );
    expect(result.statusCode).toBe(500);
    expect(warnings.map((w) => w.code)).toEqual(['APP_ERROR']);
  });

  it('Express reads its hostname without failing', async () => {
    const app = express();
    app.get('/lambda', (req, res) => {
      res.json({ hostname: req.hostname ?? null });
    });
    const result = await call(app, withHeaders({ host: 'exa mple.com:xx' }));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({ hostname: 'exa mple.com' });
  });
});

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])("%s's own error handling", (_name, make) => {
  it('E1: a request no route matches gets Express’s own 404 page', async () => {
    const app = make();
    app.get('/known', (_req, res) => {
      res.send('known');
    });
    const result = await call(app, { ...albEventMulti, path: '/unknown' });
    expect(result.statusCode).toBe(404);
    expect(result.statusDescription).toBe('404 Not Found');
    expect(result.body).toContain('Cannot GET /unknown');
    expect(result.multiValueHeaders?.['content-type']).toEqual(['text/html; charset=utf-8']);
  });

  it('E2: a route that throws synchronously gets Express’s own 500 page', async () => {
    const app = make();
    app.set('env', 'test'); // Express logs the error to the console in any other env.
    app.get('/boom', () => {
      throw new Error('route failed');
    });
    const result = await call(app, { ...albEvent, path: '/boom' });
    expect(result.statusCode).toBe(500);
    expect(result.statusDescription).toBe('500 Internal Server Error');
    expect(result.body).toContain('Error: route failed');
    expect(result.headers?.['content-type']).toBe('text/html; charset=utf-8');
  });

  it('E2: an error handler that reads the socket works', async () => {
    const app = make();
    app.get('/boom', () => {
      throw Object.assign(new Error('teapot'), { status: 418 });
    });
    app.use(
      (
        error: Error & { status: number },
        req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        req.socket.once('close', () => {});
        res.status(error.status).json({ message: error.message, from: req.socket.remoteAddress });
      },
    );
    const result = await call(app, { ...albEvent, path: '/boom' });
    expect(result.statusCode).toBe(418);
    expect(JSON.parse(result.body ?? '')).toEqual({ message: 'teapot', from: '72.12.164.125' });
  });
});

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])("%s's own error handling", (_name, Make) => {
  it('E1: a request no middleware answers gets Koa’s 404', async () => {
    const app = new Make();
    const result = await call(app, albEvent);
    expect(result.statusCode).toBe(404);
    expect(result.body).toBe('Not Found');
  });

  it('E2: a middleware that throws gets Koa’s 500', async () => {
    const app = new Make();
    app.silent = true;
    app.use(() => {
      throw new Error('middleware failed');
    });
    const result = await call(app, albEvent);
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe('Internal Server Error');
  });
});

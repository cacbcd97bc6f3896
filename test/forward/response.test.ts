import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ALBEvent } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { call, expectWellFormed, frameworks, multi, nodeFrameworks, single } from './support.js';

const head = (event: ALBEvent): ALBEvent => ({ ...event, httpMethod: 'HEAD' });

const modes = [
  ['single-value', albEvent],
  ['multi-value', albEventMulti],
] as const;

describe.each(frameworks)('the result, in $name', (framework) => {
  describe.each(modes)('for a %s event', (mode, event) => {
    const value = (result: Parameters<typeof single>[0], name: string) =>
      mode === 'single-value' ? single(result, name) : multi(result, name)?.join(', ');

    it('C5: answers in the header field of the event, and only that one', async () => {
      const result = await call(
        framework.answer({ headers: [['content-type', 'text/plain']], body: 'hi' }),
        event,
      );
      expectWellFormed(result, mode === 'single-value' ? 'single' : 'multi');
      expect(value(result, 'content-type')).toBe('text/plain');
    });

    it('C3: a repeated header is "x, y" in single-value mode and ["x","y"] in multi-value mode, never duplicated', async () => {
      const result = await call(
        framework.answer({
          headers: [
            ['x-multi', 'x'],
            ['x-multi', 'y'],
          ],
        }),
        event,
      );
      if (mode === 'single-value') expect(single(result, 'x-multi')).toBe('x, y');
      // A fetch Headers object joins repeated values (Set-Cookie apart): the app sent one line.
      else if (framework.kind === 'fetch') expect(multi(result, 'x-multi')).toEqual(['x, y']);
      else expect(multi(result, 'x-multi')).toEqual(['x', 'y']);
    });

    it('uses the app’s reason phrase for statusDescription', async () => {
      const result = await call(framework.answer({ status: 418, reason: 'Short And Stout' }), event);
      expect(result.statusDescription).toBe('418 Short And Stout');
    });

    it('a reason phrase of only a tab or spaces gives the standard phrase in statusDescription', async () => {
      for (const reason of ['\t', '  ']) {
        const result = await call(framework.answer({ status: 404, reason }), event);
        expect(result.statusDescription).toBe('404 Not Found');
      }
    });

    it.each([
      [404, '404 Not Found'],
      [418, "418 I'm a Teapot"],
      [599, '599 unknown'],
    ])('C6: status %i gets statusDescription %j', async (status, description) => {
      const result = await call(framework.answer({ status }), event);
      expect(result.statusCode).toBe(status);
      expect(result.statusDescription).toBe(description);
    });

    it('C7: hop-by-hop headers are removed', async () => {
      const hopByHop = [
        'connection',
        'keep-alive',
        'transfer-encoding',
        'te',
        'trailer',
        'upgrade',
        'proxy-authenticate',
      ];
      const result = await call(
        framework.answer({
          headers: [
            ['connection', 'keep-alive'],
            ['keep-alive', 'timeout=5'],
            ['transfer-encoding', 'chunked'],
            ['te', 'trailers'],
            ['trailer', 'x-checksum'],
            ['upgrade', 'h2c'],
            ['proxy-authenticate', 'Basic'],
            ['x-kept', 'yes'],
            ['content-type', 'text/plain'],
          ],
          body: 'body',
        }),
        event,
      );
      const names = Object.keys(result.headers ?? result.multiValueHeaders ?? {});
      for (const name of hopByHop) expect(names).not.toContain(name);
      expect(value(result, 'x-kept')).toBe('yes');
      expect(value(result, 'content-length')).toBe('4');
      expect(result.body).toBe('body');
    });

    it('content-length states the body sent, whatever the app claimed', async () => {
      const result = await call(
        framework.answer({
          headers: [
            ['content-type', 'text/plain'],
            ['content-length', '2'],
          ],
          body: 'longer than two',
        }),
        event,
      );
      expect(value(result, 'content-length')).toBe('15');
      expect(result.body).toBe('longer than two');
    });

    it('C8: a HEAD request gets the GET status and headers, its content-length, and an empty body', async () => {
      // A fetch app's HEAD answer has no body to count (Hono drops it), so the app states the length.
      const app = framework.answer({
        headers: [
          ['content-type', 'text/plain'],
          ['x-custom', 'same'],
          ['content-length', '10'],
        ],
        body: 'a GET body',
      });
      const get = await call(app, event);
      const result = await call(app, head(event));
      expect(result.statusCode).toBe(get.statusCode);
      expect(result.body).toBe('');
      expect(result.isBase64Encoded).toBe(false);
      expect(value(result, 'content-length')).toBe('10');
      expect(value(result, 'x-custom')).toBe('same');
      expect(value(result, 'content-type')).toBe('text/plain');
    });

    it.each([204, 304])(
      'C9: a %i result has an empty body and no invented content headers',
      async (status) => {
        const result = await call(framework.answer({ status, headers: [['etag', '"v1"']] }), event);
        expect(result.statusCode).toBe(status);
        expect(result.body).toBe('');
        expect(result.isBase64Encoded).toBe(false);
        expect(value(result, 'content-length')).toBeUndefined();
        expect(value(result, 'content-type')).toBeUndefined();
        expect(value(result, 'etag')).toBe('"v1"');
      },
    );

    it('an empty response has body "" and content-length 0', async () => {
      const result = await call(framework.answer({}), event);
      expect(result.body).toBe('');
      expect(result.isBase64Encoded).toBe(false);
      expect(value(result, 'content-length')).toBe('0');
    });
  });
});

describe.each(nodeFrameworks)('the result captured from Node’s response API, in $name', (framework) => {
  describe.each(modes)('for a %s event', (mode, event) => {
    const value = (result: Parameters<typeof single>[0], name: string) =>
      mode === 'single-value' ? single(result, name) : multi(result, name)?.join(', ');

    it('captures setHeader, res.statusCode and the body', async () => {
      const result = await call(
        framework.wrap((_req, res) => {
          res.statusCode = 201;
          res.setHeader('Location', '/things/1');
          res.setHeader('Content-Type', 'application/json');
          res.end('{"id":1}');
        }),
        event,
      );
      expect(result.statusCode).toBe(201);
      expect(result.statusDescription).toBe('201 Created');
      expect(value(result, 'location')).toBe('/things/1');
      expect(result.body).toBe('{"id":1}');
      expect(result.isBase64Encoded).toBe(false);
    });

    it('captures writeHead(status, headersObject)', async () => {
      const result = await call(
        framework.wrap((_req, res) => {
          res.setHeader('x-before', 'kept');
          res.writeHead(202, { 'Content-Type': 'text/plain', 'X-Job': 'j1' });
          res.end('queued');
        }),
        event,
      );
      expect(result.statusCode).toBe(202);
      expect(value(result, 'x-job')).toBe('j1');
      expect(value(result, 'x-before')).toBe('kept');
      expect(value(result, 'content-type')).toBe('text/plain');
    });

    it('captures writeHead(status, reason, headersObject)', async () => {
      const result = await call(
        framework.wrap((_req, res) => {
          res.writeHead(200, 'Fine Thanks', { 'content-type': 'text/plain' });
          res.end('ok');
        }),
        event,
      );
      expect(result.statusDescription).toBe('200 Fine Thanks');
    });

    it('captures writeHead(status, flatArray) with a repeated name', async () => {
      const result = await call(
        framework.wrap((_req, res) => {
          res.writeHead(200, ['Content-Type', 'text/plain', 'X-Tag', 'a', 'x-tag', 'b']);
          res.end('ok');
        }),
        event,
      );
      if (mode === 'single-value') expect(single(result, 'x-tag')).toBe('a, b');
      else expect(multi(result, 'x-tag')).toEqual(['a', 'b']);
      expect(value(result, 'content-type')).toBe('text/plain');
    });

    it('writeHead with an odd-length header list throws as in Node, and the app’s error gives a 500', async () => {
      const box: { code?: string } = {};
      const result = await call(
        framework.wrap((_req, res) => {
          try {
            res.writeHead(200, ['x-lonely']);
          } catch (error) {
            box.code = Reflect.get(Object(error), 'code');
          }
          res.statusCode = 500;
          res.end();
        }),
        event,
      );
      expect(box.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(result.statusCode).toBe(500);
    });

    it('captures appendHeader', async () => {
      const result = await call(
        framework.wrap((_req, res) => {
          res.setHeader('content-type', 'text/plain');
          res.appendHeader('link', '</a.css>; rel=preload');
          res.appendHeader('link', '</b.js>; rel=preload');
          res.end('ok');
        }),
        event,
      );
      if (mode === 'single-value')
        expect(single(result, 'link')).toBe('</a.css>; rel=preload, </b.js>; rel=preload');
      else expect(multi(result, 'link')).toEqual(['</a.css>; rel=preload', '</b.js>; rel=preload']);
    });

    it('C4: number and boolean header values become strings', async () => {
      const result = await call(
        framework.wrap((_req, res) => {
          res.setHeader('x-count', 3);
          res.setHeader('access-control-allow-credentials', 'true');
          res.setHeader('access-control-max-age', 600);
          // An untyped app may pass numbers inside an array; Node accepts them.
          Reflect.apply(res.setHeader, res, ['x-list', [1, 2]]);
          res.end('12345');
        }),
        event,
      );
      expectWellFormed(result, mode === 'single-value' ? 'single' : 'multi');
      expect(value(result, 'x-count')).toBe('3');
      expect(value(result, 'access-control-max-age')).toBe('600');
      expect(value(result, 'x-list')).toBe('1, 2');
      expect(value(result, 'content-length')).toBe('5');
    });

    it('a body written with a 204 is dropped', async () => {
      const result = await call(
        framework.wrap((_req, res) => {
          res.writeHead(204);
          res.end();
        }),
        event,
      );
      expect(result.body).toBe('');
    });

    it('flushHeaders() sends the status and headers, the body follows', async () => {
      const result = await call(
        framework.wrap((_req, res) => {
          res.statusCode = 207;
          res.setHeader('content-type', 'text/plain');
          res.flushHeaders();
          const sent = res.headersSent;
          setImmediate(() => res.end(`sent:${sent}`));
        }),
        event,
      );
      expect(result.statusCode).toBe(207);
      expect(result.body).toBe('sent:true');
      expect(value(result, 'content-type')).toBe('text/plain');
    });
  });
});

describe('C5: the header mode is read from the event, not from configuration', () => {
  const echo = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-multi', ['1', '2']);
    res.end(JSON.stringify({ accept: req.headers.accept ?? null, url: req.url }));
  };

  it('multiValueHeaders without a multi-value query field is multi-value mode', async () => {
    const event: ALBEvent = { ...albEventMulti, multiValueHeaders: { accept: ['a', 'b'] } };
    Reflect.deleteProperty(event, 'multiValueQueryStringParameters');
    const result = await call(echo, event);
    expectWellFormed(result, 'multi');
    expect(multi(result, 'x-multi')).toEqual(['1', '2']);
    expect(JSON.parse(result.body ?? '')).toEqual({ accept: 'a, b', url: '/todos' });
  });

  it('an event carrying both header fields is read, and answered, in multi-value mode', async () => {
    const result = await call(echo, {
      ...albEvent,
      headers: { accept: 'from-single' },
      multiValueHeaders: { accept: ['from-multi'] },
    });
    expectWellFormed(result, 'multi');
    expect(JSON.parse(result.body ?? '')).toMatchObject({ accept: 'from-multi' });
  });

  it('headers and queryStringParameters are single-value mode', async () => {
    const result = await call(echo, albEvent);
    expectWellFormed(result, 'single');
    expect(single(result, 'x-multi')).toBe('1, 2');
  });
});

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])('%s responses', (_name, make) => {
  const app = make();
  app.get('/json', (_req, res) => {
    res.status(201).set('x-api', 'v1').json({ ok: true });
  });
  app.get('/redirect', (_req, res) => {
    res.redirect(301, '/elsewhere');
  });
  app.get('/cached', (_req, res) => {
    res.set('etag', '"abc"').send('cached body');
  });

  it('res.status().json() gives the status, content-type and JSON body', async () => {
    const result = await call(app, { ...albEventMulti, path: '/json' });
    expectWellFormed(result, 'multi');
    expect(result.statusCode).toBe(201);
    expect(multi(result, 'content-type')).toEqual(['application/json; charset=utf-8']);
    expect(multi(result, 'x-api')).toEqual(['v1']);
    expect(JSON.parse(result.body ?? '')).toEqual({ ok: true });
  });

  it('res.redirect() gives a 301 with a location', async () => {
    const result = await call(app, { ...albEvent, path: '/redirect' });
    expect(result.statusCode).toBe(301);
    expect(result.statusDescription).toBe('301 Moved Permanently');
    expect(single(result, 'location')).toBe('/elsewhere');
  });

  it('C9: a fresh conditional GET gets Express’s 304 with an empty body', async () => {
    const result = await call(app, {
      ...albEvent,
      path: '/cached',
      headers: { ...albEvent.headers, 'if-none-match': '"abc"' },
    });
    expect(result.statusCode).toBe(304);
    expect(result.body).toBe('');
    expect(single(result, 'content-type')).toBeUndefined();
  });

  it('C8: HEAD on a GET route gives the GET content-length and no body', async () => {
    const get = await call(app, { ...albEvent, path: '/json' });
    const result = await call(app, { ...albEvent, path: '/json', httpMethod: 'HEAD' });
    expect(result.statusCode).toBe(201);
    expect(result.body).toBe('');
    expect(single(result, 'content-length')).toBe(single(get, 'content-length'));
  });
});

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('%s responses', (_name, Make) => {
  const app = new Make();
  app.use((ctx) => {
    if (ctx.path === '/message') {
      ctx.status = 202;
      ctx.message = 'Accepted Later';
      ctx.body = 'later';
      return;
    }
    ctx.set('x-api', 'v1');
    ctx.body = { ok: true };
  });

  it('ctx.body = object gives a JSON result', async () => {
    const result = await call(app, albEventMulti);
    expect(result.statusCode).toBe(200);
    expect(multi(result, 'content-type')).toEqual(['application/json; charset=utf-8']);
    expect(multi(result, 'x-api')).toEqual(['v1']);
    expect(JSON.parse(result.body ?? '')).toEqual({ ok: true });
  });

  it('ctx.message becomes the statusDescription', async () => {
    const result = await call(app, { ...albEvent, path: '/message' });
    expect(result.statusDescription).toBe('202 Accepted Later');
  });

  it('C8: HEAD gives the GET content-length and no body', async () => {
    const get = await call(app, albEvent);
    const result = await call(app, head(albEvent));
    expect(result.body).toBe('');
    expect(single(result, 'content-length')).toBe(single(get, 'content-length'));
  });
});

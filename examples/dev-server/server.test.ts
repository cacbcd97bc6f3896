import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogEntry } from 'lambda-bridge';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDevServer } from './server.js';

const log: LogEntry[] = [];
let server: Server;
let http: ReturnType<typeof request>;

beforeAll(async () => {
  server = createDevServer({ log: (entry) => log.push(entry), timeout: 1000 }).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  http = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  log.length = 0;
});

describe('the dev server', () => {
  it('serves its ordinary routes', async () => {
    const response = await http.get('/health').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(log).toEqual([]);
  });

  it('keeps body parsing for the ordinary routes after the handlers', async () => {
    const response = await http.post('/echo').send({ a: 1 }).expect(200);
    expect(response.body).toEqual({ echoed: { a: 1 } });
  });

  it('answers 404 for a path no route or handler owns', async () => {
    await http.get('/nowhere').expect(404);
  });
});

describe('the orders API under /api', () => {
  it('lists the orders', async () => {
    const response = await http.get('/api/orders').expect(200).expect('content-type', 'application/json');
    expect(response.body).toEqual([{ id: 1, item: 'Widget', quantity: 2, status: 'open' }]);
  });

  it('gets the full path, /api included, and decodes the query itself', async () => {
    const response = await http.get('/api/orders?status=open').expect(200);
    expect(response.body).toHaveLength(1);
    expect((await http.get('/api/orders?status=shipped').expect(200)).body).toEqual([]);
  });

  it('creates an order from a JSON body and finds it again', async () => {
    const created = await http
      .post('/api/orders')
      .send({ item: 'Gadget', quantity: 1 })
      .expect(201)
      .expect('location', '/api/orders/2');
    expect(created.body).toMatchObject({ id: 2, item: 'Gadget' });
    expect((await http.get('/api/orders/2').expect(200)).body).toEqual(created.body);
  });

  it('answers 404 for an unknown order and 405 for an unknown method', async () => {
    await http.get('/api/orders/99').expect(404);
    await http.delete('/api/orders/1').expect(405).expect('allow', 'GET, POST');
  });

  it('logs START, END and REPORT for every invocation', async () => {
    await http.get('/api/orders').expect(200);
    expect(log.map((entry) => entry.code)).toEqual(['START', 'END', 'REPORT']);
    expect(log[2].message).toMatch(
      /^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB/,
    );
  });
});

describe('the admin API under /admin (multi-value headers)', () => {
  it('refuses a request without the admin cookie', async () => {
    await http.get('/admin/stats').expect(401).expect('www-authenticate', 'Cookie realm="admin"');
  });

  it('sets two cookies at login and lets the cookie in', async () => {
    const agent = request.agent(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const login = await agent.post('/admin/login').type('form').send('token=let-me-in').expect(204);
    expect(login.headers['set-cookie']).toEqual(
      expect.arrayContaining(['admin=let-me-in; Path=/admin; HttpOnly', 'theme=dark; Path=/']),
    );
    const stats = await agent.get('/admin/stats').expect(200);
    expect(stats.body).toEqual({ path: '/admin/stats', forwardedFor: ['127.0.0.1'] });
  });

  it('refuses a wrong token', async () => {
    await http.post('/admin/login').type('form').send('token=guess').expect(401);
  });
});

import { toListener } from 'lambda-bridge';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript example without declarations
import { handler } from './handler.mjs';

describe('the handler `npm start` serves', () => {
  const app = toListener(handler, { log: () => {} });

  it('greets with the decoded name from the raw ALB query', async () => {
    const res = await request(app).get('/hello?name=Ada+Lovelace').expect(200);
    expect(res.body).toMatchObject({
      hello: 'Ada Lovelace',
      path: '/hello',
      method: 'GET',
      clientIp: '127.0.0.1',
    });
  });

  it('answers the health path as text', async () => {
    const res = await request(app).get('/health').expect(200);
    expect(res.text).toBe('ok');
  });
});

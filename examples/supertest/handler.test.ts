import { toListener } from 'lambda-bridge';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { handler } from './handler.js';

// The handler runs behind an emulated ALB: the same event, validation and error pages as in AWS.
const app = toListener(handler, { log: () => {} });

describe('the greeting handler', () => {
  it('greets the world by default', async () => {
    const response = await request(app).get('/hello').expect(200).expect('content-type', 'application/json');
    expect(response.body).toEqual({ greeting: 'Hello, world!' });
  });

  it('decodes the query the ALB passes still encoded', async () => {
    const response = await request(app).get('/hello?name=Ada+Lovelace%21').expect(200);
    expect(response.body).toEqual({ greeting: 'Hello, Ada Lovelace!!' });
  });

  it('reads a JSON body', async () => {
    const response = await request(app).post('/hello').send({ name: 'Grace' }).expect(200);
    expect(response.body).toEqual({ greeting: 'Hello, Grace!' });
  });

  it('reads a form body, which the ALB sends base64-encoded', async () => {
    const response = await request(app).post('/hello').type('form').send({ name: 'Linus' }).expect(200);
    expect(response.body).toEqual({ greeting: 'Hello, Linus!' });
  });

  it('answers 400 without a name', async () => {
    await request(app).post('/hello').type('form').send('').expect(400, 'name is required');
  });

  it('answers 404 elsewhere and 405 for other methods', async () => {
    await request(app).get('/bye').expect(404);
    await request(app).put('/hello').expect(405).expect('allow', 'GET, POST');
  });

  it('fails the way the ALB fails when the handler throws: 502 from awselb', async () => {
    const response = await request(app)
      .post('/hello')
      .set('content-type', 'application/json')
      .send('{not json');
    expect(response.status).toBe(502);
    expect(response.headers.server).toBe('awselb/2.0');
    expect(response.headers['x-lambda-bridge-reason']).toMatch(/SyntaxError/);
  });
});

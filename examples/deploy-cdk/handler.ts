import express from 'express';
import { toLambda } from 'lambda-bridge';

export const app = express();

// The target group's health check (GET /health from ELB-HealthChecker/2.0): answered without work,
// since every check is a billed invocation.
app.get('/health', (_req, res) => {
  res.type('text/plain').send('ok');
});

app.get('/', (req, res) => {
  res.json({ hello: req.query.name ?? 'world', host: req.hostname });
});

export const handler = toLambda(app);

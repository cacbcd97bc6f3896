import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import express from 'express';

// An Express app that hands work to another Lambda function, `worker`, through the AWS SDK.
// Deployed, the SDK calls Lambda; under `lambda-bridge serve --invoke-port`, it calls the local
// Invoke API (the server sets AWS_ENDPOINT_URL_LAMBDA for the functions it runs):
//
//   AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local npx lambda-bridge serve \
//     examples/invoke/handler.ts --invoke-port 0 --function worker=examples/invoke/worker.ts
//   curl -X POST localhost:3000/reports -H 'content-type: application/json' -d '{"month":"2026-11","amounts":[3,4]}'

const lambda = new LambdaClient({});
const WORKER = process.env.WORKER_FUNCTION ?? 'worker';

export const app = express();
app.use(express.json());

/** Builds the report now: the worker's result, or 502 with its error. */
app.post('/reports', async (req, res) => {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: WORKER, Payload: JSON.stringify(req.body) }),
  );
  const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString() || 'null');
  if (out.FunctionError) {
    res.status(502).json({ error: payload.errorMessage, type: payload.errorType });
    return;
  }
  res.json(payload);
});

/** Queues the report (an Event invocation): 202 with the invocation's request id. */
app.post('/reports/later', async (req, res) => {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: WORKER, InvocationType: 'Event', Payload: JSON.stringify(req.body) }),
  );
  res.status(202).json({ queued: out.$metadata.requestId });
});

// The reverse scenarios: servers loaded with autocannon, compared with a native Express route.
// A scenario is one entry; `server` is the script (and its arguments) of the child process that
// serves it, or `undefined` with `missing` saying why it is not measured.

/** What every reverse server answers to GET /hello. */
export const REVERSE_PATH = '/hello';
export const REVERSE_BODY = 'hello';
export const REVERSE_CONTENT_TYPE = 'text/plain; charset=utf-8';

export const REVERSE_SCENARIOS = [
  {
    id: 'native',
    title: 'native Express route',
    baseline: true,
    server: ['child-server.mjs', 'native'],
  },
  {
    id: 'middleware',
    title: 'express().use(toExpress(handler))',
    target: 0.8,
    server: ['child-server.mjs', 'middleware'],
  },
  {
    id: 'dev-server',
    title: 'lambda-bridge serve (isolated)',
    target: 0.5,
    server: ['child-server.mjs', 'dev-server'],
  },
];

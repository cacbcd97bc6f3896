import { createServer, type Server } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliServer, main, parseCli } from '../../adapters/cli.js';
import { serve } from '../../adapters/serve.js';
import { InvalidOptionError, LambdaBridgeError } from '../../lib/errors.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const API = join(FIXTURES, 'api.mjs');
const WORKER = `${join(FIXTURES, 'worker.mjs')}#run`;

describe('--invoke-port, --function and --event-retries', () => {
  it('are read into serve options', () => {
    const parsed = parseCli([
      'serve',
      'api.mjs',
      '--invoke-port',
      '0',
      '--function',
      'worker=./worker.js',
      '--function',
      'pdf=./src/pdf.ts#render',
      '--event-retries',
      '2',
    ]);
    expect(parsed).toMatchObject({
      command: 'serve',
      options: {
        invokePort: 0,
        functions: { worker: './worker.js', pdf: './src/pdf.ts#render' },
        eventRetries: 2,
      },
    });
  });

  it('are refused with a reason when wrong', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--function', 'worker=./w.js'], /--function needs --invoke-port/],
      [['--invoke-port', '0', '--function', 'worker'], /NAME=FILE/],
      [['--invoke-port', '0', '--function', 'bad name=./w.js'], /function name of 1 to 64 letters/],
      [['--invoke-port', '0', '--function', 'w=./a.js', '--function', 'w=./b.js'], /names "w" twice/],
      [['--invoke-port', '70000'], /--invoke-port takes a whole number from 0 to 65535/],
      [['--event-retries', '3'], /--event-retries takes a whole number from 0 to 2/],
    ];
    for (const [argv, reason] of cases) {
      expect(() => parseCli(['serve', 'api.mjs', ...argv]), argv.join(' ')).toThrow(reason);
    }
  });
});

describe('serve options for the Invoke API', () => {
  it('refuses what cannot work, before anything starts', async () => {
    await expect(serve({ handler: API, port: 0, functions: { worker: WORKER } })).rejects.toThrow(
      /"functions" option needs "invokePort"/,
    );
    await expect(serve({ handler: API, port: 0, invokePort: 0, functions: { api: WORKER } })).rejects.toThrow(
      /has the main handler's name/,
    );
    await expect(
      serve({ handler: API, port: 0, invokePort: 0, functions: { worker: { handler: WORKER, timeout: 0 } } }),
    ).rejects.toThrow(InvalidOptionError);
    await expect(
      serve({ handler: API, port: 0, invokePort: 0, functions: { worker: './missing.js' } }),
    ).rejects.toMatchObject({ code: 'LAMBDA_BRIDGE_HANDLER_FILE_MISSING' });
    await expect(serve({ handler: API, port: 0, invokePort: 0, eventRetries: 5 })).rejects.toThrow(
      /"eventRetries" option is 0, 1 or 2/,
    );
    await expect(serve({ handler: API, port: 0, invokePort: -1 })).rejects.toThrow(/"invokePort" option/);
  });

  it('an invoke port in use: a coded error naming --invoke-port', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const error = await serve({ handler: API, port: 0, invokePort: port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LambdaBridgeError);
      expect(error).toMatchObject({ code: 'LAMBDA_BRIDGE_PORT_IN_USE' });
      expect((error as Error).message).toContain('--invoke-port');
    } finally {
      taken.close();
    }
  });

  it('without invokePort there is no Invoke API', async () => {
    const server = await serve({ handler: API, port: 0 });
    try {
      expect(server.invokeUrl).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('lambda-bridge serve --invoke-port 0', () => {
  const servers: CliServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it('prints the Invoke API URL with the function names, and serves them', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const result = await main(
      [
        'serve',
        relative(process.cwd(), API),
        '--port',
        '0',
        '--invoke-port',
        '0',
        '--function',
        `worker=${relative(process.cwd(), WORKER)}`,
        '--quiet',
      ],
      { color: false, out: (line) => lines.push(line), err: (line) => errors.push(line) },
    );
    expect(typeof result).toBe('object');
    const server = result as CliServer;
    servers.push(server);
    const line = lines.find((text) => text.includes('Invoke API'));
    expect(line).toBe(
      `lambda-bridge: Invoke API at ${server.invokeUrl} (functions: api, worker; AWS SDK endpoint or aws --endpoint-url)`,
    );
    const response = await fetch(`${server.invokeUrl}/2015-03-31/functions/worker/invocations`, {
      method: 'POST',
      body: '{"from":"cli"}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ worker: true, event: { from: 'cli' } });
    expect(errors).toEqual([]);
  });
});

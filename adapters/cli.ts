import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvalidOptionError, LambdaBridgeError } from '../lib/errors.js';
import { FORMAT_NAMES, type FormatName } from '../lib/formats/reverse.js';
import { type NodeRuntime, RUNTIMES } from '../lib/invoke/context.js';
import type { LogEntry } from '../lib/log.js';
import { parseFunctionArgument } from './functions.js';
import { type DevServer, type ServeOptions, serve } from './serve.js';

export const USAGE = `Usage: lambda-bridge serve <handler-file>[#export] [options]
       lambda-bridge serve <path/module>.<export> [options]     (Lambda's handler string)

Serves a Lambda handler locally behind an emulated Application Load Balancer.

Options:
  --port <n>            port to listen on; 0 picks a free one (default 3000)
  --host <address>      address to listen on (default 127.0.0.1)
  --format <name>       alb, apigw-v1, apigw-v2, function-url, lattice-v1, lattice-v2,
                        edge-viewer-request or edge-origin-request (default alb)
  --multi-value         enable lambda.multi_value_headers.enabled (default off)
  --timeout <seconds>   function timeout, up to 900 (default 3)
  --memory <MB>         function memory size, 128 to 10240 (default 128); an environment
                        that holds more is stopped (Runtime.OutOfMemory)
  --function-name <s>   function name (default: the handler file's name)
  --region <s>          AWS region (default us-east-1)
  --runtime <name>      nodejs24.x, nodejs22.x or nodejs20.x (default nodejs24.x)
  --env-file <path>     dotenv file with variables for the handler; a malformed line is
                        ignored with a warning
  --watch               reload the handler when a file under its folder changes
  --concurrency <n>     most execution environments at once; more requests wait (default 10)
  --max-concurrency <n> Lambda Managed Instances: each environment serves up to n requests at
                        once (AWS_LAMBDA_MAX_CONCURRENCY; shared module state, no freezing)
  --no-isolate          run the handler in the server process (shared state; for debugging);
                        its timeout fires only while the event loop is free, and memory is
                        not limited
  --no-freeze           let environments run between invocations (by default they are
                        stopped, as Lambda freezes them, so work left after the response waits)
  --no-strict           serve results a real ALB rejects, with a warning
  --stream-bandwidth    streamed responses go at 2 MB/s past their first 6 MB, as on Lambda
  --invoke-port <n>     open Lambda's Invoke API (AWS SDK and CLI endpoint) on this port;
                        0 picks a free one and prints it
  --function <NAME=FILE[#export]>
                        one more function, reachable through the Invoke API only
                        (repeatable; needs --invoke-port)
  --event-retries <n>   run a failed Event invocation again up to n times, 0 to 2 (default 0)
  --json                log one JSON object per line
  --quiet               log only warnings and errors
  --help                show this help
  --version             print the version`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  color: boolean;
}

/** Reads the command line into serve options; throws `InvalidOptionError` with a one-line reason. */
export type CliCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'serve'; options: ServeOptions; json: boolean; quiet: boolean };

export function parseCli(argv: readonly string[]): CliCommand {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'multi-value': { type: 'boolean' },
        format: { type: 'string' },
        timeout: { type: 'string' },
        memory: { type: 'string' },
        'function-name': { type: 'string' },
        region: { type: 'string' },
        runtime: { type: 'string' },
        'env-file': { type: 'string' },
        watch: { type: 'boolean' },
        concurrency: { type: 'string' },
        'max-concurrency': { type: 'string' },
        'no-isolate': { type: 'boolean' },
        'no-freeze': { type: 'boolean' },
        'no-strict': { type: 'boolean' },
        'stream-bandwidth': { type: 'boolean' },
        'invoke-port': { type: 'string' },
        function: { type: 'string', multiple: true },
        'event-retries': { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    const message = (error as Error).message.split('. ')[0].split('\n')[0];
    throw new InvalidOptionError(`${message} (see lambda-bridge --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [command, handler, ...rest] = positionals;
  if (command !== 'serve') {
    throw new InvalidOptionError(
      command === undefined
        ? 'Missing command: lambda-bridge serve <handler-file>'
        : `Unknown command "${command}"; the command is "serve".`,
    );
  }
  if (handler === undefined)
    throw new InvalidOptionError('Missing handler file: lambda-bridge serve <handler-file>[#export]');
  if (rest.length > 0) throw new InvalidOptionError(`Unexpected argument "${rest[0]}".`);
  const number = (
    name: string,
    min: number,
    whole: boolean,
    max = Number.MAX_SAFE_INTEGER,
  ): number | undefined => {
    const text = values[name];
    if (text === undefined) return undefined;
    const value = Number(text);
    if (
      typeof text !== 'string' ||
      !/^\d+(\.\d+)?$/.test(text.trim()) ||
      value < min ||
      value > max ||
      (whole && !Number.isInteger(value))
    ) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
      throw new InvalidOptionError(
        `--${name} takes ${whole ? 'a whole number' : 'a number'} ${range}; got "${String(text)}".`,
      );
    }
    return value;
  };
  const timeout = number('timeout', 0.001, false, 900);
  const format = values.format as string | undefined;
  if (format !== undefined && !FORMAT_NAMES.includes(format as FormatName)) {
    throw new InvalidOptionError(`--format is one of ${FORMAT_NAMES.join(', ')}; got "${format}".`);
  }
  const runtime = values.runtime as string | undefined;
  if (runtime !== undefined && !RUNTIMES.includes(runtime as NodeRuntime)) {
    throw new InvalidOptionError(
      `--runtime is one of ${[...RUNTIMES].reverse().join(', ')}; got "${runtime}".`,
    );
  }
  const functions: Record<string, string> = {};
  for (const text of (values.function as string[] | undefined) ?? []) {
    const [name, handlerSpec] = parseFunctionArgument(text);
    if (name in functions) throw new InvalidOptionError(`--function names "${name}" twice.`);
    functions[name] = handlerSpec;
  }
  const invokePort = number('invoke-port', 0, true, 65535);
  if (invokePort === undefined && Object.keys(functions).length > 0) {
    throw new InvalidOptionError(
      '--function needs --invoke-port: more functions are reachable through the Invoke API only.',
    );
  }
  const options: ServeOptions = {
    handler,
    port: number('port', 0, true, 65535) ?? 3000,
    format: format as FormatName | undefined,
    host: values.host as string | undefined,
    multiValueHeaders: values['multi-value'] === true,
    timeout: timeout === undefined ? undefined : Math.round(timeout * 1000),
    memorySize: number('memory', 128, true, 10240),
    functionName: values['function-name'] as string | undefined,
    region: values.region as string | undefined,
    runtime: runtime as NodeRuntime | undefined,
    envFile: values['env-file'] as string | undefined,
    watch: values.watch === true,
    concurrency: number('concurrency', 1, true),
    maxConcurrency: number('max-concurrency', 1, true),
    isolate: values['no-isolate'] !== true,
    freeze: values['no-freeze'] !== true,
    strict: values['no-strict'] !== true,
    streamBandwidth: values['stream-bandwidth'] === true,
  };
  if (invokePort !== undefined) options.invokePort = invokePort;
  if (Object.keys(functions).length > 0) options.functions = functions;
  const eventRetries = number('event-retries', 0, true, 2);
  if (eventRetries !== undefined) options.eventRetries = eventRetries;
  return { command: 'serve', options, json: values.json === true, quiet: values.quiet === true };
}

/** This package's version, from the nearest package.json named lambda-bridge above this module. */
export function version(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (manifest.name === 'lambda-bridge') return manifest.version;
    } catch {
      // No package.json here; look one folder up.
    }
    if (dir.pathname === '/') return 'unknown';
  }
}

const COLORS: Record<string, string> = {
  warn: '\u001b[33m',
  REQUEST: '\u001b[36m',
  REPORT: '\u001b[2m',
  RELOAD: '\u001b[35m',
};

/** `Task timed out after 3.00 seconds` names the option that sets the limit (the trace stays below). */
function withTimeoutHint(message: string): string {
  const end = message.indexOf('\n');
  const head = end === -1 ? message : message.slice(0, end);
  return `${head} (the function timeout: raise it with --timeout <seconds>)${end === -1 ? '' : message.slice(end)}`;
}

function formatter(json: boolean, quiet: boolean, io: CliIo): (entry: LogEntry) => void {
  return (input) => {
    if (quiet && input.level !== 'warn') return;
    // The command line is where the limit is set, so the message says how to raise it.
    const entry = input.code === 'TIMEOUT' ? { ...input, message: withTimeoutHint(input.message) } : input;
    if (json) {
      io.out(JSON.stringify({ time: new Date().toISOString(), ...entry }));
      return;
    }
    const text =
      entry.code === 'REQUEST' && entry.requestId ? `${entry.message} ${entry.requestId}` : entry.message;
    const line = entry.level === 'warn' ? `WARN ${text}` : text;
    const color = io.color ? (COLORS[entry.level] ?? COLORS[entry.code]) : undefined;
    const write = entry.level === 'warn' ? io.err : io.out;
    write(color ? `${color}${line}\u001b[0m` : line);
  };
}

/** The running server, and where the command's own notices go (text or JSON lines). */
export type CliServer = DevServer & { announce(code: string, message: string): void };

/**
 * Runs the command line. Resolves with an exit code for commands that end (help, version, bad
 * arguments), or with the running server.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number | CliServer> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    io.err(`lambda-bridge: ${(error as Error).message}`);
    return 2;
  }
  if (parsed.command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (parsed.command === 'version') {
    io.out(version());
    return 0;
  }
  const { options, json, quiet } = parsed;
  try {
    const log = formatter(json, quiet, io);
    const server: CliServer = Object.assign(await serve({ ...options, log }), {
      announce: (code: string, message: string) => log({ level: 'info', code, message }),
    });
    const mode = [
      options.multiValueHeaders ? 'multi-value headers' : 'single-value headers',
      `timeout ${(options.timeout ?? 3000) / 1000} s`,
      options.isolate === false ? 'not isolated' : `up to ${options.concurrency ?? 10} environments`,
      options.maxConcurrency === undefined
        ? undefined
        : `${options.maxConcurrency} requests each (managed instances)`,
      options.watch ? 'watching for changes' : undefined,
    ].filter(Boolean);
    const service = {
      alb: 'ALB',
      'apigw-v1': 'API Gateway REST',
      'apigw-v2': 'HTTP API',
      'function-url': 'function URL',
      'lattice-v1': 'VPC Lattice V1',
      'lattice-v2': 'VPC Lattice V2',
      'edge-viewer-request': 'Lambda@Edge viewer request',
      'edge-origin-request': 'Lambda@Edge origin request',
    }[options.format ?? 'alb'];
    const ready = `lambda-bridge: serving ${options.handler} at ${server.url} (${service}, ${mode.join(', ')})`;
    io.out(
      json
        ? JSON.stringify({
            time: new Date().toISOString(),
            level: 'info',
            code: 'LISTENING',
            message: ready,
            url: server.url,
          })
        : ready,
    );
    if (server.invokeUrl !== undefined) {
      const names = [server.functionName, ...Object.keys(options.functions ?? {})];
      const api = `lambda-bridge: Invoke API at ${server.invokeUrl} (functions: ${names.join(', ')}; AWS SDK endpoint or aws --endpoint-url)`;
      io.out(
        json
          ? JSON.stringify({
              time: new Date().toISOString(),
              level: 'info',
              code: 'INVOKE_LISTENING',
              message: api,
              url: server.invokeUrl,
            })
          : api,
      );
    }
    return server;
  } catch (error) {
    const known = error instanceof LambdaBridgeError;
    io.err(`lambda-bridge: ${known ? error.message : (error as Error).stack}`);
    // The command was right but the machine is not ready for it: 1; a wrong command: 2.
    const machine = ['LAMBDA_BRIDGE_PORT_IN_USE', 'LAMBDA_BRIDGE_HOST_UNAVAILABLE'].includes(
      String(known && error.code),
    );
    return known && !machine ? 2 : 1;
  }
}

/**
 * Stops the server on SIGINT and SIGTERM as `lambda-bridge serve` does: requests in flight finish,
 * queued ones are answered 503, then the process exits 0. A second signal exits at once
 * (128 + the signal's number). `exit` is `process.exit` unless a test passes its own.
 */
export function stopOnSignals(
  server: CliServer,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      server.announce('EXITING', `${signal} again: exiting now`);
      void server.stop();
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    stopping = true;
    server.announce(
      'STOPPING',
      `${signal}: stopping; requests in flight finish, queued ones get 503 (send ${signal} again to exit at once)`,
    );
    void server.close().then(
      () => exit(0),
      () => exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

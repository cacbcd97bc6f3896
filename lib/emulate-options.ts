import { describe, InvalidOptionError } from './errors.js';
import {
  FORMAT_NAMES,
  type FormatName,
  type ReverseFormat,
  type ReverseSettings,
  reverseFormat,
} from './formats/reverse.js';
import { type ContextOptions, checkContextOptions, type NodeRuntime } from './invoke/context.js';
import { type LogHook, stderrWarnings } from './log.js';

// The options of the emulated service (middleware, toFetch, serve, the event builders), checked
// and settled once.

export interface AlbEmulatorOptions extends ContextOptions {
  /**
   * The service in front of the handler: an Application Load Balancer, API Gateway REST
   * (payload 1.0), an HTTP API (payload 2.0), a function URL (payload 2.0 on a
   * `*.lambda-url.<region>.on.aws` domain), a VPC Lattice target group (event structure V1 or
   * V2), or a CloudFront distribution with a Lambda@Edge viewer-request or origin-request trigger.
   * @default 'alb'
   */
  format?: FormatName;
  /** The API Gateway stage in the event. @default 'prod' for apigw-v1, '$default' otherwise */
  stage?: string;
  /**
   * The target group attribute `lambda.multi_value_headers.enabled`: the event carries
   * `multiValueHeaders` and `multiValueQueryStringParameters`, and the result must use
   * `multiValueHeaders`.
   * @default false
   */
  multiValueHeaders?: boolean;
  /** @default `arn:aws:elasticloadbalancing:<region>:<accountId>:targetgroup/<functionName>/0123456789abcdef` */
  targetGroupArn?: string;
  /**
   * Reject with 502 every result a real ALB rejects. When `false`, results that can be read
   * (a numeric-string status, non-string header values, the other mode's header field, `null`
   * fields) are served with a warning.
   * @default true
   */
  strict?: boolean;
  /** A path prefix removed from `event.path` (the ALB itself sends the full path). @default none */
  stripPrefix?: string;
  /**
   * Whether an answer the emulated ALB generates (502 and the other error pages) carries the
   * reason in an `x-lambda-bridge-reason` header. The body is always the ALB's own page.
   * @default true
   */
  diagnostics?: boolean;
  /**
   * The runtime whose handler rules and context apply: `'nodejs24.x'` (runtime interface client 4:
   * no callbacks, no `context.succeed`), or `'nodejs22.x'`/`'nodejs20.x'` (client 3).
   * @default 'nodejs24.x'
   */
  runtime?: NodeRuntime;
  /** Send `START`, `END` and `REPORT` lines for every invocation to the log hook. @default false */
  logInvocations?: boolean;
  /** Receives warnings, 502 reasons and (with `logInvocations`) invocation lines. @default warnings on stderr */
  log?: LogHook;
  /**
   * For a streaming handler behind a function URL or API Gateway REST: send the response at
   * 2 MB/s past its first 6 MB, as Lambda does. Off, it goes as fast as the client reads.
   * @default false
   */
  streamBandwidth?: boolean;
}

/** The options, checked and with their defaults. */
export interface EmulatorSettings {
  format: ReverseFormat;
  stripPrefix: string | undefined;
  diagnostics: boolean;
  timeout: number;
  logInvocations: boolean;
  log: LogHook;
  context: ContextOptions;
  streamBandwidth: boolean;
}

export function checkOptions(options: AlbEmulatorOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`Options must be an object; got ${describe(options)}.`);
  }
  checkContextOptions(options);
  for (const name of [
    'multiValueHeaders',
    'strict',
    'diagnostics',
    'logInvocations',
    'streamBandwidth',
  ] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new InvalidOptionError(
        `The "${name}" option is true or false; it got ${describe(options[name])}.`,
      );
    }
  }
  if (
    options.stripPrefix !== undefined &&
    (typeof options.stripPrefix !== 'string' || !options.stripPrefix.startsWith('/'))
  ) {
    throw new InvalidOptionError(
      `The "stripPrefix" option is a path that starts with "/"; it got ${describe(options.stripPrefix)}.`,
    );
  }
  if (
    options.targetGroupArn !== undefined &&
    (typeof options.targetGroupArn !== 'string' || !options.targetGroupArn.startsWith('arn:'))
  ) {
    throw new InvalidOptionError(
      `The "targetGroupArn" option is an ARN; it got ${describe(options.targetGroupArn)}.`,
    );
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new InvalidOptionError(
      `The "log" option is a function (entry) => void; it got ${describe(options.log)}.`,
    );
  }
  if (options.format !== undefined && !FORMAT_NAMES.includes(options.format)) {
    throw new InvalidOptionError(
      `The "format" option is one of ${FORMAT_NAMES.map((n) => `'${n}'`).join(', ')}; it got ${describe(options.format)}.`,
    );
  }
  if (
    options.stage !== undefined &&
    (typeof options.stage !== 'string' || !/^[\w$-]+$/.test(options.stage))
  ) {
    throw new InvalidOptionError(
      `The "stage" option is a stage name such as "prod"; it got ${describe(options.stage)}.`,
    );
  }
}

export function reverseSettings(options: AlbEmulatorOptions): ReverseSettings {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const name = (options.functionName ?? 'local-function').slice(0, 32);
  return {
    multiValue: options.multiValueHeaders === true,
    strict: options.strict !== false,
    targetGroupArn:
      options.targetGroupArn ??
      `arn:aws:elasticloadbalancing:${region}:${accountId}:targetgroup/${name}/0123456789abcdef`,
    region,
    accountId,
    stage: options.stage,
  };
}

export function settingsOf(options: AlbEmulatorOptions): EmulatorSettings {
  checkOptions(options);
  return {
    format: reverseFormat(options.format ?? 'alb', reverseSettings(options)),
    stripPrefix: options.stripPrefix?.replace(/\/+$/, ''),
    diagnostics: options.diagnostics !== false,
    timeout: options.timeout ?? 3000,
    logInvocations: options.logInvocations === true,
    log: options.log ?? stderrWarnings,
    streamBandwidth: options.streamBandwidth === true,
    context: {
      functionName: options.functionName,
      functionVersion: options.functionVersion,
      memorySize: options.memorySize,
      region: options.region,
      accountId: options.accountId,
      timeout: options.timeout,
      runtime: options.runtime ?? 'nodejs24.x',
      tenantId: options.tenantId,
    },
  };
}

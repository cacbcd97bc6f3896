import type { ALBEvent } from 'aws-lambda';
import type { ContextOptions } from '../invoke/context.js';
import type { InvocationError, NodeRuntime, Outcome } from '../invoke/invoke.js';

/** What an execution environment is started with. */
export interface EnvironmentData {
  file: string;
  exportName: string;
  context: ContextOptions;
  runtime: NodeRuntime;
  /** The worker file is TypeScript (running from the library's sources): load tsx first. */
  typescript: boolean;
}

export type ToEnvironment = { type: 'invoke'; id: string; event: ALBEvent; traceId: string };

export type FromEnvironment =
  | { type: 'ready'; initDuration: number }
  | { type: 'init-error'; error: InvocationError }
  | { type: 'warn'; id: string; message: string }
  | { type: 'done'; id: string; outcome: Outcome }
  | { type: 'crash'; id: string | undefined; error: InvocationError };

/** One line of what the bridge reports: a warning, or (reverse direction) an invocation record. */
export interface LogEntry {
  level: 'warn' | 'info';
  /** A stable identifier of what happened, e.g. `SET_COOKIE_DROPPED`. */
  code: string;
  message: string;
  /** The Lambda request id of the invocation, when there is one. */
  requestId?: string;
  /** On the dev server's `REQUEST` lines: the request method, its target, status and time taken. */
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
}

export type LogHook = (entry: LogEntry) => void;

/**
 * Where a host that runs handlers (the dev server's execution environments) collects the
 * warnings of bridges left on their default hook, to log them with its own logger. `Symbol.for`,
 * so that every copy of the library loaded in the process finds it.
 */
export const LOG_SINK = Symbol.for('lambda-bridge.log-sink');

/**
 * The default hook: warnings go to stderr, one line each, led by their code so that a log filter
 * can count them (`lambda-bridge APP_ERROR: answered 500: …`), or to the host's sink when one is
 * installed (`LOG_SINK`); nothing else is printed.
 */
export const stderrWarnings: LogHook = (entry) => {
  if (entry.level !== 'warn') return;
  const sink = (globalThis as Record<symbol, unknown>)[LOG_SINK];
  if (typeof sink === 'function') {
    (sink as LogHook)(entry);
    return;
  }
  process.stderr.write(
    `lambda-bridge ${entry.code}: ${entry.message}${entry.requestId ? ` (request ${entry.requestId})` : ''}\n`,
  );
};

/** Calls a user's hook without letting it break an invocation. */
export function safeLog(hook: LogHook, entry: LogEntry): void {
  try {
    hook(entry);
  } catch {
    // A failing log hook must not turn a good response into an error.
  }
}

/** One line of what the bridge reports: a warning, or (reverse direction) an invocation record. */
export interface LogEntry {
  level: 'warn' | 'info';
  /** A stable identifier of what happened, e.g. `SET_COOKIE_DROPPED`. */
  code: string;
  message: string;
  /** The Lambda request id of the invocation, when there is one. */
  requestId?: string;
}

export type LogHook = (entry: LogEntry) => void;

/**
 * The default hook: warnings go to stderr, one line each, led by their code so that a log filter
 * can count them (`lambda-bridge APP_ERROR: answered 500: …`); nothing else is printed.
 */
export const stderrWarnings: LogHook = (entry) => {
  if (entry.level !== 'warn') return;
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

import { readFileSync } from 'node:fs';

// How Lambda words a runtime process that ended: Go's names for signals, as in
// `Runtime exited with error: signal: killed`.
const SIGNAL_NAMES: Record<string, string> = {
  SIGABRT: 'aborted',
  SIGALRM: 'alarm clock',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGHUP: 'hangup',
  SIGILL: 'illegal instruction',
  SIGINT: 'interrupt',
  SIGKILL: 'killed',
  SIGPIPE: 'broken pipe',
  SIGQUIT: 'quit',
  SIGSEGV: 'segmentation fault',
  SIGTERM: 'terminated',
  SIGTRAP: 'trace/breakpoint trap',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
};

/** `exit status 3` or `signal: killed`, as the Lambda service reports a runtime process that ended. */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `signal: ${SIGNAL_NAMES[signal] ?? signal}`;
  return `exit status ${code ?? 0}`;
}

/**
 * Why a runtime process ended, in the Lambda service's words: `Runtime exited with error: exit
 * status 3` (or `signal: killed`), and for a process that exited with status 0, `Runtime exited
 * without providing a reason`.
 */
export function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === null && code === 0) return 'Runtime exited without providing a reason';
  return `Runtime exited with error: ${exitDescription(code, signal)}`;
}

/** Whether V8 printed its fatal out-of-memory message (a heap over `--max-old-space-size`). */
export function isHeapExhaustion(stderrTail: string): boolean {
  return /JavaScript heap out of memory|Reached heap limit|Allocation failed - process out of memory/.test(
    stderrTail,
  );
}

const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/status', 'latin1');
    return true;
  } catch {
    return false;
  }
})();

/**
 * The resident memory of a process, in KB, read from `/proc` without disturbing it: `current`
 * (VmRSS) and `peak` (VmHWM). `undefined` where there is no `/proc` (the environment then reports
 * its own peak at the end of each invocation) or once the process is gone.
 */
export function residentMemory(pid: number): { current: number; peak: number } | undefined {
  if (!HAS_PROC) return undefined;
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const current = /VmRSS:\s+(\d+)/.exec(status);
  const peak = /VmHWM:\s+(\d+)/.exec(status);
  if (!current) return undefined;
  const now = Number(current[1]);
  return { current: now, peak: peak ? Number(peak[1]) : now };
}

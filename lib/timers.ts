/** The longest delay `setTimeout` holds; a longer one fires after 1 ms, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A deadline set with `startDeadline`; pass it to `clearDeadline` once it is no longer needed. */
export interface Deadline {
  readonly at: number;
  readonly fire: () => void;
}

// Every pending deadline shares one Node timer. Each invocation's deadline is a different number
// of milliseconds (what remains of the Lambda's time), and Node keeps a timer list per duration,
// so a timer of its own per invocation costs a list created and destroyed every time. An
// invocation nearly always ends long before its deadline: clearing a deadline only forgets it,
// and the shared timer is moved only when an earlier deadline arrives. It holds the event loop
// open only while a deadline is pending, as a timer of the invocation's own would.
const pending = new Set<Deadline>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Number.POSITIVE_INFINITY;

/** Calls `fire` after `ms` milliseconds unless `clearDeadline` is called first. */
export function startDeadline(ms: number, fire: () => void): Deadline {
  const deadline: Deadline = { at: performance.now() + ms, fire };
  pending.add(deadline);
  if (deadline.at < timerAt) arm(deadline.at);
  else timer?.ref();
  return deadline;
}

export function clearDeadline(deadline: Deadline): void {
  if (pending.delete(deadline) && pending.size === 0) timer?.unref();
}

function arm(at: number, now = performance.now()): void {
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(expire, Math.max(1, Math.ceil(at - now)));
}

function expire(): void {
  // The timer firing means its own deadline is due, whatever the clock says: Node's timers count
  // whole milliseconds (one may fire a fraction early), and a test's fake timers may not move
  // `performance.now()`.
  const now = Math.max(performance.now(), timerAt);
  timer = undefined;
  timerAt = Number.POSITIVE_INFINITY;
  const due: Deadline[] = [];
  let next = Number.POSITIVE_INFINITY;
  for (const deadline of pending) {
    if (deadline.at <= now) due.push(deadline);
    else if (deadline.at < next) next = deadline.at;
  }
  for (const deadline of due) pending.delete(deadline);
  if (next !== Number.POSITIVE_INFINITY) arm(next, now);
  for (const deadline of due) {
    try {
      deadline.fire();
    } catch (error) {
      // Thrown as it would have been from a timer of its own, once every due deadline has fired.
      process.nextTick(rethrow, error);
    }
  }
}

function rethrow(error: unknown): never {
  throw error;
}

/** The longest delay `setTimeout` holds; a longer one fires after 1 ms, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What an unfinished factory resolves to when the deadline comes first. */
export const LATE = Symbol('late');

/** `promise`, or `LATE` once `ms` pass first (never, without `ms`). */
export function within<T>(promise: Promise<T>, ms: number | undefined): Promise<T | typeof LATE> {
  if (ms === undefined) return promise;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(LATE), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

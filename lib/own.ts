// Maps built from request data use keys chosen by a client. A key such as `__proto__` must become
// an own property, never reach the prototype: these helpers write and read own properties only.

/** Sets `key` as an own, enumerable property, even when it is `__proto__`. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The own property `key`, or `undefined`. */
export function getOwn<T>(target: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

/** Appends `value` to the own list at `key`, creating it. */
export function pushOwn<T>(target: Record<string, T[]>, key: string, value: T): void {
  const list = getOwn(target, key);
  if (list === undefined) setOwn(target, key, [value]);
  else list.push(value);
}

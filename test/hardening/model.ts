import { expect } from 'vitest';

// The documented mapping rules, written independently of the library, as test oracles.

/** Splits a raw query on `&` and the first `=`, dropping empty parts (contract 1.3). */
export function queryPairs(raw: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push(eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}

function percentEncode(text: string, unsafe: RegExp): string {
  let out = '';
  for (const ch of text) {
    if (!unsafe.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// README: only characters that cannot stand raw in a request target (spaces, controls,
// non-ASCII, `#`, and `&`/`=` inside a key or value) are percent-encoded.
export const escapePath = (path: string) => percentEncode(path, /^(?:[\x00-\x20\x7f#?]|[^\x00-\x7f])$/u);
export const escapeKey = (key: string) => percentEncode(key, /^(?:[\x00-\x20\x7f#&=]|[^\x00-\x7f])$/u);
export const escapeValue = (value: string) => percentEncode(value, /^(?:[\x00-\x20\x7f#&]|[^\x00-\x7f])$/u);

/**
 * Checks that `actual` (a raw query the forward bridge built) carries the pairs of `sent` (a raw
 * query, or its key/value pairs) under the header mode's rule: single-value keeps the last value of each key, multi-value every value
 * in order. Keys and values are compared after the documented escaping.
 */
export function expectQuery(
  actual: string,
  sent: string | ReadonlyArray<readonly [string, string]>,
  multi: boolean,
): void {
  const groups = new Map<string, string[]>();
  for (const [k, v] of typeof sent === 'string' ? queryPairs(sent) : sent) {
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [v]);
    else if (multi) list.push(v);
    else list[0] = v;
  }
  const expected = new Map<string, { values: string[]; sources: number }>();
  for (const [k, values] of groups) {
    const entry = expected.get(escapeKey(k)) ?? { values: [], sources: 0 };
    entry.values.push(...values.map(escapeValue));
    entry.sources++;
    expected.set(escapeKey(k), entry);
  }
  const got = new Map<string, string[]>();
  for (const [k, v] of queryPairs(actual)) got.set(k, [...(got.get(k) ?? []), v]);
  expect([...got.keys()].sort(), `query keys of ${JSON.stringify(actual)}`).toEqual(
    [...expected.keys()].sort(),
  );
  for (const [k, { values, sources }] of expected) {
    const have = got.get(k) ?? [];
    // Distinct raw keys that escape alike may come in any order; one key keeps its order.
    if (sources === 1) expect(have, `values of ${JSON.stringify(k)}`).toEqual(values);
    else expect([...have].sort()).toEqual([...values].sort());
  }
  // `?flag=` is written `?flag`; empty parts are dropped.
  if (actual === '') return;
  for (const part of actual.split('&')) {
    expect(part).not.toBe('');
    if (part !== '=') expect(part.endsWith('=') && part.indexOf('=') === part.length - 1).toBe(false);
  }
}

/** Header text as Node's parser reads the UTF-8 bytes of a value (README). */
export function wireText(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** Header lines grouped by name (sorted by name), values in order. */
export function grouped(lines: readonly string[]): Record<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i < lines.length; i += 2) map.set(lines[i], [...(map.get(lines[i]) ?? []), lines[i + 1]]);
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The header lines an app behind `toLambda` sees for the lines an ALB event was built from:
 * lower-case names; in single-value mode the last value of each name; `content-length` the
 * body's length (present when the event carried any framing, `content-length` or
 * `transfer-encoding`, or the body is not empty; `0` included); `transfer-encoding` dropped.
 */
export function expectedLines(lines: readonly string[], multi: boolean, bodyLength: number): string[] {
  const out: string[] = [];
  let hadLength = false;
  let chunked = false;
  const last = new Map<string, number>();
  for (let i = 0; i < lines.length; i += 2) last.set(lines[i].toLowerCase(), i);
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i].toLowerCase();
    if (!multi && last.get(name) !== i) continue;
    if (name === 'content-length') {
      if (!hadLength) out.push(name, String(bodyLength));
      hadLength = true;
      continue;
    }
    if (name === 'transfer-encoding') {
      chunked = true;
      continue;
    }
    out.push(name, lines[i + 1]);
  }
  if (!hadLength && (bodyLength > 0 || chunked)) out.push('content-length', String(bodyLength));
  return out;
}

/** The `x-forwarded-for` an ALB in append mode sends: the client's lines joined, the peer appended. */
export function appendedForwardedFor(values: readonly string[], peer: string): string {
  const joined = values.join(', ');
  return joined.trim() === '' ? peer : `${joined}, ${peer}`;
}

export const TRACE_ID = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/;

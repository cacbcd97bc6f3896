// Characters that cannot stand raw in a request target: controls, space, non-ASCII, and the
// delimiters that would change its structure. Everything else (`%`, `+`, `/`, …) passes as sent.
const UNSAFE_IN_PATH = /[\x00-\x20\x7f#?]|[^\x00-\x7f]/;
const UNSAFE_IN_KEY = /[\x00-\x20\x7f#&=]|[^\x00-\x7f]/;
const UNSAFE_IN_VALUE = /[\x00-\x20\x7f#&]|[^\x00-\x7f]/;

// Their global forms, for the rare text that needs encoding: made on first use, not at import.
const GLOBAL = new Map<RegExp, RegExp>();
function globalForm(unsafe: RegExp): RegExp {
  let global = GLOBAL.get(unsafe);
  if (global === undefined) {
    global = new RegExp(unsafe.source, 'gu');
    GLOBAL.set(unsafe, global);
  }
  return global;
}

/**
 * Whether `text` holds a character of one of the sets above: controls, space, DEL, non-ASCII,
 * `#`, and the part's own delimiters (`delimiter` and `other`; the same code twice for one). A
 * char-code loop, faster than the regular expression on short strings, with nothing to build at
 * import.
 */
function hasUnsafe(text: string, delimiter: number, other: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x23 || c === delimiter || c === other) return true;
  }
  return false;
}

const QUESTION = 0x3f;
const AMPERSAND = 0x26;
const EQUALS = 0x3d;

function percentEncodeMatches(text: string, unsafe: RegExp): string {
  return text.replace(globalForm(unsafe), (ch) => {
    let out = '';
    for (const byte of Buffer.from(ch, 'utf8'))
      out += `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
    return out;
  });
}

function escapeUnsafe(text: string, unsafe: RegExp, delimiter: number, other: number): string {
  return hasUnsafe(text, delimiter, other) ? percentEncodeMatches(text, unsafe) : text;
}

/** A path that can stand in `req.url`: characters that cannot appear raw are percent-encoded. */
export function safePath(path: string): string {
  return escapeUnsafe(path, UNSAFE_IN_PATH, QUESTION, QUESTION);
}

function pair(key: string, value: string): string {
  const k = escapeUnsafe(key, UNSAFE_IN_KEY, AMPERSAND, EQUALS);
  // `?flag` and `?flag=` both arrive as `flag: ""`; the shorter spelling is kept. An empty key
  // with an empty value (`?=`) needs its `=`, or the pair would vanish.
  if (value === '') return k === '' ? '=' : k;
  return `${k}=${escapeUnsafe(value, UNSAFE_IN_VALUE, AMPERSAND, AMPERSAND)}`;
}

/**
 * Rebuilds a raw query string from parameters that are still URL-encoded (as an ALB sends them),
 * without decoding or re-encoding them, so the app's own parser decodes exactly once.
 */
export function rawQueryFromParams(
  single: Readonly<Record<string, string>> | undefined,
  multi: Readonly<Record<string, readonly string[]>> | undefined,
): string {
  let out = '';
  if (multi) {
    for (const key of Object.keys(multi)) {
      for (const value of multi[key]) out += (out === '' ? '' : '&') + pair(key, value);
    }
  } else if (single) {
    for (const key of Object.keys(single)) out += (out === '' ? '' : '&') + pair(key, single[key]);
  }
  return out;
}

/** Splits a raw query on `&` and the first `=`, keeping keys and values exactly as sent. */
export function splitRawQuery(rawQuery: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push(eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}

const UNSAFE_IN_QUERY = /[\x00-\x20\x7f#]|[^\x00-\x7f]/gu;

/** A raw query string that can stand in `req.url`: only characters invalid there are encoded. */
export function safeRawQuery(rawQuery: string): string {
  UNSAFE_IN_QUERY.lastIndex = 0;
  if (!UNSAFE_IN_QUERY.test(rawQuery)) return rawQuery;
  return rawQuery.replace(UNSAFE_IN_QUERY, (ch) => {
    let out = '';
    for (const byte of Buffer.from(ch, 'utf8'))
      out += `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
    return out;
  });
}

function encodeComponent(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    // A lone surrogate: encode the replacement character Node's UTF-8 encoder puts in its place.
    return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
  }
}

/**
 * Builds a query string from parameters that arrive decoded (API Gateway payload 1.0), encoding
 * each key and value once.
 */
export function queryFromDecodedParams(
  single: Readonly<Record<string, string>> | undefined | null,
  multi: Readonly<Record<string, readonly string[]>> | undefined | null,
): string {
  let out = '';
  const add = (key: string, value: string) => {
    // An empty key with an empty value (`?=`) needs its `=`, or the pair would vanish.
    const pair =
      key === '' && value === ''
        ? '='
        : encodeComponent(key) + (value === '' ? '' : `=${encodeComponent(value)}`);
    out += `${out === '' ? '' : '&'}${pair}`;
  };
  if (multi) {
    for (const key of Object.keys(multi)) for (const value of multi[key]) add(key, value);
  } else if (single) {
    for (const key of Object.keys(single)) add(key, single[key]);
  }
  return out;
}

import { isUtf8 } from 'node:buffer';
import { describe, InvalidOptionError } from './errors.js';

/**
 * Decides whether a response body travels base64-encoded. Receives the `content-type` and
 * `content-encoding` header values (`''` when absent) and returns `true` for binary.
 */
export type BinaryPredicate = (contentType: string, contentEncoding: string) => boolean;

/** A list of media types (with `*` wildcards, e.g. `image/*`) that are binary, or a predicate. */
export type BinaryOption = readonly string[] | BinaryPredicate;

const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
  'application/x-www-form-urlencoded',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/graphql',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/csv',
  'application/sql',
]);

/** The media type in lower case, without parameters: `Text/HTML; charset=utf-8` -> `text/html`. */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Whether a media type (lower case, no parameters) is text that survives as a JSON string. */
export function isTextMediaType(type: string): boolean {
  return (
    type.startsWith('text/') ||
    TEXT_TYPES.has(type) ||
    type.endsWith('+json') ||
    type.endsWith('+xml') ||
    type.endsWith('+yaml')
  );
}

/**
 * The default decision: text-like types (`text/*`, JSON and `+json`, XML and `+xml`, JavaScript,
 * SVG, form-urlencoded, YAML, GraphQL, NDJSON, CSV) without a `content-encoding` are text, and
 * so is a body without a content type (`res.end('hello')`); every other type and any compressed
 * body is binary. A body that is not valid UTF-8 is sent base64 whatever this says.
 */
export const defaultIsBinary: BinaryPredicate = (contentType, contentEncoding) => {
  if (contentEncoding !== '' && contentEncoding.trim().toLowerCase() !== 'identity') return true;
  // An API Gateway REST API without binaryMediaTypes hands base64 to the client as it is, so a
  // body the app left untyped goes as text when its bytes allow it (needsBase64 checks UTF-8).
  if (contentType === '') return false;
  return !isTextMediaType(mediaType(contentType));
};

function wildcardMatcher(patterns: readonly string[]): BinaryPredicate {
  const exact = new Set<string>();
  const wild: RegExp[] = [];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || pattern === '') {
      throw new InvalidOptionError(
        `The "binary" option lists media types such as "image/*"; it holds ${describe(pattern)}.`,
      );
    }
    const type = pattern.trim().toLowerCase();
    if (!type.includes('*')) exact.add(type);
    else wild.push(new RegExp(`^${type.replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*')}$`));
  }
  return (contentType, contentEncoding) => {
    if (contentEncoding !== '' && contentEncoding.trim().toLowerCase() !== 'identity') return true;
    const type = mediaType(contentType);
    if (exact.has(type)) return true;
    for (const re of wild) if (re.test(type)) return true;
    return false;
  };
}

/** Turns the `binary` option into one predicate, once per handler. */
export function binaryPredicate(option: BinaryOption | undefined): BinaryPredicate {
  if (option === undefined) return defaultIsBinary;
  if (typeof option === 'function') return option;
  if (Array.isArray(option)) return wildcardMatcher(option);
  throw new InvalidOptionError(
    `The "binary" option takes a list of media types or a function (contentType, contentEncoding) => boolean; it got ${describe(option)}.`,
  );
}

/** A body travels as base64 when the predicate says binary, or when it is not valid UTF-8. */
export function needsBase64(
  body: Buffer,
  contentType: string,
  contentEncoding: string,
  isBinary: BinaryPredicate,
): boolean {
  if (body.length === 0) return false;
  return isBinary(contentType, contentEncoding) || !isUtf8(body);
}

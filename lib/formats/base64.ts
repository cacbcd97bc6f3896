/**
 * Decodes standard or URL-safe base64, with or without padding. Returns `undefined` when the
 * text holds anything else: Node's decoder skips such characters silently, which would hand
 * the app a corrupted body, so the decoded length is checked against the text's length.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1) return undefined;
  if (end !== text.length && text.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(text, 'base64');
  return decoded.length === Math.floor((end * 3) / 4) ? decoded : undefined;
}

/**
 * Inputs that the emulated ALB refuses by design, as a real ALB does (LambdaBadRequest): a
 * text-typed request body that is not valid UTF-8, and header bytes that are not UTF-8. They
 * cannot round-trip, so the generators keep them away from the whole-bridge properties; the
 * refusal itself has named regression tests (R2, R3) in properties.test.ts.
 */
export const OPEN = {
  /** R2: a text-typed body that is not valid UTF-8 is refused with 400. */
  invalidUtf8TextBody: true,
  /** R3: header bytes that are not valid UTF-8 are refused with 400. */
  invalidUtf8HeaderValue: true,
} as const;

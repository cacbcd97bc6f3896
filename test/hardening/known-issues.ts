/**
 * Known defects of the reverse bridge (lib/emulate.ts, lib/formats/alb-reverse.ts). While an
 * entry is `true`, its regression test is declared with `it.fails` (it asserts the correct
 * behaviour, and fails), and the generators keep the inputs that trigger it away from the
 * reverse path. Once the defect is fixed, set the entry to `false`: the regression test then has
 * to pass, and the generators cover those inputs again.
 */
export const OPEN = {
  /**
   * R2: `albEventFromRequest` puts a text-typed body (`text/*`, JSON, XML, JavaScript) that is
   * not valid UTF-8 into the event as UTF-8 text, so its invalid bytes become U+FFFD and the
   * handler gets other bytes than the client sent (an ALB refuses such a request instead).
   */
  invalidUtf8TextBody: true,
  /**
   * R3: the emulator decodes header bytes as UTF-8 into the event, and bytes that are not valid
   * UTF-8 become U+FFFD, so the app behind the handler reads other bytes than the client sent
   * (an ALB refuses such a request with `LambdaBadRequest` instead).
   */
  invalidUtf8HeaderValue: true,
} as const;

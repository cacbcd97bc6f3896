import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from './http.js';

/**
 * The error page an ALB itself answers with (`server: awselb/2.0`, an HTML body), for the
 * statuses it generates in front of a Lambda target (contract 2.5).
 */
export function albErrorPage(status: number): HttpResponse {
  const phrase = STATUS_CODES[status];
  const title = phrase ? `${status} ${phrase}` : String(status);
  const body = Buffer.from(
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`,
    'latin1',
  );
  return {
    status,
    reason: phrase,
    headers: ['server', 'awselb/2.0', 'content-type', 'text/html', 'content-length', String(body.length)],
    body,
  };
}

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { ALBEvent } from 'aws-lambda';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';

/** A header line as a client writes it: original case, value as UTF-8 bytes. */
export type Line = readonly [name: string, value: string];

export interface Seen {
  /** The status Node's server answered; 200 when the request reached the listener. */
  status: number;
  headers: IncomingHttpHeaders;
  /** `req.rawHeaders` with the names in lower case, as an ALB sends them. */
  rawHeaders: string[];
  body: Buffer;
}

/**
 * A real `http.createServer` on 127.0.0.1 that records what it parsed from raw header lines
 * written over a TCP socket, so repeated lines really are repeated on the wire.
 */
export class NodeServer {
  private last: Omit<Seen, 'status'> | undefined;
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.last = {
          headers: req.headers,
          rawHeaders: req.rawHeaders.map((item, i) => (i % 2 === 0 ? item.toLowerCase() : item)),
          body: Buffer.concat(chunks),
        };
        res.end();
      });
    });
  }

  static async start(): Promise<NodeServer> {
    const node = new NodeServer();
    await new Promise<void>((resolve) => node.server.listen(0, '127.0.0.1', resolve));
    return node;
  }

  send(method: string, path: string, lines: readonly Line[], body = Buffer.alloc(0)): Promise<Seen> {
    const { port } = this.server.address() as AddressInfo;
    const head = `${method} ${path} HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
    this.last = undefined;
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(Buffer.concat([Buffer.from(head, 'utf8'), body])),
      );
      let text = '';
      socket.on('data', (data: Buffer) => {
        text += data.toString('latin1');
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
        if (status === null || !text.includes('\r\n\r\n')) return;
        socket.destroy();
        const seen = this.last ?? { headers: {}, rawHeaders: [], body: Buffer.alloc(0) };
        resolve({ status: Number(status[1]), ...seen });
      });
      socket.on('error', reject);
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The multi-value ALB event for these header lines: lower-case names, every value in order. */
export function multiValueEventFor(method: string, lines: readonly Line[], body = ''): ALBEvent {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    headers[key] = [...(headers[key] ?? []), value];
  }
  return { ...albEventMulti, httpMethod: method, path: '/', multiValueHeaders: headers, body };
}

/** The single-value ALB event for these header lines: the ALB keeps the last value of a repeated name. */
export function singleValueEventFor(method: string, lines: readonly Line[], body = ''): ALBEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of lines) headers[name.toLowerCase()] = value;
  return { ...albEvent, httpMethod: method, path: '/', queryStringParameters: {}, headers, body };
}

/** The lines an ALB in single-value mode forwards: one per name, the last value. */
export function lastOfEach(lines: readonly Line[]): Line[] {
  const last = new Map<string, Line>();
  for (const line of lines) last.set(line[0].toLowerCase(), line);
  return [...last.values()];
}

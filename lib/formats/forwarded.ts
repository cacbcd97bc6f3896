import { lastHeader } from '../http.js';

export interface Peer {
  address: string | undefined;
  port: number | undefined;
}

const NO_PEER: Peer = { address: undefined, port: undefined };

/**
 * The peer as the load balancer saw it: the last entry of the last `x-forwarded-for` line.
 * Earlier entries are client-supplied and can be spoofed (contract 6.16). Accepts `ip`,
 * `ip:port` and `[ipv6]:port` (the `routing.http.xff_client_port.enabled` form).
 */
export function peerFromForwardedFor(headers: readonly string[]): Peer {
  const value = lastHeader(headers, 'x-forwarded-for');
  if (value === undefined) return NO_PEER;
  const comma = value.lastIndexOf(',');
  const entry = (comma === -1 ? value : value.slice(comma + 1)).trim();
  if (entry === '') return NO_PEER;
  if (entry.charCodeAt(0) === 91 /* [ */) {
    const close = entry.indexOf(']');
    if (close === -1) return { address: entry, port: undefined };
    return { address: entry.slice(1, close), port: portOf(entry.slice(close + 2)) };
  }
  const colon = entry.indexOf(':');
  if (colon !== -1 && colon === entry.lastIndexOf(':')) {
    return { address: entry.slice(0, colon), port: portOf(entry.slice(colon + 1)) };
  }
  return { address: entry, port: undefined };
}

function portOf(text: string): number | undefined {
  const port = Number(text);
  return text !== '' && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}

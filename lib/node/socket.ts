import { EventEmitter } from 'node:events';

/**
 * The connection an in-memory request arrived on. It carries the peer as the load balancer saw
 * it and supports what frameworks call on a socket (`on`, `setTimeout`, `destroy`, …); nothing
 * written to it goes anywhere.
 */
export class BridgeSocket extends EventEmitter {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: 'IPv4' | 'IPv6' | undefined;
  readonly localPort: number | undefined;
  readonly localAddress: string | undefined = undefined;
  /** Present (and `true`) only when the client connected over HTTPS, as on a `tls.TLSSocket`. */
  readonly encrypted: true | undefined;
  readable = true;
  writable = true;
  destroyed = false;
  readonly connecting = false;
  readonly bytesRead = 0;
  readonly bytesWritten = 0;
  /** Nothing is ever queued on it, so a finished response counts as flushed (`writableFinished`). */
  readonly writableLength = 0;
  timeout: number | undefined;

  constructor(
    remoteAddress: string | undefined,
    remotePort: number | undefined,
    encrypted: boolean,
    localPort: number | undefined,
  ) {
    super();
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.remoteFamily =
      remoteAddress === undefined ? undefined : remoteAddress.includes(':') ? 'IPv6' : 'IPv4';
    this.encrypted = encrypted ? true : undefined;
    this.localPort = localPort;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    return this.localPort === undefined ? {} : { address: '', family: 'IPv4', port: this.localPort };
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    if (callback) this.once('timeout', callback);
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  setEncoding(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  pause(): this {
    return this;
  }

  resume(): this {
    return this;
  }

  cork(): void {}

  uncork(): void {}

  write(_chunk?: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
    const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    return !this.destroyed;
  }

  end(): this {
    this.destroy();
    return this;
  }

  destroySoon(): void {
    this.destroy();
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.readable = false;
    this.writable = false;
    process.nextTick(() => {
      if (error && this.listenerCount('error') > 0) this.emit('error', error);
      this.emit('close', error !== undefined);
    });
    return this;
  }
}

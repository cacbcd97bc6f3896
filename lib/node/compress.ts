import type { Transform } from 'node:stream';
import { type Coding, createCompressor } from '../size.js';

/**
 * Compresses a response body as the app writes it and keeps at most `maxBytes` of the output:
 * once the compressed body passes that, nothing more is kept or compressed and `onTooLarge` is
 * called. A body too large to send is thus never held whole, compressed or not.
 */
export class BodyCompressor {
  readonly coding: Coding;
  private readonly stream: Transform;
  private chunks: Buffer[] = [];
  private size = 0;
  private stopped = false;

  constructor(coding: Coding, maxBytes: number, onTooLarge: () => void, onDrain: () => void) {
    this.coding = coding;
    this.stream = createCompressor(coding);
    this.stream.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      this.size += chunk.length;
      if (this.size <= maxBytes) {
        this.chunks.push(chunk);
        return;
      }
      this.stop();
      onTooLarge();
    });
    this.stream.on('drain', onDrain);
    // Compression of bytes in memory does not fail; a stream destroyed on purpose may report it.
    this.stream.on('error', () => this.stop());
  }

  /** Compresses `chunk`; false when the caller should wait for `onDrain` before writing more. */
  write(chunk: Buffer): boolean {
    if (this.stopped) return true;
    return this.stream.write(chunk);
  }

  /** Finishes the body; `done` gets it unless the compressor was stopped first. */
  end(done: (body: Buffer) => void): void {
    if (this.stopped) return;
    this.stream.once('end', () => {
      if (!this.stopped) done(Buffer.concat(this.chunks));
      this.chunks = [];
    });
    this.stream.end();
  }

  /** Drops everything: what was compressed and what is still to come. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.chunks = [];
    this.stream.destroy();
  }
}

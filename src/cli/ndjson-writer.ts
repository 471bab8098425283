/**
 * Buffered NDJSON output that respects back-pressure.
 */
import type { Writable } from "node:stream";

/** Writes one JSON object per line, in chunks. */
export class NdjsonWriter {
  private buf: string[] = [];
  private size = 0;

  constructor(private readonly out: Writable) {}

  write(obj: unknown): void {
    const line = `${JSON.stringify(obj)}\n`;
    this.buf.push(line);
    this.size += line.length;
    if (this.size > 1 << 16) this.flush();
  }

  private flush(): boolean {
    if (this.buf.length === 0) return true;
    const ok = this.out.write(this.buf.join(""));
    this.buf = [];
    this.size = 0;
    return ok;
  }

  /** Flushes and waits until the stream can take more. */
  async drain(): Promise<void> {
    if (!this.flush()) await new Promise<void>((r) => this.out.once("drain", () => r()));
  }

  /** Flushes everything and waits for it to be handed to the OS. */
  async end(): Promise<void> {
    this.flush();
    await new Promise<void>((r) => this.out.write("", () => r()));
  }
}

import { type FileHandle, open } from 'node:fs/promises';

/**
 * Random-access bytes: a file, a buffer, or a window onto another source.
 * Parsers ask for the ranges they need; nothing reads a whole file.
 */
export interface ByteSource {
  /** What the bytes are called in reports (a path, or `outer:member`). */
  readonly name: string;
  readonly size: number;
  /**
   * Reads up to `length` bytes at `offset` into `into` (at 0) and returns the
   * filled view; shorter than asked only at the end of the source.
   */
  read(offset: number, length: number, into?: Buffer): Promise<Buffer>;
  close(): Promise<void>;
  /** Reading far ahead costs producing every byte before it (a decompressing stream). */
  readonly sequential?: boolean;
}

function clampRange(size: number, offset: number, length: number): number {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`invalid read range ${offset}+${length}`);
  }
  return Math.max(0, Math.min(length, size - offset));
}

export class FileSource implements ByteSource {
  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string, name = path): Promise<FileSource> {
    const handle = await open(path, 'r');
    try {
      const st = await handle.stat();
      return new FileSource(name, st.size, handle);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const want = clampRange(this.size, offset, length);
    const buf = into && into.length >= want ? into : Buffer.allocUnsafe(want);
    let done = 0;
    // A read may return fewer bytes than asked (pipes, network filesystems).
    while (done < want) {
      const { bytesRead } = await this.handle.read(buf, done, want - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {
    this.size = bytes.length;
  }

  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const want = clampRange(this.size, offset, length);
    const view = this.bytes.subarray(offset, offset + want);
    if (into && into.length >= want) {
      into.set(view, 0);
      return into.subarray(0, want);
    }
    return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  }

  async close(): Promise<void> {}
}

/** A window [start, start+size) of another source; closing it leaves the parent open. */
export class SliceSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly parent: ByteSource,
    private readonly start: number,
    readonly size: number,
  ) {
    if (start < 0 || size < 0 || start + size > parent.size) {
      throw new RangeError(`slice ${start}+${size} outside ${parent.name} (${parent.size} bytes)`);
    }
    this.sequential = parent.sequential;
  }
  readonly sequential?: boolean;

  read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    const want = clampRange(this.size, offset, length);
    return this.parent.read(this.start + offset, want, into);
  }

  async close(): Promise<void> {}
}

/**
 * Builds zip archives byte by byte so tests can make every header anomaly a
 * real writer never would: names that differ between local and central
 * headers, wrong CRCs, odd flags, symlinks, bytes before or after.
 */
import zlib from 'node:zlib';

export interface ZipMember {
  name: string;
  data: Buffer | string;
  /** 0 stored (default), 8 deflated, anything else written as is with the raw data. */
  method?: number;
  /** The local header's name, when it should differ from the central one. */
  localName?: string;
  flags?: number;
  crc?: number;
  /** Declared uncompressed size, when it should lie. */
  size?: number;
  symlink?: boolean;
}

export interface ZipOptions {
  prefix?: Buffer;
  trailing?: Buffer;
}

export function buildZip(members: ZipMember[], opts: ZipOptions = {}): Buffer {
  const prefix = opts.prefix ?? Buffer.alloc(0);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = prefix.length;
  for (const m of members) {
    const data = Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data);
    const method = m.method ?? 0;
    const stored = method === 8 ? zlib.deflateRawSync(data) : data;
    const crc = m.crc ?? zlib.crc32(data);
    const size = m.size ?? data.length;
    const name = Buffer.from(m.name);
    const localName = Buffer.from(m.localName ?? m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(m.flags ?? 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(localName.length, 26);
    locals.push(local, localName, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(m.symlink ? (3 << 8) | 20 : 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(m.flags ?? 0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    if (m.symlink) central.writeUInt32LE((0o120777 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + localName.length + stored.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([prefix, ...locals, cd, end, opts.trailing ?? Buffer.alloc(0)]);
}

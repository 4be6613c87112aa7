import { dtypeBits, type TensorBytes, tensorBytes, type U64 } from './dtypes.js';
import { JsonReader, parseU64 } from './json.js';

/**
 * Where one tensor's bytes are, as declared (undefined when the header gets
 * them wrong). Its dtype and shape are checked against the span as soon as
 * the entry is read, so a header of a million tensors keeps only this.
 */
export interface TensorEntry {
  name: string;
  /** Byte offset of the tensor's name in the file. */
  offset: number;
  begin?: U64;
  end?: U64;
}

/** Something wrong with the header, and where. */
export interface Problem {
  message: string;
  offset: number;
  details?: Record<string, unknown>;
}

export interface MetadataEntry {
  key: string;
  value: string;
  offset: number;
}

export interface ParsedHeader {
  tensors: TensorEntry[];
  /** What makes the loader refuse the file. */
  list: ProblemList;
  /** String entries of `__metadata__`, judged separately. */
  metadata: MetadataEntry[];
  /** Quirks of `__metadata__` that loaders accept (repeated keys). */
  metadataOddities: Problem[];
}

/** Keeps the first problems and counts the rest, so a header of a million bad tensors stays cheap to report. */
export class ProblemList {
  readonly items: Problem[] = [];
  dropped = 0;
  constructor(readonly cap: number) {}
  add(message: string, offset: number, details?: Record<string, unknown>): void {
    if (this.items.length < this.cap) this.items.push({ message, offset, ...(details ? { details } : {}) });
    else this.dropped++;
  }
}

const MAX_PROBLEMS = 32;

/** Shows an input-controlled string in a message: JSON-quoted, at most ~200 characters. */
export function quote(s: string, max = 200): string {
  const q = JSON.stringify(s.length > max ? s.slice(0, max) : s);
  return s.length > max ? `${q}… (${s.length} characters)` : q;
}

function showShape(shape: readonly U64[]): string {
  const shown = shape.slice(0, 16).map(String).join(', ');
  return `[${shown}${shape.length > 16 ? `, … ${shape.length} dims` : ''}]`;
}

/**
 * Parses the JSON header (the bytes after the 8-byte length, `base` being
 * their offset in the file) as the safetensors crate deserializes it. A
 * syntax error throws JsonSyntaxError; everything else the crate would
 * refuse becomes a problem, and parsing goes on so each is reported.
 */
export function parseHeader(buf: Buffer, base: number, tick: () => void): ParsedHeader {
  const r = new JsonReader(buf);
  const list = new ProblemList(MAX_PROBLEMS);
  const tensors: TensorEntry[] = [];
  const metadata: MetadataEntry[] = [];
  const metadataOddities: Problem[] = [];
  let sawMetadata = false;
  r.object(1, (key, keyPos, duplicate) => {
    const at = base + keyPos;
    if (key === '__metadata__') {
      if (sawMetadata) list.add('__metadata__ appears twice; parsers disagree on which copy counts', at);
      sawMetadata = true;
      readMetadata(r, base, at, metadata, metadataOddities, list);
      return;
    }
    if (tensors.length % 1024 === 0) tick();
    if (duplicate) {
      list.add(`tensor name ${quote(key)} appears more than once; parsers disagree on which entry counts`, at, { tensor: key });
    }
    tensors.push(readTensor(r, key, at, base, list));
  });
  r.end();
  return { tensors, list, metadata, metadataOddities };
}

/** The crate reads `__metadata__` as Option<HashMap<String, String>>: anything else fails the load; a repeated key does not (the last wins). */
function readMetadata(r: JsonReader, base: number, at: number, out: MetadataEntry[], odd: Problem[], list: ProblemList): void {
  const kind = r.kind();
  if (kind === 'null') return;
  if (kind !== 'object') {
    list.add(`__metadata__ is a JSON ${kind}, not a map of strings`, at);
    return;
  }
  r.object(2, (key, keyPos, duplicate) => {
    const kat = base + keyPos;
    if (duplicate)
      odd.push({ message: `__metadata__ key ${quote(key)} appears more than once; readers disagree on which value counts`, offset: kat });
    const k = r.kind();
    if (k === 'string') out.push({ key, value: r.string(), offset: kat });
    else list.add(`__metadata__ value of ${quote(key)} is a JSON ${k}, not a string`, kat, { metadataKey: key });
  });
}

function readTensor(r: JsonReader, name: string, at: number, base: number, list: ProblemList): TensorEntry {
  const t: TensorEntry = { name, offset: at };
  const kind = r.kind();
  if (kind !== 'object') {
    list.add(`tensor ${quote(name)} is a JSON ${kind}, not a tensor description`, at, { tensor: name });
    r.skip(2);
    return t;
  }
  const present = new Set<string>();
  let dtype: string | undefined;
  let shape: U64[] | undefined;
  r.object(2, (field, fieldPos, duplicate) => {
    const fat = base + fieldPos;
    if (field !== 'dtype' && field !== 'shape' && field !== 'data_offsets') return; // ignored by the crate too
    if (duplicate) list.add(`tensor ${quote(name)} declares ${field} twice; parsers disagree on which counts`, fat, { tensor: name });
    present.add(field);
    if (field === 'dtype') dtype = readDtype(r, name, fat, list);
    else if (field === 'shape') shape = readU64Array(r, 'shape', fat, list, name);
    else {
      const offsets = readU64Array(r, 'data_offsets', fat, list, name);
      if (offsets && offsets.length !== 2) {
        list.add(`tensor ${quote(name)} data_offsets has ${offsets.length} numbers, not [begin, end]`, fat, { tensor: name });
      } else if (offsets) [t.begin, t.end] = offsets;
    }
  });
  const missing = ['dtype', 'shape', 'data_offsets'].filter((f) => !present.has(f));
  if (missing.length > 0) list.add(`tensor ${quote(name)} has no ${missing.join(', ')}`, at, { tensor: name });
  if (dtype !== undefined && shape !== undefined && t.begin !== undefined && t.end !== undefined && t.end >= t.begin) {
    checkSize(t, dtype, shape, list);
  }
  return t;
}

/** The span must hold exactly dtype × shape, computed with the crate's checked arithmetic. */
function checkSize(t: TensorEntry, dtype: string, shape: U64[], list: ProblemList): void {
  const begin = t.begin!;
  const end = t.end!;
  const bits = dtypeBits(dtype)!;
  const size: TensorBytes = tensorBytes(bits, shape);
  if ('bytes' in size && sameSize(size.bytes, span(begin, end))) return;
  const what = `tensor ${quote(t.name)} (${dtype}, shape ${showShape(shape)})`;
  const details = { tensor: t.name, data_offsets: [String(begin), String(end)] };
  if ('error' in size) {
    list.add(
      size.error === 'overflow' ? `${what}: its byte size overflows 64 bits` : `${what}: ${bits}-bit elements do not fill whole bytes`,
      t.offset,
      details,
    );
  } else {
    list.add(`${what} needs ${size.bytes} bytes but data_offsets [${begin}, ${end}] span ${span(begin, end)}`, t.offset, {
      ...details,
      expected: String(size.bytes),
    });
  }
}

function readDtype(r: JsonReader, name: string, at: number, list: ProblemList): string | undefined {
  const kind = r.kind();
  if (kind !== 'string') {
    list.add(`tensor ${quote(name)} dtype is a JSON ${kind}, not a dtype name`, at, { tensor: name });
    return undefined;
  }
  const dtype = r.string();
  if (dtypeBits(dtype) === undefined) {
    list.add(`tensor ${quote(name)} has unknown dtype ${quote(dtype)}`, at, { tensor: name, dtype });
    return undefined;
  }
  return dtype;
}

function readU64Array(r: JsonReader, field: string, at: number, list: ProblemList, tensor: string): U64[] | undefined {
  const what = () => `tensor ${quote(tensor)} ${field}`;
  const kind = r.kind();
  if (kind !== 'array') {
    list.add(`${what()} is a JSON ${kind}, not a list of integers`, at, { tensor });
    return undefined;
  }
  const out: U64[] = [];
  let bad: string | undefined;
  r.array(3, () => {
    const k = r.kind();
    if (k !== 'number') {
      bad ??= `a JSON ${k}`;
      return;
    }
    const text = r.number();
    const v = parseU64(text);
    if (v === undefined) bad ??= text.length > 40 ? `${text.slice(0, 40)}…` : text;
    else out.push(v);
  });
  if (bad !== undefined) {
    list.add(`${what()} holds ${bad}, not an integer from 0 to 2^64-1`, at, { tensor });
    return undefined;
  }
  return out;
}

/** end - begin, exact whatever the representation (JS compares numbers and bigints exactly, but only subtracts like with like). */
function span(begin: U64, end: U64): U64 {
  return typeof begin === 'number' && typeof end === 'number' ? end - begin : BigInt(end) - BigInt(begin);
}

function sameSize(a: U64, b: U64): boolean {
  return typeof a === typeof b ? a === b : BigInt(a) === BigInt(b);
}

/**
 * The crate's layout rules: each tensor's byte span lies in the data
 * buffer, and the spans sorted by offset tile the buffer
 * exactly, with no overlap, hole or tail. `bufferLen` is what the file
 * holds after the header; returns how far from the buffer's start the
 * tensors cover it when the spans are sound enough to know.
 */
export function checkLayout(
  tensors: readonly TensorEntry[],
  bufferLen: number,
  list: ProblemList,
  tick: () => void,
): { covered: number } | undefined {
  let sound = true;
  const placed: TensorEntry[] = [];
  for (let i = 0; i < tensors.length; i++) {
    if (i % 4096 === 0) tick();
    const t = tensors[i];
    const { begin, end } = t;
    if (begin === undefined || end === undefined) {
      sound = false;
      continue;
    }
    const where = () => ({ tensor: t.name, data_offsets: [String(begin), String(end)] });
    if (end < begin) {
      list.add(`tensor ${quote(t.name)} data_offsets [${begin}, ${end}] end before they begin`, t.offset, where());
      sound = false;
      continue;
    }
    placed.push(t);
    if (end > bufferLen) {
      list.add(
        `tensor ${quote(t.name)} data_offsets [${begin}, ${end}] run ${span(bufferLen, end)} bytes past the end of the file (its data buffer holds ${bufferLen} bytes)`,
        t.offset,
        where(),
      );
    }
  }
  if (!sound) return undefined;
  placed.sort((a, b) => Number(a.begin) - Number(b.begin) || Number(a.end) - Number(b.end));
  let covered: U64 = 0;
  let last: TensorEntry | undefined;
  for (let i = 0; i < placed.length; i++) {
    if (i % 4096 === 0) tick();
    const t = placed[i];
    const begin = t.begin!;
    const end = t.end!;
    if (begin > covered) {
      list.add(
        `bytes [${covered}, ${begin}) of the data buffer belong to no tensor (a hole before ${quote(t.name)}, room for other content)`,
        t.offset,
        { tensor: t.name, hole: [String(covered), String(begin)] },
      );
    } else if (begin < covered && last) {
      list.add(
        `tensor ${quote(t.name)} data [${begin}, ${end}) overlaps tensor ${quote(last.name)} [${last.begin}, ${last.end}); tensors must not share bytes`,
        t.offset,
        { tensor: t.name, overlaps: last.name },
      );
    }
    if (end > covered) {
      covered = end;
      last = t;
    }
  }
  return { covered: covered <= bufferLen ? Number(covered) : bufferLen };
}

// GGUF benchmark input, and the GGUF writer the test fixtures are built with
// (scripts/make-gguf-fixtures.mjs). Written per the ggml GGUF spec
// (docs/gguf.md): header, typed key/value pairs, tensor infos, padding to
// general.alignment, tensor data. The benchmark file is a realistic ~2 GiB
// llama-style model: a 150 000-token vocabulary (token strings, scores, token
// types, merges), a tool-calling chat template, ~60 layers of Q4_K/Q6_K
// tensors whose data is a hole (sparse file), so it costs no disk or time.
//
//   import { generateGguf } from './gguf.mjs';
//   const { bytes } = generateGguf('/tmp/x.gguf', { bytes: 2 * 2 ** 30 });

import fs from 'node:fs';

export const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 };
const SCALAR = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
/** ggml type id → [elements per block, bytes per block] for the types used here. */
export const GGML = { F32: [0, 1, 4], F16: [1, 1, 2], Q4_0: [2, 32, 18], Q8_0: [8, 32, 34], Q4_K: [12, 256, 144], Q6_K: [14, 256, 210] };

function writeScalar(b, at, type, v, be) {
  switch (type) {
    case T.U8:
      return b.writeUInt8(v, at);
    case T.I8:
      return b.writeInt8(v, at);
    case T.U16:
      return be ? b.writeUInt16BE(v, at) : b.writeUInt16LE(v, at);
    case T.I16:
      return be ? b.writeInt16BE(v, at) : b.writeInt16LE(v, at);
    case T.U32:
      return be ? b.writeUInt32BE(v, at) : b.writeUInt32LE(v, at);
    case T.I32:
      return be ? b.writeInt32BE(v, at) : b.writeInt32LE(v, at);
    case T.F32:
      return be ? b.writeFloatBE(v, at) : b.writeFloatLE(v, at);
    case T.BOOL:
      return b.writeUInt8(v ? 1 : 0, at);
    case T.U64:
      return be ? b.writeBigUInt64BE(BigInt(v), at) : b.writeBigUInt64LE(BigInt(v), at);
    case T.I64:
      return be ? b.writeBigInt64BE(BigInt(v), at) : b.writeBigInt64LE(BigInt(v), at);
    case T.F64:
      return be ? b.writeDoubleBE(v, at) : b.writeDoubleLE(v, at);
    default:
      throw new Error(`no scalar type ${type}`);
  }
}

/** Little- or big-endian integer and float encoders sized by GGUF version (v1: 32-bit lengths). */
export class GgufEncoder {
  constructor({ version = 3, bigEndian = false } = {}) {
    this.version = version;
    this.be = bigEndian;
    this.parts = [];
    this.size = 0;
  }
  push(buf) {
    this.parts.push(buf);
    this.size += buf.length;
  }
  u32(v) {
    const b = Buffer.alloc(4);
    if (this.be) b.writeUInt32BE(v);
    else b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v) {
    const b = Buffer.alloc(8);
    if (this.be) b.writeBigUInt64BE(BigInt(v));
    else b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  /** A count or length: u32 in v1, u64 after. */
  len(v) {
    if (this.version === 1) this.u32(Number(v));
    else this.u64(v);
  }
  str(s) {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
    this.len(b.length);
    this.push(b);
  }
  scalar(type, v) {
    const b = Buffer.alloc(SCALAR[type]);
    writeScalar(b, 0, type, v, this.be);
    this.push(b);
  }
  /** A value: `[type, v]`, `[T.ARRAY, elemType, items]` (items may be nested `[T.ARRAY, …]` entries for arrays of arrays). */
  value(type, ...rest) {
    if (type === T.STRING) this.str(rest[0]);
    else if (type === T.ARRAY) {
      const [elem, items] = rest;
      this.u32(elem);
      this.len(items.length);
      if (elem === T.ARRAY) for (const it of items) this.value(T.ARRAY, ...it);
      else if (elem === T.STRING) for (const it of items) this.str(it);
      else {
        const b = Buffer.alloc(SCALAR[elem] * items.length);
        items.forEach((it, i) => {
          writeScalar(b, i * SCALAR[elem], elem, it, this.be);
        });
        this.push(b);
      }
    } else this.scalar(type, rest[0]);
  }
  bytes() {
    return Buffer.concat(this.parts);
  }
}

/**
 * A GGUF file's header (everything before the tensor data) and the tensor
 * data's size. `kvs`: [key, type, ...value]; `tensors`: {name, dims, type:
 * [id, block, size]} laid out in order, each padded to the alignment.
 */
export function ggufHeader({ version = 3, bigEndian = false, kvs = [], tensors = [], alignment = 32 }) {
  const e = new GgufEncoder({ version, bigEndian });
  e.push(Buffer.from('GGUF'));
  e.u32(version);
  e.len(tensors.length);
  e.len(kvs.length);
  for (const [key, type, ...v] of kvs) {
    e.str(key);
    e.u32(type);
    e.value(type, ...v);
  }
  let offset = 0;
  for (const t of tensors) {
    const [id, block, size] = t.type;
    const elements = t.dims.reduce((a, b) => a * b, 1);
    t.bytes = (elements / block) * size;
    t.offset ??= offset;
    e.str(t.name);
    e.u32(t.dims.length);
    for (const d of t.dims) e.len(d);
    e.u32(id);
    e.u64(t.offset);
    offset = Math.ceil((t.offset + t.bytes) / alignment) * alignment;
  }
  const header = e.bytes();
  const dataOffset = tensors.length ? Math.ceil(header.length / alignment) * alignment : header.length;
  const last = tensors.at(-1);
  return { header, dataOffset, dataBytes: last ? last.offset + last.bytes : 0 };
}

/** A benign tool-calling chat template shaped like the ones llama.cpp's converter copies from tokenizer_config.json. */
export const BENCH_TEMPLATE = `{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools><|im_end|>\\n" }}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and not(message.content.startswith('<tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content }}
        {%- for tool_call in message.tool_calls %}
            {{- '\\n<tool_call>\\n{"name": "' + tool_call.function.name + '", "arguments": ' + tool_call.function.arguments | tojson + '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {{- '<|im_start|>user\\n<tool_response>\\n' + message.content + '\\n</tool_response><|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}`;

/** Deterministic token strings of realistic lengths (BPE pieces of 1–12 characters). */
function vocabulary(n) {
  const letters = 'abcdefghijklmnopqrstuvwxyzĠĊ';
  const out = new Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const len = 1 + (seed % 12);
    let s = '';
    for (let k = 0; k < len; k++) s += letters[(seed >>> (k % 24)) % letters.length];
    out[i] = `${s}${i}`;
  }
  return out;
}

/** Writes a ~`bytes`-byte llama-style GGUF v3 (tensor data left as a hole); returns its exact size. */
export function generateGguf(file, { bytes = 2 * 2 ** 30 } = {}) {
  const nVocab = 150_000;
  const nEmbd = 2048;
  const nFf = 5632;
  const tokens = vocabulary(nVocab);
  const perLayer = (4 * nEmbd * nEmbd * 144) / 256 + (2 * nEmbd * nFf * 144) / 256 + (nFf * nEmbd * 210) / 256 + 2 * nEmbd * 4;
  const embeddings = 2 * ((nEmbd * nVocab * 144) / 256);
  const layers = Math.max(1, Math.floor((bytes - embeddings) / perLayer));
  const tensors = [{ name: 'token_embd.weight', dims: [nEmbd, nVocab], type: GGML.Q4_K }];
  for (let l = 0; l < layers; l++) {
    const b = `blk.${l}`;
    tensors.push(
      { name: `${b}.attn_norm.weight`, dims: [nEmbd], type: GGML.F32 },
      { name: `${b}.attn_q.weight`, dims: [nEmbd, nEmbd], type: GGML.Q4_K },
      { name: `${b}.attn_k.weight`, dims: [nEmbd, nEmbd], type: GGML.Q4_K },
      { name: `${b}.attn_v.weight`, dims: [nEmbd, nEmbd], type: GGML.Q4_K },
      { name: `${b}.attn_output.weight`, dims: [nEmbd, nEmbd], type: GGML.Q4_K },
      { name: `${b}.ffn_norm.weight`, dims: [nEmbd], type: GGML.F32 },
      { name: `${b}.ffn_gate.weight`, dims: [nEmbd, nFf], type: GGML.Q4_K },
      { name: `${b}.ffn_up.weight`, dims: [nEmbd, nFf], type: GGML.Q4_K },
      { name: `${b}.ffn_down.weight`, dims: [nFf, nEmbd], type: GGML.Q6_K },
    );
  }
  tensors.push(
    { name: 'output_norm.weight', dims: [nEmbd], type: GGML.F32 },
    { name: 'output.weight', dims: [nEmbd, nVocab], type: GGML.Q4_K },
  );
  const merges = tokens.slice(0, nVocab - 256).map((t, i) => `${t} ${tokens[(i * 7919) % nVocab]}`);
  const kvs = [
    ['general.architecture', T.STRING, 'llama'],
    ['general.name', T.STRING, 'bench-llama'],
    ['llama.context_length', T.U32, 32768],
    ['llama.embedding_length', T.U32, nEmbd],
    ['llama.block_count', T.U32, layers],
    ['llama.feed_forward_length', T.U32, nFf],
    ['llama.attention.head_count', T.U32, 16],
    ['llama.attention.layer_norm_rms_epsilon', T.F32, 1e-6],
    ['general.file_type', T.U32, 15],
    ['tokenizer.ggml.model', T.STRING, 'gpt2'],
    ['tokenizer.ggml.tokens', T.ARRAY, T.STRING, tokens],
    ['tokenizer.ggml.token_type', T.ARRAY, T.I32, tokens.map((_, i) => (i < 3 ? 3 : 1))],
    ['tokenizer.ggml.scores', T.ARRAY, T.F32, tokens.map((_, i) => -i)],
    ['tokenizer.ggml.merges', T.ARRAY, T.STRING, merges],
    ['tokenizer.ggml.bos_token_id', T.U32, 1],
    ['tokenizer.ggml.eos_token_id', T.U32, 2],
    ['tokenizer.chat_template', T.STRING, BENCH_TEMPLATE],
    ['general.quantization_version', T.U32, 2],
  ];
  const { header, dataOffset, dataBytes } = ggufHeader({ kvs, tensors });
  const size = dataOffset + dataBytes;
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, header, 0, header.length, 0);
    fs.ftruncateSync(fd, size);
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: size };
}

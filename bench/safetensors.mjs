// safetensors benchmark input: a valid checkpoint of 64 F32 tensors whose
// data is a hole (sparse file), so a 2 GiB file costs no disk and no time to
// write. The scan must read the header only.
//
//   import { generateSafetensors } from './safetensors.mjs';
//   const { bytes } = generateSafetensors('/tmp/x.safetensors', { bytes: 2 * 2 ** 30 });

import fs from 'node:fs';

const TENSORS = 64;
const ROW = 1024 * 4; // one row of 1024 F32 values

/** Writes a valid safetensors file of about `bytes` bytes (tensor data left as a hole); returns its exact size. */
export function generateSafetensors(file, { bytes = 2 * 2 ** 30 } = {}) {
  const rows = Math.max(1, Math.floor(bytes / TENSORS / ROW));
  const each = rows * ROW;
  const header = { __metadata__: { format: 'pt' } };
  for (let i = 0; i < TENSORS; i++) {
    header[`model.layers.${i}.mlp.weight`] = { dtype: 'F32', shape: [rows, 1024], data_offsets: [i * each, (i + 1) * each] };
  }
  let json = Buffer.from(JSON.stringify(header));
  // The crate pads the header with spaces to a multiple of 8 bytes.
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const size = 8 + json.length + TENSORS * each;
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, Buffer.concat([prefix, json]), 0, 8 + json.length, 0);
    fs.ftruncateSync(fd, size);
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: size };
}

// Keras .h5 benchmark input: a real Keras 2 HDF5 file (the h5py-written
// fixture, with model_config, training_config and model_weights) grown to
// `bytes` with a hole (sparse file). HDF5 ignores bytes past its stored end
// of file, so the result is still a valid file that h5py opens; the scan
// must read the superblock, the root object header and the config's
// global heap object only.
//
//   import { generateKeras } from './keras.mjs';
//   const { bytes } = generateKeras('/tmp/x.h5', { bytes: 4 * 2 ** 30 });

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'keras');

/** Writes the Keras file padded to `bytes` bytes (a hole after the real content); `malicious` picks the Lambda os.system model. */
export function generateKeras(file, { bytes = 4 * 2 ** 30, malicious = false } = {}) {
  const body = fs.readFileSync(path.join(FIXTURES, malicious ? 'lambda_os_system.h5' : 'benign_sequential.h5'));
  const size = Math.max(bytes, body.length);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, body, 0, body.length, 0);
    fs.ftruncateSync(fd, size);
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: size };
}

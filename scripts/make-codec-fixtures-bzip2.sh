#!/bin/sh
# Regenerates test/fixtures/codecs/*.bz2 for test/bzip2-codec.test.ts and prints
# the name, decompressed size and SHA-256 of each (pasted into the test).
# Deterministic: inputs come from SHA-256 counter streams or fixed text, and
# bzip2 1.0.8 / libbz2 (CLI, Python's bz2, joblib, pandas) are deterministic.
# Needs: bzip2, /usr/bin/python3 with joblib and pandas (Debian python3-joblib,
# python3-pandas) for the two loader fixtures.
set -eu
cd "$(dirname "$0")/.."
OUT=test/fixtures/codecs
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TMP" "$OUT" <<'EOF'
import bz2, hashlib, io, os, pickle, sys
tmp, out = sys.argv[1], sys.argv[2]

sys.path.insert(0, 'scripts')
from codec_fixture_util import prng, word_lines, write_zeros, writer
put = writer(tmp)

# Raw inputs, compressed below by the bzip2 CLI.
put('repetitive.bin', b'the quick brown fox jumps over the lazy dog\n' * 20000)
put('random.bin', prng('random', 16000))
# Runs of every length 1..300 cross every RLE1 case (4 equal bytes + a count byte, counts 0..255, longer runs split).
put('runs.bin', b''.join(bytes([n % 251 + 1]) * n for n in range(1, 301)))
# > 900 kB of rotated lines of pseudo-random words: several 100k blocks at -1, yet a small file.
put('multiblock.bin', word_lines(950_000))
# A bomb: 200 MB of zeros compresses to about 200 bytes.
write_zeros(os.path.join(tmp, 'bomb.bin'), 200)

# Written by Python's bz2 module (what pickle-based loaders use).
with open(os.path.join(out, 'bzip2-empty.bz2'), 'wb') as f:
    f.write(bz2.compress(b''))
with open(os.path.join(out, 'bzip2-tiny.bz2'), 'wb') as f:
    f.write(bz2.compress(b'hello, bzip2\n'))
obj = {'weights': [i * 0.25 for i in range(2000)], 'names': [f'layer{i}' for i in range(100)], 'bias': bytes(range(256))}
with bz2.BZ2File(os.path.join(out, 'bzip2-python-pickle.bz2'), 'wb') as f:
    pickle.dump(obj, f, protocol=4)

# A randomised block (bzip2 0.9.0 wrote them; libbzip2 still reads them), built from a normal one: the encoder
# XORs bit 0 of certain block bytes before sorting, so compressing the flipped text, setting the flag and giving
# the CRCs of the real text makes one. Text without runs of 4 keeps RLE1 out of the way.
import ctypes
rnums = list((ctypes.c_int32 * 512).in_dll(ctypes.CDLL('libbz2.so.1.0'), 'BZ2_rNums'))
text = bytes(0x61 + x % 26 for x in prng('randomised', 5000))
flipped, togo, tpos = bytearray(text), 0, 0
for i in range(len(flipped)):
    if togo == 0:
        togo, tpos = rnums[tpos], (tpos + 1) % 512
    togo -= 1
    if togo == 1:
        flipped[i] ^= 1
assert not any(len(set(t[i:i + 4])) == 1 for t in (text, bytes(flipped)) for i in range(len(t) - 3))
z = bytearray(bz2.compress(bytes(flipped), 9))
crc = 0xffffffff
for ch in text:
    crc ^= ch << 24
    for _ in range(8):
        crc = ((crc << 1) ^ 0x04c11db7 if crc & 0x80000000 else crc << 1) & 0xffffffff
crc ^= 0xffffffff
z[10:14] = crc.to_bytes(4, 'big')
z[14] |= 0x80
bits = int.from_bytes(z, 'big')
nbits = len(z) * 8
eos = next(s for s in range(nbits - 80, nbits - 88, -1) if (bits >> (nbits - s - 48)) & (2**48 - 1) == 0x177245385090)
bits = bits & ~((2**32 - 1) << (nbits - eos - 80)) | (crc << (nbits - eos - 80))
z = bits.to_bytes(len(z), 'big')
assert bz2.decompress(z) == text, 'libbz2 reads the randomised block back'
with open(os.path.join(out, 'bzip2-randomised.bz2'), 'wb') as f:
    f.write(z)

import joblib
import numpy as np
import pandas as pd
joblib.dump({'coef': np.arange(3000, dtype=np.float64) / 7.0, 'classes': ['a', 'b']}, os.path.join(out, 'bzip2-joblib.bz2'), compress=('bz2', 3))
pd.DataFrame({'x': np.arange(2000) % 97, 'y': np.arange(2000) / 3.0, 's': [f'r{i % 50}' for i in range(2000)]}).to_pickle(
    os.path.join(out, 'bzip2-pandas.bz2'), compression='bz2')
EOF

bzip2 -9 -c "$TMP/repetitive.bin" > "$OUT/bzip2-repetitive-9.bz2"
bzip2 -9 -c "$TMP/random.bin" > "$OUT/bzip2-random-9.bz2"
bzip2 -1 -c "$TMP/runs.bin" > "$OUT/bzip2-runs-1.bz2"
bzip2 -1 -c "$TMP/multiblock.bin" > "$OUT/bzip2-multiblock-1.bz2"
bzip2 -9 -c "$TMP/bomb.bin" > "$OUT/bzip2-bomb-9.bz2"
# Concatenated streams of different levels (and an empty one), as `cat a.bz2 b.bz2` makes them.
cat "$OUT/bzip2-tiny.bz2" "$OUT/bzip2-runs-1.bz2" "$OUT/bzip2-empty.bz2" "$OUT/bzip2-repetitive-9.bz2" > "$OUT/bzip2-concat.bz2"

for f in "$OUT"/bzip2-*.bz2; do
  size=$(bzip2 -dc "$f" | wc -c)
  sum=$(bzip2 -dc "$f" | sha256sum | cut -d' ' -f1)
  echo "$(basename "$f") $(wc -c < "$f") $size $sum"
done

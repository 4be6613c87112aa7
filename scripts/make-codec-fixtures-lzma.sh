#!/bin/sh
# Regenerates test/fixtures/codecs/*.lzma and *.xz for test/lzma-codec.test.ts
# and prints the name, compressed size, decompressed size and SHA-256 of each
# (pasted into the test).
# Deterministic: inputs come from SHA-256 counter streams or fixed text, and
# xz-utils / liblzma (the xz and lzma CLIs, Python's lzma, joblib) are
# deterministic for a given version and settings (single-threaded here).
# Needs: xz-utils (xz, lzma), /usr/bin/python3 with joblib and numpy (Debian
# python3-joblib, python3-numpy) for the two joblib fixtures.
set -eu
cd "$(dirname "$0")/.."
OUT=test/fixtures/codecs
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
rm -f "$OUT"/lzma-*.lzma "$OUT"/xz-*.xz

/usr/bin/python3 - "$TMP" "$OUT" <<'EOF'
import hashlib, lzma, os, pickle, sys
tmp, out = sys.argv[1], sys.argv[2]

sys.path.insert(0, 'scripts')
from codec_fixture_util import prng, word_lines, write_zeros, writer
put = writer(tmp)
save = writer(out)

put('empty.bin', b'')
put('tiny.bin', b'hello, lzma\n')
put('repetitive.bin', b'the quick brown fox jumps over the lazy dog\n' * 20000)
# Incompressible: LZMA2 stores it in uncompressed chunks.
put('random.bin', prng('random', 16000))
# Rotated lines of pseudo-random words: compressible, yet long matches are rare, so many blocks stay small.
put('words.bin', word_lines(600_000))
# A bomb: 100 MB of zeros compresses to about 15 kB (LZMA's longest match is 273 bytes).
write_zeros(os.path.join(tmp, 'bomb.bin'), 100, 1_000_000)

# Written by Python's lzma module, as pickle-based loaders do: FORMAT_ALONE (unknown size, end marker)
# and FORMAT_XZ with its default check (CRC64).
obj = {'weights': [i * 0.25 for i in range(2000)], 'names': [f'layer{i}' for i in range(100)], 'bias': bytes(range(256))}
pick = pickle.dumps(obj, protocol=4)
save('lzma-python-pickle.lzma', lzma.compress(pick, format=lzma.FORMAT_ALONE))
save('xz-python-pickle.xz', lzma.compress(pick, format=lzma.FORMAT_XZ))
save('lzma-python-empty.lzma', lzma.compress(b'', format=lzma.FORMAT_ALONE))
save('xz-python-empty.xz', lzma.compress(b'', format=lzma.FORMAT_XZ))

# A .lzma header may give the size and still end with the marker (xz-utils accepts it): patch the size in.
text = b'known size, still ends with the end marker\n' * 50
z = bytearray(lzma.compress(text, format=lzma.FORMAT_ALONE))
z[5:13] = len(text).to_bytes(8, 'little')
save('lzma-known-size-marker.lzma', bytes(z))

# Known size and no end marker (what the LZMA SDK writes): liblzma cannot be told to omit the marker, so a
# minimal literal-only LZMA encoder (a valid if poor encoding) writes it. It also makes LZMA2 chunks below.
class LiteralEncoder:
    def __init__(self, lc, lp, pb):
        self.lc, self.lp, self.pb = lc, lp, pb
        self.reset_state()

    def reset_state(self):
        self.is_match = [1024] * (12 << 4)
        self.lit = [1024] * (0x300 << (self.lc + self.lp))

    def encode(self, data, pos, prev):
        """Range-codes data as literals (state stays 0) starting at stream position pos after byte prev."""
        low, rng, cache, cache_size, outb = 0, 0xFFFFFFFF, 0, 1, bytearray()
        def shift_low():
            nonlocal low, cache, cache_size
            if low < 0xFF000000 or low >= 1 << 32:
                carry = low >> 32
                temp = cache
                while True:
                    outb.append((temp + carry) & 0xFF)
                    temp = 0xFF
                    cache_size -= 1
                    if cache_size == 0:
                        break
                cache = (low >> 24) & 0xFF
            cache_size += 1
            low = (low & 0x00FFFFFF) << 8
        def bit(probs, i, b):
            nonlocal low, rng
            bound = (rng >> 11) * probs[i]
            if b == 0:
                rng = bound
                probs[i] += (2048 - probs[i]) >> 5
            else:
                low += bound
                rng -= bound
                probs[i] -= probs[i] >> 5
            while rng < 1 << 24:
                rng = (rng << 8) & 0xFFFFFFFF
                shift_low()
        for byte in data:
            bit(self.is_match, pos & ((1 << self.pb) - 1), 0)
            base = 0x300 * (((pos & ((1 << self.lp) - 1)) << self.lc) + (prev >> (8 - self.lc)))
            sym = 1
            for k in range(7, -1, -1):
                b = (byte >> k) & 1
                bit(self.lit, base + sym, b)
                sym = (sym << 1) | b
            prev = byte
            pos += 1
        for _ in range(5):
            shift_low()
        return bytes(outb)

    def props(self):
        return (self.pb * 5 + self.lp) * 9 + self.lc

text = b'known size, no end marker: literals only. ' * 40
enc = LiteralEncoder(1, 1, 1)
z = bytes([enc.props()]) + (1 << 16).to_bytes(4, 'little') + len(text).to_bytes(8, 'little') + enc.encode(text, 0, 0)
assert lzma.decompress(z, format=lzma.FORMAT_ALONE) == text, 'liblzma reads the literal-only stream'
save('lzma-known-size-no-marker.lzma', z)

# Every kind of LZMA2 chunk in one block, which xz itself rarely mixes in a small file: stored with dictionary
# reset (0x01), LZMA with state reset + properties (0xC0), LZMA continuing the state (0x80), stored without
# reset (0x02), LZMA with a state reset only (0xA0). Literals continue position and previous byte across chunks.
import zlib
def vli(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)
def pad4(b):
    return b + bytes(-len(b) % 4)
parts = [(0x01, b'stored, dictionary reset. ' * 3), (0xC0, b'lzma, new state and properties. ' * 4),
         (0x80, b'lzma, state continues. ' * 5), (0x02, b'stored again. ' * 2), (0xA0, b'lzma, state reset only. ' * 3)]
enc = LiteralEncoder(3, 0, 2)
lz2, plain = bytearray(), bytearray()
for control, data in parts:
    if control <= 2:
        lz2 += bytes([control]) + (len(data) - 1).to_bytes(2, 'big') + data
    else:
        if control >= 0xA0:
            enc.reset_state()
        rc = enc.encode(data, len(plain), plain[-1])
        lz2 += bytes([control | (len(data) - 1) >> 16]) + ((len(data) - 1) & 0xFFFF).to_bytes(2, 'big') + (len(rc) - 1).to_bytes(2, 'big')
        if control >= 0xC0:
            lz2.append(enc.props())
        lz2 += rc
    plain += data
lz2.append(0)
flags = bytes([0, 1])
stream = b'\xfd7zXZ\x00' + flags + zlib.crc32(flags).to_bytes(4, 'little')
bh = pad4(bytes([0, 0, 0x21, 1, 16]))
bh = bytes([len(bh) // 4]) + bh[1:]
bh += zlib.crc32(bh).to_bytes(4, 'little')
stream += bh + pad4(lz2) + zlib.crc32(plain).to_bytes(4, 'little')
index = pad4(b'\x00' + vli(1) + vli(len(bh) + len(lz2) + 4) + vli(len(plain)))
index += zlib.crc32(index).to_bytes(4, 'little')
back = (len(index) // 4 - 1).to_bytes(4, 'little')
stream += index + zlib.crc32(back + flags).to_bytes(4, 'little') + back + flags + b'YZ'
assert lzma.decompress(stream) == bytes(plain), 'liblzma reads the hand-made chunks'
save('xz-lzma2-chunk-kinds.xz', stream)

import joblib
import numpy as np
joblib.dump({'coef': np.arange(3000, dtype=np.float64) / 7.0, 'classes': ['a', 'b']}, os.path.join(out, 'lzma-joblib.lzma'), compress='lzma')
joblib.dump({'coef': np.arange(3000, dtype=np.float64) / 7.0, 'classes': ['a', 'b']}, os.path.join(out, 'xz-joblib.xz'), compress='xz')
EOF

xz() { command xz -T1 "$@"; }
lzma -c "$TMP/tiny.bin" > "$OUT/lzma-tiny.lzma"
lzma -c "$TMP/empty.bin" > "$OUT/lzma-empty.lzma"
lzma -9 -c "$TMP/repetitive.bin" > "$OUT/lzma-repetitive-9.lzma"
lzma -c "$TMP/random.bin" > "$OUT/lzma-random.lzma"
lzma -9 -c "$TMP/bomb.bin" > "$OUT/lzma-bomb-9.lzma"
xz --format=lzma --lzma1=preset=6,lc=0,lp=2,pb=0 -c "$TMP/words.bin" > "$OUT/lzma-words-lc0-lp2-pb0.lzma"
# A 4 KiB dictionary: the window wraps around some 150 times.
xz --format=lzma --lzma1=preset=6,dict=4KiB -c "$TMP/words.bin" > "$OUT/lzma-words-dict4k.lzma"
# Concatenated .lzma streams, as Python's lzma module reads them.
cat "$OUT/lzma-tiny.lzma" "$OUT/lzma-known-size-no-marker.lzma" "$OUT/lzma-empty.lzma" > "$OUT/lzma-concat.lzma"

xz -c "$TMP/tiny.bin" > "$OUT/xz-tiny.xz"
xz -c "$TMP/empty.bin" > "$OUT/xz-empty.xz"
xz -9e -c "$TMP/repetitive.bin" > "$OUT/xz-repetitive-9e.xz"
xz -c "$TMP/random.bin" > "$OUT/xz-random.xz"
xz --check=crc32 -c "$TMP/words.bin" > "$OUT/xz-words-crc32.xz"
xz --check=sha256 -c "$TMP/words.bin" > "$OUT/xz-words-sha256.xz"
xz --check=none -c "$TMP/tiny.bin" > "$OUT/xz-tiny-none.xz"
xz --block-size=64KiB -c "$TMP/words.bin" > "$OUT/xz-words-multiblock.xz"
xz --lzma2=preset=6,lc=1,lp=3,pb=4 -c "$TMP/words.bin" > "$OUT/xz-words-lc1-lp3-pb4.xz"
xz --lzma2=preset=6,dict=4KiB -c "$TMP/words.bin" > "$OUT/xz-words-dict4k.xz"
xz -9 -c "$TMP/bomb.bin" > "$OUT/xz-bomb-9.xz"
# A BCJ filter before LZMA2 (refused with a clear error).
xz --x86 --lzma2 -c "$TMP/tiny.bin" > "$OUT/xz-filter-x86.xz"
# Concatenated streams with stream padding between and after them, as `xz -d` accepts.
{ cat "$OUT/xz-tiny.xz"; printf '\000\000\000\000'; cat "$OUT/xz-empty.xz" "$OUT/xz-words-crc32.xz"; printf '\000\000\000\000\000\000\000\000'; } > "$OUT/xz-concat-padded.xz"

for f in "$OUT"/lzma-*.lzma "$OUT"/xz-*.xz; do
  case "$f" in
    *filter-x86*) continue ;;
    *.lzma) dec() { /usr/bin/python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' "$1"; } ;;
    *) dec() { command xz -dc "$1"; } ;;
  esac
  size=$(dec "$f" | wc -c)
  sum=$(dec "$f" | sha256sum | cut -d' ' -f1)
  echo "$(basename "$f") $(wc -c < "$f") $size $sum"
done

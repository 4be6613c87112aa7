#!/bin/sh
# Regenerates the LZ4 fixtures under test/fixtures/codecs/ (lz4 CLI 1.9.x,
# /usr/bin/python3 with python3-lz4 and python3-joblib from Debian) and prints
# the expected decoded size and SHA-256 of each, as pasted into
# test/lz4-codec.test.ts. Inputs are deterministic, so reruns give the same files.
set -eu
cd "$(dirname "$0")/.."
out=test/fixtures/codecs
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tmp" <<'EOF'
import random, sys
d = sys.argv[1]
r = random.Random(20240601)
words = [''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(2, 9))) for _ in range(40)]
lines, n = [], 0
while sum(map(len, lines)) < 40000:
    lines.append(f'{n:06d} ' + ' '.join(r.choice(words) for _ in range(r.randint(3, 12))) + '\n')
    n += 1
text = ''.join(lines).encode()[:40000]
unit = text[:3000]
open(f'{d}/text.bin', 'wb').write(text)
# A 3000-byte unit repeated with a counter: matches cross every block boundary.
open(f'{d}/periodic.bin', 'wb').write(b''.join(unit + b'%08d' % i for i in range(100)))
open(f'{d}/big.bin', 'wb').write(b''.join(unit + b'%08d' % i for i in range(700)))
open(f'{d}/random.bin', 'wb').write(bytes(r.getrandbits(8) for _ in range(12000)))
open(f'{d}/tiny.bin', 'wb').write(b'hello, lz4\n')
open(f'{d}/empty.bin', 'wb').write(b'')
open(f'{d}/zeros.bin', 'wb').write(bytes(4 << 20))
EOF

z() { # z NAME INPUT OPTIONS...
  name=$1 src=$2
  shift 2
  lz4 -q -f "$@" "$tmp/$src.bin" "$out/lz4-$name.lz4"
  cp "$tmp/$src.bin" "$tmp/$name.expected"
}
z empty empty
z tiny tiny
z text text -9 -B4 -BD --content-size
z periodic-B4-BD periodic -B4 -BD
z periodic-B4-BX periodic -B4 -BX
z periodic-B5-nocrc periodic -B5 --no-frame-crc
z big-B6-size big -B6 --content-size
z big-B7-BD big -B7 -BD
z random-BX random -B4 -BX
z zeros zeros -9 -B7

cat "$out/lz4-tiny.lz4" "$out/lz4-periodic-B5-nocrc.lz4" "$out/lz4-empty.lz4" > "$out/lz4-concat.lz4"
cat "$tmp/tiny.bin" "$tmp/periodic.bin" > "$tmp/concat.expected"

# Skippable frames (magic 0x184D2A5A with 5 bytes, 0x184D2A50 with none) around a frame.
printf '\132\052\115\030\005\000\000\000skip!' > "$out/lz4-skippable.lz4"
cat "$out/lz4-tiny.lz4" >> "$out/lz4-skippable.lz4"
printf '\120\052\115\030\000\000\000\000' >> "$out/lz4-skippable.lz4"
cp "$tmp/tiny.bin" "$tmp/skippable.expected"

lz4 -q -f -l "$tmp/tiny.bin" "$out/lz4-legacy.lz4"

# What joblib.dump(..., compress='lz4') writes (lz4.frame: linked 64 KiB blocks),
# and lz4.frame with every checksum, the content size and independent 256 KiB blocks.
/usr/bin/python3 - "$tmp" "$out" <<'EOF'
import sys, joblib, lz4.frame
tmp, out = sys.argv[1], sys.argv[2]
obj = {'name': 'fixture', 'values': list(range(2000)), 'text': 'modelscan ' * 300}
joblib.dump(obj, f'{out}/lz4-joblib.pkl.lz4', compress='lz4')
open(f'{tmp}/joblib.pkl.expected', 'wb').write(lz4.frame.decompress(open(f'{out}/lz4-joblib.pkl.lz4', 'rb').read()))
data = open(f'{tmp}/big.bin', 'rb').read()[:600000]
framed = lz4.frame.compress(data, block_size=lz4.frame.BLOCKSIZE_MAX256KB, block_linked=False,
                            content_checksum=True, block_checksum=True, store_size=True)
open(f'{out}/lz4-pylz4-checksums.lz4', 'wb').write(framed)
open(f'{tmp}/pylz4-checksums.expected', 'wb').write(data)
EOF

for f in "$tmp"/*.expected; do
  name=$(basename "$f" .expected)
  printf "  '%s': [%s, '%s'],\n" "$name" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
done

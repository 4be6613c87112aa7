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

/usr/bin/python3 scripts/codec-sample-inputs.py "$tmp" 'hello, lz4' $((4 << 20))

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

#!/bin/sh
# Regenerates the Zstandard fixtures under test/fixtures/codecs/ (zstd CLI
# 1.5.x, /usr/bin/python3 for the inputs) and prints the expected decoded
# size and SHA-256 of each, as pasted into test/zstd-codec.test.ts. Inputs are
# deterministic and zstd output is too (-T1), so reruns give the same files.
set -eu
cd "$(dirname "$0")/.."
out=test/fixtures/codecs
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 scripts/codec-sample-inputs.py "$tmp" 'hello, zstd' 209715200

z() { # z NAME INPUT OPTIONS...
  name=$1 src=$2
  shift 2
  zstd -q -f -T1 "$@" "$tmp/$src.bin" -o "$out/zstd-$name.zst"
  cp "$tmp/$src.bin" "$tmp/$name.expected"
}
z empty empty
z tiny tiny
z text-19 text -19
z text-1-nocheck text -1 --no-check
z periodic-1 periodic -1
z big-19 big -19
z big-1-nocheck big -1 --no-check
z random random -3
z zeros-19 zeros -19

# From a pipe: no content size, so the declared window (128 MiB) is what must be allocated.
zstd -q -T1 -19 --long=27 < "$tmp/periodic.bin" > "$out/zstd-long-stdin.zst"
cp "$tmp/periodic.bin" "$tmp/long-stdin.expected"

cat "$out/zstd-tiny.zst" "$out/zstd-text-1-nocheck.zst" "$out/zstd-empty.zst" > "$out/zstd-concat.zst"
cat "$tmp/tiny.bin" "$tmp/text.bin" > "$tmp/concat.expected"

# Skippable frames (magic 0x184D2A5A with 5 bytes, 0x184D2A50 with none) around a frame.
printf '\132\052\115\030\005\000\000\000skip!' > "$out/zstd-skippable.zst"
cat "$out/zstd-tiny.zst" >> "$out/zstd-skippable.zst"
printf '\120\052\115\030\000\000\000\000' >> "$out/zstd-skippable.zst"
cp "$tmp/tiny.bin" "$tmp/skippable.expected"

for f in "$tmp"/*.expected; do
  name=$(basename "$f" .expected)
  printf "  'zstd-%s.zst': [%s, '%s'],\n" "$name" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
done

#!/bin/sh
# Regenerates test/fixtures/sevenzip/*.7z for test/sevenzip.test.ts.
# Needs: 7z (Debian p7zip-full, 7-Zip 26.x) and /usr/bin/python3 (standard library only).
# Payloads are harmless pickles (os.system('echo modelscan-fixture')); never extract them.
# Inputs are fixed and mtimes are not stored, so reruns with the same 7-Zip give the same bytes
# (except the encrypted ones: 7zAES draws a random salt/IV).
set -eu
cd "$(dirname "$0")/.."
OUT=test/fixtures/sevenzip
mkdir -p "$OUT"
rm -f "$OUT"/*.7z
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TMP" <<'EOF'
import os, pickle, struct, sys
tmp = sys.argv[1]

class Payload:
    def __reduce__(self):
        return (os.system, ('echo modelscan-fixture',))

def put(name, data):
    path = os.path.join(tmp, 'in', name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)

put('evil.pkl', pickle.dumps(Payload(), protocol=4))
put('benign.pkl', pickle.dumps({'weights': [1.0, 2.0, 3.0], 'name': 'ok'}, protocol=4))
put('notes.txt', b'plain text, not a model\n' * 4)
put('sub/model.pkl', pickle.dumps(list(range(50)), protocol=2))
# x86-like code: near calls (E8) and jumps (E9) to a few fixed targets, so the
# BCJ filter has work to do (relative offsets become absolute and repeat).
code = bytearray()
targets = [0x400, 0x1234, 0x2000, 0x3abc]
i = 0
while len(code) < 24000:
    code += b'\x55\x89\xe5'
    pos = len(code)
    t = targets[i % len(targets)]
    code += (b'\xe8' if i % 3 else b'\xe9') + struct.pack('<i', t - (pos + 5))
    code += bytes([0x83, 0xc4, i & 0xff, 0xff, 0x00, 0xe8])[: 1 + i % 6]
    i += 1
put('program.exe', bytes(code))
# Delta suits fixed-width samples.
put('samples.bin', b''.join(struct.pack('<I', 1000 + 7 * k) for k in range(2000)))
os.makedirs(os.path.join(tmp, 'in', 'emptydir'), exist_ok=True)
put('empty.pkl', b'')
EOF

IN="$TMP/in"
find "$IN" -exec touch -h -d @0 {} +
z() { # z NAME OPTIONS... -- FILES...
  name=$1
  shift
  opts=''
  while [ "$1" != -- ]; do
    opts="$opts $1"
    shift
  done
  shift
  # shellcheck disable=SC2086
  (cd "$IN" && 7z a -bd -bso0 -bsp0 -mtm=off -mtc=off -mta=off $opts "$OLDPWD/$OUT/$name" "$@")
}
z lzma.7z -m0=LZMA -- evil.pkl
z lzma2.7z -m0=LZMA2 -- benign.pkl
z solid.7z -m0=LZMA2 -ms=on -- benign.pkl sub/model.pkl evil.pkl notes.txt
z nonsolid.7z -m0=LZMA2 -ms=off -- benign.pkl evil.pkl notes.txt
z copy.7z -mx=0 -- evil.pkl benign.pkl
z plain-header.7z -m0=LZMA2 -mhc=off -- evil.pkl benign.pkl
z bcj.7z -m0=LZMA2 -mf=BCJ -ms=on -- program.exe evil.pkl
z lzma-bcj.7z -m0=LZMA -mf=BCJ -- program.exe
z delta.7z -m0=LZMA -mf=Delta:4 -- samples.bin evil.pkl
z bzip2.7z -m0=BZip2 -- evil.pkl benign.pkl
z deflate.7z -m0=Deflate -- evil.pkl benign.pkl
z ppmd.7z -m0=PPMd -- evil.pkl
z arm64.7z -m0=LZMA2 -mf=ARM64 -- evil.pkl
z bcj2.7z -m0=BCJ2 -m1=LZMA -m2=LZMA -m3=LZMA -mb0s0:1 -mb0s1:2 -mb0s2:3 -- program.exe
z encrypted.7z -m0=LZMA2 -mhe=off -pfixture -- evil.pkl benign.pkl
z encrypted-header.7z -m0=LZMA2 -mhe=on -pfixture -- evil.pkl
z empties.7z -m0=LZMA2 -- emptydir empty.pkl benign.pkl
(cd "$IN" && ln -s ../../etc/passwd link && touch -h -d @0 link)
z symlink.7z -m0=LZMA2 -snl -- link benign.pkl

# 512 MiB of zeros in about 500 bytes: a bzip2 bomb far past the ratio cap.
/usr/bin/python3 -c "
import sys
with open(sys.argv[1], 'wb') as f:
    for _ in range(512):
        f.write(bytes(1 << 20))
" "$IN/zeros.bin"
touch -d @0 "$IN/zeros.bin"
z bomb.7z -m0=BZip2 -mmt=2 -- zeros.bin

# 7-Zip refuses to store names that climb out of the folder, so these are patched
# in: same-length placeholders in an uncompressed header, then the next-header CRC
# is recomputed (the start header's CRC covers that field).
z traversal.7z -m0=LZMA2 -mhc=off -- evil.pkl benign.pkl
/usr/bin/python3 - "$OUT/traversal.7z" <<'EOF'
import struct, sys, zlib
path = sys.argv[1]
b = bytearray(open(path, 'rb').read())
def patch(old, new):
    o, n = old.encode('utf-16-le'), new.encode('utf-16-le')
    assert len(o) == len(n)
    at = b.index(o, 32)
    b[at:at + len(o)] = n
patch('evil.pkl', '../e.pkl')
patch('benign.pkl', '/etc/b.pkl')
off, size = struct.unpack_from('<QQ', b, 12)
start = 32 + off
struct.pack_into('<I', b, 28, zlib.crc32(b[start:start + size]))
struct.pack_into('<I', b, 8, zlib.crc32(b[12:32]))
open(path, 'wb').write(b)
EOF

ls -l "$OUT"

#!/usr/bin/python3
"""Writes the deterministic sample inputs the codec fixture scripts compress.

usage: codec-sample-inputs.py DIR TINY_TEXT ZEROS_BYTES
DIR gets text.bin, periodic.bin, big.bin, random.bin, tiny.bin, empty.bin and zeros.bin.
"""
import random
import sys

d, tiny, zeros = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
open(f'{d}/tiny.bin', 'wb').write(tiny.encode() + b'\n')
open(f'{d}/empty.bin', 'wb').write(b'')
with open(f'{d}/zeros.bin', 'wb') as f:
    for _ in range(zeros >> 20):
        f.write(bytes(1 << 20))
    f.write(bytes(zeros & ((1 << 20) - 1)))

"""Helpers shared by the codec fixture scripts (scripts/make-codec-fixtures-*.sh)."""
import hashlib
import os


def prng(seed, n):
    """n deterministic pseudo-random bytes (SHA-256 in counter mode): the same on every machine."""
    buf = bytearray()
    i = 0
    while len(buf) < n:
        buf += hashlib.sha256(f'{seed}:{i}'.encode()).digest()
        i += 1
    return bytes(buf[:n])


def writer(folder):
    """A function writing name -> bytes into folder."""
    def write(name, data):
        with open(os.path.join(folder, name), 'wb') as f:
            f.write(data)
    return write


def word_lines(min_size):
    """Rotated lines of pseudo-random words, at least min_size bytes: compressible, yet long matches are rare."""
    r = prng('words', 2000)
    vocab = [''.join('abcdefghijklmnopqrstuvwxyz'[x % 26] for x in r[i * 8:i * 8 + 3 + r[i * 8 + 7] % 6]) for i in range(64)]
    para = [vocab[x % 64] for x in r[1000:1150]]
    lines, size, i = [], 0, 0
    while size < min_size:
        k = (i * 11) % len(para)
        line = ' '.join(para[k:] + para[:k]) + f' {i}\n'
        lines.append(line)
        size += len(line)
        i += 1
    return ''.join(lines).encode()


def write_zeros(path, chunks, chunk_size=1 << 20):
    """A file of chunks * chunk_size zero bytes, written without holding it."""
    zero = bytes(chunk_size)
    with open(path, 'wb') as f:
        for _ in range(chunks):
            f.write(zero)

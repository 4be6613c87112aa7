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

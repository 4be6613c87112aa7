#!/usr/bin/python3
"""Regenerate the container fixtures under test/fixtures/containers/.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 scripts/make-container-fixtures.py

Needs python3-torch python3-numpy python3-pandas python3-joblib python3-sklearn
python3-lz4 (Debian packages); python3-zstandard is optional (without it the .zst
fixture is skipped).

What it writes:
  real/       benign files made by the real libraries: .npy/.npz (numpy), compressed
              joblib dumps, compressed pandas pickles, tar archives, and a torch 0.1-style
              tar checkpoint (built with tarfile in torch's old layout, see below).
  malicious/  the same containers carrying a pickle that calls os.system, plus tar-level
              tricks (path traversal, symlink) and one malformed (truncated) .npy.
  MANIFEST.md the table file | how it was made | expected verdict.

Safety: every payload is harmless (`echo modelscan-fixture`) and this script NEVER
unpickles or loads anything it writes (no np.load, joblib.load, pd.read_pickle,
torch.load, tar extraction). The malicious pickles are built by a class whose
__reduce__ returns the payload; pickling it only records the callable and its args.

Determinism: fixed seeds and data; tar members get mtime 0, uid/gid 0, empty
uname/gname and fixed modes; gzip streams get mtime 0; zip entries written through
ZipFile.writestr (pandas' .zip writer) get the fixed date 1980-01-01 00:00:00. Output
is byte-identical across runs on the same library versions.
"""

import bz2
import collections
import contextlib
import gzip
import io
import json
import lzma
import os
import pickle
import platform
import shutil
import sys
import tarfile
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONT_DIR = os.path.join(ROOT, "test", "fixtures", "containers")
REAL_DIR = os.path.join(CONT_DIR, "real")
MAL_DIR = os.path.join(CONT_DIR, "malicious")

PAYLOAD_CMD = "echo modelscan-fixture"
MAX_SIZE = 100 * 1024

# (relative path, how it was made, expected verdict)
MANIFEST = []
WRITTEN = []
SKIPPED = []  # (file, reason)


def rel(path):
    return os.path.relpath(path, ROOT)


def record(path, how, verdict):
    size = os.path.getsize(path)
    WRITTEN.append((rel(path), size))
    MANIFEST.append((rel(path), how, verdict))
    warn = "  (WARNING: larger than 100 KB)" if size > MAX_SIZE else ""
    print(f"wrote {rel(path)} ({size} bytes){warn}")


def write_bytes(path, data, how, verdict):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    record(path, how, verdict)


# --------------------------------------------------------------------------- imports

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
import torch  # noqa: E402
import joblib  # noqa: E402
import lz4  # noqa: E402

try:
    import zstandard  # noqa: E402
except ImportError:  # optional: only the .zst fixture needs it
    zstandard = None

VERSIONS = collections.OrderedDict(
    [
        ("python", platform.python_version()),
        ("numpy", np.__version__),
        ("joblib", joblib.__version__),
        ("scikit-learn", sklearn.__version__),
        ("pandas", pd.__version__),
        ("torch", torch.__version__),
        ("lz4", lz4.__version__),
        ("zstandard", zstandard.__version__ if zstandard else "not installed"),
    ]
)


# --------------------------------------------------------------------------- helpers


class Reduce:
    """Pickles as `callable(*args)`; nothing here is ever called by this script."""

    def __init__(self, func, args):
        self.func = func
        self.args = args

    def __reduce__(self):
        return (self.func, self.args)


def os_payload():
    return Reduce(os.system, (PAYLOAD_CMD,))


def payload_pickle(protocol=4):
    return pickle.dumps(os_payload(), protocol=protocol)


def object_array_with_payload():
    arr = np.empty(2, dtype=object)
    arr[0] = "ok"
    arr[1] = os_payload()
    return arr


def logreg():
    data = load_iris()
    return LogisticRegression(max_iter=200).fit(data.data, data.target)


def small_frame():
    return pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "c": ["x", "y", "z"]})


def gzip_bytes(data):
    # gzip.compress(mtime=0): no timestamp, no file name in the header.
    return gzip.compress(data, compresslevel=9, mtime=0)


class _FixedZipTime:
    """Stand-in for the `time` module inside zipfile: time() is fixed at
    1980-01-01 00:00:00 and localtime() is gmtime(), so ZipFile.writestr(str, ...)
    stamps entries with a fixed date whatever the clock and time zone."""

    FIXED = 315532800.0  # 1980-01-01T00:00:00Z, the earliest DOS date

    def time(self):
        return self.FIXED

    def localtime(self, secs=None):
        return time.gmtime(self.FIXED if secs is None else secs)

    def __getattr__(self, name):
        return getattr(time, name)


@contextlib.contextmanager
def fixed_zip_time():
    orig = zipfile.time
    zipfile.time = _FixedZipTime()
    try:
        yield
    finally:
        zipfile.time = orig


def tar_info(name, size=0, type_=tarfile.REGTYPE, mode=0o644, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.size = size if type_ == tarfile.REGTYPE else 0
    ti.type = type_
    ti.mode = mode
    ti.mtime = 0
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.linkname = linkname
    return ti


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """members: list of (name, data) for regular files, (name, None) for a directory,
    or (name, ("symlink", target)) for a symlink."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, data in members:
            if data is None:
                tar.addfile(tar_info(name, type_=tarfile.DIRTYPE, mode=0o755))
            elif isinstance(data, tuple) and data[0] == "symlink":
                tar.addfile(tar_info(name, type_=tarfile.SYMTYPE, mode=0o777, linkname=data[1]))
            else:
                tar.addfile(tar_info(name, len(data)), io.BytesIO(data))
    return buf.getvalue()


def npy_bytes(arr, **kwargs):
    buf = io.BytesIO()
    np.save(buf, arr, **kwargs)
    return buf.getvalue()


def linear_state_dict_zip_bytes():
    """torch.save of a Linear(4, 2) state_dict in the default zip format. Saved to a path
    in a temporary folder so the archive's root folder is `pytorch_model/` (torch names it
    after the file) and no checkout path leaks into the bytes."""
    torch.manual_seed(0)
    sd = torch.nn.Linear(4, 2).state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pytorch_model.bin")
        torch.save(sd, path)
        with open(path, "rb") as f:
            return f.read()


# torch 0.1-style tar checkpoint ---------------------------------------------------
#
# Before the stacked-pickle format (torch 0.1.x / early 0.2), torch.save wrote a tar
# (tarfile.PAX_FORMAT) via `_add_to_tar`, one temporary file per member, in this order:
#   sys_info  pickle of {'protocol_version': 1000, 'little_endian': ..., 'type_sizes': {...}}
#   pickle    the object, pickled with persistent_id for storages
#   tensors   pickle(num_tensors), then per tensor: pickle((key, storage_id, type)) + metadata
#   storages  pickle(num_storages), then per storage: pickle((key, location, type)) + raw
#             bytes; then pickle(storage_views) (a list; added in the later tar writer)
# Pickle protocol 2 (torch's DEFAULT_PROTOCOL). torch.serialization._legacy_load's
# legacy_load() still reads this: it tries tarfile first, extracts 'storages' (reads the
# count, the entries, then the storage_views list), then 'tensors' (count + entries),
# then unpickles 'pickle'. It never reads 'sys_info' (only the old writers wrote it), but
# the member is kept for fidelity. With no storages, 'storages' must still end with an
# (empty) storage_views list or legacy_load hits EOF.

TORCH_TAR_PROTOCOL_VERSION = 1000  # what the tar-era writer put in sys_info
TORCH_PICKLE_PROTOCOL = 2


def torch_sys_info():
    return {
        "protocol_version": TORCH_TAR_PROTOCOL_VERSION,
        "little_endian": sys.byteorder == "little",
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }


def torch_tar_checkpoint(obj_pickle, storages):
    p = TORCH_PICKLE_PROTOCOL
    members = [
        ("sys_info", pickle.dumps(torch_sys_info(), protocol=p)),
        ("pickle", obj_pickle),
        ("tensors", pickle.dumps(0, protocol=p)),
        ("storages", storages),
    ]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            # _add_to_tar did tar.add(NamedTemporaryFile) -> a regular file, mode 0600.
            tar.addfile(tar_info(name, len(data), mode=0o600), io.BytesIO(data))
    return buf.getvalue()


# --------------------------------------------------------------------------- real / benign


def make_real_numpy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, version=(1, 0))
    assert buf.getvalue()[6:8] == b"\x01\x00"
    write_bytes(
        os.path.join(REAL_DIR, "plain_f32.npy"),
        buf.getvalue(),
        "np.lib.format.write_array(np.arange(6, dtype=float32).reshape(2, 3), version=(1, 0)) (same bytes as np.save)",
        "benign",
    )
    write_bytes(
        os.path.join(REAL_DIR, "fortran_f64.npy"),
        npy_bytes(np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3))),
        "np.save(np.asfortranarray(np.arange(6, dtype=float64).reshape(2, 3))): 'fortran_order': True",
        "benign",
    )
    structured = np.array(
        [(1, 0.5, b"ab", "x"), (2, -1.25, b"cde", "yz")],
        dtype=[("id", "<i4"), ("score", "<f8"), ("tag", "S4"), ("name", "<U3")],
    )
    write_bytes(
        os.path.join(REAL_DIR, "structured.npy"),
        npy_bytes(structured),
        "np.save of a structured array, dtype [('id','<i4'), ('score','<f8'), ('tag','S4'), ('name','<U3')] (no object fields)",
        "benign",
    )
    write_bytes(
        os.path.join(REAL_DIR, "unicode.npy"),
        npy_bytes(np.array(["hello", "w\u00f6rld", "a"], dtype="<U5")),
        "np.save(np.array(['hello', 'w\u00f6rld', 'a'], dtype='<U5'))",
        "benign",
    )
    write_bytes(
        os.path.join(REAL_DIR, "object_strings.npy"),
        npy_bytes(np.array(["a", "bc", "d\u00e9f"], dtype=object), allow_pickle=True),
        "np.save(np.array(['a', 'bc', 'd\u00e9f'], dtype=object), allow_pickle=True): data is a pickle (protocol 3) "
        "of the array (numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype)",
        "benign",
    )
    v3 = np.array([(20.5, 1), (-3.0, 2)], dtype=[("\u6e29\u5ea6", "<f4"), ("n", "<i2")])
    buf = io.BytesIO()
    np.lib.format.write_array(buf, v3, version=(3, 0))
    assert buf.getvalue()[6:8] == b"\x03\x00"
    write_bytes(
        os.path.join(REAL_DIR, "v3_header.npy"),
        buf.getvalue(),
        "np.lib.format.write_array(..., version=(3, 0)) of a structured array with a non-Latin-1 field name "
        "('\u6e29\u5ea6', '<f4'), ('n', '<i2'): format 3.0, 4-byte header length, UTF-8 header",
        "benign",
    )

    path = os.path.join(REAL_DIR, "savez.npz")
    np.savez(path, weights=np.arange(6, dtype=np.float32).reshape(2, 3), bias=np.array([0.5, -0.5]))
    record(path, "np.savez(weights=float32 2x3, bias=float64 [0.5, -0.5]): stored (uncompressed) zip of .npy members", "benign")
    path = os.path.join(REAL_DIR, "savez_compressed.npz")
    np.savez_compressed(path, weights=np.arange(6, dtype=np.float32).reshape(2, 3), bias=np.array([0.5, -0.5]))
    record(path, "np.savez_compressed(weights=float32 2x3, bias=float64 [0.5, -0.5]): deflated zip of .npy members", "benign")
    path = os.path.join(REAL_DIR, "savez_with_object.npz")
    np.savez(path, weights=np.arange(4, dtype=np.float64), labels=np.array(["cat", "dog", None], dtype=object))
    record(
        path,
        "np.savez(weights=float64 array, labels=np.array(['cat', 'dog', None], dtype=object)): labels.npy holds a pickle",
        "benign",
    )


JOBLIB_CODECS = ("zlib", "gzip", "bz2", "lzma", "xz", "lz4")


def make_real_joblib():
    model = logreg()
    for codec in JOBLIB_CODECS:
        path = os.path.join(REAL_DIR, f"logreg_{codec}.joblib")
        joblib.dump(model, path, compress=(codec, 3))
        record(
            path,
            f"joblib.dump(LogisticRegression(max_iter=200) fitted on iris, compress=('{codec}', 3))",
            "benign",
        )
    path = os.path.join(REAL_DIR, "arrays_gzip.joblib")
    joblib.dump(
        {
            "f64": np.arange(12, dtype=np.float64).reshape(3, 4),
            "i8": np.arange(5, dtype=np.int8),
            "u": np.array(["ab", "cde"]),
            "f32": np.zeros((2, 2), dtype=np.float32),
        },
        path,
        compress=("gzip", 3),
    )
    record(
        path,
        "joblib.dump({'f64': 3x4 float64, 'i8': int8[5], 'u': ['ab', 'cde'], 'f32': zeros 2x2}, compress=('gzip', 3))",
        "benign",
    )


def make_real_pandas():
    df = small_frame()
    desc = "pd.DataFrame({'a': [1,2,3], 'b': [0.5,1.5,2.5], 'c': ['x','y','z']}).to_pickle"
    path = os.path.join(REAL_DIR, "frame.pkl.gz")
    df.to_pickle(path, compression={"method": "gzip", "mtime": 0})
    record(path, f"{desc}(path, compression={{'method': 'gzip', 'mtime': 0}}) (gzip header names 'frame.pkl')", "benign")
    path = os.path.join(REAL_DIR, "frame.pkl.bz2")
    df.to_pickle(path)
    record(path, f"{desc}(path): compression inferred from .bz2", "benign")
    path = os.path.join(REAL_DIR, "frame.pkl.xz")
    df.to_pickle(path)
    record(path, f"{desc}(path): compression inferred from .xz (lzma, .xz container)", "benign")
    path = os.path.join(REAL_DIR, "frame.pkl.zip")
    with fixed_zip_time():
        df.to_pickle(path)
    record(
        path,
        f"{desc}(path): compression inferred from .zip (one member 'frame.pkl'; entry date pinned to 1980-01-01)",
        "benign",
    )
    if zstandard is None:
        SKIPPED.append(("real/frame.pkl.zst", "python3-zstandard not installed"))
        print("skipped real/frame.pkl.zst (python3-zstandard not installed)")
    else:
        path = os.path.join(REAL_DIR, "frame.pkl.zst")
        df.to_pickle(path)
        record(path, f"{desc}(path): compression inferred from .zst (zstandard)", "benign")


def state_dir_members():
    config = json.dumps({"in_features": 4, "out_features": 2, "model_type": "linear"}, indent=2, sort_keys=True) + "\n"
    readme = "# state_dict_dir\n\nA tiny torch Linear(4, 2) state_dict (torch.manual_seed(0)).\n"
    # Same order `tar -c` / tarfile.add use for a folder: the folder, then its sorted entries.
    return [
        ("state_dict_dir", None),
        ("state_dict_dir/README.md", readme.encode()),
        ("state_dict_dir/config.json", config.encode()),
        ("state_dict_dir/pytorch_model.bin", linear_state_dict_zip_bytes()),
    ]


def make_real_tar():
    members = state_dir_members()
    raw = tar_bytes(members)
    what = (
        "tarfile (PAX_FORMAT default) of folder state_dict_dir/ holding pytorch_model.bin "
        "(torch.save of Linear(4, 2).state_dict(), torch.manual_seed(0), zip format), config.json, README.md"
    )
    write_bytes(os.path.join(REAL_DIR, "state_dict_dir.tar"), raw, what, "benign")
    write_bytes(
        os.path.join(REAL_DIR, "state_dict_dir.tar.gz"),
        gzip_bytes(raw),
        "the same tar, gzip-compressed (gzip.compress, mtime=0)",
        "benign",
    )

    long_dir = "checkpoints/" + "/".join(["very_long_directory_name_%02d" % i for i in range(4)])
    long_name = long_dir + "/model.pkl"
    assert len(long_name) > 100
    benign = pickle.dumps({"weights": [0.25, 0.5], "epoch": 3, "name": "tiny"}, protocol=4)
    write_bytes(
        os.path.join(REAL_DIR, "gnu_longname.tar"),
        tar_bytes([(long_name, benign)], fmt=tarfile.GNU_FORMAT),
        f"tarfile GNU_FORMAT, one member with a {len(long_name)}-char path (././@LongLink 'L' entry) "
        "holding pickle.dumps({'weights': [0.25, 0.5], 'epoch': 3, 'name': 'tiny'}, protocol=4)",
        "benign",
    )

    storages = pickle.dumps(0, protocol=TORCH_PICKLE_PROTOCOL) + pickle.dumps([], protocol=TORCH_PICKLE_PROTOCOL)
    obj = pickle.dumps({"epoch": 7, "lr": 0.001, "best_loss": 0.125, "steps": [1, 2, 3]}, protocol=TORCH_PICKLE_PROTOCOL)
    write_bytes(
        os.path.join(REAL_DIR, "torch_tar_legacy.pt"),
        torch_tar_checkpoint(obj, storages),
        "torch 0.1-style tar checkpoint built with tarfile (PAX_FORMAT, members mode 0600) in torch's old `_save` order: "
        "sys_info = pickle({'protocol_version': 1000, 'little_endian': True, 'type_sizes': {short 2, int 4, long 4}}), "
        "pickle = pickle({'epoch': 7, 'lr': 0.001, 'best_loss': 0.125, 'steps': [1, 2, 3]}), tensors = pickle(0), "
        "storages = pickle(0) + pickle([]) (no storages, empty storage_views); all protocol 2. "
        "torch.load's legacy_load reads this layout",
        "benign",
    )


# --------------------------------------------------------------------------- malicious


PAYLOAD_DESC = f"(os.system, ('{PAYLOAD_CMD}',))"


def make_malicious():
    write_bytes(
        os.path.join(MAL_DIR, "object_array_os_system.npy"),
        npy_bytes(object_array_with_payload(), allow_pickle=True),
        f"np.save(allow_pickle=True) of an object array ['ok', Reduce{PAYLOAD_DESC}]: the .npy data is a pickle calling posix.system",
        "malicious",
    )
    path = os.path.join(MAL_DIR, "npz_object_member_payload.npz")
    np.savez(path, weights=np.arange(4, dtype=np.float32), objects=object_array_with_payload())
    record(
        path,
        f"np.savez(weights=float32 array, objects=object array ['ok', Reduce{PAYLOAD_DESC}]): objects.npy holds the payload pickle",
        "malicious",
    )
    path = os.path.join(MAL_DIR, "npz_compressed_payload.npz")
    np.savez_compressed(path, weights=np.arange(4, dtype=np.float32), objects=object_array_with_payload())
    record(path, "same members as npz_object_member_payload.npz, np.savez_compressed (deflated)", "malicious")

    model = logreg()
    for codec in JOBLIB_CODECS:
        path = os.path.join(MAL_DIR, f"payload_{codec}.joblib")
        joblib.dump({"model": model, "x": os_payload()}, path, compress=(codec, 3))
        record(
            path,
            f"joblib.dump({{'model': LogisticRegression on iris, 'x': Reduce{PAYLOAD_DESC}}}, compress=('{codec}', 3))",
            "malicious",
        )

    pkl = payload_pickle(4)
    write_bytes(
        os.path.join(MAL_DIR, "payload.pkl.gz"),
        gzip_bytes(pkl),
        f"gzip.compress(pickle.dumps(Reduce{PAYLOAD_DESC}, protocol=4), mtime=0) (pandas-style .pkl.gz)",
        "malicious",
    )
    write_bytes(
        os.path.join(MAL_DIR, "payload.pkl.bz2"),
        bz2.compress(pkl, 9),
        f"bz2.compress(pickle.dumps(Reduce{PAYLOAD_DESC}, protocol=4)) (pandas-style .pkl.bz2)",
        "malicious",
    )
    write_bytes(
        os.path.join(MAL_DIR, "payload.pkl.xz"),
        lzma.compress(pkl),
        f"lzma.compress(pickle.dumps(Reduce{PAYLOAD_DESC}, protocol=4)) (.xz container, pandas-style .pkl.xz)",
        "malicious",
    )

    lzma_zip = os.path.join(MAL_DIR, "payload_lzma_member.zip")
    with fixed_zip_time():
        with zipfile.ZipFile(lzma_zip, "w", compression=zipfile.ZIP_LZMA) as z:
            z.writestr("model.pkl", pkl)
    record(
        lzma_zip,
        f"zipfile.ZIP_LZMA (method 14, end marker) with one member model.pkl = pickle.dumps(Reduce{PAYLOAD_DESC}, protocol=4)",
        "malicious",
    )

    config = json.dumps({"model_type": "logreg", "version": 1}, sort_keys=True).encode() + b"\n"
    write_bytes(
        os.path.join(MAL_DIR, "payload_in_tar.tar.gz"),
        gzip_bytes(tar_bytes([("config.json", config), ("model", None), ("model/model.pkl", pkl)])),
        f"gzip(mtime=0) of a PAX tar: config.json (benign), model/ folder, model/model.pkl = pickle.dumps(Reduce{PAYLOAD_DESC}, protocol=4)",
        "malicious",
    )
    write_bytes(
        os.path.join(MAL_DIR, "traversal.tar"),
        tar_bytes([("../evil.pkl", pkl)]),
        f"PAX tar with one member named '../evil.pkl' (path traversal) = pickle.dumps(Reduce{PAYLOAD_DESC}, protocol=4)",
        "malicious (path traversal member, and its content is a payload pickle)",
    )
    write_bytes(
        os.path.join(MAL_DIR, "symlink.tar"),
        tar_bytes([("config.json", config), ("weights.bin", ("symlink", "/etc/passwd"))]),
        "PAX tar: config.json (benign) and a symlink member weights.bin -> /etc/passwd",
        "malicious (symlink member pointing outside the archive; no pickle payload)",
    )

    storages = payload_pickle(2) + pickle.dumps([], protocol=TORCH_PICKLE_PROTOCOL)
    obj = pickle.dumps({"epoch": 7, "lr": 0.001}, protocol=TORCH_PICKLE_PROTOCOL)
    write_bytes(
        os.path.join(MAL_DIR, "torch_tar_storages_payload.pt"),
        torch_tar_checkpoint(obj, storages),
        "torch 0.1-style tar checkpoint (same layout as real/torch_tar_legacy.pt) whose 'storages' member is "
        f"pickle.dumps(Reduce{PAYLOAD_DESC}, protocol=2) + pickle([]): legacy_load unpickles it as the storage count; "
        "'pickle' is a benign dict",
        "malicious",
    )

    full = npy_bytes(np.arange(16, dtype=np.float64).reshape(4, 4))
    write_bytes(
        os.path.join(MAL_DIR, "truncated.npy"),
        full[:-8],
        "np.save(np.arange(16, dtype=float64).reshape(4, 4)) with the last 8 bytes cut (header promises 128 data bytes, 120 present)",
        "malformed",
    )


# --------------------------------------------------------------------------- manifest


# Files whose bytes differ between two consecutive runs (checked by running the script
# twice and comparing sha256 of every output). None on the versions listed in MANIFEST.md.
NOT_BYTE_STABLE = []


def write_manifest():
    path = os.path.join(CONT_DIR, "MANIFEST.md")
    lines = [
        "# Container fixtures",
        "",
        "Generated by `/usr/bin/python3 scripts/make-container-fixtures.py` (run from the repository root); do not edit by hand.",
        f"Malicious payloads are harmless (`{PAYLOAD_CMD}`), but never load or extract these files.",
        "",
        "Library versions used: " + ", ".join(f"{k} {v}" for k, v in VERSIONS.items()) + ".",
        "",
        "Determinism: tar members have mtime 0, uid/gid 0, empty uname/gname; gzip streams have mtime 0; "
        "the pandas .zip entry date is pinned to 1980-01-01 (np.savez entries already use that date). ",
    ]
    if NOT_BYTE_STABLE:
        lines[-1] += "Files whose bytes differ between runs: " + ", ".join(f"`{p}`" for p in NOT_BYTE_STABLE) + "."
    else:
        lines[-1] += (
            "Two consecutive runs produce byte-identical files (checked with sha256); bytes may change with other "
            "library versions (compressor output, sklearn/pandas pickles, torch's zip writer)."
        )
    lines += [
        "",
        "`torch_tar_legacy.pt` / `torch_tar_storages_payload.pt` follow the tar layout of torch 0.1.x `torch.save` "
        "(members `sys_info`, `pickle`, `tensors`, `storages`; sys_info protocol_version 1000 as that writer wrote it). "
        "torch >= 1.0 cannot write it but `torch.load` still reads it through `_legacy_load`'s tar branch.",
        "",
        "| file | how it was made | expected verdict |",
        "| --- | --- | --- |",
    ]
    for p, how, verdict in MANIFEST:
        lines.append(f"| `{os.path.relpath(p, rel(CONT_DIR))}` | {how.replace('|', '/')} | {verdict} |")
    for p, why in SKIPPED:
        lines.append(f"| `{p}` | not produced: {why} | - |")
    lines.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"wrote {rel(path)} ({os.path.getsize(path)} bytes)")


def main():
    print("versions:")
    for k, v in VERSIONS.items():
        print(f"  {k} {v}")
    # Start clean so files dropped from this script do not linger.
    for d in (REAL_DIR, MAL_DIR):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    make_real_numpy()
    make_real_joblib()
    make_real_pandas()
    make_real_tar()
    make_malicious()
    write_manifest()
    too_big = [(p, s) for p, s in WRITTEN if s > MAX_SIZE]
    print(f"{len(WRITTEN)} fixture files written")
    if SKIPPED:
        print("skipped:", SKIPPED)
    if too_big:
        print("WARNING: files over 100 KB:", too_big)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

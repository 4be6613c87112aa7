#!/usr/bin/python3
"""Regenerate the pickle fixtures under test/fixtures/pickle/ and the demo files under examples/.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 scripts/make-fixtures.py

Needs python3-torch python3-sklearn python3-numpy python3-pandas python3-dill
python3-cloudpickle python3-joblib (Debian packages).

Safety: every "malicious" payload is harmless (`echo modelscan-fixture`, `import os`,
a connection to the discard port on localhost, ...) and this script NEVER unpickles or
loads anything it writes. The malicious pickles are built by classes whose __reduce__
returns the payload; pickling them only records the callable and its arguments.

Determinism: fixed seeds, fixed data, lambdas compiled with a fixed filename, no
timestamps written by this script. Output is byte-identical across runs on the same
library versions (the torch zip archive is the one file whose bytes may depend on the
torch version's writer).
"""

import collections
import datetime
import decimal
import importlib
import io
import os
import pickle
import platform
import socket
import subprocess
import sys
import types
import uuid
import webbrowser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PICKLE_DIR = os.path.join(ROOT, "test", "fixtures", "pickle")
REAL_DIR = os.path.join(PICKLE_DIR, "real")
MAL_DIR = os.path.join(PICKLE_DIR, "malicious")
EXAMPLES_DIR = os.path.join(ROOT, "examples")

PAYLOAD_CMD = "echo modelscan-fixture"
MAX_SIZE = 200 * 1024

# (relative path, how it was made, expected verdict)
MANIFEST = []
WRITTEN = []


def rel(path):
    return os.path.relpath(path, ROOT)


def write_bytes(path, data, how, verdict):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    record(path, how, verdict)


def record(path, how, verdict):
    size = os.path.getsize(path)
    WRITTEN.append((rel(path), size))
    MANIFEST.append((rel(path), how, verdict))
    warn = "  (WARNING: larger than 200 KB)" if size > MAX_SIZE else ""
    print(f"wrote {rel(path)} ({size} bytes){warn}")


def dump(path, obj, protocol, how, verdict):
    write_bytes(path, pickle.dumps(obj, protocol=protocol), how, verdict)


# --------------------------------------------------------------------------- imports

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
import torch  # noqa: E402
import dill  # noqa: E402
import cloudpickle  # noqa: E402
import joblib  # noqa: E402

VERSIONS = collections.OrderedDict(
    [
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("scikit-learn", sklearn.__version__),
        ("numpy", np.__version__),
        ("pandas", pd.__version__),
        ("dill", dill.__version__),
        ("cloudpickle", cloudpickle.__version__),
        ("joblib", joblib.__version__),
    ]
)


# --------------------------------------------------------------------------- payload classes


class Reduce:
    """Pickles as `callable(*args)`; nothing here is ever called by this script."""

    def __init__(self, func, args):
        self.func = func
        self.args = args

    def __reduce__(self):
        return (self.func, self.args)


# --------------------------------------------------------------------------- real / benign


def plain_object():
    shared = ["shared", 1, 2.0]  # referenced twice so the memo (PUT/GET) is used
    return {
        "ints": [0, 1, -1, 255, 65535, 2**31, -(2**31), 2**64 + 5, -(2**70)],
        "floats": [0.5, -1.25, float("inf")],
        "text": "h\u00e9llo",
        "blob": b"\x00\x01binary",
        "tup": (1, 2, 3),
        "empty": (),
        "nested": {"a": [None, True, False]},
        "set": {1, 2},
        "fset": frozenset({3}),
        "ba": bytearray(b"xy"),
        "shared_a": shared,
        "shared_b": shared,
    }


def iris():
    data = load_iris()
    return data.data, data.target


def logreg():
    X, y = iris()
    return LogisticRegression(max_iter=200).fit(X, y)


def deterministic_legacy_pickle_module():
    """A stand-in for the `pickle` module, passed to torch.save(pickle_module=...).

    torch's legacy (non-zip) writer names each storage str(storage._cdata), i.e. a
    memory address, and writes the raw storage bytes in sorted(address) order, so two
    runs never give the same bytes. This module renames the keys "0", "1", ... in the
    order the pickler first meets them (which is deterministic) and puts the key list,
    and so the storage bytes that follow it, in that order. Everything else is exactly
    what torch writes; the file loads the same way.
    """
    keymap = {}

    def stable(key):
        return keymap.setdefault(key, str(len(keymap)))

    class Pickler(pickle.Pickler):
        def __setattr__(self, name, value):
            if name == "persistent_id" and value is not None:
                inner = value

                def value(obj):
                    pid = inner(obj)
                    if isinstance(pid, tuple) and pid and pid[0] == "storage":
                        view = pid[5]
                        if view is not None:
                            view = (stable(view[0]),) + tuple(view[1:])
                        pid = pid[:2] + (stable(pid[2]),) + pid[3:5] + (view,)
                    return pid

            super().__setattr__(name, value)

    def dump(obj, file, protocol=None, **kwargs):
        # The storage-key list: torch iterates this same list object afterwards to
        # write the storage bytes, so sorting it in place fixes the data order too.
        if isinstance(obj, list) and obj and all(isinstance(k, str) and k in keymap for k in obj):
            obj.sort(key=lambda k: int(keymap[k]))
            obj = [keymap[k] for k in obj]
        pickle.dump(obj, file, protocol=protocol, **kwargs)

    mod = types.ModuleType("pickle")
    mod.Pickler = Pickler
    mod.dump = dump
    mod.dumps = pickle.dumps
    mod.Unpickler = pickle.Unpickler
    mod.load = pickle.load
    mod.loads = pickle.loads
    return mod


class deterministic_torch_legacy_save:
    """While active, torch.save(..., _use_new_zipfile_serialization=False) without an
    explicit pickle_module uses deterministic_legacy_pickle_module(). Tensor storages'
    __reduce__ calls torch.save that way, so this also covers plain pickle.dumps of
    tensors."""

    def __enter__(self):
        self.orig = torch.save
        orig = self.orig

        def save(obj, f, pickle_module=pickle, *args, **kwargs):
            if pickle_module is pickle and kwargs.get("_use_new_zipfile_serialization") is False:
                pickle_module = deterministic_legacy_pickle_module()
            return orig(obj, f, pickle_module, *args, **kwargs)

        torch.save = save
        return self

    def __exit__(self, *exc):
        torch.save = self.orig
        return False


def torch_save_bytes(obj, **kwargs):
    buf = io.BytesIO()
    with deterministic_torch_legacy_save():
        torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def linear_state_dict(i, o):
    torch.manual_seed(0)
    return torch.nn.Linear(i, o).state_dict()


def make_real():
    obj = plain_object()
    for proto in range(6):
        dump(
            os.path.join(REAL_DIR, f"data_p{proto}.pkl"),
            obj,
            proto,
            f"pickle.dumps of a plain dict (ints incl. bigints, floats, str, bytes, tuple, set, frozenset, bytearray, shared sub-list), protocol {proto}",
            "benign",
        )

    model = logreg()
    for proto in (2, 4, 5):
        dump(
            os.path.join(REAL_DIR, f"sklearn_logreg_p{proto}.pkl"),
            model,
            proto,
            f"sklearn LogisticRegression(max_iter=200) fitted on iris, pickle protocol {proto}",
            "benign",
        )

    X, y = iris()
    pipe = Pipeline(
        [("scaler", StandardScaler()), ("tree", DecisionTreeClassifier(max_depth=3, random_state=0))]
    ).fit(X, y)
    dump(
        os.path.join(REAL_DIR, "sklearn_pipeline_p4.pkl"),
        pipe,
        4,
        "sklearn Pipeline(StandardScaler, DecisionTreeClassifier(max_depth=3, random_state=0)) fitted on iris, protocol 4",
        "benign",
    )
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y)
    dump(
        os.path.join(REAL_DIR, "sklearn_random_forest_p4.pkl"),
        forest,
        4,
        "sklearn RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0) fitted on iris, protocol 4",
        "benign",
    )

    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    for proto in (2, 4, 5):
        extra = " (in-band PickleBuffer -> BYTEARRAY8)" if proto == 5 else ""
        dump(
            os.path.join(REAL_DIR, f"numpy_array_p{proto}.pkl"),
            arr,
            proto,
            f"numpy np.arange(12, dtype=float32).reshape(3, 4), protocol {proto}{extra}",
            "benign",
        )
    dump(
        os.path.join(REAL_DIR, "numpy_object_array_p4.pkl"),
        np.array(["a", 1, None], dtype=object),
        4,
        "numpy np.array(['a', 1, None], dtype=object), protocol 4",
        "benign",
    )

    df = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "c": ["x", "y", "z"]})
    for proto in (4, 2):
        dump(
            os.path.join(REAL_DIR, f"pandas_df_p{proto}.pkl"),
            df,
            proto,
            f"pandas DataFrame({{'a': [1,2,3], 'b': [0.5,1.5,2.5], 'c': ['x','y','z']}}), protocol {proto}",
            "benign",
        )

    with deterministic_torch_legacy_save():
        sd_bytes = pickle.dumps(linear_state_dict(4, 2), protocol=2)
    write_bytes(
        os.path.join(REAL_DIR, "torch_state_dict_pickle_p2.pkl"),
        sd_bytes,
        "pickle.dumps(torch.nn.Linear(4, 2).state_dict(), protocol=2) with torch.manual_seed(0); "
        "storages embed legacy torch.save bytes via torch.storage._load_from_bytes",
        "benign",
    )

    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU())
    write_bytes(
        os.path.join(REAL_DIR, "torch_module_legacy.pt"),
        torch_save_bytes(seq, _use_new_zipfile_serialization=False),
        "torch.save(Sequential(Linear(4, 2), ReLU()), _use_new_zipfile_serialization=False): whole module, legacy stacked pickles + raw storage bytes",
        "benign",
    )
    write_bytes(
        os.path.join(REAL_DIR, "torch_state_dict_legacy.pt"),
        torch_save_bytes(linear_state_dict(4, 2), _use_new_zipfile_serialization=False),
        "torch.save(Linear(4, 2).state_dict(), _use_new_zipfile_serialization=False): legacy stacked pickles + raw storage bytes",
        "benign",
    )
    # Saved to a path (not a buffer) so the archive's root folder is named after the
    # file, as it is for real checkpoints.
    zip_path = os.path.join(REAL_DIR, "torch_state_dict_zip.pt")
    torch.save(linear_state_dict(4, 2), zip_path)
    record(
        zip_path,
        "torch.save(Linear(4, 2).state_dict(), path): default zip format (data.pkl + data/N storages)",
        "benign",
    )

    coll = {
        "ordered": collections.OrderedDict([("x", 1), ("y", 2)]),
        "default": collections.defaultdict(list, {"k": [1]}),
        "counter": collections.Counter({"a": 2, "b": 1}),
        "deque": collections.deque([1, 2, 3]),
        "date": datetime.date(2024, 1, 2),
        "decimal": decimal.Decimal("1.5"),
        "complex": complex(1, 2),
        "uuid": uuid.UUID(int=1),
    }
    dump(
        os.path.join(REAL_DIR, "collections_p4.pkl"),
        coll,
        4,
        "OrderedDict, defaultdict(list), Counter, deque, datetime.date, Decimal('1.5'), complex(1, 2), UUID(int=1) in one dict, protocol 4",
        "benign",
    )

    write_bytes(
        os.path.join(REAL_DIR, "dill_plain.pkl"),
        dill.dumps({"a": [1, 2]}),
        "dill.dumps({'a': [1, 2]})",
        "benign",
    )
    # Lambdas compiled with a fixed filename so co_filename does not depend on the cwd.
    # These pickles carry code by value: never load them.
    dill_lambda = eval(compile("lambda x: x + 1", "<modelscan-fixture>", "eval"))
    write_bytes(
        os.path.join(REAL_DIR, "dill_lambda.pkl"),
        dill.dumps(dill_lambda),
        "dill.dumps(lambda x: x + 1): function serialized by value (code object)",
        "benign (no payload, but carries code by value: a lambda rebuilt from a code object on load)",
    )
    # cloudpickle also records the function's module globals __name__/__file__; give it
    # a globals dict without __file__ so the checkout path does not leak into the bytes.
    cp_lambda = eval(compile("lambda x: x * 2", "<modelscan-fixture>", "eval"), {"__name__": "__main__"})
    write_bytes(
        os.path.join(REAL_DIR, "cloudpickle_lambda.pkl"),
        cloudpickle.dumps(cp_lambda),
        "cloudpickle.dumps(lambda x: x * 2): function serialized by value (code object)",
        "benign (no payload, but carries code by value: a lambda rebuilt from a code object on load)",
    )

    joblib_path = os.path.join(REAL_DIR, "joblib_plain.pkl")
    joblib.dump({"a": 1, "b": "x"}, joblib_path)
    record(joblib_path, "joblib.dump({'a': 1, 'b': 'x'}) (no numpy arrays)", "benign")

    # joblib writes numpy arrays inline after each NumpyArrayWrapper (raw bytes, padded for
    # alignment), and object arrays as a nested pickle: the scanner must skip and resume.
    arrays_path = os.path.join(REAL_DIR, "joblib_arrays.joblib")
    joblib.dump(
        {
            "f64": np.arange(12, dtype=np.float64).reshape(3, 4),
            "i8": np.arange(5, dtype=np.int8),
            "u": np.array(["ab", "cde"]),
            "same_shape": np.zeros((3, 4), dtype=np.float32),
            "objects": np.array(["x", None, 3], dtype=object),
            "after": "tail",
        },
        arrays_path,
    )
    record(
        arrays_path,
        "joblib.dump of float64/int8/unicode/float32 arrays (inline bytes) and an object array (nested pickle), then a str",
        "benign",
    )


# --------------------------------------------------------------------------- malicious


def make_malicious():
    os_payload = Reduce(os.system, (PAYLOAD_CMD,))
    for proto in (0, 2, 4):
        dump(
            os.path.join(MAL_DIR, f"os_system_p{proto}.pkl"),
            os_payload,
            proto,
            f"__reduce__ -> (os.system, ('{PAYLOAD_CMD}',)), protocol {proto} (pickles as posix.system on Linux)",
            "malicious",
        )
    dump(
        os.path.join(MAL_DIR, "subprocess_popen_p4.pkl"),
        Reduce(subprocess.Popen, (["echo", "modelscan-fixture"],)),
        4,
        "__reduce__ -> (subprocess.Popen, (['echo', 'modelscan-fixture'],)), protocol 4",
        "malicious",
    )
    dump(
        os.path.join(MAL_DIR, "builtins_eval_p2.pkl"),
        Reduce(eval, ("print('modelscan-fixture')",)),
        2,
        "__reduce__ -> (eval, (\"print('modelscan-fixture')\",)), protocol 2 (fix_imports: __builtin__.eval)",
        "malicious",
    )
    dump(
        os.path.join(MAL_DIR, "builtins_exec_p4.pkl"),
        Reduce(exec, ("import os",)),
        4,
        "__reduce__ -> (exec, ('import os',)), protocol 4",
        "malicious",
    )
    inner = pickle.dumps(os_payload, protocol=4)
    dump(
        os.path.join(MAL_DIR, "nested_loads_p4.pkl"),
        Reduce(pickle.loads, (inner,)),
        4,
        "__reduce__ -> (pickle.loads, (<os_system_p4 bytes>,)), protocol 4 (outer global is _pickle.loads)",
        "malicious",
    )
    dump(
        os.path.join(MAL_DIR, "webbrowser_open_p3.pkl"),
        Reduce(webbrowser.open, ("http://127.0.0.1:9/",)),
        3,
        "__reduce__ -> (webbrowser.open, ('http://127.0.0.1:9/',)), protocol 3",
        "malicious",
    )
    dump(
        os.path.join(MAL_DIR, "socket_create_connection_p4.pkl"),
        Reduce(socket.create_connection, (("127.0.0.1", 9),)),
        4,
        "__reduce__ -> (socket.create_connection, (('127.0.0.1', 9),)), protocol 4",
        "malicious",
    )
    dump(
        os.path.join(MAL_DIR, "unknown_call_with_string_p4.pkl"),
        Reduce(importlib.import_module, ("os",)),
        4,
        "__reduce__ -> (importlib.import_module, ('os',)), protocol 4: import gadget not in modelscan's denylist",
        "malicious (not flagged by modelscan's default denylist)",
    )
    dump(
        os.path.join(MAL_DIR, "model_with_payload_p4.pkl"),
        {"weights": [0.1] * 10, "model": logreg(), "x": os_payload},
        4,
        "dict {'weights': [0.1]*10, 'model': LogisticRegression on iris, 'x': (os.system, ('echo modelscan-fixture',))}, protocol 4",
        "malicious",
    )
    # The payload sits after an inline array and an object array: a scanner that can't skip
    # joblib's raw array bytes stops before reaching it.
    joblib_payload = os.path.join(MAL_DIR, "joblib_arrays_then_payload.joblib")
    joblib.dump(
        {"w": np.arange(64, dtype=np.float32), "o": np.array([1, "a"], dtype=object), "x": os_payload},
        joblib_payload,
    )
    record(
        joblib_payload,
        "joblib.dump({'w': float32 array, 'o': object array, 'x': (os.system, ('echo modelscan-fixture',))}): payload after inline arrays",
        "malicious",
    )


# --------------------------------------------------------------------------- examples


def make_examples():
    write_bytes(
        os.path.join(EXAMPLES_DIR, "benign_state_dict.pt"),
        torch_save_bytes(linear_state_dict(8, 4), _use_new_zipfile_serialization=False),
        "torch.save(Linear(8, 4).state_dict(), _use_new_zipfile_serialization=False) with torch.manual_seed(0)",
        "benign",
    )
    dump(
        os.path.join(EXAMPLES_DIR, "benign_sklearn_model.pkl"),
        logreg(),
        4,
        "sklearn LogisticRegression(max_iter=200) on iris, protocol 4",
        "benign",
    )
    dump(
        os.path.join(EXAMPLES_DIR, "malicious_model.pkl"),
        Reduce(os.system, ('echo "this model would run code on load"',)),
        4,
        "__reduce__ -> (os.system, ('echo \"this model would run code on load\"',)), protocol 4",
        "malicious",
    )
    readme = os.path.join(EXAMPLES_DIR, "README.md")
    with open(readme, "w", encoding="utf-8") as f:
        f.write(
            "# Example models for `npm start`\n"
            "\n"
            "- `benign_state_dict.pt`: a PyTorch `Linear(8, 4)` state_dict saved with the legacy (non-zip) `torch.save` format. Benign.\n"
            "- `benign_sklearn_model.pkl`: a scikit-learn `LogisticRegression` fitted on iris, pickle protocol 4. Benign.\n"
            "- `malicious_model.pkl`: a pickle that would call `os.system('echo \"this model would run code on load\"')` when loaded. "
            "The command is harmless, but the scanner flags it as malicious. Never load it.\n"
            "\n"
            "All three are regenerated by `/usr/bin/python3 scripts/make-fixtures.py` (run from the repository root).\n"
        )
    print(f"wrote {rel(readme)} ({os.path.getsize(readme)} bytes)")


# --------------------------------------------------------------------------- manifest


def write_manifest():
    path = os.path.join(PICKLE_DIR, "MANIFEST.md")
    lines = [
        "# Pickle fixtures",
        "",
        "Generated by `/usr/bin/python3 scripts/make-fixtures.py` (run from the repository root); do not edit by hand.",
        "Malicious payloads are harmless (`echo modelscan-fixture`, `import os`, localhost port 9), but never load these files.",
        "",
        "Library versions used: " + ", ".join(f"{k} {v}" for k, v in VERSIONS.items()) + ".",
        "",
        "Legacy (non-zip) torch files, including the torch.save bytes embedded in `torch_state_dict_pickle_p2.pkl`, are written by torch itself "
        "except that the storage keys (normally `str(storage._cdata)`, a memory address) are renamed `0`, `1`, ... in first-use order so the bytes are reproducible.",
        "",
        "| file | how it was made | expected verdict |",
        "| --- | --- | --- |",
    ]
    for p, how, verdict in MANIFEST:
        if not p.startswith(rel(PICKLE_DIR) + os.sep):
            continue
        lines.append(f"| `{os.path.relpath(p, rel(PICKLE_DIR))}` | {how.replace('|', '/')} | {verdict} |")
    lines.append("")
    lines.append("The demo files in `examples/` are produced by the same script (see examples/README.md).")
    lines.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"wrote {rel(path)} ({os.path.getsize(path)} bytes)")


def main():
    print("versions:")
    for k, v in VERSIONS.items():
        print(f"  {k} {v}")
    make_real()
    make_malicious()
    make_examples()
    write_manifest()
    too_big = [(p, s) for p, s in WRITTEN if s > MAX_SIZE]
    print(f"{len(WRITTEN)} fixture files written")
    if too_big:
        print("WARNING: files over 200 KB:", too_big)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Regenerate the Keras fixtures under test/fixtures/keras/.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 scripts/make-keras-fixtures.py

Needs python3-h5py and python3-numpy (Debian packages). TensorFlow and Keras are
not needed and not used: the files reproduce the layout Keras writes.

  .h5 (Keras 2 `model.save`): root attributes `backend`, `keras_version`,
      `model_config` (JSON), optional `training_config` (JSON), and a
      `model_weights/<layer>/<layer>/<weight>` group tree with `layer_names` and
      `weight_names` attributes, written with h5py as tf.keras' hdf5_format does.
  .keras (Keras 3 `model.save`): a zip of metadata.json, config.json (every object
      {module, class_name, config, registered_name}) and model.weights.h5
      (layers/<name>/vars/<i>).
  Lambda layers hold `base64(marshal.dumps(fn.__code__))` exactly as Keras'
  func_dump writes it: Keras 2 `function: [code, defaults, closure]` with
  `function_type: "lambda"`, Keras 3 `{"class_name": "__lambda__", "config":
  {"code", "defaults", "closure"}}`.

Safety: the lambdas below are compiled, never called; marshal.dumps only serialises
their code objects. The pickle used for TorchModuleWrapper and the user-block
polyglot is produced by a __reduce__ class and never unpickled. Payloads are
harmless (`echo modelscan-fixture`).

Determinism: fixed data; HDF5 files written with libver 'latest' disable object
time tracking; zip entries carry a fixed date. The marshal blobs depend on the
CPython version (3.11 here): rerunning with another interpreter changes them.
"""

import base64
import codecs
import hashlib
import json
import marshal
import os
import pickle
import sys
import zipfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "keras")
MAX_SIZE = 100 * 1024
PAYLOAD = "echo modelscan-fixture"
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
WRITTEN = []


# --- Python functions whose code objects become Lambda payloads (never called) ---

def _os_system_lambda():
    return lambda x: __import__("os").system("echo modelscan-fixture") or x


def _benign_lambda():
    return lambda x: x * 2.0


def _exec_b64_lambda():
    return lambda x: exec(__import__("base64").b64decode("aW1wb3J0IG9zCm9zLnN5c3RlbSgnZWNobyBtb2RlbHNjYW4tZml4dHVyZScpCg==")) or x


def _popen_lambda():
    return lambda x: __import__("subprocess").Popen(["echo", "modelscan-fixture"]) and x


def _nested_def():
    def outer(x):
        def inner(path):
            return open(path).read()

        return inner("/etc/hostname") and x

    return outer


def code_b64(fn):
    """Keras' python_utils.func_dump encoding."""
    raw = marshal.dumps(fn.__code__)
    return codecs.encode(raw, "base64").decode("ascii")


def code_raw_chars(fn):
    """The marshal bytes as a str of the same code points: func_load falls back to raw_unicode_escape when base64 fails."""
    return marshal.dumps(fn.__code__).decode("latin1")


class _Reduce:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def payload_pickle():
    return pickle.dumps(_Reduce(PAYLOAD), protocol=2)


# --- Keras 2 configs ---

def k2(cls, **config):
    return {"class_name": cls, "config": config}


def k2_input(name, shape):
    return k2("InputLayer", batch_input_shape=[None, *shape], dtype="float32", sparse=False, ragged=False, name=name)


def k2_dense(name, units, activation="relu"):
    return k2(
        "Dense",
        name=name,
        trainable=True,
        dtype="float32",
        units=units,
        activation=activation,
        use_bias=True,
        kernel_initializer=k2("GlorotUniform", seed=None),
        bias_initializer=k2("Zeros"),
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
    )


def k2_lambda(name, fn):
    return k2(
        "Lambda",
        name=name,
        trainable=True,
        dtype="float32",
        function=[code_b64(fn), None, None],
        function_type="lambda",
        module="__main__",
        output_shape=None,
        output_shape_type="raw",
        output_shape_module=None,
        arguments={},
    )


def k2_sequential(name, layers):
    return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}


def k2_functional(name, layers, inputs, outputs):
    return {
        "class_name": "Functional",
        "config": {"name": name, "layers": layers, "input_layers": inputs, "output_layers": outputs},
    }


def node(layer, inbound):
    layer = dict(layer)
    layer["name"] = layer["config"]["name"]
    layer["inbound_nodes"] = [[[n, 0, 0, {}] for n in inbound]] if inbound else []
    return layer


TRAINING_CONFIG = {
    "loss": "sparse_categorical_crossentropy",
    "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]],
    "weighted_metrics": None,
    "loss_weights": None,
    "optimizer_config": {
        "class_name": "Adam",
        "config": {"name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
    },
}


def write_weights(f, layers):
    """tf.keras hdf5_format.save_weights_to_hdf5_group layout, tiny arrays."""
    g = f.create_group("model_weights")
    g.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
    g.attrs["backend"] = "tensorflow"
    g.attrs["keras_version"] = "2.9.0"
    for name, shapes in layers:
        lg = g.create_group(name)
        weight_names = [f"{name}/{w}:0".encode() for w in shapes]
        lg.attrs["weight_names"] = np.array(weight_names) if weight_names else np.array([], dtype="S1")
        for w, shape in shapes.items():
            lg.create_dataset(f"{name}/{w}:0", data=np.arange(int(np.prod(shape)), dtype="float32").reshape(shape) / 10)


def write_k2_h5(name, model_config, training_config=None, weights=(), **file_kw):
    path = os.path.join(OUT, name)
    with h5py.File(path, "w", **file_kw) as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.9.0"
        f.attrs["model_config"] = json.dumps(model_config)
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config)
        write_weights(f, list(weights))
    done(name)


def latest_file(path):
    """libver 'latest' (superblock 3, OHDR headers, dense attributes past 8) without timestamps."""
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    return h5py.File(h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


# --- Keras 3 configs ---

def k3(module, cls, config, registered_name=None, **extra):
    return {"module": module, "class_name": cls, "config": config, "registered_name": registered_name, **extra}


def k3_dense(name, units):
    return k3(
        "keras.layers",
        "Dense",
        {
            "name": name,
            "trainable": True,
            "dtype": k3("keras", "DTypePolicy", {"name": "float32"}),
            "units": units,
            "activation": "relu",
            "use_bias": True,
            "kernel_initializer": k3("keras.initializers", "GlorotUniform", {"seed": None}),
            "bias_initializer": k3("keras.initializers", "Zeros", {}),
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
        build_config={"input_shape": [None, 4]},
    )


def k3_input(name, shape):
    return k3("keras.layers", "InputLayer", {"batch_shape": [None, *shape], "dtype": "float32", "sparse": False, "name": name})


def k3_lambda(name, fn, code=None):
    return k3(
        "keras.layers",
        "Lambda",
        {
            "name": name,
            "trainable": True,
            "dtype": k3("keras", "DTypePolicy", {"name": "float32"}),
            "function": {"class_name": "__lambda__", "config": {"code": code if code is not None else code_b64(fn), "defaults": None, "closure": None}},
            "arguments": {},
        },
        build_config={"input_shape": [None, 4]},
    )


def k3_sequential(name, layers):
    return k3("keras", "Sequential", {"name": name, "trainable": True, "dtype": k3("keras", "DTypePolicy", {"name": "float32"}), "layers": layers})


COMPILE_CONFIG = {
    "optimizer": k3("keras.optimizers", "Adam", {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07}),
    "loss": "sparse_categorical_crossentropy",
    "metrics": ["accuracy"],
    "loss_weights": None,
    "weighted_metrics": None,
    "run_eagerly": False,
    "steps_per_execution": 1,
    "jit_compile": False,
}


def k3_model(layers, name="sequential"):
    m = k3_sequential(name, layers)
    m["build_config"] = {"input_shape": [None, 4]}
    m["compile_config"] = COMPILE_CONFIG
    return m


def weights_h5_bytes(names):
    """Keras 3 H5IOStore layout, built in memory (h5py core driver, no file written)."""
    import io

    bio = io.BytesIO()
    with h5py.File(bio, "w") as f:
        layers = f.create_group("layers")
        for i, n in enumerate(names):
            v = layers.create_group(n).create_group("vars")
            v.create_dataset("0", data=np.full((4, 2), i, dtype="float32"))
            v.create_dataset("1", data=np.zeros(2, dtype="float32"))
        f.create_group("optimizer").create_group("vars").create_dataset("0", data=np.zeros((), dtype="int64"))
    return bio.getvalue()


def write_keras(name, config, config_bytes=None, weights=("dense",), compress=zipfile.ZIP_STORED, extra=()):
    path = os.path.join(OUT, name)
    members = [
        ("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2024-06-01@12:00:00"}).encode()),
        ("config.json", config_bytes if config_bytes is not None else json.dumps(config).encode()),
        ("model.weights.h5", weights_h5_bytes(weights)),
        *extra,
    ]
    with zipfile.ZipFile(path, "w") as z:
        for member, data in members:
            info = zipfile.ZipInfo(member, date_time=ZIP_DATE)
            info.compress_type = compress
            z.writestr(info, data)
    done(name)


def done(name):
    path = os.path.join(OUT, name)
    size = os.path.getsize(path)
    if size > MAX_SIZE:
        sys.exit(f"{name} is {size} bytes, over the {MAX_SIZE}-byte fixture limit")
    WRITTEN.append(name)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith((".h5", ".keras", ".json", ".bin", ".marshal")) and old != "MANIFEST.json":
            os.remove(os.path.join(OUT, old))

    mlp_layers = [k2_input("input_1", [4]), k2_dense("dense", 8), k2_dense("dense_1", 3, "softmax")]
    mlp_weights = [("dense", {"kernel": (4, 8), "bias": (8,)}), ("dense_1", {"kernel": (8, 3), "bias": (3,)})]

    # Benign Keras 2 files.
    write_k2_h5("benign_sequential.h5", k2_sequential("sequential", mlp_layers), TRAINING_CONFIG, mlp_weights)
    functional = k2_functional(
        "model",
        [
            node(k2_input("input_1", [4]), []),
            node(k2_dense("dense", 8), ["input_1"]),
            node(k2("TFOpLambda", name="tf.math.add", trainable=True, dtype="float32", function="math.add"), ["dense"]),
            node(
                k2("TimeDistributed", name="td", trainable=True, dtype="float32", layer=k2_dense("inner_dense", 2)),
                ["tf.math.add"],
            ),
            node(
                k2("Bidirectional", name="bidi", trainable=True, dtype="float32", merge_mode="concat", layer=k2("LSTM", name="lstm", units=2, activation="tanh")),
                ["td"],
            ),
        ],
        [["input_1", 0, 0]],
        [["bidi", 0, 0]],
    )
    write_k2_h5("benign_functional_wrappers.h5", functional, None, [("dense", {"kernel": (4, 8), "bias": (8,)})])
    with h5py.File(os.path.join(OUT, "benign_weights_only.h5"), "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.9.0"
        f.attrs["layer_names"] = np.array([b"dense", b"dense_1"])
        for n, shapes in mlp_weights:
            g = f.create_group(n)
            g.attrs["weight_names"] = np.array([f"{n}/{w}:0".encode() for w in shapes])
            for w, shape in shapes.items():
                g.create_dataset(f"{n}/{w}:0", data=np.ones(shape, dtype="float32"))
    done("benign_weights_only.h5")
    with h5py.File(os.path.join(OUT, "benign_plain_data.h5"), "w") as f:
        f.attrs["description"] = "plain scientific data, not a Keras model"
        f.attrs["n_samples"] = 3
        d = f.create_group("measurements").create_dataset("temperature", data=np.linspace(0, 1, 32, dtype="float64"))
        d.attrs["units"] = "K"
        f.create_dataset("labels", data=np.array([b"a", b"b", b"c"]))
    done("benign_plain_data.h5")
    with latest_file(os.path.join(OUT, "benign_dense_attrs.h5")) as f:
        for i in range(40):
            f.attrs[f"note_{i:02d}"] = f"annotation number {i} " * 2
        f.attrs["model_config"] = json.dumps(k2_sequential("sequential", mlp_layers))
    done("benign_dense_attrs.h5")

    # Malicious Keras 2 files.
    seq_lambda = k2_sequential("sequential", [k2_input("input_1", [4]), k2_dense("dense", 4), k2_lambda("lambda", _os_system_lambda()), k2_dense("dense_1", 3)])
    write_k2_h5("lambda_os_system.h5", seq_lambda, TRAINING_CONFIG, mlp_weights)
    write_k2_h5("lambda_benign_body.h5", k2_sequential("sequential", [k2_input("input_1", [4]), k2_lambda("double", _benign_lambda())]))
    nested = k2_functional(
        "model",
        [
            node(k2_input("input_1", [3, 4]), []),
            node(
                k2_sequential(
                    "inner",
                    [k2("TimeDistributed", name="td", trainable=True, dtype="float32", layer=k2_lambda("hidden_lambda", _popen_lambda()))],
                ),
                ["input_1"],
            ),
        ],
        [["input_1", 0, 0]],
        [["inner", 0, 0]],
    )
    write_k2_h5("lambda_nested_timedistributed.h5", nested)
    write_k2_h5("lambda_exec_b64.h5", k2_sequential("sequential", [k2_input("input_1", [4]), k2_lambda("lambda", _exec_b64_lambda())]))
    training_lambda = dict(TRAINING_CONFIG)
    training_lambda["loss"] = {"class_name": "__lambda__", "config": {"code": code_b64(_os_system_lambda()), "defaults": None, "closure": None}}
    write_k2_h5("training_config_lambda.h5", k2_sequential("sequential", mlp_layers), training_lambda, mlp_weights)
    tfop = k2_functional(
        "model",
        [
            node(k2_input("input_1", [1]), []),
            node(k2("TFOpLambda", name="tf.io.read_file", trainable=True, dtype="string", function="io.read_file"), ["input_1"]),
        ],
        [["input_1", 0, 0]],
        [["tf.io.read_file", 0, 0]],
    )
    write_k2_h5("tfoplambda_read_file.h5", tfop)
    vec = k2_sequential(
        "sequential",
        [k2_input("input_1", [1]), k2("TextVectorization", name="text_vectorization", max_tokens=100, vocabulary="../../secrets/vocab.txt")],
    )
    write_k2_h5("external_vocabulary_path.h5", vec)
    # Dense attribute storage: the config sits in a fractal heap, found through a v2 B-tree.
    with latest_file(os.path.join(OUT, "lambda_dense_attrs.h5")) as f:
        for i in range(40):
            f.attrs[f"note_{i:02d}"] = f"annotation number {i} " * 2
        f.attrs["model_config"] = json.dumps(seq_lambda)
    done("lambda_dense_attrs.h5")
    # A fixed-length config over 4 KiB in dense storage is a fractal-heap "huge" object.
    with latest_file(os.path.join(OUT, "lambda_dense_huge.h5")) as f:
        for i in range(12):
            f.attrs[f"note_{i:02d}"] = f"annotation {i}"
        text = json.dumps(seq_lambda).encode()
        f.attrs.create("model_config", np.bytes_(text + b" " * max(0, 6000 - len(text))))
    done("lambda_dense_huge.h5")
    # The config's datatype is a committed (named) datatype stored in its own object header.
    with h5py.File(os.path.join(OUT, "lambda_committed_type.h5"), "w") as f:
        text = json.dumps(k2_sequential("sequential", [k2_input("input_1", [4]), k2_lambda("lambda", _os_system_lambda())])).encode()
        f["config_type"] = np.dtype(f"S{len(text)}")
        f.attrs.create("model_config", np.array(text, dtype=f"S{len(text)}"), dtype=f["config_type"])
    done("lambda_committed_type.h5")
    # A 512-byte user block: HDF5 ignores it, pickle.load reads it.
    ub = os.path.join(OUT, "user_block_pickle.h5")
    with h5py.File(ub, "w", userblock_size=512) as f:
        f.attrs["model_config"] = json.dumps(k2_sequential("sequential", mlp_layers))
    with open(ub, "r+b") as fh:
        fh.write(payload_pickle())
    done("user_block_pickle.h5")
    with h5py.File(os.path.join(OUT, "user_block_lambda.h5"), "w", userblock_size=1024) as f:
        f.attrs["model_config"] = json.dumps(seq_lambda)
    done("user_block_lambda.h5")

    # Malformed HDF5 / configs.
    write_k2_h5("malformed_config_json.h5", {"placeholder": True})
    with h5py.File(os.path.join(OUT, "malformed_config_json.h5"), "a") as f:
        f.attrs["model_config"] = '{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", '
    with h5py.File(os.path.join(OUT, "malformed_config_int.h5"), "w") as f:
        f.attrs["model_config"] = np.int64(42)
    done("malformed_config_int.h5")
    src = open(os.path.join(OUT, "lambda_os_system.h5"), "rb").read()
    cut = src.index(b"GCOL") + 40
    with open(os.path.join(OUT, "malformed_truncated.h5"), "wb") as fh:
        fh.write(src[:cut])
    done("malformed_truncated.h5")
    with open(os.path.join(OUT, "malformed_superblock.h5"), "wb") as fh:
        fh.write(b"\x89HDF\r\n\x1a\n" + bytes([0, 0, 0, 0, 0, 3, 8, 0]) + b"\x00" * 80)
    done("malformed_superblock.h5")

    # Keras 3 .keras archives.
    write_keras("benign_sequential.keras", k3_model([k3_input("input_layer", [4]), k3_dense("dense", 2)]))
    wrappers = k3_model(
        [
            k3_input("input_layer", [3, 4]),
            k3("keras.layers", "TimeDistributed", {"name": "td", "layer": k3_dense("inner", 2)}),
            k3("keras.layers", "Bidirectional", {"name": "bidi", "merge_mode": "concat", "layer": k3("keras.layers", "LSTM", {"name": "lstm", "units": 2})}),
        ]
    )
    write_keras("benign_wrappers_deflated.keras", wrappers, compress=zipfile.ZIP_DEFLATED)
    write_keras("lambda_os_system.keras", k3_model([k3_input("input_layer", [4]), k3_lambda("lambda", _os_system_lambda()), k3_dense("dense", 2)]))
    write_keras(
        "lambda_nested_wrappers.keras",
        k3_model(
            [
                k3_input("input_layer", [3, 4]),
                k3_sequential("inner", [k3("keras.layers", "TimeDistributed", {"name": "td", "layer": k3_lambda("deep_lambda", _popen_lambda())})]),
            ]
        ),
        compress=zipfile.ZIP_DEFLATED,
    )
    write_keras(
        "lambda_raw_marshal.keras",
        k3_model([k3_input("input_layer", [4]), k3_lambda("raw", None, code=code_raw_chars(_nested_def()))]),
    )
    # Python's json keeps the last of duplicate keys: the benign first "function" is not what loads.
    dup = json.dumps(k3_model([k3_input("input_layer", [4]), k3_lambda("dup", _os_system_lambda())]))
    benign_fn = json.dumps({"class_name": "__lambda__", "config": {"code": code_b64(_benign_lambda()), "defaults": None, "closure": None}})
    dup = dup.replace('"function": {', '"function": ' + benign_fn + ', "function": {', 1)
    write_keras("lambda_duplicate_key.keras", None, config_bytes=dup.encode())
    write_keras(
        "lambda_utf16_config.keras",
        None,
        config_bytes=json.dumps(k3_model([k3_input("input_layer", [4]), k3_lambda("lambda", _exec_b64_lambda())])).encode("utf-16"),
    )
    write_keras(
        "unsafe_module_function.keras",
        k3_model(
            [
                k3_input("input_layer", [4]),
                k3(
                    "keras.layers",
                    "Dense",
                    {"name": "dense", "units": 2, "activation": k3("os", "function", "system", "system")},
                ),
                k3("keras.layers", "Activation", {"name": "act", "activation": k3("builtins", "function", "eval", "function")}),
            ]
        ),
    )
    write_keras(
        "get_file_tfsmlayer.keras",
        k3_model(
            [
                k3_input("input_layer", [4]),
                k3("keras.layers", "TFSMLayer", {"name": "tfsm", "filepath": "/tmp/attacker_savedmodel", "call_endpoint": "serve"}),
                k3("keras.layers", "Dense", {"name": "dense", "units": 2, "kernel_initializer": k3("keras.utils", "function", "get_file", "get_file")}),
            ]
        ),
    )
    write_keras(
        "enable_unsafe_deserialization.keras",
        k3_model(
            [
                k3_input("input_layer", [4]),
                k3("keras.layers", "Dense", {"name": "dense", "units": 2, "activation": k3("keras.config", "function", "enable_unsafe_deserialization", "enable_unsafe_deserialization")}),
            ]
        ),
    )
    write_keras(
        "torch_module_wrapper.keras",
        k3_model(
            [
                k3_input("input_layer", [4]),
                k3("keras.layers", "TorchModuleWrapper", {"name": "torch_module_wrapper", "module": base64.b64encode(payload_pickle()).decode("ascii"), "output_shape": None}),
            ]
        ),
    )
    write_keras(
        "external_url_vocabulary.keras",
        k3_model(
            [
                k3_input("input_layer", [1]),
                k3("keras.layers", "StringLookup", {"name": "lookup", "vocabulary": "https://example.invalid/vocab.txt", "num_oov_indices": 1}),
            ]
        ),
    )
    config_text = json.dumps(k3_model([k3_input("input_layer", [4]), k3_dense("dense", 2)]))
    write_keras("malformed_config.keras", None, config_bytes=config_text[: len(config_text) // 2].encode())

    # Keras 2 `model.to_json()` architecture file.
    arch = dict(seq_lambda)
    arch["keras_version"] = "2.9.0"
    arch["backend"] = "tensorflow"
    with open(os.path.join(OUT, "lambda_architecture.json"), "w") as fh:
        json.dump(arch, fh)
    done("lambda_architecture.json")

    # Raw marshal blobs (CPython 3.11) for the marshal reader's tests.
    for name, fn in [
        ("marshal_os_system.marshal", _os_system_lambda()),
        ("marshal_benign.marshal", _benign_lambda()),
        ("marshal_exec_b64.marshal", _exec_b64_lambda()),
        ("marshal_nested_def.marshal", _nested_def()),
    ]:
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(marshal.dumps(fn.__code__))
        done(name)

    with open(os.path.join(OUT, "MANIFEST.json"), "w") as fh:
        json.dump(
            {
                "generator": "scripts/make-keras-fixtures.py",
                "python": sys.version.split()[0],
                "h5py": h5py.version.version,
                "hdf5": h5py.version.hdf5_version,
                "numpy": np.__version__,
                "files": {n: hashlib.sha256(open(os.path.join(OUT, n), "rb").read()).hexdigest() for n in sorted(WRITTEN)},
            },
            fh,
            indent=1,
            sort_keys=True,
        )
        fh.write("\n")
    print(f"wrote {len(WRITTEN)} fixtures to {OUT}")


if __name__ == "__main__":
    main()

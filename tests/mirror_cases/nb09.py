"""Notebook 09: attention, multi-head attention and the position encodings written in cells."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tests.mirror_cases.compare import assert_same

RNG = np.random.default_rng(0)
Q, K, V = (
    RNG.standard_normal((2, 3, 5, 4)),
    RNG.standard_normal((2, 3, 7, 4)),
    RNG.standard_normal((2, 3, 7, 6)),
)


def check_numpy_attention(nb_fn, pkg_fn):
    for causal in (False, True):
        assert_same(nb_fn(Q, K, V, causal=causal), pkg_fn(Q, K, V, causal=causal))
        assert_same(
            nb_fn(Q[0, 0, :3], K[0, 0, :3], V[0, 0, :3], causal=causal),
            pkg_fn(Q[0, 0, :3], K[0, 0, :3], V[0, 0, :3], causal=causal),
        )


def check_torch_attention(nb_fn, pkg_fn):
    q, k, v = (torch.tensor(a, requires_grad=True) for a in (Q, K, V))
    mask = torch.tensor(RNG.random((5, 7)) > 0.4)
    mask[:, 0] = True
    for kw in (
        {},
        {"causal": True},
        {"mask": mask},
        {"causal": True, "mask": mask},
        {"dropout_p": 0.5, "training": True},
        {"dropout_p": 0.5, "training": False},
        {"dropout_p": 0.0, "training": True},
    ):
        outs = []
        for fn in (nb_fn, pkg_fn):
            torch.manual_seed(0)
            out, weights = fn(q, k, v, **kw)
            grads = torch.autograd.grad(out.pow(2).sum(), (q, k, v))
            outs.append((out, weights, grads))
        assert_same(outs[0], outs[1])


def check_mha(nb_cls, pkg_cls):
    x = torch.randn(2, 5, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    memory = torch.randn(2, 7, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    mask = torch.ones(2, 1, 1, 7, dtype=torch.bool)
    mask[1, ..., 4:] = False
    for kw in ({"bias": True}, {"bias": False}, {"dropout": 0.3}):
        for train in (False, True):
            for call in ({"causal": False}, {"causal": True}, {"key": memory, "mask": mask}):
                outs = []
                for cls in (nb_cls, pkg_cls):
                    torch.manual_seed(0)
                    mha = cls(12, 3, **kw).double().train(train)
                    torch.manual_seed(1)
                    args = dict(call)
                    key = args.pop("key", None)
                    out, weights = mha(x, key, key, need_weights=True, **args)
                    out.sum().backward()
                    outs.append(
                        (
                            out,
                            weights,
                            mha(x, key, key, **args).shape,
                            {n: p.grad for n, p in mha.named_parameters()},
                        )
                    )
                assert_same(outs[0], outs[1])
    ref = nn.MultiheadAttention(12, 3, batch_first=True).double()
    ours = nb_cls(12, 3).double().load_torch_weights(ref)
    theirs = pkg_cls(12, 3).double().load_torch_weights(ref)
    assert_same(dict(ours.named_parameters()), dict(theirs.named_parameters()))
    assert_same(ours.split_heads(x), theirs.split_heads(x))


def check_sinusoidal(nb_fn, pkg_fn):
    for n, d, base in ((1, 2, 10000.0), (30, 16, 10000.0), (9, 6, 100.0)):
        assert_same(nb_fn(n, d, base), pkg_fn(n, d, base))
    assert_same(nb_fn(12, 8), pkg_fn(12, 8))


def check_frequencies(nb_fn, pkg_fn):
    for d, base in ((2, 10000.0), (8, 10000.0), (64, 500.0)):
        assert_same(nb_fn(d, base), pkg_fn(d, base))


def check_rope_matrix(nb_fn, pkg_fn):
    for pos, d in ((0, 2), (3, 6), (-7.5, 8), (1000, 16)):
        assert_same(nb_fn(pos, d), pkg_fn(pos, d))
    assert_same(nb_fn(2, 4, 50.0), pkg_fn(2, 4, 50.0))


def check_rotate_half(nb_fn, pkg_fn):
    x = RNG.standard_normal((3, 4, 8))
    assert_same(nb_fn(x), pkg_fn(x))
    assert_same(nb_fn(torch.tensor(x)), pkg_fn(torch.tensor(x)))
    before = x.copy()
    nb_fn(x)
    assert_same(x, before)  # the input is left alone


def check_apply_rope(nb_fn, pkg_fn):
    x = RNG.standard_normal((2, 5, 8))
    assert_same(nb_fn(x), pkg_fn(x))
    assert_same(nb_fn(x, [3, 1, 4, 1, 5]), pkg_fn(x, [3, 1, 4, 1, 5]))
    assert_same(nb_fn(x, base=100.0), pkg_fn(x, base=100.0))
    t = torch.tensor(x, dtype=torch.float32)
    ours, theirs = nb_fn(t), pkg_fn(t)
    assert ours.dtype == theirs.dtype == torch.float32
    assert_same(ours, theirs, atol=1e-6)


CASES = {
    "course_utils.attention.scaled_dot_product_attention": check_numpy_attention,
    "course_utils.attention.attention": check_torch_attention,
    "course_utils.attention.MultiHeadAttention": check_mha,
    "course_utils.attention.sinusoidal_positional_encoding": check_sinusoidal,
    "course_utils.attention.rope_frequencies": check_frequencies,
    "course_utils.attention.rope_matrix": check_rope_matrix,
    "course_utils.attention.rotate_half": check_rotate_half,
    "course_utils.attention.apply_rope": check_apply_rope,
}

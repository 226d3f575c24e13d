"""course_utils.attention: every from-scratch piece against a reference, plus bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import attention as A

SHAPES = [  # (leading dims, T_q, T_k, d_k, d_v)
    ((), 1, 1, 1, 1),
    ((), 5, 5, 4, 3),
    ((2,), 6, 6, 8, 8),
    ((2, 3), 7, 7, 16, 5),
    ((1, 2), 4, 9, 8, 6),
    ((3, 1), 9, 4, 2, 2),
]


def _qkv(lead, t_q, t_k, d_k, d_v, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((*lead, t_q, d_k))
    k = rng.standard_normal((*lead, t_k, d_k))
    v = rng.standard_normal((*lead, t_k, d_v))
    return q, k, v


def _sdpa(q, k, v, causal):
    out = F.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), is_causal=causal
    )
    return out.numpy()


# --- one softmax for the course, temperature limits ----------------------------------------------


def test_softmax_is_notebook_03s():
    from course_utils import logistic

    assert A.softmax is logistic.softmax
    assert "softmax" not in A.__all__
    p = A.softmax([1000.0, 1001.0, -np.inf])  # -inf is a masked score: weight 0
    np.testing.assert_allclose(p, [1 / (1 + math.e), math.e / (1 + math.e), 0.0])
    for bad in ([1.0, np.inf], [-np.inf, -np.inf]):
        with pytest.raises(ValueError):
            A.softmax(bad)


def test_numpy_attention_temperature_limits():
    q, k, v = _qkv((2,), 4, 5, 3, 2, seed=12)
    scores = q @ np.swapaxes(k, -1, -2)
    for t in (1e-4, 1e-300):
        _, w = A.scaled_dot_product_attention(q, k, v, temperature=t)
        assert np.isfinite(w).all()
        np.testing.assert_allclose(w, np.eye(5)[scores.argmax(-1)], atol=1e-12)
    _, hot = A.scaled_dot_product_attention(q, k, v, temperature=1e300)
    np.testing.assert_allclose(hot, 0.2)
    _, tied = A.scaled_dot_product_attention(
        np.ones((1, 2)), np.ones((3, 2)), np.ones((3, 1)), temperature=1e-300
    )
    np.testing.assert_allclose(tied, 1 / 3)  # ties share the weight


def test_torch_attention_temperature_limits_and_masked_rows():
    q, k, v = (torch.tensor(a) for a in _qkv((2,), 4, 5, 3, 2, seed=13))
    for dtype in (torch.float64, torch.float32):
        qd, kd, vd = (t.to(dtype) for t in (q, k, v))
        for t in (1e-4, 1e-300):
            _, w = A.attention(qd, kd, vd, temperature=t, causal=True)
            assert torch.isfinite(w).all()
            scores = (qd @ kd.transpose(-2, -1)).masked_fill(
                ~torch.ones(4, 5, dtype=torch.bool).tril(), float("-inf")
            )
            want = F.one_hot(scores.argmax(-1), 5).to(dtype)
            torch.testing.assert_close(w, want)
        out, _ = A.attention(qd, kd, vd, temperature=0.5)
        want = F.scaled_dot_product_attention(qd, kd, vd, scale=1 / (math.sqrt(3) * 0.5))
        torch.testing.assert_close(out, want)
    row_masked = torch.ones(4, 5, dtype=torch.bool)
    row_masked[2] = False
    with pytest.raises(ValueError, match="no key"):
        A.attention(q, k, v, mask=row_masked)
    with pytest.raises(ValueError, match="no key"):
        A.scaled_dot_product_attention(q.numpy(), k.numpy(), v.numpy(), mask=row_masked.numpy())


def test_attention_module_is_mostly_algorithm():
    """Input checks stay at the boundary: at most 12 % of the module's code lines."""
    import inspect

    code = [
        ln.strip()
        for ln in inspect.getsource(A).splitlines()
        if ln.strip() and not ln.strip().startswith(("#", '"', "'"))
    ]
    checks = [
        ln
        for ln in code
        if ln.startswith(("raise ", "if ")) and "raise" in ln or ln.startswith("raise ")
    ]
    assert len(checks) / len(code) <= 0.12


# --- NumPy attention vs SDPA --------------------------------------------------------------------


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_numpy_attention_matches_sdpa(shape, causal):
    q, k, v = _qkv(*shape)
    out, weights = A.scaled_dot_product_attention(q, k, v, causal=causal)
    np.testing.assert_allclose(out, _sdpa(q, k, v, causal), rtol=1e-10, atol=1e-12)
    assert weights.shape == (*shape[0], shape[1], shape[2])
    np.testing.assert_allclose(weights.sum(-1), 1.0)
    if causal:
        assert np.all(weights[..., ~A.causal_mask(shape[1], shape[2])] == 0.0)


def test_numpy_attention_temperature_and_boolean_mask():
    q, k, v = _qkv((2,), 5, 6, 4, 3, seed=3)
    out, _ = A.scaled_dot_product_attention(q, k, v, temperature=0.5)
    want = F.scaled_dot_product_attention(
        *map(torch.tensor, (q, k, v)), scale=1 / (math.sqrt(4) * 0.5)
    ).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-10)
    mask = np.random.default_rng(4).random((5, 6)) > 0.4
    mask[:, 0] = True
    out, weights = A.scaled_dot_product_attention(q, k, v, mask=mask)
    want = F.scaled_dot_product_attention(
        *map(torch.tensor, (q, k, v)), attn_mask=torch.tensor(mask)
    ).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-10)
    assert np.all(weights[:, ~mask] == 0)
    out, _ = A.scaled_dot_product_attention(q, k, v, scale=False)
    want = F.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)), scale=1.0).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-10)


def test_causal_mask():
    np.testing.assert_array_equal(A.causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    assert A.causal_mask(2, 4).shape == (2, 4)
    np.testing.assert_array_equal(
        A.causal_mask(2, 4), torch.ones(2, 4, dtype=torch.bool).tril().numpy()
    )
    with pytest.raises(ValueError):
        A.causal_mask(0)
    with pytest.raises(TypeError):
        A.causal_mask(2.5)


@pytest.mark.parametrize(
    "args, kwargs, err",
    [
        ((np.ones(4), np.ones((3, 4)), np.ones((3, 2))), {}, ValueError),  # q is 1-D
        ((np.ones((2, 4)), np.ones((3, 5)), np.ones((3, 2))), {}, ValueError),  # d_k differ
        ((np.ones((2, 4)), np.ones((3, 4)), np.ones((5, 2))), {}, ValueError),  # T_k differ
        ((np.ones((2, 4)), np.ones((3, 4)), np.ones((3, 2))), {"temperature": 0}, ValueError),
        (
            (np.ones((2, 4)), np.ones((3, 4)), np.ones((3, 2))),
            {"mask": np.ones((4, 4), dtype=bool)},
            ValueError,
        ),
        (
            (np.ones((2, 4)), np.ones((3, 4)), np.ones((3, 2))),
            {"mask": np.zeros((2, 3), dtype=bool)},
            ValueError,
        ),  # all masked
        ((None, np.ones((3, 4)), np.ones((3, 2))), {}, TypeError),
        ((np.full((2, 4), np.nan), np.ones((3, 4)), np.ones((3, 2))), {}, ValueError),
    ],
)
def test_numpy_attention_bad_inputs(args, kwargs, err):
    with pytest.raises(err):
        A.scaled_dot_product_attention(*args, **kwargs)


def test_softmax_saturation_shows_why_we_scale():
    small = A.softmax_saturation(4, scaled=False)
    big = A.softmax_saturation(1024, scaled=False)
    assert big["score_std"] == pytest.approx(32, rel=0.05)
    assert big["max_weight"] > 0.9 and big["jacobian_norm"] < 0.1
    assert small["max_weight"] < 0.5
    scaled = [A.softmax_saturation(d)["max_weight"] for d in (4, 64, 1024)]
    assert max(scaled) - min(scaled) < 0.02
    with pytest.raises(ValueError):
        A.softmax_saturation(0)


# --- PyTorch attention and multi-head attention -------------------------------------------------


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_torch_attention_matches_sdpa(shape, causal):
    q, k, v = (torch.tensor(a) for a in _qkv(*shape, seed=5))
    assert q.dtype == torch.float64
    out, weights = A.attention(q, k, v, causal=causal)
    want = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(out, want, rtol=1e-10, atol=1e-12)
    np_out, np_w = A.scaled_dot_product_attention(q.numpy(), k.numpy(), v.numpy(), causal=causal)
    np.testing.assert_allclose(weights.numpy(), np_w, rtol=1e-12, atol=1e-14)


def test_torch_attention_gradients_match_sdpa():
    q, k, v = (torch.tensor(a, requires_grad=True) for a in _qkv((2,), 5, 5, 4, 3, seed=6))
    A.attention(q, k, v, causal=True)[0].sum().backward()
    mine = [t.grad.clone() for t in (q, k, v)]
    for t in (q, k, v):
        t.grad = None
    F.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()
    for g, t in zip(mine, (q, k, v)):
        torch.testing.assert_close(g, t.grad)


def test_torch_attention_dropout():
    q, k, v = (torch.tensor(a) for a in _qkv((1,), 50, 50, 8, 4, seed=7))
    torch.manual_seed(0)
    _, w = A.attention(q, k, v, dropout_p=0.5, training=True)
    _, w_plain = A.attention(q, k, v)
    dropped = w == 0
    assert 0.4 < dropped.float().mean() < 0.6
    torch.testing.assert_close(w[~dropped], 2 * w_plain[~dropped])
    _, w_eval = A.attention(q, k, v, dropout_p=0.5, training=False)
    torch.testing.assert_close(w_eval, w_plain)


@pytest.mark.parametrize(
    "bad, err",
    [
        (dict(temperature=-2.0), ValueError),
        (dict(mask=torch.zeros(2, 2, dtype=torch.bool)), ValueError),
        (dict(v=torch.ones(3, 2)), ValueError),
    ],
)
def test_torch_attention_bad_inputs(bad, err):
    args = dict(q=torch.ones(2, 2), k=torch.ones(2, 2), v=torch.ones(2, 2))
    args.update(bad)
    with pytest.raises(err):
        A.attention(args.pop("q"), args.pop("k"), args.pop("v"), **args)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("d_model, n_heads, bias", [(8, 1, True), (12, 3, True), (16, 4, False)])
def test_multi_head_matches_torch_multihead_attention(d_model, n_heads, bias, causal):
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(d_model, n_heads, bias=bias, batch_first=True).double().eval()
    mine = A.MultiHeadAttention(d_model, n_heads, bias=bias).double().eval()
    mine.load_torch_weights(ref)
    x = torch.randn(3, 6, d_model, dtype=torch.float64)
    mask = torch.ones(6, 6, dtype=torch.bool).triu(1) if causal else None  # True = blocked
    want, want_w = ref(x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False)
    got, got_w = mine(x, causal=causal, need_weights=True)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(got_w, want_w, rtol=1e-10, atol=1e-12)


def test_multi_head_cross_attention_matches_torch():
    torch.manual_seed(1)
    ref = nn.MultiheadAttention(8, 2, batch_first=True).double().eval()
    mine = A.MultiHeadAttention(8, 2).double().load_torch_weights(ref).eval()
    q, kv = torch.randn(2, 3, 8, dtype=torch.float64), torch.randn(2, 5, 8, dtype=torch.float64)
    torch.testing.assert_close(mine(q, kv, kv), ref(q, kv, kv)[0])


def test_multi_head_split_merge_and_dropout():
    mha = A.MultiHeadAttention(12, 3, dropout=0.3)
    x = torch.randn(2, 5, 12)
    heads = mha.split_heads(x)
    assert heads.shape == (2, 3, 5, 4)
    torch.testing.assert_close(heads[:, 1], x[..., 4:8])
    torch.testing.assert_close(mha.merge_heads(heads), x)
    mha.train()
    torch.manual_seed(0)
    _, w = mha(x, need_weights=True)
    assert (w == 0).any()
    mha.eval()
    _, w = mha(x, need_weights=True)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, 5))


def test_multi_head_bad_inputs():
    with pytest.raises(ValueError):
        A.MultiHeadAttention(10, 3)
    mha = A.MultiHeadAttention(8, 2)
    with pytest.raises(ValueError):
        mha(torch.randn(2, 5, 6))
    with pytest.raises(ValueError):
        mha(torch.randn(2, 5, 8), torch.randn(2, 5, 8), torch.randn(2, 4, 8))
    with pytest.raises(ValueError):
        mha.load_torch_weights(nn.MultiheadAttention(8, 4))


# --- Sinusoidal positional encoding -------------------------------------------------------------


def test_sinusoidal_encoding_matches_the_formula():
    n, d = 30, 10
    pe = A.sinusoidal_positional_encoding(n, d)
    assert pe.shape == (n, d)
    for pos in range(n):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            assert pe[pos, 2 * i] == pytest.approx(math.sin(angle), abs=1e-12)
            assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-12)
    np.testing.assert_allclose(pe[0], np.tile([0.0, 1.0], d // 2))


def test_sinusoidal_encoding_properties():
    pe = A.sinusoidal_positional_encoding(200, 32)
    m = A.positional_metrics(pe)
    assert m["max_abs"] <= 1.0
    assert m["min_distance"] > 0.5
    assert m["offset_dependence"] < 1e-12
    # PE(pos + k) is a fixed linear map (a rotation) of PE(pos)
    k = 7
    M = A.rope_matrix(k, 32).T  # rotation by k * theta_i in each (sin, cos) pair
    np.testing.assert_allclose(pe[k:] @ M, pe[:-k], atol=1e-10)


def test_positional_metrics_tell_candidates_apart():
    pos = np.arange(60, dtype=float)[:, None]
    integer = np.repeat(pos, 8, axis=1)
    assert A.positional_metrics(integer)["max_abs"] == 59
    assert A.positional_metrics(integer)["offset_dependence"] > 0.1
    same_sin = np.repeat(np.sin(pos), 8, axis=1)
    assert A.positional_metrics(same_sin)["min_distance"] < 0.1
    with pytest.raises(ValueError):
        A.positional_metrics(np.ones((2, 4)))
    with pytest.raises(ValueError):
        A.positional_metrics(np.ones(10))


@pytest.mark.parametrize(
    "args, err",
    [
        ((10, 7), ValueError),
        ((0, 8), ValueError),
        ((10, 8, -1.0), ValueError),
        ((10.0, 8), TypeError),
        ((10, None), TypeError),
    ],
)
def test_sinusoidal_bad_inputs(args, err):
    with pytest.raises(err):
        A.sinusoidal_positional_encoding(*args)


# --- RoPE ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pairing", ["adjacent", "halves"])
def test_rope_matrix_is_a_rotation(pairing):
    for pos in (0, 1, 5.5, 100):
        r = A.rope_matrix(pos, 8, pairing=pairing)
        np.testing.assert_allclose(r.T @ r, np.eye(8), atol=1e-12)
        assert np.linalg.det(r) == pytest.approx(1.0)
    r = A.rope_matrix(3, 6)
    theta = A.rope_frequencies(6)
    np.testing.assert_allclose(
        r[:2, :2],
        [
            [math.cos(3 * theta[0]), -math.sin(3 * theta[0])],
            [math.sin(3 * theta[0]), math.cos(3 * theta[0])],
        ],
    )
    assert np.all(r[:2, 2:] == 0) and np.all(r[2:, :2] == 0)
    np.testing.assert_allclose(A.rope_matrix(0, 6), np.eye(6))


@pytest.mark.parametrize("pairing", ["adjacent", "halves"])
@pytest.mark.parametrize("shape", [(1, 2), (6, 8), (2, 3, 5, 16)], ids=str)
def test_rope_fast_form_equals_matrix_form(shape, pairing):
    x = np.random.default_rng(8).standard_normal(shape)
    slow = A.apply_rope_matrix(x, pairing=pairing)
    np.testing.assert_allclose(A.apply_rope(x, pairing=pairing), slow, atol=1e-12)
    tensor = A.apply_rope(torch.tensor(x), pairing=pairing)
    assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float64
    np.testing.assert_allclose(tensor.numpy(), slow, atol=1e-12)
    positions = np.linspace(3, 40, shape[-2])
    np.testing.assert_allclose(
        A.apply_rope(x, positions, pairing=pairing),
        A.apply_rope_matrix(x, positions, pairing=pairing),
        atol=1e-12,
    )


def test_rope_halves_is_adjacent_with_dimensions_reordered():
    x = np.random.default_rng(9).standard_normal((5, 8))
    order = np.array([0, 2, 4, 6, 1, 3, 5, 7])  # adjacent pair i -> dims (i, i + 4)
    np.testing.assert_allclose(
        A.apply_rope(x[:, order], pairing="halves"),
        A.apply_rope(x, pairing="adjacent")[:, order],
        atol=1e-12,
    )


def test_rope_preserves_norms():
    x = np.random.default_rng(10).standard_normal((4, 20, 16))
    np.testing.assert_allclose(np.linalg.norm(A.apply_rope(x), axis=-1), np.linalg.norm(x, axis=-1))


def test_rope_score_depends_only_on_offset():
    rng = np.random.default_rng(11)
    d = 16
    q, k = rng.standard_normal(d), rng.standard_normal(d)
    for i, j in [(0, 3), (5, 8), (100, 103), (7, 2), (57, 52)]:
        score = (A.rope_matrix(i, d) @ q) @ (A.rope_matrix(j, d) @ k)
        assert score == pytest.approx(q @ A.rope_matrix(j - i, d) @ k, abs=1e-10)
    a = (A.rope_matrix(0, d) @ q) @ (A.rope_matrix(3, d) @ k)
    b = (A.rope_matrix(40, d) @ q) @ (A.rope_matrix(43, d) @ k)
    assert a == pytest.approx(b, abs=1e-10)
    # the whole score matrix is constant along its diagonals
    qs, ks = A.apply_rope(np.tile(q, (12, 1))), A.apply_rope(np.tile(k, (12, 1)))
    scores = qs @ ks.T
    for off in range(-11, 12):
        diag = np.diagonal(scores, offset=off)
        np.testing.assert_allclose(diag, diag[0], atol=1e-10)


def test_rotate_half():
    np.testing.assert_array_equal(A.rotate_half(np.array([1.0, 2, 3, 4])), [-2, 1, -4, 3])
    np.testing.assert_array_equal(A.rotate_half(np.array([1.0, 2, 3, 4]), "halves"), [-3, -4, 1, 2])
    t = torch.tensor([[1.0, 2, 3, 4]])
    torch.testing.assert_close(A.rotate_half(t), torch.tensor([[-2.0, 1, -4, 3]]))
    torch.testing.assert_close(A.rotate_half(A.rotate_half(t)), -t)


@pytest.mark.parametrize(
    "call, err",
    [
        (lambda: A.rope_matrix(1, 7), ValueError),
        (lambda: A.rope_matrix(np.array([1.0, 2.0]), 8), ValueError),
        (lambda: A.rope_matrix("a", 8), TypeError),
        (lambda: A.rope_matrix(1, 8, pairing="zip"), ValueError),
        (lambda: A.rope_frequencies(8, base=0), ValueError),
        (lambda: A.apply_rope(np.ones((3, 5))), ValueError),
        (lambda: A.apply_rope(np.ones((3, 4)), positions=[0, 1]), ValueError),
        (lambda: A.rotate_half(np.ones(3)), ValueError),
    ],
)
def test_rope_bad_inputs(call, err):
    with pytest.raises(err):
        call()

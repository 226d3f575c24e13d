"""Tests of the modern switches of course_utils.gpt (notebook 12).

Each piece is proved against an independent reference: RMSNorm against ``torch.nn.RMSNorm``,
the model's RoPE against notebook 09's ``course_utils.attention.apply_rope``, grouped-query
attention against ordinary multi-head attention and against PyTorch's own grouped
``scaled_dot_product_attention``; the KV cache against recomputing the whole window; and the model
against causality and its documented parameter counts with every switch.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import attention, gpt
from course_utils.gpt.checkpoint import content_sha256

TINY = gpt.GPTConfig(vocab_size=13, block_size=12, n_layer=2, n_head=4, n_embd=32, dropout=0.0)
SWITCHES = {
    "position": ("learned", "rope"),
    "norm": ("layernorm", "rmsnorm"),
    "mlp": ("gelu", "swiglu"),
    "n_kv_head": (None, 2, 1),
}
COMBOS = [dict(zip(SWITCHES, values)) for values in itertools.product(*SWITCHES.values())]


def combo_id(combo: dict) -> str:
    return "-".join(str(v) for v in combo.values())


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def model_for(seed: int = 0, **changes) -> gpt.GPT:
    torch.manual_seed(seed)
    model = gpt.GPT(replace(TINY, **changes)).eval()
    with torch.no_grad():  # norm scales and biases away from their initial 1 and 0
        for p in model.parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    return model


# ----------------------------------------------------------------------------- configuration


def test_defaults_are_notebook_10s_model():
    cfg = gpt.GPTConfig()
    assert (cfg.position, cfg.norm, cfg.mlp, cfg.n_kv_head) == (
        "learned",
        "layernorm",
        "gelu",
        None,
    )
    assert cfg.kv_heads == cfg.n_head and cfg.ffn_width == 4 * cfg.n_embd
    model = gpt.GPT(TINY)
    names = {name for name, _ in model.named_parameters()}
    assert "pos_emb.weight" in names
    assert isinstance(model.blocks[0].ln1, nn.LayerNorm) and isinstance(
        model.blocks[0].mlp, gpt.MLP
    )
    assert model.blocks[0].attn.rotary is None


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"position": "sinusoidal"}, ValueError, "position must be one of"),
        ({"norm": "batchnorm"}, ValueError, "norm must be one of"),
        ({"mlp": "relu"}, ValueError, "mlp must be one of"),
        ({"n_kv_head": 3}, ValueError, "must divide n_head"),
        ({"n_kv_head": 0}, ValueError, "n_kv_head must be at least 1"),
        ({"n_kv_head": 2.0}, TypeError, "n_kv_head must be an integer"),
        ({"ffn_hidden": -4}, ValueError, "ffn_hidden must be at least 1"),
        ({"position": "rope", "n_embd": 36, "n_head": 4}, ValueError, "even head size"),
    ],
)
def test_bad_switches_are_rejected(changes, error, match):
    with pytest.raises(error, match=match):
        replace(TINY, **changes)


def test_each_switch_error_names_only_its_own_problem():
    with pytest.raises(ValueError) as info:  # learned positions: the head size does not matter
        replace(TINY, n_kv_head=3)
    assert "RoPE" not in str(info.value)
    with pytest.raises(TypeError, match="needs a dict"):
        gpt.GPTConfig.from_dict([1, 2])


def test_swiglu_width_keeps_the_feed_forward_size():
    for c in (32, 64, 128, 384):
        cfg = replace(TINY, n_embd=c, n_head=4, mlp="swiglu")
        assert cfg.ffn_width % 8 == 0
        assert abs(3 * cfg.ffn_width - 8 * c) <= 12  # 3 C H is within 12 C of GELU's 8 C^2
    assert replace(TINY, mlp="swiglu", ffn_hidden=50).ffn_width == 50


# ----------------------------------------------------------------------------- the pieces


@pytest.mark.parametrize("eps", [None, 1e-5])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rmsnorm_equals_torch(eps, dtype):
    torch.manual_seed(0)
    ours, ref = gpt.RMSNorm(24, eps=eps).to(dtype), nn.RMSNorm(24, eps=eps).to(dtype)
    with torch.no_grad():
        ours.weight.normal_()
        ref.weight.copy_(ours.weight)
    x = (torch.randn(3, 5, 24, dtype=dtype) * 3 + 1).requires_grad_()
    a, b = ours(x), ref(x)
    tol = 1e-6 if dtype == torch.float32 else 1e-12
    assert torch.allclose(a, b, atol=tol, rtol=tol)
    ga = torch.autograd.grad(a.pow(3).sum(), [x, ours.weight])
    gb = torch.autograd.grad(b.pow(3).sum(), [x, ref.weight])
    assert all(torch.allclose(u, w, atol=100 * tol, rtol=100 * tol) for u, w in zip(ga, gb))
    # Tiny inputs: eps keeps it finite.
    assert torch.isfinite(ours(torch.zeros(2, 24, dtype=dtype))).all()


@pytest.mark.parametrize("start", [0, 3])
def test_rotary_is_notebook_09s_rope(start):
    torch.manual_seed(1)
    rot = gpt.Rotary(head_size=8, block_size=16)
    x = torch.randn(2, 3, 5, 8, dtype=torch.float32)
    got = rot(x, start)
    positions = torch.arange(start, start + 5).numpy()
    want = attention.apply_rope(x, positions, pairing="halves")
    assert torch.allclose(got, want, atol=1e-6)
    # The same rotation as notebook 09's explicit block-diagonal matrices (with the halves layout).
    matrices = attention.apply_rope_matrix(x.double().numpy(), positions, pairing="halves")
    assert torch.allclose(got.double(), torch.from_numpy(matrices), atol=1e-5)


def test_rope_scores_depend_only_on_the_offset():
    torch.manual_seed(2)
    rot = gpt.Rotary(head_size=8, block_size=32)
    q, k = torch.randn(8), torch.randn(8)
    rows = torch.stack([q, k]).expand(1, 1, 2, 8)

    def score(i: int, j: int) -> float:
        qi = rot(rows[..., :1, :], i)[0, 0, 0]
        kj = rot(rows[..., 1:, :], j)[0, 0, 0]
        return float(qi @ kj)

    assert score(7, 3) == pytest.approx(score(24, 20), abs=1e-5)
    assert score(7, 3) != pytest.approx(score(7, 4), abs=1e-3)


def test_gqa_with_as_many_kv_heads_is_multi_head_attention():
    torch.manual_seed(3)
    plain = gpt.CausalSelfAttention(TINY)
    grouped = gpt.CausalSelfAttention(replace(TINY, n_kv_head=TINY.n_head))
    grouped.load_state_dict(plain.state_dict())
    x = torch.randn(2, 9, TINY.n_embd)
    for fused in (True, False):
        plain.fused = grouped.fused = fused
        assert torch.equal(grouped(x), plain(x))
    # ... and that is notebook 09's MultiHeadAttention (see test_gpt.py for the weight copy).
    mha = attention.MultiHeadAttention(TINY.n_embd, TINY.n_head, bias=False)
    with torch.no_grad():
        for layer, rows in zip(
            (mha.q_proj, mha.k_proj, mha.v_proj), grouped.qkv.weight.split(TINY.n_embd)
        ):
            layer.weight.copy_(rows)
        mha.out_proj.weight.copy_(grouped.proj.weight)
    assert torch.allclose(grouped(x), mha(x, causal=True), atol=1e-6)


@pytest.mark.parametrize("n_kv_head", [1, 2])
@pytest.mark.parametrize("position", ["learned", "rope"])
def test_gqa_equals_sdpa_on_repeated_keys_and_values(n_kv_head, position):
    cfg = replace(TINY, n_kv_head=n_kv_head, position=position)
    torch.manual_seed(4)
    attn = gpt.CausalSelfAttention(cfg)
    assert attn.qkv.weight.shape == (TINY.n_embd + 2 * n_kv_head * cfg.head_size, TINY.n_embd)
    x = torch.randn(2, 10, TINY.n_embd)
    q, k, v = attn._heads(x)
    assert k.shape == v.shape == (2, n_kv_head, 10, cfg.head_size)
    groups = TINY.n_head // n_kv_head
    # Query head h uses key/value head h // groups.
    k_rep = torch.stack([k[:, h // groups] for h in range(TINY.n_head)], dim=1)
    v_rep = torch.stack([v[:, h // groups] for h in range(TINY.n_head)], dim=1)
    assert torch.equal(gpt.repeat_kv(k, groups), k_rep)
    y = F.scaled_dot_product_attention(q, k_rep, v_rep, is_causal=True)
    want = attn.proj(y.transpose(1, 2).reshape(x.shape))
    if "enable_gqa" in F.scaled_dot_product_attention.__doc__:  # PyTorch's own grouped kernel
        y2 = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        assert torch.allclose(y, y2, atol=1e-6)
    for fused in (True, False):
        attn.fused = fused
        assert torch.allclose(attn(x), want, atol=1e-6)


# ----------------------------------------------------------------------------- the model


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_model_is_causal_with_every_switch(combo):
    model = model_for(5, **combo)
    idx = torch.randint(0, TINY.vocab_size, (2, TINY.block_size))
    changed = idx.clone()
    changed[:, 7:] = (changed[:, 7:] + 1) % TINY.vocab_size
    for fused in (True, False):
        model.set_fused_attention(fused)
        a, _ = model(idx)
        b, _ = model(changed)
        assert torch.allclose(a[:, :7], b[:, :7], atol=1e-6)  # the past ignores the future
        assert not torch.allclose(a[:, 7:], b[:, 7:], atol=1e-3)


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("tie", [True, False])
def test_parameter_count_formula_with_every_switch(combo, bias, tie):
    cfg = replace(TINY, bias=bias, tie_weights=tie, **combo)
    model = gpt.GPT(cfg)
    assert gpt.count_parameters(model) == gpt.parameter_count(cfg)
    has_pos = any(name == "pos_emb.weight" for name, _ in model.named_parameters())
    assert has_pos == (cfg.position == "learned")


def test_documented_parameter_counts_of_the_modern_presets():
    cpu, modern = gpt.cpu_preset().model, gpt.cpu_modern_preset().model
    assert gpt.parameter_count(cpu) == 812_416
    assert (modern.position, modern.norm, modern.mlp) == ("rope", "rmsnorm", "swiglu")
    assert gpt.parameter_count(modern) == gpt.count_parameters(gpt.GPT(modern)) == 808_320
    gpu, gpu_modern = gpt.gpu_preset().model, gpt.gpu_modern_preset().model
    assert gpt.parameter_count(gpu) == 10_745_088
    assert gpt.parameter_count(gpu_modern) == 10_646_784  # no position table
    assert abs(gpt.parameter_count(gpu_modern) / gpt.parameter_count(gpu) - 1) < 0.02


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_cached_forward_equals_the_full_forward(combo):
    model = model_for(6, **combo)
    idx = torch.randint(0, TINY.vocab_size, (2, 10))
    full, _ = model(idx)
    cache = gpt.KVCache(TINY.n_layer)
    parts = [model(idx[:, a:b], cache=cache)[0] for a, b in ((0, 4), (4, 5), (5, 8), (8, 10))]
    assert cache.length == 10
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-5)
    kv = replace(TINY, **combo).kv_heads
    assert cache.keys[0].shape == (2, kv, 10, TINY.head_size)
    with pytest.raises(ValueError, match="context"):
        model(idx[:, :3], cache=cache)  # 10 + 3 > 12


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_generate_gives_the_same_tokens_with_and_without_the_cache(combo):
    model = model_for(7, **combo)
    short = torch.randint(0, TINY.vocab_size, (2, 3))
    long = torch.randint(0, TINY.vocab_size, (2, TINY.block_size + 4))  # longer than the context
    for prompt in (short, long):
        n = 2 * TINY.block_size  # well past the context
        greedy = [model.generate(prompt, n, top_k=1, use_cache=c) for c in (True, False)]
        assert torch.equal(greedy[0], greedy[1])
        sampled = [
            model.generate(
                prompt, n, temperature=1.3, use_cache=c, generator=torch.Generator().manual_seed(11)
            )
            for c in (True, False)
        ]
        assert torch.equal(sampled[0], sampled[1])
        assert sampled[0].shape == (2, prompt.size(1) + n)
        assert not torch.equal(sampled[0], greedy[0])


def test_the_cache_feeds_one_token_per_step_until_the_window_is_full():
    model = model_for(8)
    fed = []
    model.register_forward_pre_hook(lambda m, args: fed.append(args[0].size(1)))
    model.generate(torch.zeros(1, 4, dtype=torch.long), 12, use_cache=True)
    # The prompt (4), then one token per step until 12 are cached, then the window of 12 each step.
    assert fed == [4] + [1] * 8 + [12] * 3
    fed.clear()
    model.generate(torch.zeros(1, 4, dtype=torch.long), 12, use_cache=False)
    assert fed == [4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 12, 12]


def test_grouped_query_cache_is_smaller():
    idx = torch.zeros(1, 10, dtype=torch.long)
    sizes = {}
    for kv in (None, 2, 1):
        cache = gpt.KVCache(TINY.n_layer)
        model_for(9, n_kv_head=kv)(idx, cache=cache)
        sizes[kv] = cache.nbytes
    per_head = TINY.n_layer * 2 * 10 * TINY.head_size * 4  # layers x (K and V) x T x hs x 4 bytes
    assert sizes == {None: 4 * per_head, 2: 2 * per_head, 1: per_head}


def test_generation_restores_training_mode_and_checks_arguments():
    model = model_for(10, position="rope").train()
    out = model.generate(torch.tensor([[1, 2]]), 3)
    assert model.training and out.shape == (1, 5)
    with pytest.raises(ValueError, match="ids 0 to"):
        model.generate(torch.tensor([[1, 99]]), 3, use_cache=True)


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoints_record_the_switches(tmp_path):
    cfg = replace(TINY, position="rope", norm="rmsnorm", mlp="swiglu", n_kv_head=2, ffn_hidden=40)
    model = model_for(11, **cfg.to_dict())
    path = gpt.save_checkpoint(tmp_path / "m.pt", model)
    ck = gpt.load_checkpoint(path)
    assert ck.config == cfg
    idx = torch.randint(0, TINY.vocab_size, (1, 8))
    assert torch.equal(ck.model(idx)[0], model(idx)[0])


def test_a_checkpoint_without_the_switches_loads_as_notebook_10s_model(tmp_path):
    model = model_for(12)
    path = gpt.save_checkpoint(tmp_path / "old.pt", model)
    payload = torch.load(path, weights_only=True)
    for key in ("position", "norm", "mlp", "n_kv_head", "ffn_hidden"):
        del payload["config"][key]  # as written before the switches existed
    payload["sha256"] = content_sha256(payload)
    torch.save(payload, path)
    ck = gpt.load_checkpoint(path)
    assert ck.config == TINY
    idx = torch.randint(0, TINY.vocab_size, (1, 8))
    assert torch.equal(ck.model(idx)[0], model(idx)[0])

"""Tests of course_utils.gpt: the GPT of notebooks 10 and 11.

The attention module is checked against PyTorch's own implementations (``scaled_dot_product_attention``
and ``nn.MultiheadAttention``) and an explicit float64 reference; the model against causality,
documented shapes and parameter counts; training, checkpoints and bad input against their promises.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import gpt
from course_utils.tokenizers import CharTokenizer

TINY = gpt.GPTConfig(vocab_size=11, block_size=16, n_layer=2, n_head=4, n_embd=32, dropout=0.0)


@pytest.fixture(autouse=True)
def one_thread():
    """These models are tiny: one thread is faster, and never stalls on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_model(seed: int = 0, **changes) -> gpt.GPT:
    torch.manual_seed(seed)
    return gpt.GPT(replace(TINY, **changes)).eval()


# ----------------------------------------------------------------------------- configuration


def test_config_defaults_are_the_gpu_model():
    cfg = gpt.GPTConfig()
    assert (cfg.n_layer, cfg.n_head, cfg.n_embd, cfg.block_size, cfg.dropout) == (
        6,
        6,
        384,
        256,
        0.2,
    )
    assert cfg.head_size == 64
    assert gpt.GPTConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"n_embd": 30, "n_head": 4}, ValueError, "divisible by n_head"),
        ({"n_layer": 0}, ValueError, "n_layer must be at least 1"),
        ({"block_size": -3}, ValueError, "block_size must be at least 1"),
        ({"vocab_size": 0}, ValueError, "vocab_size"),
        ({"n_head": 2.0}, TypeError, "n_head must be an integer"),
        ({"dropout": 1.0}, ValueError, "dropout"),
        ({"dropout": -0.1}, ValueError, "dropout"),
        ({"bias": "no"}, TypeError, "bias"),
    ],
)
def test_bad_configs_raise_clear_errors(changes, error, match):
    with pytest.raises(error, match=match):
        replace(TINY, **changes)


def test_configs_store_plain_python_numbers():
    cfg = gpt.GPTConfig(n_embd=np.int64(64), n_head=np.int64(4), dropout=np.float32(0.5))
    assert type(cfg.n_embd) is int and type(cfg.n_head) is int and type(cfg.dropout) is float
    tcfg = gpt.TrainConfig(batch_size=np.int32(8), learning_rate=np.float64(1e-3))
    assert type(tcfg.batch_size) is int and type(tcfg.learning_rate) is float


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match="Unknown GPTConfig field"):
        gpt.GPTConfig.from_dict({**TINY.to_dict(), "n_embed": 32})


@pytest.mark.parametrize(
    "changes",
    [
        {"batch_size": 0},
        {"max_steps": -1},
        {"learning_rate": 0.0},
        {"min_lr": 1.0},
        {"warmup_steps": -1},
        {"warmup_steps": 200, "max_steps": 100},
        {"beta2": 1.0},
        {"eval_interval": 0},
        {"grad_clip": float("nan")},
    ],
)
def test_bad_train_configs(changes):
    with pytest.raises((ValueError, TypeError)):
        gpt.TrainConfig(**changes)


def test_presets_hold_the_documented_numbers():
    g = gpt.gpu_preset()
    assert (g.model.n_layer, g.model.n_head, g.model.n_embd, g.model.block_size) == (6, 6, 384, 256)
    assert g.model.dropout == 0.2
    assert (g.train.batch_size, g.train.max_steps, g.train.learning_rate, g.train.min_lr) == (
        64,
        5000,
        1e-3,
        1e-4,
    )
    assert g.train.compile
    c = gpt.cpu_preset()
    assert (c.model.n_layer, c.model.n_head, c.model.n_embd, c.model.block_size) == (4, 4, 128, 64)
    assert c.model.dropout == 0.0
    assert (c.train.batch_size, c.train.max_steps, c.train.learning_rate, c.train.min_lr) == (
        12,
        2000,
        1e-3,
        1e-4,
    )
    assert not c.train.compile
    assert c.tokens_per_step == 768
    f = gpt.fast_preset()
    assert gpt.parameter_count(f.model) < gpt.parameter_count(c.model)
    assert gpt.preset_for_device("cpu", fast=False).name == "cpu"
    assert gpt.preset_for_device("cuda", fast=False).name == "gpu"
    mps = gpt.preset_for_device("mps", fast=False)
    assert mps.model == g.model and not mps.train.compile
    assert gpt.preset_for_device("cuda", fast=True).name == "fast"


# ----------------------------------------------------------------------------- attention


def _reference_attention(attn: gpt.CausalSelfAttention, x: torch.Tensor) -> torch.Tensor:
    """Explicit causal attention in float64, one head and one query at a time."""
    b, t, c = x.shape
    h, d = attn.n_head, attn.head_size
    w = attn.qkv.weight.double()
    q, k, v = (x.double() @ w.T).split(c, dim=2)
    out = torch.zeros(b, t, c, dtype=torch.float64)
    for bi in range(b):
        for hi in range(h):
            sl = slice(hi * d, (hi + 1) * d)
            for i in range(t):
                scores = torch.stack([q[bi, i, sl] @ k[bi, j, sl] for j in range(i + 1)])
                weights = torch.softmax(scores / math.sqrt(d), dim=0)
                out[bi, i, sl] = sum(weights[j] * v[bi, j, sl] for j in range(i + 1))
    return out @ attn.proj.weight.double().T


@pytest.mark.parametrize("fused", [True, False])
def test_attention_matches_explicit_float64_reference(fused):
    torch.manual_seed(1)
    attn = gpt.CausalSelfAttention(TINY).eval()
    attn.fused = fused
    x = torch.randn(2, 7, TINY.n_embd)
    with torch.no_grad():
        assert torch.allclose(attn(x).double(), _reference_attention(attn, x), atol=1e-5)


def test_attention_matches_sdpa_and_multihead_attention():
    torch.manual_seed(2)
    attn = gpt.CausalSelfAttention(TINY).eval()
    x = torch.randn(3, TINY.block_size, TINY.n_embd)
    with torch.no_grad():
        fused = attn(x)
        attn.fused = False
        explicit = attn(x)
        # PyTorch's scaled_dot_product_attention applied directly to the heads.
        q, k, v = attn._heads(x)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        sdpa = attn.proj(y.transpose(1, 2).reshape(x.shape))
        # nn.MultiheadAttention with the same weights and a causal mask (True = blocked).
        mha = nn.MultiheadAttention(TINY.n_embd, TINY.n_head, bias=False, batch_first=True)
        mha.in_proj_weight.copy_(attn.qkv.weight)
        mha.out_proj.weight.copy_(attn.proj.weight)
        blocked = ~torch.from_numpy(gpt.causal_mask(x.size(1)))
        mha_out, _ = mha(x, x, x, attn_mask=blocked, need_weights=False)
    assert torch.allclose(fused, sdpa, atol=1e-6)
    assert torch.allclose(explicit, sdpa, atol=1e-5)
    assert torch.allclose(mha_out, sdpa, atol=1e-5)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("fused", [True, False])
def test_attention_is_notebook_09s_multi_head_attention(bias, fused):
    """One idea of multi-head attention: the GPT's block attention, given the same weights, is
    course_utils.attention.MultiHeadAttention (notebook 09) with ``causal=True``."""
    from course_utils.attention import MultiHeadAttention

    cfg = replace(TINY, bias=bias)
    torch.manual_seed(11)
    attn = gpt.CausalSelfAttention(cfg)
    attn.fused = fused
    mha = MultiHeadAttention(cfg.n_embd, cfg.n_head, bias=bias)
    with torch.no_grad():
        for layer, rows in zip(
            (mha.q_proj, mha.k_proj, mha.v_proj), attn.qkv.weight.split(cfg.n_embd)
        ):
            layer.weight.copy_(rows)
        mha.out_proj.weight.copy_(attn.proj.weight)
        if bias:
            attn.qkv.bias.normal_()  # non-zero biases, so their copying is tested too
            attn.proj.bias.normal_()
            for layer, part in zip(
                (mha.q_proj, mha.k_proj, mha.v_proj), attn.qkv.bias.split(cfg.n_embd)
            ):
                layer.bias.copy_(part)
            mha.out_proj.bias.copy_(attn.proj.bias)
    x = torch.randn(3, 12, cfg.n_embd, requires_grad=True)
    ours = attn(x)
    theirs, weights = mha(x, causal=True, need_weights=True)
    assert torch.allclose(ours, theirs, atol=1e-6)
    assert torch.allclose(attn.attention_weights(x), weights, atol=1e-6)
    (gx_ours,) = torch.autograd.grad(ours.square().sum(), x)
    (gx_theirs,) = torch.autograd.grad(theirs.square().sum(), x)
    assert torch.allclose(gx_ours, gx_theirs, atol=1e-5)


def test_attention_paths_have_equal_gradients():
    torch.manual_seed(3)
    x = torch.randn(2, 9, TINY.n_embd)
    grads = []
    for fused in (True, False):
        torch.manual_seed(4)
        attn = gpt.CausalSelfAttention(TINY)
        attn.fused = fused
        attn(x).square().sum().backward()
        grads.append(attn.qkv.weight.grad.clone())
    assert torch.allclose(grads[0], grads[1], atol=1e-5)


def test_attention_weights_are_causal_distributions():
    torch.manual_seed(5)
    attn = gpt.CausalSelfAttention(TINY)
    w = attn.attention_weights(torch.randn(2, 10, TINY.n_embd))
    assert w.shape == (2, TINY.n_head, 10, 10)
    assert torch.allclose(w.sum(-1), torch.ones(2, TINY.n_head, 10))
    assert torch.all(w.triu(diagonal=1) == 0)
    assert w[0, 0, 0, 0] == 1.0  # the first token can only look at itself


def test_causal_mask_is_notebook_09s():
    # One home for the mask: the GPT uses course_utils.attention's.
    from course_utils import attention

    assert gpt.causal_mask is attention.causal_mask
    buffer = gpt.CausalSelfAttention(TINY).mask
    assert buffer.dtype == torch.bool and buffer.shape == (1, 1, TINY.block_size, TINY.block_size)
    assert buffer[0, 0, :4, :4].tolist() == [
        [True, False, False, False],
        [True, True, False, False],
        [True, True, True, False],
        [True, True, True, True],
    ]
    with pytest.raises(ValueError):
        gpt.causal_mask(0)


# ----------------------------------------------------------------------------- the model


@pytest.mark.parametrize("fused", [True, False])
def test_model_is_causal(fused):
    model = tiny_model().set_fused_attention(fused)
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, TINY.vocab_size, (2, TINY.block_size), generator=g)
    with torch.no_grad():
        base, _ = model(idx)
        for t in (0, 5, TINY.block_size - 2):
            changed = idx.clone()
            changed[:, t + 1 :] = (changed[:, t + 1 :] + 1) % TINY.vocab_size
            logits, _ = model(changed)
            assert torch.allclose(logits[:, : t + 1], base[:, : t + 1], atol=1e-6)
            assert not torch.allclose(logits[:, t + 1 :], base[:, t + 1 :], atol=1e-3)


def test_fused_and_explicit_models_agree():
    model = tiny_model()
    idx = torch.randint(0, TINY.vocab_size, (3, 12))
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model.set_fused_attention(False)(idx)
    assert torch.allclose(a, b, atol=1e-5)


def test_shapes_and_loss():
    model = tiny_model()
    idx = torch.randint(0, TINY.vocab_size, (4, 10))
    logits, loss = model(idx)
    assert logits.shape == (4, 10, TINY.vocab_size) and loss is None
    targets = torch.randint(0, TINY.vocab_size, (4, 10))
    logits, loss = model(idx, targets)
    assert loss.shape == () and torch.isfinite(loss)
    manual = F.cross_entropy(logits.reshape(-1, TINY.vocab_size), targets.reshape(-1))
    assert torch.allclose(loss, manual)
    # A fresh model guesses almost uniformly: loss close to ln(vocab_size).
    assert abs(loss.item() - math.log(TINY.vocab_size)) < 0.2


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("tie", [True, False])
def test_parameter_count_formula(bias, tie):
    cfg = replace(TINY, bias=bias, tie_weights=tie)
    model = gpt.GPT(cfg)
    assert gpt.count_parameters(model) == gpt.parameter_count(cfg)
    assert (model.head.weight is model.tok_emb.weight) == tie


def test_documented_parameter_counts():
    assert gpt.parameter_count(gpt.gpu_preset().model) == 10_745_088
    assert gpt.parameter_count(gpt.gpu_preset().model, include_position=False) == 10_646_784
    cpu = gpt.cpu_preset().model
    assert not cpu.tie_weights and gpt.gpu_preset().model.tie_weights
    assert gpt.parameter_count(cpu) == 812_416
    assert gpt.count_parameters(gpt.GPT(cpu)) == 812_416
    assert gpt.parameter_count(replace(cpu, tie_weights=True)) == 804_096  # nanoGPT's 0.80 M


def test_bad_model_inputs():
    model = tiny_model()
    with pytest.raises(ValueError, match=r"unsqueeze\(0\)"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="shape"):
        model(torch.zeros(1, 2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="integer token ids"):
        model(torch.zeros(1, 4))
    with pytest.raises(TypeError):
        model([[1, 2]])
    with pytest.raises(ValueError, match="context"):
        model(torch.zeros(1, TINY.block_size + 1, dtype=torch.long))
    with pytest.raises(ValueError, match="same shape"):
        model(torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 5, dtype=torch.long))
    with pytest.raises(TypeError):
        gpt.GPT({"n_embd": 32})


@pytest.mark.parametrize("bad", [TINY.vocab_size, TINY.vocab_size + 7, -1])
def test_forward_rejects_ids_outside_the_vocabulary(bad):
    model = tiny_model()
    idx = torch.tensor([[1, 2, bad, 3]])
    with pytest.raises(ValueError, match=f"ids 0 to {TINY.vocab_size - 1}"):
        model(idx)
    with pytest.raises(ValueError, match=f"ids 0 to {TINY.vocab_size - 1}"):
        model.generate(idx, 2)
    model(idx.clamp(0, TINY.vocab_size - 1))  # the same shape with valid ids is fine


# ----------------------------------------------------------------------------- generation


def test_generate_crops_long_prompts_and_restores_mode():
    model = tiny_model().train()
    prompt = torch.randint(0, TINY.vocab_size, (2, TINY.block_size + 5))
    out = model.generate(prompt, 7, generator=torch.Generator().manual_seed(0))
    assert out.shape == (2, TINY.block_size + 12)
    assert torch.equal(out[:, : prompt.size(1)], prompt)
    assert model.training  # put back in train mode
    assert model.generate(prompt, 0).shape == prompt.shape


def test_generate_top_k_one_is_greedy_and_seeded_sampling_repeats():
    model = tiny_model()
    prompt = torch.tensor([[1, 2, 3]])
    out = model.generate(prompt, 5, top_k=1)
    idx = prompt
    with torch.no_grad():
        for _ in range(5):
            logits, _ = model(idx)
            idx = torch.cat([idx, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(out, idx)
    a = model.generate(prompt, 20, temperature=1.5, generator=torch.Generator().manual_seed(3))
    b = model.generate(prompt, 20, temperature=1.5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        ((torch.tensor([1, 2]), 3), {}, ValueError),  # 1-D prompt
        ((torch.tensor([[1, 2]]), -1), {}, ValueError),
        ((torch.tensor([[1, 2]]), 2.5), {}, TypeError),
        ((torch.tensor([[1, 2]]), 3), {"temperature": 0.0}, ValueError),
        ((torch.tensor([[1, 2]]), 3), {"temperature": float("inf")}, ValueError),
        ((torch.tensor([[1, 2]]), 3), {"top_k": 0}, ValueError),
        ((torch.tensor([[1, 99]]), 3), {}, ValueError),  # id outside the vocabulary
        ((torch.zeros(1, 0, dtype=torch.long), 3), {}, ValueError),  # empty prompt
        ((torch.tensor([[1, 2]]), 3), {"temperature": -1.0}, ValueError),  # least likely first
        ((torch.tensor([[1, 2]]), 3), {"temperature": 1e-45}, ValueError),  # would overflow
        ((torch.tensor([[1, 2]]), 3), {"use_cache": "False"}, TypeError),  # a truthy string
        ((torch.tensor([[1, 2]]), 3), {"use_cache": None}, TypeError),
    ],
)
def test_generate_rejects_bad_arguments(args, kwargs, error):
    with pytest.raises(error):
        tiny_model().generate(*args, **kwargs)
    with pytest.raises(error):  # the function notebook 12 calls directly checks the same
        gpt.generate_tokens(tiny_model(), *args, **kwargs)


def test_targets_must_be_vocabulary_ids_or_the_ignore_index():
    model = tiny_model()
    idx = torch.tensor([[1, 2, 3]])
    _, loss = model(idx, idx.int())  # int32 targets, like int32 ids, are fine
    assert torch.isclose(loss, model(idx, idx)[1])
    with pytest.raises(ValueError, match="-100"):
        model(idx, torch.tensor([[1, 2, 99]]))
    with pytest.raises(ValueError, match="-100"):
        model(idx, torch.tensor([[1, 2, -1]]))
    with pytest.raises(TypeError, match="integer"):
        model(idx, idx.float())
    skip_last = torch.tensor([[2, 3, -100]])  # the loss skips -100
    _, loss = model(idx, skip_last)
    logits, _ = model(idx)
    assert torch.isclose(loss, F.cross_entropy(logits[0, :2], skip_last[0, :2]))


# ----------------------------------------------------------------------------- data


def test_window_dataset_shifts_targets_by_one():
    tokens = torch.arange(20)
    ds = gpt.TokenWindowDataset(tokens, block_size=5)
    assert len(ds) == 15
    x, y = ds[3]
    assert x.tolist() == [3, 4, 5, 6, 7] and y.tolist() == [4, 5, 6, 7, 8]
    x, y = ds[-1]
    assert y[-1].item() == 19
    with pytest.raises(IndexError):
        ds[15]
    with pytest.raises(ValueError, match="needs more than"):
        gpt.TokenWindowDataset(torch.arange(5), block_size=5)
    with pytest.raises(ValueError, match="1-D"):
        gpt.TokenWindowDataset(torch.zeros(2, 10, dtype=torch.long), 3)
    for not_ids in (torch.zeros(10), torch.zeros(10, dtype=torch.bool), torch.zeros(10) * 1j):
        with pytest.raises(TypeError, match="integer ids"):
            gpt.TokenWindowDataset(not_ids, 3)
    with pytest.raises(ValueError):
        gpt.TokenWindowDataset(torch.arange(10), 0)


def test_split_and_random_batches():
    tokens = torch.arange(1000)
    train, val = gpt.split_tokens(tokens)
    assert (len(train), len(val)) == (900, 100) and train[-1] + 1 == val[0]
    ds = gpt.TokenWindowDataset(train, 8)
    loader = gpt.random_batches(ds, batch_size=6, num_batches=7, seed=0)
    batches = list(loader)
    assert len(batches) == 7
    assert all(x.shape == (6, 8) and y.shape == (6, 8) for x, y in batches)
    assert all(torch.equal(x[:, 1:], y[:, :-1]) for x, y in batches)
    assert isinstance(loader.sampler, torch.utils.data.RandomSampler) and loader.sampler.replacement
    again = list(gpt.random_batches(ds, batch_size=6, num_batches=7, seed=0))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again))
    with pytest.raises(ValueError):
        gpt.split_tokens(tokens, 1.0)
    with pytest.raises(ValueError):
        gpt.random_batches(ds, 0, 2)


def test_shakespeare_corpus_split():
    from course_utils.data import DatasetUnavailableError

    try:
        corpus = gpt.load_char_corpus(64)
    except DatasetUnavailableError as exc:
        pytest.skip(f"tiny Shakespeare not available: {exc}")
    assert corpus.tokenizer.vocab_size == 65
    assert (len(corpus.train_tokens), len(corpus.val_tokens)) == (1_003_854, 111_540)
    assert len(corpus.train_dataset) == 1_003_854 - 64


def test_char_corpus_checks_its_arguments():
    text = "to be, or not to be " * 20  # 400 characters: 360 to train, 40 to validate
    assert len(gpt.load_char_corpus(16, text=text).val_dataset) == 40 - 16
    with pytest.raises(ValueError, match="validation split has 40 tokens"):
        gpt.load_char_corpus(64, text=text)
    with pytest.raises(TypeError, match="text must be a str"):
        gpt.load_char_corpus(16, text=text.encode())
    with pytest.raises(TypeError, match="CharTokenizer"):
        gpt.load_char_corpus(16, text=text, tokenizer="abc")


# ----------------------------------------------------------------------------- training


def test_lr_schedule():
    kw = {"learning_rate": 1e-3, "min_lr": 1e-4, "warmup_steps": 10, "decay_steps": 100}
    lrs = [gpt.lr_at(s, **kw) for s in range(120)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(a <= b for a, b in zip(lrs[:10], lrs[1:10]))
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert lrs[55] == pytest.approx(5.5e-4)  # half-way down the cosine
    assert lrs[100] == lrs[119] == 1e-4
    with pytest.raises(ValueError):
        gpt.lr_at(-1, **kw)
    with pytest.raises(ValueError):
        gpt.lr_at(0, learning_rate=1e-4, min_lr=1e-3, warmup_steps=0, decay_steps=10)
    for bad in ({"warmup_steps": 2.5}, {"decay_steps": 100.0}, {"warmup_steps": None}):
        with pytest.raises(TypeError, match="must be an integer"):  # 2.5 gave a rate above the peak
            gpt.lr_at(2, **{**kw, **bad})


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"learning_rate": float("nan")}, "learning_rate must be finite"),
        ({"learning_rate": float("inf")}, "learning_rate must be finite"),
        ({"learning_rate": 0.0}, "learning_rate must be positive"),
        ({"min_lr": float("nan")}, "min_lr must be finite"),
        ({"min_lr": -1e-5}, "min_lr must be zero or positive"),
    ],
)
def test_lr_schedule_rejects_bad_rates(changes, match):
    kw = {"learning_rate": 1e-3, "min_lr": 1e-4, "warmup_steps": 10, "decay_steps": 100, **changes}
    for step in (0, 50, 200):  # warm-up, cosine and the floor: none may return NaN or a negative
        with pytest.raises(ValueError, match=match):
            gpt.lr_at(step, **kw)


def test_optimizer_decays_only_matrices():
    model = tiny_model(bias=True)
    opt = gpt.configure_optimizer(model, gpt.TrainConfig(weight_decay=0.1))
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decay["params"])
    assert all(p.dim() == 1 for p in no_decay["params"])
    n = sum(p.numel() for g in opt.param_groups for p in g["params"])
    assert n == gpt.count_parameters(model)


def test_estimate_loss_is_the_mean_over_fixed_batches_in_eval_mode():
    model = gpt.GPT(replace(TINY, dropout=0.3)).train()
    ds = gpt.TokenWindowDataset(torch.randint(0, TINY.vocab_size, (500,)), TINY.block_size)
    got = gpt.estimate_loss(model, {"a": ds}, batch_size=4, eval_iters=3, seed=9)["a"]
    assert model.training  # mode restored
    model.eval()
    with torch.no_grad():
        manual = [model(x, y)[1].item() for x, y in gpt.random_batches(ds, 4, 3, seed=9)]
    assert got == pytest.approx(sum(manual) / 3, rel=1e-6)
    for bad, error in (({"eval_iters": 0}, ValueError), ({"batch_size": 2.5}, TypeError)):
        with pytest.raises(error, match=next(iter(bad))):
            gpt.estimate_loss(model, {"a": ds}, **{"batch_size": 4, "eval_iters": 3, **bad})
    with pytest.raises(TypeError, match="map names to datasets"):
        gpt.estimate_loss(model, ds, batch_size=4, eval_iters=3)


def _tiny_training_problem() -> tuple[CharTokenizer, gpt.CharCorpus, gpt.GPT]:
    """A repetitive line of text and a 2-layer model that learns it in a few dozen steps."""
    text = "to be or not to be, that is the question. " * 40
    tok = CharTokenizer.from_text(text)
    corpus = gpt.load_char_corpus(16, text=text, tokenizer=tok)
    cfg = gpt.GPTConfig(
        vocab_size=tok.vocab_size, block_size=16, n_layer=2, n_head=2, n_embd=32, dropout=0.0
    )
    torch.manual_seed(0)
    return tok, corpus, gpt.GPT(cfg)


def test_a_few_dozen_steps_lower_the_loss():
    tok, corpus, model = _tiny_training_problem()
    tcfg = gpt.TrainConfig(
        batch_size=16,
        max_steps=40,
        learning_rate=3e-3,
        min_lr=3e-4,
        warmup_steps=5,
        eval_interval=20,
        eval_iters=4,
    )
    events = []
    result = gpt.train(
        model,
        corpus.train_dataset,
        corpus.val_dataset,
        tcfg,
        callback=events.append,
        show_progress=False,
    )
    assert [e.step for e in events] == [0, 20, 40]
    assert len(result.losses) == result.steps == 40
    first, last = result.evals[0], result.evals[-1]
    assert last["train"] < first["train"] - 1.0
    assert last["val"] < first["val"] - 1.0
    assert result.ms_per_step > 0 and result.tokens_per_second > 0
    assert result.steady_ms_per_step() > 0
    assert 0 <= result.evals[0]["train_seconds"] < result.evals[1]["train_seconds"]
    assert result.tokens_per_step == 16 * 16


def test_train_rejects_bad_arguments_before_any_step():
    _, corpus, model = _tiny_training_problem()
    tcfg = gpt.TrainConfig(batch_size=4, max_steps=2, warmup_steps=0, eval_iters=1)
    before = copy.deepcopy(model.state_dict())
    too_big = gpt.TokenWindowDataset(corpus.train_tokens + model.config.vocab_size, 16)
    with pytest.raises(ValueError, match="train_data holds ids"):
        gpt.train(model, too_big, corpus.val_dataset, tcfg, show_progress=False)
    with pytest.raises(ValueError, match="val_data holds ids"):
        gpt.train(model, corpus.train_dataset, too_big, tcfg, show_progress=False)
    with pytest.raises(TypeError, match="train_data must be a Dataset"):
        gpt.train(model, corpus.train_tokens, None, tcfg, show_progress=False)
    with pytest.raises(TypeError, match="val_data must be a Dataset or None"):
        gpt.train(model, corpus.train_dataset, corpus.val_tokens, tcfg, show_progress=False)
    with pytest.raises(TypeError, match="TrainConfig"):
        gpt.train(model, corpus.train_dataset, None, tcfg.to_dict(), show_progress=False)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def _overfitting_setup(keep_best: bool):
    """Train on one pattern and validate on its mirror image: validation loss can only rise."""
    tok = CharTokenizer.from_text("abcd")
    train_ds = gpt.TokenWindowDataset(torch.tensor(tok.encode("abcd" * 60)), 8)
    val_ds = gpt.TokenWindowDataset(torch.tensor(tok.encode("dcba" * 60)), 8)
    cfg = gpt.GPTConfig(
        vocab_size=tok.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.0
    )
    torch.manual_seed(0)
    model = gpt.GPT(cfg)
    tcfg = gpt.TrainConfig(
        batch_size=8,
        max_steps=30,
        learning_rate=1e-2,
        min_lr=1e-3,
        warmup_steps=0,
        eval_interval=10,
        eval_iters=3,
        keep_best=keep_best,
    )
    return model, train_ds, val_ds, tcfg


@pytest.mark.parametrize("keep_best", [True, False])
def test_training_keeps_the_weights_of_the_best_validation_loss(keep_best):
    model, train_ds, val_ds, tcfg = _overfitting_setup(keep_best)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    result = gpt.train(model, train_ds, val_ds, tcfg, show_progress=False)
    vals = [e["val"] for e in result.evals]
    assert vals[-1] > vals[0] + 0.5  # the set-up really overfits
    assert result.best_step == 0 and result.best_val_loss == min(vals)
    assert result.restored_best is keep_best
    same = all(torch.equal(v, initial[k]) for k, v in model.state_dict().items())
    assert same is keep_best
    now = gpt.estimate_loss(model, {"val": val_ds}, batch_size=8, eval_iters=3)["val"]
    assert now == pytest.approx(min(vals) if keep_best else vals[-1], rel=1e-5)
    assert result.first_reaching(min(vals))["step"] == 0
    assert result.first_reaching(min(vals) - 1.0) is None


def test_keep_best_must_be_a_bool():
    with pytest.raises(TypeError, match="keep_best"):
        gpt.TrainConfig(keep_best="yes")


def test_cpu_training_uses_no_cuda_features():
    assert gpt.autocast_dtype("cpu") is None and gpt.autocast_dtype("mps") is None
    with gpt.autocast_context("cpu"):
        assert not torch.is_autocast_enabled()
    gpt.setup_device("cpu")  # a no-op off CUDA
    feats = gpt.speed_features("cpu")
    assert feats["precision"] == "float32" and feats["torch.compile"] == "off"
    model = tiny_model()
    assert not gpt.configure_optimizer(model, gpt.TrainConfig()).defaults.get("fused")
    assert not gpt.configure_optimizer(model, gpt.TrainConfig(), "mps").defaults.get("fused")


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip_gives_identical_logits(tmp_path):
    model = tiny_model(seed=7)
    tok = CharTokenizer("abcdefghijk")
    tcfg = gpt.TrainConfig(max_steps=10, warmup_steps=2)
    path = gpt.save_checkpoint(
        tmp_path / "sub" / "m.pt",
        model,
        tokenizer=tok,
        train_config=tcfg,
        extra={"val_loss": 1.5, "note": [1, 2]},
    )
    raw = torch.load(path, weights_only=True)  # plain data only: the safe loader accepts it
    assert raw["config"] == TINY.to_dict()
    ckpt = gpt.load_checkpoint(path)
    assert ckpt.config == TINY and ckpt.tokenizer == tok and ckpt.train_config == tcfg
    assert ckpt.extra == {"val_loss": 1.5, "note": [1, 2]}
    assert not ckpt.model.training
    assert ckpt.model.head.weight is ckpt.model.tok_emb.weight  # still tied after loading
    idx = torch.randint(0, TINY.vocab_size, (2, TINY.block_size))
    with torch.no_grad():
        assert torch.equal(model(idx)[0], ckpt.model(idx)[0])


def test_checkpoint_errors(tmp_path):
    model = tiny_model()
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        gpt.load_checkpoint(tmp_path / "missing.pt")
    torch.save({"format": "something else"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a GPT checkpoint"):
        gpt.load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="could not be read"):
        gpt.load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(TypeError, match="plain data"):
        gpt.save_checkpoint(tmp_path / "x.pt", model, extra={"tok": object()})
    with pytest.raises(TypeError, match="plain data"):  # a NumPy scalar would not load safely
        gpt.save_checkpoint(tmp_path / "x.pt", model, extra={"loss": np.float64(1.5)})
    with pytest.raises(TypeError):
        gpt.save_checkpoint(tmp_path / "x.pt", nn.Linear(2, 2))
    assert not (tmp_path / "x.pt").exists()


def test_default_checkpoint_path_separates_fast_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    full = gpt.default_checkpoint_path(fast=False)
    fast = gpt.default_checkpoint_path(fast=True)
    assert full.parent == fast.parent == tmp_path / "checkpoints" and full != fast


def test_train_matches_a_hand_written_adamw_loop():
    """gpt.train does exactly: scheduled lr, forward, zero_grad, backward, clip, AdamW step."""
    tokens = torch.randint(0, TINY.vocab_size, (400,), generator=torch.Generator().manual_seed(0))
    cfg = replace(TINY, block_size=8)
    ds = gpt.TokenWindowDataset(tokens, cfg.block_size)
    tcfg = gpt.TrainConfig(
        batch_size=4,
        max_steps=6,
        learning_rate=1e-2,
        min_lr=1e-3,
        warmup_steps=2,
        eval_interval=100,
        eval_iters=1,
        grad_clip=0.5,
        seed=5,
    )
    torch.manual_seed(0)
    trained = gpt.GPT(cfg)
    reference = copy.deepcopy(trained)
    result = gpt.train(trained, ds, None, tcfg, show_progress=False)

    params = list(reference.parameters())
    opt = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=1e-2,
        betas=(0.9, 0.99),
    )
    losses = []
    for step, (x, y) in enumerate(gpt.random_batches(ds, 4, 6, seed=5)):
        if step < 2:
            lr = 1e-2 * (step + 1) / 2
        else:
            lr = 1e-3 + 0.5 * (1 + math.cos(math.pi * (step - 2) / 4)) * (1e-2 - 1e-3)
        for group in opt.param_groups:
            group["lr"] = lr
        _, loss = reference(x, y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 0.5)
        opt.step()
        losses.append(loss.item())
    assert result.losses == pytest.approx(losses, rel=1e-5)
    for a, b in zip(trained.parameters(), reference.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_exercise_parameter_count_matches_the_model():
    from course_utils.exercises import ch10

    for vocab, block, embd, layers in [(65, 256, 384, 6), (65, 64, 128, 4), (10, 8, 16, 1)]:
        cfg = gpt.GPTConfig(
            vocab_size=vocab, block_size=block, n_embd=embd, n_layer=layers, n_head=2
        )
        assert ch10._count_reference(vocab, block, embd, layers) == gpt.count_parameters(
            gpt.GPT(cfg)
        )


# ----------------------------------------------------------------------------- CUDA
# These run only where a CUDA GPU is present (they are skipped in CI and on laptops); they check
# the GPU path the notebook uses there: bfloat16 autocast, fused attention, compile, fused AdamW.

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@needs_cuda
def test_cuda_features_are_switched_on():
    feats = gpt.speed_features("cuda", compile=True)
    assert feats["torch.compile"] == "on"
    if torch.cuda.is_bf16_supported():
        assert gpt.autocast_dtype("cuda") == torch.bfloat16
    with gpt.autocast_context("cuda"):
        assert torch.is_autocast_enabled("cuda")
    opt = gpt.configure_optimizer(tiny_model().cuda(), gpt.TrainConfig(), "cuda")
    assert opt.defaults.get("fused") is True


@needs_cuda
def test_cuda_attention_under_autocast_matches_float64_reference():
    torch.manual_seed(3)
    cfg = replace(TINY, n_embd=64, n_head=4)
    attn = gpt.CausalSelfAttention(cfg).eval()
    x = torch.randn(3, cfg.block_size, cfg.n_embd)
    ref = copy.deepcopy(attn).double()
    ref.fused = False
    with torch.no_grad():
        expected = ref(x.double())
        with gpt.autocast_context("cuda"):
            got = attn.cuda()(x.cuda()).double().cpu()
    rel = (got - expected).norm() / expected.norm()
    assert rel < 2e-2  # bfloat16 operands: about three significant digits


@needs_cuda
def test_cuda_compiled_training_lowers_the_loss_and_reloads_on_the_cpu(tmp_path):
    tok, corpus, model = _tiny_training_problem()
    tcfg = gpt.TrainConfig(
        batch_size=16,
        max_steps=40,
        learning_rate=3e-3,
        min_lr=3e-4,
        warmup_steps=5,
        eval_interval=20,
        eval_iters=4,
        compile=True,
    )
    result = gpt.train(
        model, corpus.train_dataset, corpus.val_dataset, tcfg, device="cuda", show_progress=False
    )
    assert next(model.parameters()).device.type == "cuda"
    assert result.evals[-1]["val"] < result.evals[0]["val"] - 1.0
    path = gpt.save_checkpoint(tmp_path / "m.pt", model, tokenizer=tok)
    ckpt = gpt.load_checkpoint(path, device="cpu")
    probe = corpus.val_tokens[:16].unsqueeze(0)
    model.eval()
    with torch.no_grad():
        on_gpu, _ = model(probe.cuda())
        on_cpu, _ = ckpt.model(probe)
    torch.testing.assert_close(
        on_gpu.float().cpu(), on_cpu, rtol=2e-2, atol=2e-2
    )  # TF32 on the GPU

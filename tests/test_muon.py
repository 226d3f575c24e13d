"""Tests of course_utils.gpt.muon (notebook 12's optimizer for the matrices).

The Newton-Schulz iteration is proved against its meaning: the same quintic applied to the
singular values of an SVD computed in float64. The optimizer is proved against
``torch.optim.Muon``: exactly, once PyTorch's bfloat16 iteration is swapped for this one (so
momentum, Nesterov, learning-rate scale and weight decay must all agree), and loosely without the
swap. The AdamW half is proved against ``torch.optim.AdamW``, the parts of fused weights against
separate matrices, and the groups and the training switch against the course GPT.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_utils import gpt
from course_utils.gpt.muon import NS_COEFFICIENTS, Muon, muon_param_groups, newton_schulz

torch_muon = pytest.importorskip("torch.optim._muon", reason="torch.optim.Muon needs torch 2.9+")


def ns_by_svd(g: torch.Tensor, steps: int = 5) -> torch.Tensor:
    """The iteration's meaning: each singular value s/||g||_F goes through the quintic."""
    u, s, vh = torch.linalg.svd(g.double(), full_matrices=False)
    x = s / s.square().sum().sqrt()
    a, b, c = NS_COEFFICIENTS
    for _ in range(steps):
        x = a * x + b * x**3 + c * x**5
    return u @ torch.diag(x) @ vh


@pytest.mark.parametrize("shape", [(6, 9), (9, 6), (8, 8)])
def test_newton_schulz_applies_the_quintic_to_the_singular_values(shape):
    g = torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    torch.testing.assert_close(newton_schulz(g), ns_by_svd(g), rtol=0, atol=1e-10)


def test_newton_schulz_batches_and_nearly_orthogonalises():
    g = torch.randn(4, 16, 40, generator=torch.Generator().manual_seed(1))
    out = newton_schulz(g)
    for i in range(4):
        torch.testing.assert_close(out[i], newton_schulz(g[i]))
    s = torch.linalg.svdvals(out)
    assert s.min() > 0.6 and s.max() < 1.25  # every direction about the same size
    assert torch.linalg.svdvals(g).max() / torch.linalg.svdvals(g).min() > 3


def toy_run(make_opt, steps: int = 4):
    """A few steps on two matrices (one tall, one wide) with a nonlinear loss."""
    torch.manual_seed(0)
    w1 = nn.Parameter(torch.randn(24, 16))
    w2 = nn.Parameter(torch.randn(16, 40))
    opt = make_opt([w1, w2])
    for _ in range(steps):
        x = torch.randn(8, 16)
        loss = ((x @ w1.T).tanh() @ w2[:, :24].T).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [w1.detach().clone(), w2.detach().clone()]


@pytest.mark.parametrize("nesterov", [True, False])
def test_muon_equals_torch_muon_with_the_same_iteration(monkeypatch, nesterov):
    ours = toy_run(
        lambda p: Muon(
            [{"params": p, "use_muon": True}], lr=0.02, weight_decay=0.1, nesterov=nesterov
        )
    )
    monkeypatch.setattr(
        torch_muon, "_zeropower_via_newtonschulz", lambda g, coeffs, steps, eps: newton_schulz(g)
    )
    theirs = toy_run(
        lambda p: torch.optim.Muon(
            p, lr=0.02, weight_decay=0.1, nesterov=nesterov, adjust_lr_fn="match_rms_adamw"
        )
    )
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_muon_agrees_with_torch_muon_in_bfloat16_roughly():
    start = toy_run(lambda p: torch.optim.SGD(p, lr=0.0), steps=1)
    ours = toy_run(lambda p: Muon([{"params": p, "use_muon": True}], lr=0.02, weight_decay=0.1))
    theirs = toy_run(
        lambda p: torch.optim.Muon(p, lr=0.02, weight_decay=0.1, adjust_lr_fn="match_rms_adamw")
    )
    for a, b, w0 in zip(ours, theirs, start):
        moved = (b - w0).norm()
        assert (a - b).norm() < 0.15 * moved  # bfloat16 rounding, not a different rule


def test_adamw_groups_equal_torch_adamw():
    def groups(p):
        return [{"params": p[:1], "weight_decay": 0.1}, {"params": p[1:], "weight_decay": 0.0}]

    ours = toy_run(lambda p: Muon(groups(p), lr=0.01, betas=(0.9, 0.99)))
    theirs = toy_run(lambda p: torch.optim.AdamW(groups(p), lr=0.01, betas=(0.9, 0.99)))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_splits_orthogonalise_each_part_on_its_own():
    torch.manual_seed(3)
    parts = [torch.randn(5, 7), torch.randn(3, 7), torch.randn(3, 7)]
    grads = [torch.randn_like(p) for p in parts]
    fused = nn.Parameter(torch.cat(parts))
    fused.grad = torch.cat(grads)
    Muon([{"params": [fused], "use_muon": True, "splits": [[5, 3, 3]]}], lr=0.1).step()
    separate = [nn.Parameter(p.clone()) for p in parts]
    for p, g in zip(separate, grads):
        p.grad = g.clone()
    Muon([{"params": separate, "use_muon": True}], lr=0.1).step()
    torch.testing.assert_close(fused.detach(), torch.cat([p.detach() for p in separate]))
    # the whole matrix orthogonalised at once is another update
    whole = nn.Parameter(torch.cat(parts))
    whole.grad = torch.cat(grads)
    Muon([{"params": [whole], "use_muon": True}], lr=0.1).step()
    assert not torch.allclose(whole, fused)


def test_update_size_matches_the_documented_scale():
    p = nn.Parameter(torch.zeros(8, 32))
    p.grad = torch.randn(8, 32)
    Muon([{"params": [p], "use_muon": True}], lr=0.01, weight_decay=0.0).step()
    expected = newton_schulz(p.grad * 0.05) * (0.01 * 0.2 * math.sqrt(32))  # (1-mu) g, Nesterov
    torch.testing.assert_close(p.detach(), -expected)


def test_muon_rejects_what_it_cannot_update():
    with pytest.raises(ValueError, match="matrices"):
        Muon([{"params": [nn.Parameter(torch.zeros(4))], "use_muon": True}])
    with pytest.raises(ValueError, match="add up"):
        Muon([{"params": [nn.Parameter(torch.zeros(4, 3))], "use_muon": True, "splits": [[2, 1]]}])
    with pytest.raises(ValueError, match="one entry per parameter"):
        Muon([{"params": [nn.Parameter(torch.zeros(4, 3))], "use_muon": True, "splits": []}])
    with pytest.raises(TypeError, match="nesterov"):
        Muon([nn.Parameter(torch.zeros(2, 2))], nesterov="yes")
    with pytest.raises(ValueError):
        Muon([nn.Parameter(torch.zeros(2, 2))], momentum=1.5)


@pytest.mark.parametrize("mlp,kv", [("swiglu", None), ("gelu", 2), ("swiglu", 1)])
def test_param_groups_of_the_course_gpt(mlp, kv):
    cfg = gpt.GPTConfig(
        vocab_size=11,
        block_size=8,
        n_layer=2,
        n_head=4,
        n_embd=16,
        mlp=mlp,
        n_kv_head=kv,
        tie_weights=False,
    )
    model = gpt.GPT(cfg)
    groups = muon_param_groups(model, weight_decay=0.2)
    muon, decay, no_decay = groups
    assert muon["use_muon"] and muon["weight_decay"] == 0.2
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(names[id(p)].startswith("blocks.") and p.dim() == 2 for p in muon["params"])
    assert {names[id(p)] for p in decay["params"]} >= {"tok_emb.weight", "head.weight"}
    assert all(p.dim() == 1 for p in no_decay["params"]) and no_decay["weight_decay"] == 0.0
    n_all = sum(len(g["params"]) for g in groups)
    assert n_all == len(list(model.parameters()))
    kv_rows = (kv or 4) * 4
    for p, rows in zip(muon["params"], muon["splits"]):
        name = names[id(p)]
        if name.endswith("qkv.weight"):
            assert rows == [16, kv_rows, kv_rows]
        elif name.endswith("mlp.fc.weight") and mlp == "swiglu":
            assert rows == [p.size(0) // 2] * 2
        else:
            assert rows is None
    compiled = nn.Module()  # what torch.compile returns keeps the model as _orig_mod
    compiled._orig_mod = model
    assert muon_param_groups(compiled)[0]["params"][0] is muon["params"][0]
    with pytest.raises(TypeError, match="course GPT"):
        muon_param_groups(nn.Linear(2, 2))


def test_training_with_muon_learns_and_is_reproducible():
    torch.manual_seed(0)
    text = "to be or not to be, that is the question. " * 40
    corpus = gpt.load_char_corpus(16, text=text)
    cfg = gpt.GPTConfig(
        vocab_size=corpus.tokenizer.vocab_size,
        block_size=16,
        n_layer=2,
        n_head=2,
        n_embd=32,
        position="rope",
        norm="rmsnorm",
        mlp="swiglu",
    )
    tcfg = gpt.TrainConfig(
        batch_size=8,
        max_steps=60,
        learning_rate=1e-2,
        min_lr=1e-3,
        warmup_steps=5,
        eval_interval=60,
        eval_iters=4,
        optimizer="muon",
        keep_best=False,
    )
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        model = gpt.GPT(cfg)
        opt = gpt.configure_optimizer(model, tcfg)
        assert isinstance(opt, Muon)
        result = gpt.train(
            model, corpus.train_dataset, corpus.val_dataset, tcfg, show_progress=False
        )
        losses.append(result.final_val_loss)
    assert losses[0] == losses[1]
    assert losses[0] < math.log(corpus.tokenizer.vocab_size) - 1.0
    with pytest.raises(ValueError, match="optimizer"):
        gpt.TrainConfig(optimizer="sgd")
    assert "Muon" in gpt.speed_features("cpu", optimizer="muon")["optimizer"]

"""Notebook 10: the training pieces written out in cells equal course_utils.gpt and the ladder."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_utils import gpt
from tests.mirror_cases.compare import assert_same

TOKENS = torch.randint(0, 11, (300,), generator=torch.Generator().manual_seed(0))


def _tiny_gpt(seed: int = 0) -> gpt.GPT:
    torch.manual_seed(seed)
    return gpt.GPT(
        gpt.GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.0)
    )


def check_windows(nb_cls, pkg_cls):
    for block in (1, 8):
        ours, theirs = nb_cls(TOKENS, block), pkg_cls(TOKENS, block)
        assert len(ours) == len(theirs)
        for i in (0, 5, len(theirs) - 1):
            assert_same(list(ours[i]), list(theirs[i]))


def check_random_batches(nb_fn, pkg_fn):
    ds = gpt.TokenWindowDataset(TOKENS, 8)
    for seed in (0, 3):
        ours, theirs = nb_fn(ds, 4, 5, seed=seed), pkg_fn(ds, 4, 5, seed=seed)
        assert len(ours) == len(theirs) == 5
        assert_same([list(b) for b in ours], [list(b) for b in theirs])


def check_estimate_loss(nb_fn, pkg_fn):
    model = _tiny_gpt()
    splits = {
        "train": gpt.TokenWindowDataset(TOKENS[:200], 8),
        "val": gpt.TokenWindowDataset(TOKENS[200:], 8),
    }
    model.train()
    ours = nb_fn(model, splits, batch_size=4, eval_iters=3)
    assert model.training
    theirs = pkg_fn(model, splits, batch_size=4, eval_iters=3)
    assert_same(ours, theirs, atol=1e-6)
    model.eval()
    assert_same(
        nb_fn(model, splits, batch_size=2, eval_iters=5, seed=1),
        pkg_fn(model, splits, batch_size=2, eval_iters=5, seed=1),
        atol=1e-6,
    )
    assert not model.training


def check_train_step(nb_fn, pkg_fn):
    ds = gpt.TokenWindowDataset(TOKENS, 8)
    batches = list(gpt.random_batches(ds, 4, 3, seed=1))
    for make_opt, clip in (
        (lambda m: torch.optim.SGD(m.parameters(), lr=0.1), 0.05),
        (lambda m: torch.optim.SGD(m.parameters(), lr=0.1), 0.0),
        (lambda m: gpt.configure_optimizer(m, gpt.TrainConfig()), 0.5),
    ):
        runs = []
        for fn in (nb_fn, pkg_fn):
            model = _tiny_gpt()
            opt, scaler = make_opt(model), gpt.grad_scaler("cpu")
            losses = [
                fn(
                    model,
                    opt,
                    scaler,
                    xb,
                    yb,
                    lr=0.05 * (i + 1),
                    grad_clip=clip,
                    device=torch.device("cpu"),
                )
                for i, (xb, yb) in enumerate(batches)
            ]
            runs.append((losses, dict(model.named_parameters()), opt.param_groups[0]["lr"]))
        assert_same(runs[0], runs[1], atol=1e-7)


def check_ngram_loss(nb_fn, pkg_fn):
    rng = np.random.default_rng(0)
    train, val = rng.integers(0, 6, 400), rng.integers(0, 6, 120)
    train[:50] = 2  # uneven counts
    for n in (0, 1, 2, 3):
        for k in (0.1, 1.0):
            assert_same(nb_fn(train, val, n, 6, k=k), pkg_fn(train, val, n, 6, k=k), atol=1e-12)


def _compare_models(make_nb, make_pkg, vocab=11, t=8):
    idx = torch.randint(0, vocab, (3, t), generator=torch.Generator().manual_seed(1))
    targets = torch.randint(0, vocab, (3, t), generator=torch.Generator().manual_seed(2))
    outs = []
    for make in (make_nb, make_pkg):
        torch.manual_seed(0)
        model = make()
        logits, loss = model(idx, targets)
        loss.backward()
        no_loss = model(idx)[1]
        outs.append(
            (logits, loss, no_loss is None, {n: p.grad for n, p in model.named_parameters()})
        )
    assert_same(outs[0], outs[1], atol=1e-6)


def check_bigram(nb_cls, pkg_cls):
    _compare_models(lambda: nb_cls(11), lambda: pkg_cls(11))


def check_block(nb_cls, pkg_cls):
    x = torch.randn(2, 6, 16, generator=torch.Generator().manual_seed(3), requires_grad=True)
    for mlp in (False, True):
        for residual in (False, True):
            outs = []
            for cls in (nb_cls, pkg_cls):
                torch.manual_seed(0)
                block = cls(16, 4, mlp=mlp, residual=residual)
                y = block(x)
                (grad,) = torch.autograd.grad(y.pow(2).sum(), x)
                outs.append((y, grad, {n: p.shape for n, p in block.named_parameters()}))
            assert_same(outs[0][:2], outs[1][:2], atol=1e-6)
            assert outs[0][2] == outs[1][2]


def check_ladder_lm(nb_cls, pkg_cls):
    for kw in ({}, {"n_layer": 2, "mlp": True}, {"n_layer": 2, "mlp": True, "residual": True}):
        _compare_models(
            lambda kw=kw: nb_cls(11, 8, 16, 4, **kw), lambda kw=kw: pkg_cls(11, 8, 16, 4, **kw)
        )
    _compare_models(lambda: nb_cls(11, 8, 16, 2), lambda: pkg_cls(11, 8, 16, 2), t=5)


def check_lstm(nb_cls, pkg_cls):
    _compare_models(lambda: nb_cls(11, 16, 24), lambda: pkg_cls(11, 16, 24))
    _compare_models(lambda: nb_cls(11, 16, 24, 2), lambda: pkg_cls(11, 16, 24, 2))
    assert isinstance(nb_cls(11, 4, 4).lstm, nn.LSTM)


CASES = {
    "course_utils.gpt.TokenWindowDataset": check_windows,
    "course_utils.gpt.random_batches": check_random_batches,
    "course_utils.gpt.estimate_loss": check_estimate_loss,
    "course_utils.gpt.train.train_step": check_train_step,
    "course_utils.ladder.ngram_loss": check_ngram_loss,
    "course_utils.ladder.BigramLM": check_bigram,
    "course_utils.ladder.LadderBlock": check_block,
    "course_utils.ladder.LadderLM": check_ladder_lm,
    "course_utils.ladder.LSTMLanguageModel": check_lstm,
}

"""course_utils.ladder: count baselines against counting by hand, the rungs' shapes and sizes."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch

from course_utils import gpt, ladder


def _by_hand(train, val, n, vocab, k):
    """Add-k n-gram loss with dictionaries, one prediction at a time."""
    if n == 0:
        return math.log(vocab)
    grams = Counter(tuple(train[i : i + n]) for i in range(len(train) - n + 1))
    contexts = Counter(tuple(train[i : i + n - 1]) for i in range(len(train) - n + 1))
    losses = []
    for i in range(len(val) - n + 1):
        gram = tuple(val[i : i + n])
        p = (grams[gram] + k) / (contexts[gram[:-1]] + k * vocab)
        losses.append(-math.log(p))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("k", [0.1, 1.0])
def test_ngram_loss_equals_counting_by_hand(n, k):
    rng = np.random.default_rng(n)
    train, val = list(rng.integers(0, 5, 300)), list(rng.integers(0, 5, 80))
    assert ladder.ngram_loss(train, val, n, 5, k=k) == pytest.approx(_by_hand(train, val, n, 5, k))


def test_ngram_losses_fall_with_context_on_structured_text():
    text = [0, 1, 2, 3] * 200
    losses = [ladder.ngram_loss(text[:600], text[600:], n, 4) for n in range(4)]
    assert losses[0] == pytest.approx(math.log(4))
    assert losses[0] > losses[2] and losses[2] < 0.1  # the bigram predicts a cycle
    with pytest.raises(ValueError):
        ladder.ngram_loss([0, 1, 7], [0, 1], 2, 4)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ladder.BigramLM(11),
        lambda: ladder.LadderLM(11, 8, 16, 1),
        lambda: ladder.LadderLM(11, 8, 16, 4, mlp=True),
        lambda: ladder.LadderLM(11, 8, 16, 4, n_layer=2, mlp=True, residual=True),
        lambda: ladder.LSTMLanguageModel(11, 8, 12),
    ],
)
def test_rungs_map_ids_to_logits_and_loss(build):
    torch.manual_seed(0)
    model = build()
    idx = torch.randint(0, 11, (3, 8))
    logits, loss = model(idx, idx)
    assert logits.shape == (3, 8, 11) and loss.ndim == 0
    assert model(idx)[1] is None
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_attention_rungs_are_causal_and_the_full_rung_is_a_gpt_block_stack():
    torch.manual_seed(1)
    model = ladder.LadderLM(11, 8, 16, 4, n_layer=2, mlp=True, residual=True).eval()
    idx = torch.randint(0, 11, (1, 8))
    changed = idx.clone()
    changed[0, 5:] = (changed[0, 5:] + 1) % 11
    with torch.no_grad():
        a, b = model(idx)[0], model(changed)[0]
    torch.testing.assert_close(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:])
    # with bias terms, the same parameter count as the GPT's blocks of this width
    cfg = gpt.GPTConfig(
        vocab_size=11, block_size=8, n_layer=2, n_head=4, n_embd=16, bias=True, tie_weights=False
    )
    gpt_blocks = sum(p.numel() for p in gpt.GPT(cfg).blocks.parameters())
    assert sum(p.numel() for p in model.blocks.parameters()) == gpt_blocks


def test_lstm_has_about_the_size_of_the_cpu_gpt():
    cpu = gpt.cpu_preset()
    gpt_size = gpt.parameter_count(cpu.model)
    lstm = ladder.LSTMLanguageModel(65, cpu.model.n_embd, 3 * cpu.model.n_embd)
    assert abs(sum(p.numel() for p in lstm.parameters()) / gpt_size - 1) < 0.05


def test_a_short_training_run_lowers_every_rung_below_uniform():
    text = torch.tensor([0, 1, 2, 3, 1, 2] * 120)
    train, val = gpt.TokenWindowDataset(text[:600], 8), gpt.TokenWindowDataset(text[600:], 8)
    cfg = gpt.TrainConfig(
        batch_size=8,
        max_steps=60,
        learning_rate=1e-2,
        min_lr=1e-3,
        warmup_steps=5,
        eval_interval=30,
        eval_iters=2,
    )
    for build in (
        lambda: ladder.BigramLM(4),
        lambda: ladder.LadderLM(4, 8, 16, 2, mlp=True),
        lambda: ladder.LSTMLanguageModel(4, 8, 16),
    ):
        torch.manual_seed(0)
        result = gpt.train(build(), train, val, cfg, show_progress=False)
        assert result.best_val_loss < 0.9 * math.log(4)

"""benchmarks/step_time_vs_nanogpt.py: the side-by-side timing runs end to end on a stand-in.

nanoGPT is not shipped, so the test writes a stand-in ``model.py`` with nanoGPT's interface
(``GPTConfig``, ``GPT(config)``, ``forward(idx, targets) -> (logits, loss)``,
``configure_optimizers(weight_decay, learning_rate, betas, device_type)``).
"""

from __future__ import annotations

import pytest
from conftest import load_script

STAND_IN = """
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class GPTConfig:
    block_size: int
    vocab_size: int
    n_layer: int
    n_head: int
    n_embd: int
    dropout: float
    bias: bool


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def forward(self, idx, targets=None):
        logits = self.head(self.emb(idx))
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
        return torch.optim.AdamW(self.parameters(), lr=learning_rate, betas=betas,
                                 weight_decay=weight_decay)
"""


@pytest.fixture(scope="module")
def bench():
    return load_script("benchmarks/step_time_vs_nanogpt.py")


def test_times_both_models_and_prints_the_ratio(bench, tmp_path, capsys):
    (tmp_path / "model.py").write_text(STAND_IN)
    bench.main(["--nanogpt", str(tmp_path), "--config", "cpu", "--steps", "3", "--warmup", "1"])
    out = capsys.readouterr().out
    assert "course  : median" in out and "nanoGPT : median" in out
    assert "over 3 steps" in out
    ratio = float(out.rsplit("course / nanoGPT:", 1)[1].strip().rstrip("x"))
    assert ratio > 0


def test_a_folder_without_nanogpt_is_named(bench, tmp_path):
    with pytest.raises(SystemExit, match="model.py not found"):
        bench.main(["--nanogpt", str(tmp_path)])

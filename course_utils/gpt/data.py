"""Training data for the GPT: a character corpus cut into (input, next-token target) windows.

- :class:`TokenWindowDataset` turns a token stream into (input, target shifted by one) windows;
  :func:`split_tokens` splits a stream by position into training and validation parts;
- :func:`random_batches` draws random mini-batches through a ``DataLoader`` and a
  ``RandomSampler``;
- :func:`load_char_corpus` encodes a text (tiny Shakespeare by default) with a
  :class:`~course_utils.tokenizers.CharTokenizer` into a :class:`CharCorpus`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler

from course_utils.gpt.model import _number_in
from course_utils.tokenizers import CharTokenizer
from course_utils.validation import positive_int

__all__ = [
    "TokenWindowDataset",
    "split_tokens",
    "random_batches",
    "CharCorpus",
    "load_char_corpus",
]


def _check_tokens(tokens: Any) -> None:
    if (
        not isinstance(tokens, torch.Tensor)
        or tokens.is_floating_point()
        or tokens.is_complex()
        or tokens.dtype == torch.bool
    ):
        raise TypeError(f"tokens must be a tensor of integer ids, got {tokens!r:.60}.")
    if tokens.dim() != 1:
        raise ValueError(f"tokens must be 1-D (one long stream), got shape {tuple(tokens.shape)}.")


class TokenWindowDataset(Dataset):
    """Every window of ``block_size`` tokens of a stream, with its targets shifted by one.

    Item ``i`` is ``(tokens[i : i+T], tokens[i+1 : i+T+1])``: at each position the target is the
    token that comes next. A stream of ``n`` tokens gives ``n - T`` windows.
    """

    def __init__(self, tokens: torch.Tensor, block_size: int) -> None:
        _check_tokens(tokens)
        positive_int(block_size, "block_size")
        if tokens.numel() <= block_size:
            raise ValueError(
                f"The stream has {tokens.numel()} tokens; it needs more than "
                f"block_size={block_size} to form one (input, target) window."
            )
        self.tokens = tokens.long()
        self.block_size = block_size

    def __len__(self) -> int:
        return self.tokens.numel() - self.block_size

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"window {i} is out of range for {n} windows.")
        chunk = self.tokens[i : i + self.block_size + 1]
        return chunk[:-1], chunk[1:]


def split_tokens(
    tokens: torch.Tensor, train_fraction: float = 0.9
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a stream into its first ``train_fraction`` (training) and the rest (validation).

    The split is by position, not at random, so no validation text leaks into training windows.
    """
    _check_tokens(tokens)
    _number_in(train_fraction, "train_fraction", 0.0, 1.0)
    n = int(train_fraction * tokens.numel())
    return tokens[:n], tokens[n:]


def random_batches(
    dataset: Dataset,
    batch_size: int,
    num_batches: int,
    *,
    seed: int | None = None,
    pin_memory: bool = False,
) -> DataLoader:
    """A ``DataLoader`` yielding ``num_batches`` random mini-batches drawn with replacement.

    A ``RandomSampler(replacement=True, num_samples=batch_size * num_batches)`` picks window
    indices at random, so every batch is an independent sample of the text. ``seed`` fixes the
    draw. Loading stays in the main process (``num_workers=0``): slicing a tensor is cheaper than
    sending it between processes.
    """
    generator = None
    if seed is not None:
        generator = torch.Generator()
        generator.manual_seed(seed)
    sampler = RandomSampler(
        dataset, replacement=True, num_samples=batch_size * num_batches, generator=generator
    )
    return DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, num_workers=0, pin_memory=pin_memory
    )


@dataclass
class CharCorpus:
    """A text encoded with a :class:`CharTokenizer` and split 90/10 into windows."""

    tokenizer: CharTokenizer
    train_tokens: torch.Tensor
    val_tokens: torch.Tensor
    train_dataset: TokenWindowDataset
    val_dataset: TokenWindowDataset


def load_char_corpus(
    block_size: int,
    *,
    text: str | None = None,
    tokenizer: CharTokenizer | None = None,
    train_fraction: float = 0.9,
) -> CharCorpus:
    """Encode ``text`` (default: tiny Shakespeare) and split it into train/validation windows.

    ``tokenizer`` defaults to a :class:`CharTokenizer` built from the text itself.
    """
    block_size = positive_int(block_size, "block_size")
    if text is None:
        from course_utils.data import load_tiny_shakespeare

        text = load_tiny_shakespeare()
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    if tokenizer is None:
        tokenizer = CharTokenizer.from_text(text)
    elif not isinstance(tokenizer, CharTokenizer):
        raise TypeError(f"tokenizer must be a CharTokenizer, got {type(tokenizer).__name__}.")
    tokens = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    train_tokens, val_tokens = split_tokens(tokens, train_fraction)
    for name, part in (("training", train_tokens), ("validation", val_tokens)):
        if len(part) <= block_size:
            raise ValueError(
                f"The {name} split has {len(part)} tokens, too few for windows of "
                f"block_size={block_size} (it needs more than block_size): use a longer text "
                "or a smaller block_size."
            )
    return CharCorpus(
        tokenizer,
        train_tokens,
        val_tokens,
        TokenWindowDataset(train_tokens, block_size),
        TokenWindowDataset(val_tokens, block_size),
    )

"""A small encoder-decoder transformer and a toy translation task (notebook 11).

The task: numbers written in words become digits, ``"four thousand twenty one"`` -> ``"4021"``.
Small enough to train in about a minute on a CPU, hard enough to need cross-attention: the decoder
writes one digit at a time and must find, in the source, the words that decide it (and notice
the words that are missing: no "hundred" means a 0).

- :func:`number_to_words`, :data:`SRC_VOCAB`, :data:`TGT_VOCAB`, :func:`encode_source`,
  :func:`encode_target`, :func:`decode_target`, :func:`make_number_batch`: the data.
- :class:`EncoderLayer`: full self-attention (every source word sees every other), feed-forward.
- :class:`DecoderLayer`: causal self-attention over the digits written so far, **cross-attention**
  from the decoder (queries) to the encoder's output (keys and values), feed-forward.
- :class:`Seq2SeqTransformer`: embeddings plus notebook 09's sinusoidal positions, the two stacks
  and a linear head; :meth:`Seq2SeqTransformer.encode` and :meth:`Seq2SeqTransformer.decode`.
- :func:`greedy_translate`: start from the start token, append the most likely next token until
  every row has written the end token.

All attention is :class:`course_utils.attention.MultiHeadAttention`, pre-LN like notebook 10's GPT.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.attention import MultiHeadAttention, sinusoidal_positional_encoding

__all__ = [
    "number_to_words",
    "SRC_VOCAB",
    "TGT_VOCAB",
    "PAD",
    "BOS",
    "EOS",
    "encode_source",
    "encode_target",
    "decode_target",
    "make_number_batch",
    "EncoderLayer",
    "DecoderLayer",
    "Seq2SeqTransformer",
    "greedy_translate",
]

_ONES = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

PAD, BOS, EOS = 0, 1, 2
SRC_VOCAB = ["<pad>", *_ONES, *_TENS, "hundred", "thousand"]
"""Source tokens: padding, then the 29 words that spell every number from 1 to 9999."""
TGT_VOCAB = ["<pad>", "<s>", "</s>", *"0123456789"]
"""Target tokens: padding, the start token, the end token and the ten digits."""


def _below_100(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n - 1]] if n else []
    return [_TENS[n // 10 - 2]] + ([_ONES[n % 10 - 1]] if n % 10 else [])


def number_to_words(n: int) -> str:
    """English words for ``1 <= n <= 9999``: ``4021`` -> ``"four thousand twenty one"``."""
    if not 1 <= n <= 9999:
        raise ValueError(f"n must be between 1 and 9999, got {n}.")
    words = []
    if n >= 1000:
        words += [_ONES[n // 1000 - 1], "thousand"]
    if n % 1000 >= 100:
        words += [_ONES[n % 1000 // 100 - 1], "hundred"]
    return " ".join(words + _below_100(n % 100))


def encode_source(text: str, length: int) -> list[int]:
    """Word ids of ``text``, padded with :data:`PAD` to ``length``."""
    ids = [SRC_VOCAB.index(w) for w in text.split()]
    return ids + [PAD] * (length - len(ids))


def encode_target(digits: str, length: int) -> list[int]:
    """``<s>``, the digits, ``</s>``, padded to ``length``."""
    ids = [BOS] + [TGT_VOCAB.index(d) for d in digits] + [EOS]
    return ids + [PAD] * (length - len(ids))


def decode_target(ids: list[int] | torch.Tensor) -> str:
    """Digits up to the first end token (start and padding tokens are skipped)."""
    out = []
    for i in ids.tolist() if isinstance(ids, torch.Tensor) else ids:
        if i == EOS:
            break
        if i > EOS:
            out.append(TGT_VOCAB[i])
    return "".join(out)


def make_number_batch(numbers: list[int] | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Source ids ``(N, 7)`` and target ids ``(N, 6)`` (``<s>``, up to 4 digits, ``</s>``)."""
    numbers = [int(n) for n in numbers]
    src = torch.tensor([encode_source(number_to_words(n), 7) for n in numbers])
    tgt = torch.tensor([encode_target(str(n), 6) for n in numbers])
    return src, tgt


def _mlp(d_model: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model)
    )


class EncoderLayer(nn.Module):
    """Pre-LN encoder layer: self-attention without a causal mask, then a feed-forward layer."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.mlp = _mlp(d_model)

    def forward(self, x: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        x = x + self.self_attn(h, h, h, mask=src_mask)  # every word sees every real word
        return x + self.mlp(self.ln2(x))


class DecoderLayer(nn.Module):
    """Pre-LN decoder layer: causal self-attention, cross-attention to the encoder, feed-forward.

    ``forward`` returns the new states and the cross-attention weights ``(B, heads, T_tgt,
    T_src)``: which source word each output position read.
    """

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.ln1, self.ln2, self.ln3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.cross_attn = MultiHeadAttention(d_model, n_heads)
        self.mlp = _mlp(d_model)

    def forward(
        self, y: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        y = y + self.self_attn(self.ln1(y), causal=True)  # only the digits written so far
        cross, weights = self.cross_attn(
            self.ln2(y), memory, memory, mask=src_mask, need_weights=True
        )  # queries: decoder; keys: encoder
        y = y + cross
        return y + self.mlp(self.ln3(y)), weights


class Seq2SeqTransformer(nn.Module):
    """Encoder-decoder transformer: embeddings + sinusoidal positions, ``n_layers`` encoder and
    ``n_layers`` decoder layers, final layer norms and a linear head over the target vocabulary.

    ``forward(src, tgt_in, tgt_out)`` returns ``(logits, loss)``; the loss ignores padding.
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        max_len: int = 16,
    ) -> None:
        super().__init__()
        self.src_emb = nn.Embedding(src_vocab, d_model)
        self.tgt_emb = nn.Embedding(tgt_vocab, d_model)
        pe = torch.tensor(sinusoidal_positional_encoding(max_len, d_model), dtype=torch.float32)
        self.register_buffer("pe", pe, persistent=False)
        self.encoder = nn.ModuleList([EncoderLayer(d_model, n_heads) for _ in range(n_layers)])
        self.decoder = nn.ModuleList([DecoderLayer(d_model, n_heads) for _ in range(n_layers)])
        self.ln_enc, self.ln_dec = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, tgt_vocab)

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's output ``(B, T_src, d_model)`` and the padding mask ``(B, 1, 1, T_src)``."""
        src_mask = (src != PAD)[:, None, None, :]  # True = a real word, may be read
        x = self.src_emb(src) + self.pe[: src.size(1)].to(self.src_emb.weight.dtype)
        for layer in self.encoder:
            x = layer(x, src_mask)
        return self.ln_enc(x), src_mask

    def decode(
        self, tgt_in: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits ``(B, T_tgt, tgt_vocab)`` and each decoder layer's cross-attention weights."""
        y = self.tgt_emb(tgt_in) + self.pe[: tgt_in.size(1)].to(self.tgt_emb.weight.dtype)
        maps = []
        for layer in self.decoder:
            y, weights = layer(y, memory, src_mask)
            maps.append(weights)
        return self.head(self.ln_dec(y)), maps

    def forward(
        self, src: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        memory, src_mask = self.encode(src)
        logits, _ = self.decode(tgt_in, memory, src_mask)
        loss = None
        if tgt_out is not None:
            loss = F.cross_entropy(
                logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=PAD
            )
        return logits, loss


@torch.no_grad()
def greedy_translate(
    model: Seq2SeqTransformer, src: torch.Tensor, max_len: int = 5
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Decode every source row greedily: start with ``<s>``, append the argmax token, stop once
    every row has written ``</s>`` (or after ``max_len`` tokens).

    Returns the written tokens ``(B, n)`` (without ``<s>``; a finished row repeats ``</s>``) and the
    cross-attention weights of every decoder layer for the written sequence.
    """
    memory, src_mask = model.encode(src)
    out = torch.full((src.size(0), 1), BOS, dtype=torch.long, device=src.device)
    done = torch.zeros(src.size(0), dtype=torch.bool, device=src.device)
    maps: list[torch.Tensor] = []
    for _ in range(max_len):
        logits, maps = model.decode(out, memory, src_mask)
        nxt = logits[:, -1].argmax(dim=-1).masked_fill(done, EOS)  # finished rows stay finished
        out = torch.cat([out, nxt[:, None]], dim=1)
        done |= nxt == EOS
        if done.all():
            break
    return out[:, 1:], maps

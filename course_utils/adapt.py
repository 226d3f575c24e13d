"""Adapting a trained GPT: instruction tuning, LoRA and DPO (notebook 13).

What lives here, in the order notebook 13 uses it:

- :func:`held_out_plays` cuts the two plays of tiny Shakespeare's last 10 % that notebook 11 uses
  (*The Taming of the Shrew*, then *The Tempest*) out of the corpus.
- :data:`INSTRUCTION`, :data:`RESPONSE`, :data:`END` are the template's special markers;
  :func:`add_special_tokens` grows a GPT's vocabulary (embedding rows and output rows) by them.
- :func:`instruction_examples` builds an instruction data set from the corpus (three tasks:
  continue a line in a speaker's voice, say who speaks next, complete a verse);
  :func:`render_prompt` writes the template and :func:`encode_examples` turns examples into
  (input, target) rows whose prompt targets are ``IGNORE`` (-100) when the loss is masked.
- :func:`masked_lm_loss` is the cross-entropy over the targets that are not ``IGNORE``;
  :func:`response_log_probs` sums the log-probabilities of those targets per row.
- :func:`generate_replies` answers many prompts at once (greedy or sampled) and stops at
  :data:`END`; :func:`follows_format` says whether a reply has the shape its task asks for.
- :class:`LoRALinear` adds a trainable low-rank update to a frozen ``nn.Linear``;
  :func:`add_lora` puts one in every linear layer of a GPT's blocks and freezes the rest;
  :func:`merge_lora` folds them back into plain ``nn.Linear`` layers.
- :func:`dpo_loss` (direct preference optimisation on summed log-probabilities),
  :func:`dpo_metrics` (implicit rewards, margin, accuracy) and :func:`token_kl` (mean per-token
  KL divergence of a policy from its reference).
- :func:`real_word_share` is the rule that ranks samples into preference pairs.
- :func:`finetune` is a plain AdamW loop (warm-up, cosine decay, clipping) around any loss.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.gpt import GPT, lr_at
from course_utils.runtime import progress
from course_utils.tokenizers import CharTokenizer
from course_utils.validation import as_number, non_negative, positive, positive_int

__all__ = [
    "INSTRUCTION",
    "RESPONSE",
    "END",
    "IGNORE",
    "TASKS",
    "held_out_plays",
    "add_special_tokens",
    "Example",
    "parse_speeches",
    "instruction_examples",
    "render_prompt",
    "render_example",
    "encode_examples",
    "masked_lm_loss",
    "response_log_probs",
    "generate_replies",
    "follows_format",
    "LoRALinear",
    "add_lora",
    "merge_lora",
    "count_trainable",
    "dpo_loss",
    "dpo_metrics",
    "token_kl",
    "word_set",
    "real_word_share",
    "finetune",
]

INSTRUCTION = "§"  # starts the instruction
RESPONSE = "→"  # ends the prompt: the reply follows
END = "■"  # ends the reply
IGNORE = -100  # target value that the loss skips (PyTorch's default ignore_index)

TASKS = {
    "voice": "Continue as {speaker}:",
    "next": "Who speaks next?",
    "verse": "Complete the verse:",
}


# --------------------------------------------------------------------------------------------
# Data: the held-out plays, special tokens, the instruction set
# --------------------------------------------------------------------------------------------


def held_out_plays(text: str) -> tuple[str, str]:
    """The held-out part of *The Taming of the Shrew* and *The Tempest*, as notebook 11 cuts them.

    Notebook 10 trains on the first 90 % of tiny Shakespeare; its last 10 % begins inside the
    *Shrew* (from ``GREMIO:``) and ends with *The Tempest* (from ``Master:\\nBoatswain!``).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be the corpus as a string, got {type(text).__name__}.")
    held_out = text[int(0.9 * len(text)) :]
    try:
        start = held_out.index("GREMIO:")
        split = held_out.index("\n\nMaster:\nBoatswain!")
    except ValueError as exc:
        raise ValueError(
            "This does not look like tiny Shakespeare: the markers of the two "
            "held-out plays are missing."
        ) from exc
    return held_out[start:split], held_out[split + 2 :]


def add_special_tokens(
    model: GPT,
    tokenizer: CharTokenizer,
    markers: Iterable[str] = (INSTRUCTION, RESPONSE, END),
    *,
    seed: int = 0,
) -> tuple[GPT, CharTokenizer]:
    """A copy of ``model`` and a tokenizer that know the new one-character ``markers``.

    The old ids stay the same (the markers sort after every character of the corpus). Each new
    row of the token embedding (and of the output head, when it is not tied) starts at the mean
    of the old rows plus a little noise (std 0.02), so the new tokens start as "an average
    character" that the model can tell apart.
    """
    if not isinstance(model, GPT) or not isinstance(tokenizer, CharTokenizer):
        raise TypeError("add_special_tokens() needs a GPT and its CharTokenizer.")
    markers = [m for m in markers if m not in tokenizer.stoi]
    new_tok = CharTokenizer(tokenizer.itos + markers)
    if new_tok.itos[: tokenizer.vocab_size] != tokenizer.itos:
        raise ValueError(
            "The markers must sort after every existing character, so that the old "
            "ids stay the same."
        )
    config = replace(model.config, vocab_size=new_tok.vocab_size)
    new_model = GPT(config).to(next(model.parameters()).device)
    state = model.state_dict()
    g = torch.Generator().manual_seed(seed)
    for name in ("tok_emb.weight", "head.weight"):
        old = state[name]
        noise = 0.02 * torch.randn(len(markers), old.size(1), generator=g).to(old)
        state[name] = torch.cat([old, old.mean(0, keepdim=True) + noise])
    if config.tie_weights:
        state["head.weight"] = state["tok_emb.weight"]
    new_model.load_state_dict(state)
    return new_model, new_tok


@dataclass(frozen=True)
class Example:
    """One instruction example: which task, the instruction with its input text, the reply."""

    task: str
    prompt: str
    response: str


def parse_speeches(text: str) -> list[tuple[str, list[str]]]:
    """Split a play into speeches: ``(speaker, lines)`` for every ``NAME:`` followed by lines."""
    speeches = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        if len(lines) >= 2 and lines[0].endswith(":") and len(lines[0]) <= 30:
            speeches.append((lines[0][:-1], lines[1:]))
    return speeches


def render_prompt(prompt: str) -> str:
    """The template before the reply: ``§instruction\\ninput→``."""
    return f"{INSTRUCTION}{prompt}{RESPONSE}"


def render_example(example: Example) -> str:
    """The whole training text of an example: ``§instruction\\ninput→reply■``."""
    return render_prompt(example.prompt) + example.response + END


def instruction_examples(text: str, *, max_chars: int, seed: int = 0) -> list[Example]:
    """Instruction examples built from the speeches of ``text``, in a shuffled order.

    Three tasks (see :data:`TASKS`):

    - ``voice``: "Continue as ROMEO:" with the first words of one of his lines; reply: the rest;
    - ``next``: "Who speaks next?" with the last line of a speech; reply: the next speaker;
    - ``verse``: "Complete the verse:" with the first half of a line; reply: the second half.

    The model must see a whole example in its context: an example longer than ``max_chars``
    characters is shortened word by word (the reply loses words at its end, the input of ``next``
    and ``verse`` at its start) and left out when even that does not make it fit.
    """
    max_chars = positive_int(max_chars, "max_chars")
    rng = np.random.default_rng(seed)
    speeches = parse_speeches(text)
    out: list[Example] = []
    for i, (speaker, lines) in enumerate(speeches):
        line = lines[int(rng.integers(len(lines)))]
        words = line.split()
        if len(words) >= 4:
            k = int(rng.integers(2, min(4, len(words) - 1) + 1))
            out.append(
                Example(
                    "voice",
                    f"{TASKS['voice'].format(speaker=speaker)}\n{' '.join(words[:k])}",
                    " " + " ".join(words[k:]),
                )
            )
            half = len(words) // 2
            out.append(
                Example(
                    "verse",
                    f"{TASKS['verse']}\n{' '.join(words[:half])}",
                    " " + " ".join(words[half:]),
                )
            )
        if i + 1 < len(speeches) and speeches[i + 1][0] != speaker:
            out.append(Example("next", f"{TASKS['next']}\n{lines[-1]}", speeches[i + 1][0]))
    fitted = [_fit(e, max_chars) for e in out]
    out = [e for e in fitted if e is not None]
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def _fit(example: Example, max_chars: int) -> Example | None:
    """Shorten an example that is too long for the context, word by word, or give None.

    The reply of ``voice``/``verse`` loses words at its end, the input of ``next``/``verse``
    loses words at its start; at least one word of each stays.
    """
    instruction, text = example.prompt.split("\n", 1)
    words, reply = text.split(" "), example.response.split(" ")
    while len(render_example(example)) > max_chars:
        if example.task != "next" and len([w for w in reply if w]) > 1:
            reply = reply[:-1]
        elif example.task != "voice" and len(words) > 1:
            words = words[1:]
        else:
            return None
        example = Example(example.task, f"{instruction}\n{' '.join(words)}", " ".join(reply))
    return example


def encode_examples(
    tokenizer: CharTokenizer,
    examples: Sequence[Example],
    block_size: int,
    *,
    mask_prompt: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets ``(N, block_size)`` for next-token training on whole examples.

    Row ``n`` holds example ``n``'s tokens (padded with :data:`END`), and its targets shifted by
    one. Targets in the padding are :data:`IGNORE`; with ``mask_prompt`` the targets inside the
    prompt are too, so that only the reply (and its end marker) is learned.
    """
    block_size = positive_int(block_size, "block_size")
    pad = tokenizer.stoi[END]
    inputs = torch.full((len(examples), block_size), pad, dtype=torch.long)
    targets = torch.full((len(examples), block_size), IGNORE, dtype=torch.long)
    for n, ex in enumerate(examples):
        ids = tokenizer.encode(render_example(ex))
        if len(ids) > block_size + 1:
            raise ValueError(
                f"Example {n} has {len(ids)} tokens; at most block_size + 1 = {block_size + 1} fit."
            )
        t = len(ids) - 1
        inputs[n, :t] = torch.tensor(ids[:-1])
        targets[n, :t] = torch.tensor(ids[1:])
        if mask_prompt:
            prompt_len = len(render_prompt(ex.prompt))
            targets[n, : prompt_len - 1] = IGNORE  # position i predicts token i + 1
    return inputs, targets


# --------------------------------------------------------------------------------------------
# The masked loss and the log-probability of a reply
# --------------------------------------------------------------------------------------------


def _check_targets(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int) -> None:
    """Targets of shape ``logits.shape[:-1]``, each an id of the vocabulary or ``ignore_index``."""
    if not isinstance(targets, torch.Tensor) or targets.shape != logits.shape[:-1]:
        shape = tuple(targets.shape) if isinstance(targets, torch.Tensor) else type(targets)
        raise ValueError(f"targets must have shape {tuple(logits.shape[:-1])}, got {shape}.")
    kept = targets[targets != ignore_index]
    if kept.numel() and (int(kept.min()) < 0 or int(kept.max()) >= logits.size(-1)):
        raise ValueError(
            f"targets holds ids from {int(kept.min())} to {int(kept.max())}; each must be in 0 "
            f"to {logits.size(-1) - 1}, or {ignore_index} for a position the loss skips."
        )


def masked_lm_loss(
    logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = IGNORE
) -> torch.Tensor:
    """Mean cross-entropy over the positions whose target is not ``ignore_index``.

    ``logits`` (B, T, V), ``targets`` (B, T). Equal to
    ``F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=ignore_index)``; a
    batch without any kept target gives 0 (and no gradient) instead of 0/0.
    """
    _check_targets(logits, targets, ignore_index)
    log_probs = F.log_softmax(logits.float(), dim=-1)
    keep = targets != ignore_index  # True where the target counts
    picked = log_probs[keep][torch.arange(int(keep.sum())), targets[keep]]
    return -picked.sum() / max(len(picked), 1)


def response_log_probs(
    model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Per row, the summed log-probability the model gives its kept targets: ``log pi(y | x)``.

    Differentiable (no ``no_grad``): DPO trains through it. Returns a float32 tensor (B,).
    """
    if not isinstance(targets, torch.Tensor) or targets.shape != inputs.shape:
        shape = tuple(targets.shape) if isinstance(targets, torch.Tensor) else type(targets)
        raise ValueError(
            f"targets must have the shape of inputs {tuple(inputs.shape)}, got {shape}."
        )
    out = model(inputs)
    logits = out[0] if isinstance(out, (tuple, list)) else out
    _check_targets(logits, targets, IGNORE)
    log_probs = F.log_softmax(logits.float(), dim=-1)
    keep = targets != IGNORE
    picked = log_probs.gather(-1, targets.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)
    return (picked * keep).sum(dim=1)


# --------------------------------------------------------------------------------------------
# Answering prompts and checking the format
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def generate_replies(
    model: nn.Module,
    tokenizer: CharTokenizer,
    prompts: Sequence[str],
    *,
    max_new_tokens: int,
    temperature: float | None = None,
    seed: int = 0,
    samples: int = 1,
) -> list[list[tuple[str, bool]]]:
    """Answer every prompt (the text before the reply) ``samples`` times; stop at :data:`END`.

    ``temperature=None`` decodes greedily (then ``samples`` copies are identical); otherwise each
    token is drawn from the softmax of ``logits / temperature`` with a seeded CPU generator.
    Prompts of the same length are answered together in one batch. Returns, per prompt, a list of
    ``(reply, ended)``: the reply without the marker, and whether the model wrote the marker.
    """
    if isinstance(prompts, str):  # one string would be read as one prompt per character
        raise TypeError("prompts must be a list of strings; for one prompt pass [prompt].")
    max_new = positive_int(max_new_tokens, "max_new_tokens")
    samples = positive_int(samples, "samples")
    if temperature is not None and as_number(temperature, "temperature") <= 0:
        raise ValueError(f"temperature must be positive or None (greedy), got {temperature}.")
    device = next(model.parameters()).device
    block = model.config.block_size
    end_id = tokenizer.stoi[END]
    g = torch.Generator().manual_seed(seed)
    encoded = [tokenizer.encode(p) for p in prompts]
    groups: dict[int, list[int]] = {}
    for i, ids in enumerate(encoded):
        groups.setdefault(len(ids), []).append(i)
    results: list[list[tuple[str, bool]]] = [[] for _ in prompts]
    was_training = model.training
    model.eval()
    try:
        for length in sorted(groups):
            members = groups[length]
            idx = torch.tensor([encoded[i] for i in members for _ in range(samples)])
            done = torch.zeros(len(idx), dtype=torch.bool)
            for _ in range(max_new):
                logits = model(idx[:, -block:].to(device))[0][:, -1, :].float().cpu()
                if temperature is None:
                    nxt = logits.argmax(dim=-1, keepdim=True)
                else:
                    probs = F.softmax(logits / temperature, dim=-1)
                    nxt = torch.multinomial(probs, 1, generator=g)
                idx = torch.cat([idx, nxt], dim=1)
                done |= nxt[:, 0] == end_id
                if done.all():
                    break
            for row, tokens in enumerate(idx[:, length:].tolist()):
                ended = end_id in tokens
                reply = tokenizer.decode(tokens[: tokens.index(end_id)] if ended else tokens)
                results[members[row // samples]].append((reply, ended))
    finally:
        model.train(was_training)
    return results


_NAME = re.compile(r"[A-Z][A-Za-z' ]{0,24}")


def follows_format(task: str, reply: str, ended: bool) -> bool:
    """Whether a reply has the shape its task asks for, and ends with the end marker.

    ``next``: a name (a capital, then letters, spaces or apostrophes; at most 25 characters).
    ``voice`` and ``verse``: the rest of one line (no line break, at least one letter).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}.")
    if not ended or "\n" in reply:
        return False
    if task == "next":
        return _NAME.fullmatch(reply) is not None
    return re.search(r"[A-Za-z]", reply) is not None


# --------------------------------------------------------------------------------------------
# LoRA
# --------------------------------------------------------------------------------------------


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update: ``W x + b + (alpha/r) B A x``.

    ``A`` (rank, in) starts random (Kaiming-uniform, as in the LoRA reference code), ``B``
    (out, rank) starts at zero, so at initialisation the layer computes exactly what ``base``
    does. Only ``A`` and ``B`` are trained: ``rank * (in + out)`` numbers instead of
    ``in * out``. :meth:`merged` returns one ``nn.Linear`` with ``W + (alpha/r) B A``.
    """

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"LoRALinear wraps an nn.Linear, got {type(base).__name__}.")
        rank = positive_int(rank, "rank")
        if rank > min(base.in_features, base.out_features):
            raise ValueError(
                f"rank ({rank}) must not exceed min(in, out) = "
                f"{min(base.in_features, base.out_features)}."
            )
        alpha = positive(alpha, "alpha")  # alpha 0 scales the update to 0: it could never learn
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.rank, self.alpha, self.scale = rank, alpha, alpha / rank
        w = base.weight
        self.A = nn.Parameter(torch.empty(rank, base.in_features, device=w.device, dtype=w.dtype))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank, device=w.device, dtype=w.dtype))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale

    @torch.no_grad()
    def merged(self) -> nn.Linear:
        """One ``nn.Linear`` computing the same function: weight ``W + scale * B @ A``."""
        base = self.base
        out = nn.Linear(
            base.in_features,
            base.out_features,
            bias=base.bias is not None,
            device=base.weight.device,
            dtype=base.weight.dtype,
        )
        out.weight.copy_(base.weight + self.scale * self.B @ self.A)
        if base.bias is not None:
            out.bias.copy_(base.bias)
        return out

    def extra_repr(self) -> str:
        return f"rank={self.rank}, alpha={self.alpha:g}"


LORA_TARGETS = ("attn.qkv", "attn.proj", "mlp.fc", "mlp.proj")


def add_lora(
    model: GPT,
    rank: int,
    alpha: float,
    targets: Sequence[str] = LORA_TARGETS,
    *,
    layer: Callable[[nn.Linear, int, float], nn.Module] | None = None,
) -> GPT:
    """Freeze every parameter of ``model`` and wrap the named linear layers of each block in a
    :class:`LoRALinear` (in place; returns the model). Only the LoRA matrices are trainable.

    ``layer`` replaces :class:`LoRALinear` by another class with the same signature (the one a
    notebook writes out, for example)."""
    layer = LoRALinear if layer is None else layer
    if not isinstance(model, GPT):
        raise TypeError(f"add_lora() adapts a GPT, got {type(model).__name__}.")
    if isinstance(targets, str):
        raise TypeError(f"targets must be a list of layer names, e.g. [{targets!r}].")
    # Check everything before freezing anything, so a refused call leaves the model as it was.
    for target in targets:
        parent_name, _, child = str(target).partition(".")
        sub = getattr(getattr(model.blocks[0], parent_name, None), child, None)
        if not isinstance(sub, nn.Linear):
            raise ValueError(
                f"{target!r} is not a linear layer of a block"
                + (" (it has LoRA already)" if isinstance(sub, LoRALinear) else "")
                + f"; the usual targets are {list(LORA_TARGETS)}."
            )
    for p in model.parameters():
        p.requires_grad_(False)
    for block in model.blocks:
        for target in targets:
            parent_name, child = target.split(".")
            parent = getattr(block, parent_name)
            setattr(parent, child, layer(getattr(parent, child), rank, alpha))
    return model


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace every LoRA layer in ``model`` (any module with a ``merged()`` method, such as
    :class:`LoRALinear`) by the ``nn.Linear`` it returns, in place."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if callable(getattr(child, "merged", None)):
                setattr(parent, name, child.merged())
    return model


def count_trainable(model: nn.Module) -> int:
    """How many parameters an optimiser would update (``requires_grad``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# --------------------------------------------------------------------------------------------
# Direct preference optimisation
# --------------------------------------------------------------------------------------------


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float,
) -> torch.Tensor:
    """The DPO loss, averaged over pairs, from summed log-probabilities of each reply.

    ``-log sigmoid(beta * [(log pi(c) - log pi_ref(c)) - (log pi(r) - log pi_ref(r))])``:
    ``beta * (log pi - log pi_ref)`` is the *implicit reward* of a reply, and the loss is the
    Bradley-Terry loss of a reward model on that reward.
    """
    _check_pairs(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=beta)
    chosen_reward = beta * (policy_chosen - ref_chosen)
    rejected_reward = beta * (policy_rejected - ref_rejected)
    return -F.logsigmoid(chosen_reward - rejected_reward).mean()


def _check_pairs(*log_probs: torch.Tensor, beta: float) -> None:
    """Four log-probability tensors of one shape (pairs,), at least one pair; beta positive."""
    shapes = [
        tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in log_probs
    ]
    if len(set(shapes)) != 1 or len(shapes[0]) != 1 or shapes[0][0] == 0:
        raise ValueError(
            "policy_chosen, policy_rejected, ref_chosen and ref_rejected must be tensors of one "
            f"shape (pairs,), at least one pair; got shapes {shapes}."
        )
    positive(beta, "beta")


@torch.no_grad()
def dpo_metrics(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float,
) -> dict[str, float]:
    """Loss, mean implicit rewards, mean margin, and the share of pairs with a positive margin."""
    _check_pairs(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=beta)
    chosen = beta * (policy_chosen - ref_chosen)
    rejected = beta * (policy_rejected - ref_rejected)
    margin = chosen - rejected
    return {
        "loss": float(dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)),
        "chosen_reward": float(chosen.mean()),
        "rejected_reward": float(rejected.mean()),
        "margin": float(margin.mean()),
        "accuracy": float((margin > 0).float().mean()),
    }


@torch.no_grad()
def token_kl(
    policy: nn.Module, reference: nn.Module, inputs: torch.Tensor, targets: torch.Tensor
) -> float:
    """Mean over the kept target positions of ``KL(pi(. | context) || pi_ref(. | context))``.

    The exact divergence between the two next-token distributions, summed over the vocabulary,
    at every position where a reply token is predicted.
    """
    log_p = F.log_softmax(policy(inputs)[0].float(), dim=-1)
    log_q = F.log_softmax(reference(inputs)[0].float(), dim=-1)
    kl = (log_p.exp() * (log_p - log_q)).sum(-1)
    keep = targets != IGNORE
    if not keep.any():
        raise ValueError("targets keeps no position (all are IGNORE): there is nothing to average.")
    return float(kl[keep].mean())


# --------------------------------------------------------------------------------------------
# The judge that ranks samples
# --------------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def word_set(text: str) -> set[str]:
    """The lower-cased words of ``text`` (letters, with inner apostrophes: ``know't``)."""
    return {w.lower() for w in _WORD.findall(text)}


def real_word_share(reply: str, vocabulary: set[str], *, min_words: int = 2) -> float:
    """The share of the reply's words found in ``vocabulary``; 0 for fewer than ``min_words``.

    A crude stand-in for a human rater who prefers correctly spelled replies. Requiring a few
    words stops an empty or one-word reply from scoring full marks.
    """
    if not isinstance(vocabulary, (set, frozenset)):  # `in` on a string would match substrings
        raise TypeError(
            f"vocabulary must be a set of words (see word_set), got {type(vocabulary).__name__}."
        )
    words = [w.lower() for w in _WORD.findall(reply)]
    if len(words) < min_words:
        return 0.0
    return sum(w in vocabulary for w in words) / len(words)


# --------------------------------------------------------------------------------------------
# A plain training loop around any loss
# --------------------------------------------------------------------------------------------


def finetune(
    model: nn.Module,
    batches: Callable[[int], Any],
    loss_fn: Callable[[nn.Module, Any], torch.Tensor],
    *,
    steps: int,
    lr: float,
    min_lr: float | None = None,
    warmup: int = 0,
    weight_decay: float = 0.0,
    grad_clip: float = 1.0,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int | None = None,
    show_progress: bool = False,
) -> dict[str, Any]:
    """Train the parameters of ``model`` that require gradients with AdamW.

    Each step: the learning rate of :func:`course_utils.gpt.lr_at` (warm-up, cosine down to
    ``min_lr``, default ``lr / 10``), ``loss = loss_fn(model, batches(step))``, backward, clip the
    gradient norm to ``grad_clip``, update. ``evaluate(model)`` (in eval mode, without gradients)
    runs at step 0, every ``eval_every`` steps and at the end. Returns ``{"loss": [per step],
    "evals": [{"step": s, **metrics}], "seconds": training time}``.
    """
    steps = positive_int(steps, "steps")
    lr = as_number(lr, "lr")
    grad_clip = non_negative(grad_clip, "grad_clip")  # NaN would switch clipping off silently
    if eval_every is not None:
        eval_every = positive_int(eval_every, "eval_every")
    min_lr = lr / 10 if min_lr is None else min_lr
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("The model has no trainable parameters (all requires_grad=False).")
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    history: dict[str, Any] = {"loss": [], "evals": [], "seconds": 0.0}

    def run_eval(step: int) -> None:
        if evaluate is None:
            return
        model.eval()
        with torch.no_grad():
            history["evals"].append({"step": step, **evaluate(model)})

    run_eval(0)
    start = time.perf_counter()
    bar_options: dict[str, Any] = {} if show_progress else {"disable": True}
    for step in progress(range(steps), **bar_options):
        for group in opt.param_groups:
            group["lr"] = lr_at(
                step, learning_rate=lr, min_lr=min_lr, warmup_steps=warmup, decay_steps=steps
            )
        model.train()
        loss = loss_fn(model, batches(step))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip > 0:
            nn.utils.clip_grad_norm_(params, grad_clip)
        opt.step()
        history["loss"].append(loss.item())
        if eval_every and (step + 1) % eval_every == 0 and step + 1 < steps:
            history["seconds"] += time.perf_counter() - start
            run_eval(step + 1)
            start = time.perf_counter()
    history["seconds"] += time.perf_counter() - start
    run_eval(steps)
    model.train()
    return history

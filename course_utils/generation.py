"""Decoding strategies for a language model: how to turn next-token probabilities into text.

A language model such as notebook 10's GPT gives, for a context, one **logit** per vocabulary
entry. What happens next is a choice made outside the model, set by *generation parameters*
(never learned):

- :func:`apply_temperature`, :func:`top_k_filter`, :func:`top_p_filter` reshape one vector of
  logits; :func:`next_token_probs` chains them and returns probabilities. They are pure functions
  that can be checked on small hand-made distributions.
- :func:`greedy_decode` always takes the most likely token.
- :func:`sample_decode` draws from the (reshaped) distribution with a seeded ``torch.Generator``.
- :func:`beam_search` keeps the ``beam_width`` most probable continuations at every step and
  ranks finished ones by a length-normalised score.
- :func:`generate_text` does the same from a text prompt through a tokenizer.
- :func:`sequence_log_prob`, :func:`distinct_ngrams` and :func:`repeated_tail` measure the text
  that comes out.
- :func:`load_or_train` finds notebook 10's checkpoint, or trains and saves the preset for the
  device when there is none; :func:`load_cached_pipeline` opens a Hugging Face pipeline only from
  weights already on disk.

Every decoding function accepts any model that maps token ids ``(B, T)`` to logits ``(B, T, V)``
(or to a tuple whose first item is the logits, as :class:`course_utils.gpt.GPT` does). A model
with ``config.block_size`` sees only its last ``block_size`` tokens, like ``GPT.generate``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.tokenizers import CharTokenizer
from course_utils.validation import as_number, non_negative_int, positive_int

__all__ = [
    "apply_temperature",
    "top_k_filter",
    "top_p_filter",
    "next_token_probs",
    "next_token_logits",
    "greedy_decode",
    "sample_decode",
    "Beam",
    "beam_search",
    "encode_prompt",
    "generate_text",
    "sequence_log_prob",
    "distinct_ngrams",
    "repeated_tail",
    "load_or_train",
    "describe_checkpoint",
    "load_cached_pipeline",
]

METHODS = ("greedy", "sample", "beam")


# --------------------------------------------------------------------------------------------
# Pure transforms of one distribution
# --------------------------------------------------------------------------------------------


def _check_logits(logits: Any) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor) or not torch.is_floating_point(logits):
        raise TypeError(f"logits must be a floating-point torch tensor, got {logits!r:.60}.")
    if logits.dim() not in (1, 2) or logits.size(-1) == 0:
        raise ValueError(f"logits must have shape (V,) or (B, V), got {tuple(logits.shape)}.")
    if (
        torch.isnan(logits).any()
        or torch.isposinf(logits).any()
        or torch.isneginf(logits).all(dim=-1).any()
    ):
        raise ValueError(
            "logits must not contain NaN or +inf, and each row needs a finite entry "
            "(-inf marks a token that can never be drawn)."
        )
    return logits


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Divide ``logits`` by ``temperature`` (> 0): the softmax then gives ``p_i^(1/T)`` renormalised.

    ``T < 1`` sharpens the distribution (the likely tokens get likelier), ``T > 1`` flattens it,
    ``T = 1`` leaves it unchanged. ``T = 0`` would be greedy decoding: use :func:`greedy_decode`.
    Each row is first shifted so that its largest logit is 0 (the softmax ignores a shift), and
    the division runs in float64: a tiny temperature then gives its limit, all the probability on
    the largest logit (ties share it), never ``inf - inf = NaN``.
    """
    _check_logits(logits)
    t = as_number(temperature, "temperature")
    if t <= 0:
        raise ValueError(
            f"temperature must be positive, got {t}. (Temperature 0 means always "
            "taking the most likely token: use greedy_decode.)"
        )
    z = logits.double()
    top = z.amax(dim=-1, keepdim=True)
    return ((z - top) / t).masked_fill(z == top, 0.0).to(logits.dtype)


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest logits of each row and set the others to ``-inf``.

    Entries tied with the ``k``-th largest value are kept too, so the result never depends on how
    ties are broken. ``k`` at least the vocabulary size keeps everything.
    """
    _check_logits(logits)
    k = positive_int(k, "k")
    if k >= logits.size(-1):
        return logits.clone()
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering: keep the fewest most-likely tokens whose probabilities add up to ``p``.

    Sort the probabilities in decreasing order and keep a token when the probability mass *before*
    it is still below ``p``; the most likely token is therefore always kept. ``p = 1`` keeps
    everything. Removed entries become ``-inf``.
    """
    _check_logits(logits)
    p = as_number(p, "p")
    if not 0 < p <= 1:
        raise ValueError(f"p must lie in (0, 1], got {p}.")
    if p == 1:
        return logits.clone()
    probs = F.softmax(logits.float(), dim=-1)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    keep_sorted = mass_before < p
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
    return logits.masked_fill(~keep, float("-inf"))


def next_token_probs(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """Probabilities after temperature, then top-k, then top-p (the order Hugging Face uses)."""
    logits = apply_temperature(logits, temperature)  # checks the logits once, for all three
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return F.softmax(logits.float(), dim=-1)


# --------------------------------------------------------------------------------------------
# Decoding with a model
# --------------------------------------------------------------------------------------------


def _as_batch(idx: Any, vocab_size: int | None) -> torch.Tensor:
    """Token ids as a (B, T) long tensor; a list of ints or a 1-D tensor becomes one row."""
    idx = torch.as_tensor(idx)
    idx = idx.unsqueeze(0) if idx.dim() == 1 else idx
    if idx.dtype not in (torch.int64, torch.int32) or idx.dim() != 2 or idx.size(1) == 0:
        raise ValueError(
            f"The prompt must be integer token ids of shape (T,) or (B, T) with "
            f"T >= 1, got {idx.dtype} {tuple(idx.shape)}. For text use "
            "generate_text()."
        )
    if vocab_size is not None and (int(idx.min()) < 0 or int(idx.max()) >= vocab_size):
        raise ValueError(
            f"The prompt holds ids from {int(idx.min())} to {int(idx.max())}, but "
            f"the vocabulary has ids 0 to {vocab_size - 1}."
        )
    return idx.long()


def _vocab_size(model: nn.Module) -> int | None:
    config = getattr(model, "config", None)
    return getattr(config, "vocab_size", None)


def _device(model: nn.Module) -> torch.device:
    try:
        return next(model.parameters()).device
    except (StopIteration, AttributeError):
        return torch.device("cpu")


@torch.no_grad()
def next_token_logits(model: nn.Module, idx: torch.Tensor) -> torch.Tensor:
    """The model's logits (B, V) for the token after each row of ``idx`` (B, T), in float32.

    Only the last ``model.config.block_size`` tokens are fed (the context window), when the model
    has one.
    """
    block = getattr(getattr(model, "config", None), "block_size", None)
    context = idx[:, -block:] if block is not None else idx
    out = model(context.to(_device(model)))
    logits = out[0] if isinstance(out, (tuple, list)) else out
    return logits[:, -1, :].float()


def _check_length(max_new_tokens: Any) -> int:
    return non_negative_int(max_new_tokens, "max_new_tokens")


def _in_eval_mode(fn: Callable[..., torch.Tensor]) -> Callable[..., Any]:
    """Run ``fn(model, ...)`` with the model in eval mode and restore its mode afterwards."""

    @functools.wraps(fn)
    def wrapper(model: nn.Module, *args: Any, **kwargs: Any) -> Any:
        was_training = model.training
        model.eval()
        try:
            return fn(model, *args, **kwargs)
        finally:
            model.train(was_training)

    return wrapper


@_in_eval_mode
def greedy_decode(model: nn.Module, idx: Any, max_new_tokens: int) -> torch.Tensor:
    """Append ``max_new_tokens`` tokens to every row of ``idx``, each the argmax of the logits.

    Deterministic: the same prompt always gives the same text. Returns a (B, T + new) tensor on the
    CPU.
    """
    n = _check_length(max_new_tokens)
    idx = _as_batch(idx, _vocab_size(model)).cpu()
    for _ in range(n):
        nxt = next_token_logits(model, idx).argmax(dim=-1, keepdim=True).cpu()
        idx = torch.cat([idx, nxt], dim=1)
    return idx


@_in_eval_mode
def sample_decode(
    model: nn.Module,
    idx: Any,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    seed: int | None = None,
) -> torch.Tensor:
    """Append ``max_new_tokens`` tokens drawn from the reshaped next-token distribution.

    Each step: logits of the last position, :func:`next_token_probs` (temperature, top-k, top-p),
    one draw with ``torch.multinomial``. Give a CPU ``generator`` or a ``seed`` (which makes one)
    for repeatable text; the draws happen on the CPU whatever the model's device. Returns a
    (B, T + new) tensor on the CPU.
    """
    n = _check_length(max_new_tokens)
    if generator is not None and seed is not None:
        raise ValueError("Give either a generator or a seed, not both.")
    if generator is None:
        generator = torch.Generator()
        if seed is not None:
            generator.manual_seed(non_negative_int(seed, "seed"))
        else:
            generator.seed()
    idx = _as_batch(idx, _vocab_size(model)).cpu()
    # Check the parameters once, even when no token is asked for.
    next_token_probs(torch.zeros(2), temperature=temperature, top_k=top_k, top_p=top_p)
    for _ in range(n):
        probs = next_token_probs(
            next_token_logits(model, idx).cpu(), temperature=temperature, top_k=top_k, top_p=top_p
        )
        nxt = torch.multinomial(probs, num_samples=1, generator=generator)
        idx = torch.cat([idx, nxt], dim=1)
    return idx


@dataclass(frozen=True)
class Beam:
    """One hypothesis of :func:`beam_search`.

    ``tokens`` are the new tokens (without the prompt), ``log_prob`` their total log-probability
    under the model, ``score`` the ranking score ``log_prob / len(tokens) ** length_penalty`` and
    ``finished`` whether it ended with the end token.
    """

    tokens: tuple[int, ...]
    log_prob: float
    score: float
    finished: bool


def _score(log_prob: float, length: int, length_penalty: float) -> float:
    return log_prob / (max(length, 1) ** length_penalty)


@_in_eval_mode
def beam_search(
    model: nn.Module,
    idx: Any,
    max_new_tokens: int,
    *,
    beam_width: int = 5,
    length_penalty: float = 1.0,
    eos_id: int | None = None,
) -> list[Beam]:
    """Search for a high-probability continuation of one prompt, keeping ``beam_width`` beams.

    At every step each live beam is extended by every token; of all these candidates the
    ``beam_width`` with the highest total log-probability stay alive. A candidate that ends in
    ``eos_id`` is set aside as finished. The search stops after ``max_new_tokens`` steps (the live
    beams then count as finished, cut off by the length limit) or once ``beam_width`` beams have
    finished.

    **Length handling.** Every extra token multiplies the probability by a number below 1, so raw
    log-probabilities favour short answers. Finished beams are therefore ranked by
    ``log_prob / length ** length_penalty``: 0 ranks by total log-probability, 1 by the mean
    log-probability per token (the default, as in Hugging Face). Without ``eos_id`` every beam has
    the same length and the penalty changes nothing.

    Returns the finished beams, best first. With ``beam_width=1`` this is greedy decoding.
    """
    n = _check_length(max_new_tokens)
    width = positive_int(beam_width, "beam_width")
    alpha = as_number(length_penalty, "length_penalty")
    vocab = _vocab_size(model)
    if eos_id is not None and vocab is not None and not 0 <= eos_id < vocab:
        raise ValueError(f"eos_id {eos_id} is outside the vocabulary (ids 0 to {vocab - 1}).")
    prompt = _as_batch(idx, vocab).cpu()
    if prompt.size(0) != 1:
        raise ValueError(
            f"beam_search() continues one prompt at a time, got a batch of {prompt.size(0)}."
        )
    live: list[tuple[tuple[int, ...], float]] = [((), 0.0)]
    finished: list[Beam] = []
    for _ in range(n):
        batch = torch.stack(
            [torch.cat([prompt[0], torch.tensor(t, dtype=torch.long)]) for t, _ in live]
        )
        logp = F.log_softmax(next_token_logits(model, batch).cpu().double(), dim=-1)
        totals = torch.tensor([lp for _, lp in live], dtype=torch.float64)[:, None] + logp
        flat = totals.flatten()
        # 2 * width candidates are enough: at most `width` of them can end in eos_id.
        best = torch.topk(flat, min(2 * width, flat.numel()))
        new_live: list[tuple[tuple[int, ...], float]] = []
        v = logp.size(1)
        for total, pos in zip(best.values.tolist(), best.indices.tolist()):
            if total == float("-inf"):  # probability 0: never worth keeping
                break
            beam, token = divmod(pos, v)
            tokens = live[beam][0] + (token,)
            if eos_id is not None and token == eos_id:
                finished.append(Beam(tokens, total, _score(total, len(tokens), alpha), True))
            else:
                new_live.append((tokens, total))
            if len(new_live) == width:
                break
        live = new_live
        if len(finished) >= width or not live:
            break
    else:
        finished.extend(Beam(t, lp, _score(lp, len(t), alpha), False) for t, lp in live)
    if not finished:  # max_new_tokens == 0
        finished = [Beam((), 0.0, 0.0, False)]
    return sorted(finished, key=lambda b: b.score, reverse=True)


# --------------------------------------------------------------------------------------------
# From text to text
# --------------------------------------------------------------------------------------------


def encode_prompt(tokenizer: CharTokenizer, prompt: str) -> torch.Tensor:
    """Encode a non-empty text prompt into a (1, T) tensor of ids.

    Raises ``ValueError`` for an empty prompt and the tokenizer's ``UnknownCharacterError`` (a
    ``ValueError``) naming any character outside the vocabulary.
    """
    if not isinstance(prompt, str):
        raise TypeError(f"The prompt must be a string of text, got {type(prompt).__name__}.")
    if not prompt:
        raise ValueError(
            "The prompt is empty: give the model at least one character to "
            "continue, e.g. a newline '\\n'."
        )
    return torch.tensor([tokenizer.encode(prompt)], dtype=torch.long)


def generate_text(
    model: nn.Module,
    tokenizer: CharTokenizer,
    prompt: str,
    max_new_tokens: int,
    *,
    method: str = "sample",
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = 0,
    beam_width: int = 5,
    length_penalty: float = 1.0,
    eos: str | None = None,
) -> str:
    """Continue ``prompt`` by ``max_new_tokens`` characters and return only the new text.

    ``method`` is ``"greedy"``, ``"sample"`` (with ``temperature``, ``top_k``, ``top_p`` and
    ``seed``) or ``"beam"`` (with ``beam_width``, ``length_penalty`` and an optional one-character
    end marker ``eos``; the best beam is returned, including the end marker if it finished).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    ids = encode_prompt(tokenizer, prompt)
    n = _check_length(max_new_tokens)
    if method == "greedy":
        out = greedy_decode(model, ids, n)[0, ids.size(1) :]
    elif method == "sample":
        out = sample_decode(
            model, ids, n, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed
        )[0, ids.size(1) :]
    else:
        eos_id = None
        if eos is not None:
            if not isinstance(eos, str) or len(eos) != 1:
                raise ValueError(f"eos must be a single character, got {eos!r}.")
            eos_id = tokenizer.encode(eos)[0]
        out = beam_search(
            model, ids, n, beam_width=beam_width, length_penalty=length_penalty, eos_id=eos_id
        )[0].tokens
    return tokenizer.decode(list(out) if isinstance(out, tuple) else out)


@torch.no_grad()
def sequence_log_prob(model: nn.Module, idx: Any, start: int) -> float:
    """Total log-probability the model gives tokens ``start, start+1, ...`` of one sequence.

    Each token is predicted from the tokens before it (at most ``block_size`` of them), exactly as
    during generation. ``start`` must be at least 1 (the first token has no context). One forward
    pass over the first window scores every token that still fits in it (the causal mask makes
    position ``i`` see only tokens ``0..i``); later tokens are scored from their own windows, in
    batches.
    """
    seq = _as_batch(idx, _vocab_size(model)).cpu()
    if seq.size(0) != 1:
        raise ValueError("sequence_log_prob() scores one sequence at a time.")
    start = positive_int(start, "start")
    if start > seq.size(1):
        raise ValueError(f"start ({start}) is past the end of the sequence ({seq.size(1)} tokens).")
    n = seq.size(1)
    block = getattr(getattr(model, "config", None), "block_size", None) or n
    device = _device(model)
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        first = seq[:, : min(n, block)]
        out = model(first.to(device))
        logits = (out[0] if isinstance(out, (tuple, list)) else out)[0].cpu().double()
        logp = F.log_softmax(logits, dim=-1)
        for t in range(start, first.size(1)):  # token t from logits at position t - 1
            total += float(logp[t - 1, int(seq[0, t])])
        later = list(range(max(start, block), n))  # tokens whose context is a full window
        for i in range(0, len(later), 256):
            ts = later[i : i + 256]
            windows = torch.stack([seq[0, t - block : t] for t in ts])
            lp = F.log_softmax(next_token_logits(model, windows).cpu().double(), dim=-1)
            total += float(lp[torch.arange(len(ts)), seq[0, ts]].sum())
    finally:
        model.train(was_training)
    return total


def distinct_ngrams(items: Sequence[Any] | str, n: int) -> float:
    """The fraction of distinct n-grams among all n-grams of ``items`` ("distinct-n").

    ``items`` is a string (n-grams of characters) or a list (of words, ids, ...). 1 means no
    n-gram repeats; text stuck in a loop scores close to 0.
    """
    n = positive_int(n, "n")
    if len(items) < n:
        raise ValueError(f"Need at least n={n} items to form one n-gram, got {len(items)}.")
    grams = [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]
    return len(set(grams)) / len(grams)


def repeated_tail(text: str, *, max_period: int = 200) -> tuple[int, int]:
    """Find a loop at the end of ``text``: ``(period, repeats)``.

    ``period`` is the shortest length ``p`` (up to ``max_period``) such that the text ends with at
    least two copies of the same ``p`` characters; ``repeats`` is how many whole copies end the
    text. ``(0, 0)`` means no loop was found.
    """
    max_period = positive_int(max_period, "max_period")
    for p in range(1, min(max_period, len(text) // 2) + 1):
        unit = text[-p:]
        if text[-2 * p : -p] != unit:
            continue
        repeats = 2
        while len(text) >= (repeats + 1) * p and text[-(repeats + 1) * p : -repeats * p] == unit:
            repeats += 1
        return p, repeats
    return 0, 0


# --------------------------------------------------------------------------------------------
# The model of notebook 10, and pre-trained models from elsewhere
# --------------------------------------------------------------------------------------------


def describe_checkpoint(ckpt: Any) -> str:
    """One line saying which model a checkpoint holds (preset, device, steps, validation loss)."""
    extra, config = ckpt.extra, ckpt.config
    from course_utils.gpt import count_parameters

    parts = [
        f"preset {extra.get('preset', 'unknown')!r}",
        f"trained on {extra.get('device', 'an unknown device')}",
    ]
    if extra.get("steps") is not None:
        parts.append(f"{extra['steps']} steps")
    if extra.get("val_loss") is not None:
        parts.append(f"best validation loss {float(extra['val_loss']):.3f}")
    shape = (
        f"{config.n_layer} layers x {config.n_head} heads x {config.n_embd} dims, context "
        f"{config.block_size}, {count_parameters(ckpt.model) / 1e6:.2f} M parameters"
    )
    return f"{shape}; " + ", ".join(parts)


def load_or_train(
    device: torch.device | str = "cpu",
    *,
    path: str | os.PathLike[str] | None = None,
    fast: bool | None = None,
    callback: Callable[[Any], None] | None = None,
) -> tuple[Any, bool]:
    """Load notebook 10's checkpoint, or train the device's preset and save it there.

    ``path`` defaults to :func:`course_utils.gpt.default_checkpoint_path` (a separate file in fast
    mode). When no file is there, the preset of :func:`course_utils.gpt.preset_for_device` is
    trained on tiny Shakespeare (90/10 split, as in notebook 10) with
    :func:`course_utils.gpt.train`, which calls ``callback`` at every evaluation, and saved.
    Returns ``(checkpoint, trained_here)``.
    """
    from course_utils import gpt
    from course_utils.runtime import is_fast

    fast = is_fast() if fast is None else fast
    path = Path(path) if path is not None else gpt.default_checkpoint_path(fast=fast)
    if path.is_file():
        return gpt.load_checkpoint(path, device=device), False
    preset = gpt.preset_for_device(device, fast=fast)
    corpus = gpt.load_char_corpus(preset.model.block_size)
    torch.manual_seed(preset.train.seed)
    model = gpt.GPT(replace(preset.model, vocab_size=corpus.tokenizer.vocab_size))
    result = gpt.train(
        model,
        corpus.train_dataset,
        corpus.val_dataset,
        preset.train,
        device=device,
        callback=callback,
    )
    gpt.save_checkpoint(
        path,
        model,
        tokenizer=corpus.tokenizer,
        train_config=preset.train,
        extra={
            "val_loss": result.best_val_loss,
            "step": result.best_step,
            "steps": preset.train.max_steps,
            "device": torch.device(device).type,
            "preset": preset.name,
        },
    )
    return gpt.load_checkpoint(path, device=device), True


def load_cached_pipeline(task: str, model_name: str) -> tuple[Any | None, str]:
    """A Hugging Face ``pipeline(task, model=model_name)`` built only from weights already cached.

    Never downloads: the Hub is switched to offline mode first. Returns ``(pipeline, "")`` or
    ``(None, reason)`` when ``transformers`` is not installed or the weights are not on disk.
    """
    if importlib.util.find_spec("transformers") is None:
        return None, (
            "the `transformers` library is not installed "
            "(pip install transformers to try this section)"
        )
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from transformers import pipeline

        return pipeline(task, model=model_name, model_kwargs={"local_files_only": True}), ""
    except Exception as exc:  # noqa: BLE001 - any failure means: not usable here, say why
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return None, (
            f"the weights of {model_name!r} are not in the local Hugging Face cache "
            f"and nothing is downloaded here ({type(exc).__name__}: {first_line[:120]})"
        )

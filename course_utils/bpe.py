"""A byte-pair-encoding (BPE) tokenizer, written out to be read (notebook 08).

How it works:

1. Text is turned into UTF-8 **bytes**, so the starting vocabulary is the 256 possible byte values
   and *every* string can be encoded: no character is ever unknown.
2. A regular expression first cuts the text into chunks (a word with its leading space, a run of
   digits, a run of punctuation, whitespace), so merges never glue the end of one word to the start
   of the next. ``split_pattern=None`` switches that off and treats the text as one chunk.
3. Training counts every pair of neighbouring tokens, merges the most frequent pair into a new
   token, and repeats until the vocabulary has the size asked for. Ties go to the pair with the
   smaller ids. Pairs are counted overlapping (``a a a`` holds the pair ``(a, a)`` twice) and
   merged left to right without overlap (``a a a`` becomes ``aa a``).
4. Encoding applies the learned merges in the order they were learned; decoding joins the bytes
   of the tokens. ``decode(encode(text)) == text`` for every string.

Special tokens (``[PAD]``, ``[UNK]``, ``[SOS]``, ``[EOS]``, ``[MASK]``, ...) get the ids after the
merged tokens. They are only recognised in a text when ``encode(..., allow_special=True)``.

A tokenizer is saved as plain data (:meth:`BPETokenizer.to_dict`), which ``json.dumps`` accepts.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "DEFAULT_SPLIT_PATTERN",
    "DEFAULT_SPECIAL_TOKENS",
    "BPETokenizer",
    "count_pairs",
    "merge_pair",
    "split_into_chunks",
    "train_bpe",
]

DEFAULT_SPLIT_PATTERN = r"'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d+| ?[^\s\w]+| ?_+|\s+(?!\S)|\s+"
"""Chunks: English contractions, a word (with its leading space), digits, punctuation,
underscores, whitespace. Every character of every string falls into exactly one chunk."""

DEFAULT_SPECIAL_TOKENS: tuple[str, ...] = ("[PAD]", "[UNK]", "[SOS]", "[EOS]", "[MASK]")
"""The special tokens most tokenizers reserve: padding, unknown, start and end of a sequence, and
the blank a masked language model fills in."""

N_BYTES = 256
FORMAT = "bpe-tokenizer-v1"


def _check_ids(ids: Any, name: str = "ids") -> list[int]:
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise TypeError(f"{name} must be a sequence of integer ids, got {type(ids).__name__}.")
    if hasattr(ids, "tolist"):
        if getattr(ids, "ndim", 1) != 1:
            raise ValueError(f"{name} must be 1-D, got shape {tuple(ids.shape)}.")
        ids = ids.tolist()
    out = list(ids)
    for i in out:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"{name} must hold integers, got {i!r} ({type(i).__name__}).")
    return out


def count_pairs(ids: Sequence[int], counts: dict[tuple[int, int], int] | None = None,
                weight: int = 1) -> dict[tuple[int, int], int]:
    """Count each pair of neighbours in ``ids`` (overlapping), adding ``weight`` per occurrence.

    >>> count_pairs([1, 2, 1, 2, 2])
    {(1, 2): 2, (2, 1): 1, (2, 2): 1}
    """
    ids = _check_ids(ids)
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` in ``ids`` by ``new_id``, left to right.

    >>> merge_pair([5, 5, 5, 1, 5, 5], (5, 5), 9)
    [9, 5, 1, 9]
    """
    ids = _check_ids(ids)
    if not (isinstance(pair, tuple) and len(pair) == 2):
        raise TypeError(f"pair must be a tuple of two ids, got {pair!r}.")
    a, b = pair
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if i < n - 1 and ids[i] == a and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def split_into_chunks(text: str, split_pattern: str | None = DEFAULT_SPLIT_PATTERN) -> list[str]:
    """Cut ``text`` into the chunks that merges stay inside; they join back to ``text`` exactly."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}.")
    if split_pattern is None:
        return [text] if text else []
    chunks = re.findall(split_pattern, text)
    if "".join(chunks) != text:  # a custom pattern that skips characters would lose text
        raise ValueError("split_pattern does not cover every character of the text; the chunks "
                         "must join back to the original text.")
    return chunks


def _replace_in_word(word: list[int], a: int, b: int, new_id: int) -> list[int]:
    return merge_pair(word, (a, b), new_id)


def train_bpe(
    text: str,
    vocab_size: int,
    *,
    special_tokens: Sequence[str] = DEFAULT_SPECIAL_TOKENS,
    split_pattern: str | None = DEFAULT_SPLIT_PATTERN,
    min_count: int = 2,
) -> BPETokenizer:
    """Learn a :class:`BPETokenizer` of ``vocab_size`` tokens (bytes + merges + special tokens).

    Training stops early (with a smaller vocabulary) when no pair occurs ``min_count`` times.
    Each distinct chunk is stored once with its count, and pair counts are updated only for the
    chunks a merge touches, so a few hundred merges on a few hundred thousand characters take
    seconds.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}.")
    if not text:
        raise ValueError("train_bpe() needs a non-empty text to learn merges from.")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
        raise TypeError(f"vocab_size must be an integer, got {type(vocab_size).__name__}.")
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be an integer of at least 1, got {min_count!r}.")
    special_tokens = _check_specials(special_tokens)
    smallest = N_BYTES + len(special_tokens)
    if vocab_size < smallest:
        raise ValueError(f"vocab_size must be at least {smallest} (256 bytes + "
                         f"{len(special_tokens)} special tokens), got {vocab_size}.")
    n_merges = vocab_size - smallest

    chunk_counts = Counter(split_into_chunks(text, split_pattern))
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
    freqs = list(chunk_counts.values())
    pair_counts: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)  # pair -> indices of words holding it
    for w, (word, f) in enumerate(zip(words, freqs)):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += f
            where[pair].add(w)

    merges: list[tuple[int, int]] = []
    for k in range(n_merges):
        if not pair_counts:
            break
        best = max(pair_counts.items(), key=lambda item: (item[1], -item[0][0], -item[0][1]))
        pair, count = best
        if count < min_count:
            break
        new_id = N_BYTES + k
        merges.append(pair)
        for w in list(where[pair]):
            word, f = words[w], freqs[w]
            for old in zip(word, word[1:]):  # remove the word's old pairs ...
                pair_counts[old] -= f
                if pair_counts[old] == 0:
                    del pair_counts[old]
                where[old].discard(w)
            word = _replace_in_word(word, pair[0], pair[1], new_id)
            words[w] = word
            for new in zip(word, word[1:]):  # ... and add its new ones
                pair_counts[new] += f
                where[new].add(w)
        where.pop(pair, None)
        pair_counts.pop(pair, None)
    return BPETokenizer(merges, special_tokens=special_tokens, split_pattern=split_pattern)


def _check_specials(special_tokens: Any) -> list[str]:
    if isinstance(special_tokens, str) or not isinstance(special_tokens, Iterable):
        raise TypeError("special_tokens must be a list of strings such as ['[PAD]', '[EOS]'].")
    specials = list(special_tokens)
    for s in specials:
        if not isinstance(s, str) or not s:
            raise TypeError(f"Every special token must be a non-empty string, got {s!r}.")
    if len(set(specials)) != len(specials):
        raise ValueError("special_tokens lists a token twice; each must appear once.")
    return specials


class BPETokenizer:
    """A byte-level BPE tokenizer: 256 byte tokens, then one token per merge, then special tokens.

    Build one with :func:`train_bpe` (or :meth:`BPETokenizer.train`); ``merges[k]`` is the pair of
    ids that token ``256 + k`` stands for.

    >>> tok = train_bpe("low lower lowest " * 10, vocab_size=256 + 5 + 3)
    >>> tok.decode(tok.encode("slowest flower")) == "slowest flower"
    True
    """

    def __init__(
        self,
        merges: Sequence[tuple[int, int]] = (),
        *,
        special_tokens: Sequence[str] = DEFAULT_SPECIAL_TOKENS,
        split_pattern: str | None = DEFAULT_SPLIT_PATTERN,
    ) -> None:
        if split_pattern is not None and not isinstance(split_pattern, str):
            raise TypeError("split_pattern must be a regular expression string or None.")
        if split_pattern is not None:
            try:
                re.compile(split_pattern)
            except re.error as exc:
                raise ValueError(f"split_pattern is not a valid regular expression: {exc}") from exc
        self.split_pattern = split_pattern
        self.merges: list[tuple[int, int]] = []
        self.vocab: list[bytes] = [bytes([b]) for b in range(N_BYTES)]
        for k, pair in enumerate(merges):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise ValueError(f"merge {k} must be a pair of ids, got {pair!r}.")
            a, b = pair
            for i in (a, b):
                if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < N_BYTES + k:
                    raise ValueError(f"merge {k} refers to id {i!r}, which does not exist yet "
                                     f"(ids 0 to {N_BYTES + k - 1} exist before it).")
            self.merges.append((a, b))
            self.vocab.append(self.vocab[a] + self.vocab[b])
        self.ranks: dict[tuple[int, int], int] = {p: N_BYTES + k for k, p in enumerate(self.merges)}
        specials = _check_specials(special_tokens)
        first = N_BYTES + len(self.merges)
        self.special_tokens: dict[str, int] = {s: first + i for i, s in enumerate(specials)}
        self.special_by_id: dict[int, str] = {i: s for s, i in self.special_tokens.items()}
        self._cache: dict[str, list[int]] = {}

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def train(cls, text: str, vocab_size: int, **kwargs: Any) -> BPETokenizer:
        """Same as :func:`train_bpe`."""
        return train_bpe(text, vocab_size, **kwargs)

    def truncated(self, n_merges: int) -> BPETokenizer:
        """The tokenizer that training would have given after its first ``n_merges`` merges."""
        if isinstance(n_merges, bool) or not isinstance(n_merges, int):
            raise TypeError(f"n_merges must be an integer, got {type(n_merges).__name__}.")
        if not 0 <= n_merges <= len(self.merges):
            raise ValueError(f"n_merges must be between 0 and {len(self.merges)}, got {n_merges}.")
        return BPETokenizer(self.merges[:n_merges], special_tokens=list(self.special_tokens),
                            split_pattern=self.split_pattern)

    # --- sizes and names --------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes + merges + special tokens."""
        return N_BYTES + len(self.merges) + len(self.special_tokens)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return (f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
                f"special_tokens={list(self.special_tokens)})")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, BPETokenizer) and self.merges == other.merges
                and self.special_tokens == other.special_tokens
                and self.split_pattern == other.split_pattern)

    def __hash__(self) -> int:
        return hash((tuple(self.merges), tuple(self.special_tokens), self.split_pattern))

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes a token stands for (a special token: its name in UTF-8)."""
        if isinstance(token_id, bool) or not isinstance(token_id, int):
            raise TypeError(f"token_id must be an integer, got {type(token_id).__name__}.")
        if token_id in self.special_by_id:
            return self.special_by_id[token_id].encode("utf-8")
        if not 0 <= token_id < len(self.vocab):
            raise ValueError(f"The id {token_id} is outside this tokenizer's vocabulary "
                             f"(ids 0 to {self.vocab_size - 1}).")
        return self.vocab[token_id]

    def token_str(self, token_id: int) -> str:
        """A token as text (a byte that is part of a longer character shows as U+FFFD)."""
        return self.token_bytes(token_id).decode("utf-8", errors="replace")

    # --- encoding and decoding --------------------------------------------------------------------

    def _encode_chunk(self, chunk: str) -> list[int]:
        cached = self._cache.get(chunk)
        if cached is not None:
            return cached
        ids = list(chunk.encode("utf-8"))
        while len(ids) >= 2:
            # The pair learned earliest is merged first: exactly the training order, because a
            # merge can only create pairs that were learned after it.
            pair = min(zip(ids, ids[1:]), key=lambda p: self.ranks.get(p, 1 << 62))
            if pair not in self.ranks:
                break
            ids = merge_pair(ids, pair, self.ranks[pair])
        if len(self._cache) < 100_000:
            self._cache[chunk] = ids
        return ids

    def _encode_ordinary(self, text: str) -> list[int]:
        out: list[int] = []
        for chunk in split_into_chunks(text, self.split_pattern):
            out.extend(self._encode_chunk(chunk))
        return out

    def encode(self, text: str, *, allow_special: bool = False) -> list[int]:
        """Return the token ids of ``text``.

        With ``allow_special=True`` the names of special tokens inside the text (``"[EOS]"``) are
        encoded as their single ids; otherwise they are ordinary text, split like any other.
        """
        if not isinstance(text, str):
            raise TypeError(f"encode() needs a string, got {type(text).__name__}.")
        if not allow_special or not self.special_tokens:
            return self._encode_ordinary(text)
        names = sorted(self.special_tokens, key=len, reverse=True)
        pattern = "(" + "|".join(re.escape(s) for s in names) + ")"
        out: list[int] = []
        for part in re.split(pattern, text):
            if part in self.special_tokens:
                out.append(self.special_tokens[part])
            elif part:
                out.extend(self._encode_ordinary(part))
        return out

    def decode(self, ids: Iterable[int] | Any) -> str:
        """Return the text of a sequence of ids (a list, a 1-D array or a 1-D tensor).

        Bytes that do not form valid UTF-8 (a sequence cut in the middle of a character) become
        U+FFFD; ids produced by :meth:`encode` always decode to the original text.
        """
        if isinstance(ids, int) and not isinstance(ids, bool):
            ids = [ids]
        ids = _check_ids(ids)
        return b"".join(self.token_bytes(i) for i in ids).decode("utf-8", errors="replace")

    def split(self, text: str) -> list[str]:
        """The pieces ``text`` is cut into, as strings (handy for showing a tokenisation)."""
        return [self.token_str(i) for i in self.encode(text)]

    # --- saving -------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data (strings, ints and lists) that :meth:`from_dict` turns back into a tokenizer."""
        return {
            "format": FORMAT,
            "split_pattern": self.split_pattern,
            "merges": [[a, b] for a, b in self.merges],
            "special_tokens": list(self.special_tokens),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BPETokenizer:
        """Rebuild a tokenizer saved with :meth:`to_dict` (for example after ``json.loads``)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"from_dict() needs a dict, got {type(data).__name__}.")
        if data.get("format") != FORMAT:
            raise ValueError(f"This is not a saved BPETokenizer (format {data.get('format')!r}, "
                             f"expected {FORMAT!r}).")
        merges = data.get("merges")
        if not isinstance(merges, list):
            raise ValueError("A saved BPETokenizer needs its merges as a list of [a, b] pairs.")
        return cls([tuple(m) if isinstance(m, list) else m for m in merges],
                   special_tokens=data.get("special_tokens", []),
                   split_pattern=data.get("split_pattern"))

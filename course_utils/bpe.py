"""A byte-pair-encoding (BPE) tokenizer, written out to be read (notebook 08).

How it works:

1. Text is turned into UTF-8 **bytes**, so the starting vocabulary is the 256 possible byte values
   and *every* string can be encoded: no character is ever unknown.
2. A regular expression first cuts the text into chunks (a word with its leading space, a run of
   digits, a run of punctuation, whitespace), so merges never glue the end of one word to the start
   of the next. ``split_pattern=None`` switches that off and treats the text as one chunk. Each
   distinct chunk is kept once, with its count (:func:`chunk_counts`).
3. Training counts every pair of neighbouring tokens, merges the most frequent pair into a new
   token, and repeats. Ties go to the pair with the smaller ids. Pairs are counted overlapping
   (``a a a`` holds the pair ``(a, a)`` twice) and merged left to right without overlap
   (``a a a`` becomes ``aa a``). Two trainers learn exactly the same merges:
   :func:`learn_merges_simple` recounts every pair after every merge;
   :func:`learn_merges_incremental` updates the counts only in the chunks a merge changed and
   keeps the candidates in a heap, which makes it many times faster
   (``benchmarks/bpe_speed.py``).
4. Encoding applies the learned merges in the order they were learned; decoding joins the bytes
   of the tokens. ``decode(encode(text)) == text`` for every string.

Special tokens (``[PAD]``, ``[UNK]``, ``[SOS]``, ``[EOS]``, ``[MASK]``, ...) get the ids after the
merged tokens. They are only recognised in a text when ``encode(..., allow_special=True)``.

A tokenizer is saved as plain data (:meth:`BPETokenizer.to_dict`), which ``json.dumps`` accepts.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "DEFAULT_SPLIT_PATTERN",
    "DEFAULT_SPECIAL_TOKENS",
    "BPETokenizer",
    "chunk_counts",
    "count_pairs",
    "learn_merges_incremental",
    "learn_merges_simple",
    "merge_pair",
    "most_frequent_pair",
    "pair_index",
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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id_list(ids: Any) -> list[int]:
    """A 1-D sequence of integer ids (list, tuple, array or tensor) as a list of ints."""
    if hasattr(ids, "tolist"):
        if getattr(ids, "ndim", 1) != 1:
            raise ValueError(f"ids must be 1-D, got shape {tuple(ids.shape)}.")
        ids = ids.tolist()
    if isinstance(ids, (str, bytes)) or not all(_is_int(i) for i in ids):
        raise TypeError(f"ids must be a sequence of integer ids, got {ids!r:.60}.")
    return list(ids)


# --- the pieces of training -----------------------------------------------------------------------


def count_pairs(
    ids: Sequence[int], counts: dict[tuple[int, int], int] | None = None, weight: int = 1
) -> dict[tuple[int, int], int]:
    """Count each pair of neighbours in ``ids`` (overlapping), adding ``weight`` per occurrence.

    >>> count_pairs([1, 2, 1, 2, 2])
    {(1, 2): 2, (2, 1): 1, (2, 2): 1}
    """
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def most_frequent_pair(counts: Mapping[tuple[int, int], int]) -> tuple[int, int]:
    """The pair with the highest count; ties go to the pair with the smaller ids."""
    return max(counts, key=lambda pair: (counts[pair], -pair[0], -pair[1]))


def _merge(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    out, i, n = [], 0, len(ids)
    while i < n:
        if i < n - 1 and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` in ``ids`` by ``new_id``, left to right.

    >>> merge_pair([5, 5, 5, 1, 5, 5], (5, 5), 9)
    [9, 5, 1, 9]
    """
    if not (isinstance(pair, tuple) and len(pair) == 2 and all(map(_is_int, (*pair, new_id)))):
        raise TypeError(
            f"pair must be a tuple of two integer ids and new_id an integer, got "
            f"pair={pair!r}, new_id={new_id!r}."
        )
    return _merge(_id_list(ids), pair, new_id)


def split_into_chunks(text: str, split_pattern: str | None = DEFAULT_SPLIT_PATTERN) -> list[str]:
    """Cut ``text`` into the chunks that merges stay inside; they join back to ``text`` exactly."""
    if split_pattern is None:
        return [text] if text else []
    chunks = re.findall(split_pattern, text)
    if "".join(chunks) != text:  # a custom pattern that skips characters would lose text
        raise ValueError(
            "split_pattern does not cover every character of the text; the chunks "
            "must join back to the original text."
        )
    return chunks


def chunk_counts(
    text: str, split_pattern: str | None = DEFAULT_SPLIT_PATTERN
) -> dict[tuple[int, ...], int]:
    """Each distinct chunk of ``text`` as a tuple of byte ids, with how often it occurs."""
    return dict(Counter(tuple(c.encode("utf-8")) for c in split_into_chunks(text, split_pattern)))


# --- two trainers that learn the same merges ------------------------------------------------------


def learn_merges_simple(
    chunks: Mapping[tuple[int, ...], int], n_merges: int, min_count: int = 2
) -> list[tuple[int, int]]:
    """BPE the plain way: after every merge, count all pairs again in every chunk.

    ``chunks`` maps each distinct chunk (a tuple of ids) to its count. Stops early when no pair
    occurs ``min_count`` times.
    """
    words = [(list(word), count) for word, count in chunks.items()]
    merges: list[tuple[int, int]] = []
    for k in range(n_merges):
        counts: dict[tuple[int, int], int] = {}
        for word, count in words:
            count_pairs(word, counts, count)
        if not counts:
            break
        pair = most_frequent_pair(counts)
        if counts[pair] < min_count:
            break
        merges.append(pair)
        words = [(_merge(word, pair, N_BYTES + k), count) for word, count in words]
    return merges


def pair_index(
    words: Sequence[list[int]], weight: Sequence[int]
) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], set[int]]]:
    """Pair counts over all chunks (each weighted by its count), and which chunks hold each pair."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for w, word in enumerate(words):
        for pair in zip(word, word[1:]):
            counts[pair] += weight[w]
            where[pair].add(w)
    return counts, where


def learn_merges_incremental(
    chunks: Mapping[tuple[int, ...], int], n_merges: int, min_count: int = 2
) -> list[tuple[int, int]]:
    """The same merges as :func:`learn_merges_simple`, updating only what a merge changed.

    ``where[pair]`` lists the chunks that hold ``pair``; a merge re-counts only those chunks
    (their old pairs out, their new pairs in). The candidates wait in a heap ordered by
    ``(-count, pair)``, so the top is the most frequent pair with the smaller ids; an entry whose
    count has changed since it was pushed is stale and skipped.
    """
    words = [list(word) for word in chunks]
    weight = list(chunks.values())
    counts, where = pair_index(words, weight)
    heap = [(-count, pair) for pair, count in counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[int, int]] = []
    while heap and len(merges) < n_merges:
        negative, pair = heapq.heappop(heap)
        if counts.get(pair) != -negative:
            continue  # stale: the count changed after this entry was pushed
        if -negative < min_count:
            break
        new_id = N_BYTES + len(merges)
        merges.append(pair)
        changed = set()
        for w in where.pop(pair):
            old, words[w] = words[w], _merge(words[w], pair, new_id)
            for p in zip(old, old[1:]):
                counts[p] -= weight[w]
                changed.add(p)
            for p in zip(words[w], words[w][1:]):
                counts[p] += weight[w]
                where[p].add(w)
                changed.add(p)
        for p in changed:
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], p))
            else:
                del counts[p]
    return merges


def train_bpe(
    text: str,
    vocab_size: int,
    *,
    special_tokens: Sequence[str] = DEFAULT_SPECIAL_TOKENS,
    split_pattern: str | None = DEFAULT_SPLIT_PATTERN,
    min_count: int = 2,
    incremental: bool = True,
) -> BPETokenizer:
    """Learn a :class:`BPETokenizer` of ``vocab_size`` tokens (bytes + merges + special tokens).

    Training stops early (with a smaller vocabulary) when no pair occurs ``min_count`` times.
    ``incremental=False`` uses the plain trainer (same merges, much slower).
    """
    if not isinstance(text, str) or not _is_int(vocab_size):
        raise TypeError(
            f"train_bpe() needs a text and an integer vocab_size, got "
            f"{type(text).__name__} and {vocab_size!r}."
        )
    specials = _check_specials(special_tokens)
    n_merges = vocab_size - N_BYTES - len(specials)
    if n_merges < 0 or not text or not _is_int(min_count) or min_count < 1:
        raise ValueError(
            f"train_bpe() needs a non-empty text, a vocab_size of at least "
            f"{N_BYTES + len(specials)} (256 bytes + {len(specials)} special tokens; "
            f"got {vocab_size}) and a positive integer min_count (got {min_count!r})."
        )
    learn = learn_merges_incremental if incremental else learn_merges_simple
    merges = learn(chunk_counts(text, split_pattern), n_merges, min_count)
    return BPETokenizer(merges, special_tokens=specials, split_pattern=split_pattern)


def _check_specials(special_tokens: Any) -> list[str]:
    specials = [] if isinstance(special_tokens, str) else list(special_tokens)
    if not specials and special_tokens or not all(isinstance(s, str) and s for s in specials):
        raise TypeError("special_tokens must be a list of non-empty strings such as ['[PAD]'].")
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
        try:
            re.compile(split_pattern or "")
        except (re.error, TypeError) as exc:
            raise ValueError(f"split_pattern is not a valid regular expression: {exc}") from exc
        self.split_pattern = split_pattern
        self.merges: list[tuple[int, int]] = []
        self.vocab: list[bytes] = [bytes([b]) for b in range(N_BYTES)]
        for k, (a, b) in enumerate(merges):
            if not all(_is_int(i) and 0 <= i < N_BYTES + k for i in (a, b)):
                raise ValueError(
                    f"merge {k} refers to id {a!r} or {b!r}, which does not exist "
                    f"yet (ids 0 to {N_BYTES + k - 1} exist before it)."
                )
            self.merges.append((a, b))
            self.vocab.append(self.vocab[a] + self.vocab[b])
        self.ranks: dict[tuple[int, int], int] = {p: N_BYTES + k for k, p in enumerate(self.merges)}
        first = N_BYTES + len(self.merges)
        self.special_tokens: dict[str, int] = {
            s: first + i for i, s in enumerate(_check_specials(special_tokens))
        }
        self.special_by_id: dict[int, str] = {i: s for s, i in self.special_tokens.items()}
        self._cache: dict[str, list[int]] = {}

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def train(cls, text: str, vocab_size: int, **kwargs: Any) -> BPETokenizer:
        """Same as :func:`train_bpe`."""
        return train_bpe(text, vocab_size, **kwargs)

    def truncated(self, n_merges: int) -> BPETokenizer:
        """The tokenizer that training would have given after its first ``n_merges`` merges."""
        if not (_is_int(n_merges) and 0 <= n_merges <= len(self.merges)):
            raise ValueError(f"n_merges must be between 0 and {len(self.merges)}, got {n_merges}.")
        return BPETokenizer(
            self.merges[:n_merges],
            special_tokens=list(self.special_tokens),
            split_pattern=self.split_pattern,
        )

    # --- sizes and names --------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes + merges + special tokens."""
        return N_BYTES + len(self.merges) + len(self.special_tokens)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return (
            f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
            f"special_tokens={list(self.special_tokens)})"
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BPETokenizer)
            and self.merges == other.merges
            and self.special_tokens == other.special_tokens
            and self.split_pattern == other.split_pattern
        )

    def __hash__(self) -> int:
        return hash((tuple(self.merges), tuple(self.special_tokens), self.split_pattern))

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes a token stands for (a special token: its name in UTF-8)."""
        if token_id in self.special_by_id:
            return self.special_by_id[token_id].encode("utf-8")
        if not 0 <= token_id < len(self.vocab):
            raise ValueError(
                f"The id {token_id} is outside this tokenizer's vocabulary "
                f"(ids 0 to {self.vocab_size - 1})."
            )
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
            ids = _merge(ids, pair, self.ranks[pair])
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
        ids = [ids] if _is_int(ids) else _id_list(ids)
        return b"".join(self.token_bytes(i) for i in ids).decode("utf-8", errors="replace")

    def split(self, text: str) -> list[str]:
        """The pieces ``text`` is cut into, as strings (handy for showing a tokenisation)."""
        return [self.token_str(i) for i in self.encode(text)]

    # --- saving ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data (strings, ints, lists) that :meth:`from_dict` turns back into a tokenizer."""
        return {
            "format": FORMAT,
            "split_pattern": self.split_pattern,
            "merges": [[a, b] for a, b in self.merges],
            "special_tokens": list(self.special_tokens),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BPETokenizer:
        """Rebuild a tokenizer saved with :meth:`to_dict` (for example after ``json.loads``)."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(
                f"This is not a saved BPETokenizer (expected a dict with format {FORMAT!r})."
            )
        return cls(
            [tuple(m) for m in data["merges"]],
            special_tokens=data["special_tokens"],
            split_pattern=data["split_pattern"],
        )

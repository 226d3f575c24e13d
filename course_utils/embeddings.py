"""Words as vectors: bag of words, cosine similarity and skip-gram word2vec (notebook 08).

- :func:`tokenize_words` lower-cases a text and cuts it into words (``[a-z]+`` with an optional
  apostrophe part, so ``"o'er"`` and ``"is't"`` stay one word).
- :class:`BagOfWords` turns documents into binary (or count) vectors over a vocabulary, leaving
  out stop words. It agrees with scikit-learn's ``CountVectorizer(binary=True)`` given the same
  token pattern and stop words.
- :func:`cosine_similarity`, :func:`nearest_neighbours` and :func:`analogy` compare vectors.
- :class:`SkipGram`, :func:`skipgram_loss`, :func:`skipgram_gradients`, :func:`skipgram_pairs` and
  :func:`train_skipgram` learn word embeddings with negative sampling (Mikolov et al., 2013).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.runtime import progress

__all__ = [
    "WORD_PATTERN",
    "STOP_WORDS",
    "tokenize_words",
    "BagOfWords",
    "cosine_similarity",
    "nearest_neighbours",
    "analogy",
    "WordVocabulary",
    "build_word_vocabulary",
    "subsample",
    "skipgram_pairs",
    "negative_sampling_distribution",
    "skipgram_loss",
    "skipgram_gradients",
    "skipgram_step",
    "SkipGram",
    "train_skipgram",
]

WORD_PATTERN = r"[a-z]+(?:'[a-z]+)?"
"""A word: lower-case letters, optionally one apostrophe followed by more letters."""

STOP_WORDS: frozenset[str] = frozenset(
    """a about after all also am an and any are as at be been but by can could did do does for
    from had has have he her here him his how i if in into is it its just me more most my no nor
    not now of on or our out own shall she should so some such than that the their them then there
    these they this those to too up upon us very was we were what when where which who whom why
    will with would yet you your thou thee thy thine hath doth art tis o ay""".split()
)
"""Common English words (plus a few of Shakespeare's: thou, thee, thy, hath, ...) that say little
about what a text is about. Bag-of-words models often drop them."""


def _check_text(text: Any, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string, got {type(text).__name__}.")
    return text


def tokenize_words(text: str) -> list[str]:
    """Lower-case ``text`` and return its words.

    >>> tokenize_words("Now is the winter of our discontent, o'er all!")
    ['now', 'is', 'the', 'winter', 'of', 'our', 'discontent', "o'er", 'all']
    """
    return re.findall(WORD_PATTERN, _check_text(text).lower())


def _check_docs(docs: Any) -> list[str]:
    if isinstance(docs, str) or not isinstance(docs, Iterable):
        raise TypeError("docs must be a list of strings (one string per document).")
    docs = list(docs)
    for d in docs:
        _check_text(d, "every document")
    return docs


class BagOfWords:
    """Binary (or count) bag-of-words vectors over a vocabulary learned from documents.

    >>> bow = BagOfWords().fit(["the dog bites the man", "the man bites the dog"])
    >>> bow.vocabulary_
    ['bites', 'dog', 'man']
    >>> bow.transform(["man bites dog"]).tolist()
    [[1, 1, 1]]

    ``stop_words=None`` keeps every word; ``binary=False`` counts instead of marking presence.
    Words not in the vocabulary (never seen in :meth:`fit`) are silently ignored.
    """

    def __init__(
        self,
        *,
        stop_words: Iterable[str] | None = STOP_WORDS,
        binary: bool = True,
        min_count: int = 1,
    ) -> None:
        self.stop_words = frozenset(stop_words or ())
        self.binary = bool(binary)
        self.min_count = min_count
        self.vocabulary_: list[str] = []
        self.index_: dict[str, int] = {}

    def _words(self, doc: str) -> list[str]:
        return [w for w in tokenize_words(doc) if w not in self.stop_words]

    def fit(self, docs: Sequence[str]) -> BagOfWords:
        """Learn the vocabulary: every non-stop word of ``docs``, sorted alphabetically."""
        docs = _check_docs(docs)
        counts = Counter(w for d in docs for w in self._words(d))
        self.vocabulary_ = sorted(w for w, c in counts.items() if c >= self.min_count)
        if not self.vocabulary_:
            raise ValueError("The documents contain no words outside the stop words.")
        self.index_ = {w: i for i, w in enumerate(self.vocabulary_)}
        return self

    def transform(self, docs: Sequence[str]) -> np.ndarray:
        """Return an integer array of shape ``(len(docs), len(vocabulary_))``."""
        if not self.vocabulary_:
            raise RuntimeError("Call fit() before transform(): there is no vocabulary yet.")
        docs = _check_docs(docs)
        out = np.zeros((len(docs), len(self.vocabulary_)), dtype=np.int64)
        for row, doc in enumerate(docs):
            for w in self._words(doc):
                j = self.index_.get(w)
                if j is not None:
                    out[row, j] = 1 if self.binary else out[row, j] + 1
        return out

    def fit_transform(self, docs: Sequence[str]) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same documents."""
        return self.fit(docs).transform(docs)


# --- similarity ---------------------------------------------------------------------------------


def _as_2d(x: Any, name: str) -> tuple[np.ndarray, bool]:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x, dtype=float)
    if arr.ndim not in (1, 2) or arr.size == 0 or not np.isfinite(arr).all():
        raise ValueError(
            f"{name} must be a non-empty vector or matrix of finite numbers (no NaN "
            f"or infinity), got shape {arr.shape}."
        )
    return (arr[None, :], True) if arr.ndim == 1 else (arr, False)


def _unit_rows(M: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero). Each row is first divided by its largest
    entry, so squaring cannot overflow or underflow (1e155 ** 2 is infinite in float64)."""
    top = np.abs(M).max(axis=1, keepdims=True)
    M = M / np.where(top == 0, 1.0, top)
    length = np.linalg.norm(M, axis=1, keepdims=True)
    return M / np.where(length == 0, 1.0, length)


def cosine_similarity(a: Any, b: Any) -> Any:
    r"""Cosine of the angle between vectors: :math:`a \cdot b / (\|a\| \|b\|)`.

    Two vectors give a float; matrices of shape ``(n, d)`` and ``(m, d)`` give the ``(n, m)``
    matrix of every row of ``a`` against every row of ``b`` (a vector counts as one row). As in
    scikit-learn, a zero vector has similarity 0 with everything.
    """
    A, a_vec = _as_2d(a, "a")
    B, b_vec = _as_2d(b, "b")
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"a and b need the same length of vectors, got {A.shape[1]} and {B.shape[1]}."
        )
    A, B = _unit_rows(A), _unit_rows(B)
    sims = A @ B.T
    if a_vec and b_vec:
        return float(sims[0, 0])
    if a_vec:
        return sims[0]
    if b_vec:
        return sims[:, 0]
    return sims


def _lookup(word: str, vocabulary: Sequence[str], index: dict[str, int]) -> int:
    if word not in index:
        raise KeyError(f"{word!r} is not in the vocabulary of {len(vocabulary)} words.")
    return index[word]


def _check_vectors(vectors: Any, vocabulary: Sequence[str]) -> np.ndarray:
    V, _ = _as_2d(vectors, "vectors")
    if isinstance(vocabulary, str) or len(vocabulary) != V.shape[0]:
        raise ValueError(f"vocabulary must list one word per row of vectors ({V.shape[0]} rows).")
    return V


def nearest_neighbours(
    word: str | Any,
    vectors: Any,
    vocabulary: Sequence[str],
    k: int = 5,
    exclude: Iterable[str] = (),
) -> list[tuple[str, float]]:
    """The ``k`` words whose vectors have the highest cosine similarity with ``word``.

    ``word`` is a word of the vocabulary (it is left out of the answer) or a query vector.
    Returns ``[(word, similarity), ...]``, most similar first.
    """
    V = _check_vectors(vectors, vocabulary)
    index = {w: i for i, w in enumerate(vocabulary)}
    skip = {index[w] for w in exclude if w in index}
    if isinstance(word, str):
        i = _lookup(word, vocabulary, index)
        query = V[i]
        skip.add(i)
    else:
        query, _ = _as_2d(word, "word")
        query = query[0]
    sims = cosine_similarity(query, V)
    order = [j for j in np.argsort(-sims, kind="stable") if j not in skip][:k]
    return [(vocabulary[j], float(sims[j])) for j in order]


def analogy(
    a: str, b: str, c: str, vectors: Any, vocabulary: Sequence[str], k: int = 1
) -> list[tuple[str, float]]:
    """Solve "``a`` is to ``b`` as ``c`` is to ?" with the vector ``b - a + c``.

    ``analogy("man", "king", "woman", ...)`` looks for the word nearest to king - man + woman,
    leaving the three given words out.
    """
    V = _check_vectors(vectors, vocabulary)
    index = {w: i for i, w in enumerate(vocabulary)}
    ia, ib, ic = (_lookup(w, vocabulary, index) for w in (a, b, c))
    unit = _unit_rows(V)
    query = unit[ib] - unit[ia] + unit[ic]
    return nearest_neighbours(query, V, vocabulary, k=k, exclude=(a, b, c))


# --- skip-gram with negative sampling -------------------------------------------------------------


class WordVocabulary:
    """Words kept for training (count >= ``min_count``), most frequent first, with their counts."""

    def __init__(self, words: Sequence[str], counts: Sequence[int]) -> None:
        if len(words) != len(counts) or not words or len(set(words)) != len(words):
            raise ValueError(
                "words and counts must be non-empty and of the same length, and no "
                "word may be listed twice."
            )
        self.itos = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"WordVocabulary({len(self)} words)"

    def encode(self, words: Iterable[str]) -> np.ndarray:
        """Ids of the words that are in the vocabulary (the others are dropped)."""
        return np.array([self.stoi[w] for w in words if w in self.stoi], dtype=np.int64)


def build_word_vocabulary(words: Sequence[str], min_count: int = 5) -> WordVocabulary:
    """Keep the words seen at least ``min_count`` times, most frequent first (ties alphabetical)."""
    counts = Counter(words)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    if isinstance(words, str) or not kept:
        raise ValueError(
            f"words must be a list of words (tokenize_words(text)) of which some "
            f"occur {min_count} times or more."
        )
    return WordVocabulary(kept, [counts[w] for w in kept])


def subsample(
    ids: np.ndarray, counts: np.ndarray, t: float = 1e-3, rng: np.random.Generator | None = None
) -> np.ndarray:
    r"""Drop frequent words at random: word :math:`w` is kept with probability
    :math:`\min(1, \sqrt{t / f(w)})`, :math:`f(w)` its share of all words. "the" and "and" then
    stop crowding every window, and rarer words get more of the training."""
    ids = np.asarray(ids, dtype=np.int64)
    counts = np.asarray(counts, dtype=float)
    rng = np.random.default_rng() if rng is None else rng
    freq = counts / counts.sum()
    keep = np.minimum(1.0, np.sqrt(t / freq))
    return ids[rng.random(len(ids)) < keep[ids]]


def _word_ids(ids: Any) -> np.ndarray:
    """A 1-D array of integer word ids; floats (NaN above all) are refused, not cast."""
    arr = np.asarray(ids)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise ValueError(
            f"ids must be a 1-D sequence of integer word ids, got dtype {arr.dtype} "
            f"and shape {arr.shape}."
        )
    return arr.astype(np.int64)


def skipgram_pairs(ids: Any, window: int) -> np.ndarray:
    """Every (centre, context) pair with the context at most ``window`` positions away.

    Returns an ``(n_pairs, 2)`` integer array, ordered by centre position, then by offset
    ``-window .. -1, 1 .. window``.

    >>> skipgram_pairs([10, 11, 12], window=1).tolist()
    [[10, 11], [11, 10], [11, 12], [12, 11]]
    """
    ids = _word_ids(ids)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}.")
    n = len(ids)
    pos = np.arange(n)
    centres, contexts = [], []
    for off in [o for o in range(-window, window + 1) if o != 0]:
        ok = (pos + off >= 0) & (pos + off < n)
        centres.append(pos[ok])
        contexts.append(pos[ok] + off)
    c = np.concatenate(centres)
    o = np.concatenate(contexts)
    order = np.lexsort((o - c, c))  # by centre position, then by offset
    return np.stack([ids[c[order]], ids[o[order]]], axis=1)


def negative_sampling_distribution(counts: Any, power: float = 0.75) -> np.ndarray:
    """Probabilities proportional to ``count ** power`` (word2vec's 3/4 power)."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 1 or not np.isfinite(counts).all() or (counts < 0).any() or counts.sum() == 0:
        raise ValueError("counts must be a non-empty 1-D array of finite, non-negative counts.")
    p = counts**power
    return p / p.sum()


def skipgram_loss(
    v_centre: torch.Tensor, u_context: torch.Tensor, u_negative: torch.Tensor
) -> torch.Tensor:
    r"""Mean negative-sampling loss over a batch.

    .. math:: L = -\log\sigma(u_o\cdot v_c) - \sum_{k=1}^{K}\log\sigma(-u_k\cdot v_c)

    Shapes: ``v_centre`` (B, d), ``u_context`` (B, d), ``u_negative`` (B, K, d).
    """
    pos = (u_context * v_centre).sum(-1)  # (B,)
    neg = (u_negative * v_centre.unsqueeze(1)).sum(-1)  # (B, K)
    return -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(-1)).mean()


def skipgram_gradients(
    v_centre: torch.Tensor, u_context: torch.Tensor, u_negative: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""The gradients of :func:`skipgram_loss`, written out by hand.

    With :math:`s_o = u_o\cdot v_c` and :math:`s_k = u_k\cdot v_c`, per example (then divided by
    the batch size B):

    .. math::
        \frac{\partial L}{\partial v_c} = (\sigma(s_o) - 1)\,u_o + \sum_k \sigma(s_k)\,u_k,\quad
        \frac{\partial L}{\partial u_o} = (\sigma(s_o) - 1)\,v_c,\quad
        \frac{\partial L}{\partial u_k} = \sigma(s_k)\,v_c.
    """
    b = v_centre.shape[0]
    s_o = (u_context * v_centre).sum(-1, keepdim=True)  # (B, 1)
    s_k = (u_negative * v_centre.unsqueeze(1)).sum(-1, keepdim=True)  # (B, K, 1)
    g_o = torch.sigmoid(s_o) - 1.0
    g_k = torch.sigmoid(s_k)
    d_v = (g_o * u_context + (g_k * u_negative).sum(1)) / b
    d_uo = g_o * v_centre / b
    d_uk = g_k * v_centre.unsqueeze(1) / b
    return d_v, d_uo, d_uk


class SkipGram(nn.Module):
    """Two embedding tables: ``centre`` (the word vectors we keep) and ``context``.

    As in word2vec, the centre vectors start small and random and the context vectors at zero.
    """

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.centre = nn.Embedding(vocab_size, dim)
        self.context = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.centre.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(
        self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """Loss for ids ``centre`` (B,), ``context`` (B,) and ``negatives`` (B, K)."""
        return skipgram_loss(self.centre(centre), self.context(context), self.context(negatives))

    def vectors(self) -> np.ndarray:
        """The learned word vectors (the centre table) as a NumPy array (vocab_size, dim)."""
        return self.centre.weight.detach().cpu().numpy().copy()


def skipgram_step(
    model: SkipGram, optimizer: torch.optim.Optimizer, pairs: torch.Tensor, negatives: torch.Tensor
) -> float:
    """One training step on a batch: ``pairs`` (B, 2) of (centre, context) ids and ``negatives``
    (B, K) of noise-word ids. Returns the batch's loss."""
    loss = model(pairs[:, 0], pairs[:, 1], negatives)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train_skipgram(
    ids: Any,
    vocab: WordVocabulary,
    *,
    dim: int = 50,
    window: int = 3,
    negatives: int = 5,
    epochs: int = 3,
    batch_size: int = 1024,
    lr: float = 0.01,
    subsample_t: float | None = 1e-3,
    seed: int = 0,
    log_every: int = 50,
    callback: Callable[[int, float], None] | None = None,
    show_progress: bool = True,
) -> tuple[SkipGram, list[float]]:
    """Train skip-gram embeddings with negative sampling and Adam on a stream of word ids.

    Each epoch subsamples frequent words afresh, builds every (centre, context) pair within
    ``window`` and shuffles them; each batch draws ``negatives`` noise words per pair from the
    unigram distribution to the 3/4 power. The learning rate falls linearly from ``lr`` to 0
    over the run, as in word2vec. ``callback(step, mean_loss)`` is called every ``log_every``
    steps (for a live chart). Returns the model and the mean loss of every logged stretch.
    """
    ids = _word_ids(ids)
    if len(ids) < 2 or ids.min() < 0 or ids.max() >= len(vocab) or not lr > 0:
        raise ValueError(
            f"ids must hold at least two word ids between 0 and {len(vocab) - 1} "
            f"(the vocabulary size), and lr must be positive (got {lr})."
        )
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SkipGram(len(vocab), dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    noise = torch.as_tensor(negative_sampling_distribution(vocab.counts), dtype=torch.float)
    batches = []
    for _ in range(epochs):
        kept = subsample(ids, vocab.counts, subsample_t, rng) if subsample_t else ids
        pairs = skipgram_pairs(kept, window)
        batches += torch.as_tensor(pairs[rng.permutation(len(pairs))]).split(batch_size)
    history, running = [], []
    quiet = {} if show_progress else {"disable": True}
    for step, pairs in enumerate(progress(batches, desc="skip-gram", **quiet)):
        optimizer.param_groups[0]["lr"] = lr * (1 - step / len(batches))
        noise_ids = torch.multinomial(
            noise, len(pairs) * negatives, replacement=True, generator=generator
        ).view(len(pairs), negatives)
        running.append(skipgram_step(model, optimizer, pairs, noise_ids))
        if (step + 1) % log_every == 0 or step + 1 == len(batches):
            history.append(sum(running) / len(running))
            running = []
            if callback is not None:
                callback(step + 1, history[-1])
    return model, history

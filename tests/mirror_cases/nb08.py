"""Notebook 08's written-out BPE trainers, skip-gram pieces and LSTM cell equal the package's."""

from __future__ import annotations

import numpy as np
import torch

from tests.mirror_cases.compare import assert_same

TEXTS = [
    "aaabdaaabac",
    "aaaa aaaa aaa b",
    "abababab cdcdcd ababcd " * 4,
    "ééé ééé aé 中文 中文字",
    "low lower lowest newer wider " * 3,
]


def _chunks():
    from course_utils.bpe import chunk_counts

    out = [chunk_counts(t, None) for t in TEXTS] + [chunk_counts(t) for t in TEXTS]
    return out + [{(1, 2, 1, 2): 3, (2, 1, 2): 2, (5, 5, 5, 5, 5): 1}]


def check_count_pairs(ours, theirs):
    for ids in ([1, 2, 1, 2, 2], [7, 7, 7], [], [4], list(b"aaabdaaabac")):
        assert_same(ours(ids), theirs(ids))
        assert_same(ours(ids, {(1, 2): 5}, 3), theirs(ids, {(1, 2): 5}, 3))


def check_most_frequent_pair(ours, theirs):
    for counts in (
        {(3, 1): 2, (1, 9): 2, (0, 5): 1},
        {(2, 7): 2, (2, 3): 2},
        {(9, 9): 1},
        {(1, 1): 1, (4, 4): 5, (4, 3): 5, (0, 0): 4},
    ):
        assert_same(ours(counts), theirs(counts))


def check_merge_pair(ours, theirs):
    for ids, pair in (
        ([5, 5, 5, 1, 5, 5], (5, 5)),
        ([1, 2, 3, 1, 2], (1, 2)),
        ([], (1, 2)),
        ([1], (1, 2)),
        ([2, 1, 2, 1], (1, 2)),
        ([3, 1, 2], (1, 2)),
    ):
        assert_same(ours(ids, pair, 9), theirs(ids, pair, 9))


def check_learn_merges(ours, theirs):
    for chunks in _chunks():
        for n, min_count in ((30, 2), (30, 1), (2, 2)):
            assert_same(ours(chunks, n, min_count), theirs(chunks, n, min_count))
    assert len(theirs(_chunks()[2], 30)) > 3


def check_pair_index(ours, theirs):
    for chunks in _chunks():
        words, weight = [list(w) for w in chunks], list(chunks.values())
        (c1, w1), (c2, w2) = ours(words, weight), theirs(words, weight)
        assert dict(c1) == dict(c2) and dict(w1) == dict(w2)


def _batch(seed, b=5, k=3, d=4):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=torch.float64) for s in ((b, d), (b, d), (b, k, d))]


def check_skipgram_loss(ours, theirs):
    for seed in range(3):
        assert_same(ours(*_batch(seed)), theirs(*_batch(seed)), atol=1e-12)


def check_skipgram_gradients(ours, theirs):
    for seed in range(3):
        assert_same(ours(*_batch(seed)), theirs(*_batch(seed)), atol=1e-12)


def _twins(ours, theirs, vocab=9, dim=4):
    torch.manual_seed(3)
    a = ours(vocab, dim)
    torch.manual_seed(3)
    b = theirs(vocab, dim)
    return a, b


def check_skipgram_model(ours, theirs):
    a, b = _twins(ours, theirs)
    assert_same(a.state_dict(), b.state_dict())
    with torch.no_grad():
        b.context.weight.normal_()
        a.context.weight.copy_(b.context.weight)
    ids = torch.tensor([0, 3, 8]), torch.tensor([1, 2, 4]), torch.tensor([[5, 6], [7, 0], [2, 2]])
    assert_same(a(*ids), b(*ids), atol=1e-7)
    assert_same(a.vectors(), b.vectors())


def check_skipgram_step(ours, theirs):
    from course_utils.embeddings import SkipGram

    models = _twins(SkipGram, SkipGram)
    opts = [torch.optim.Adam(m.parameters(), lr=0.1) for m in models]
    pairs, negatives = (
        torch.tensor([[0, 1], [2, 3], [4, 5]]),
        torch.tensor([[6, 2], [1, 0], [3, 3]]),
    )
    for _ in range(3):
        assert_same(
            ours(models[0], opts[0], pairs, negatives),
            theirs(models[1], opts[1], pairs, negatives),
            atol=1e-6,
        )
    assert_same(models[0].state_dict(), models[1].state_dict(), atol=1e-6)


def check_train_skipgram(ours, theirs):
    from course_utils.embeddings import build_word_vocabulary

    rng = np.random.default_rng(0)
    words = list(
        rng.choice(
            ["sun", "moon", "star", "bread", "wine", "the", "a"],
            size=600,
            p=[0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.2],
        )
    )
    vocab = build_word_vocabulary(words, min_count=1)
    ids = vocab.encode(words)
    for kwargs in ({"subsample_t": 0.05, "window": 2}, {"subsample_t": None, "window": 1}):
        runs = [
            fn(
                ids,
                vocab,
                dim=6,
                epochs=2,
                batch_size=64,
                lr=0.05,
                log_every=4,
                show_progress=False,
                **kwargs,
            )
            for fn in (ours, theirs)
        ]
        assert_same(runs[0][1], runs[1][1], atol=1e-6)
        assert_same(runs[0][0].vectors(), runs[1][0].vectors(), atol=1e-6)


def check_lstm_cell(ours, theirs):
    torch.manual_seed(0)
    ref = torch.nn.LSTMCell(3, 5).double()
    cells = [cls.from_torch(ref).double() for cls in (ours, theirs)]
    x = torch.randn(4, 6, 3, dtype=torch.float64)
    outs = []
    for cell in cells:
        h = c = torch.full((4, 5), 0.3, dtype=torch.float64)
        for t in range(6):
            h, c = cell(x[:, t], (h, c))
        (h.sum() + (c**2).sum()).backward()
        outs.append((h, c, [p.grad for p in cell.parameters()]))
    assert_same(outs[0], outs[1], atol=1e-12)
    for kwargs in ({}, {"forget_bias": 1.0}):
        torch.manual_seed(2)
        a = ours(2, 3, **kwargs)
        torch.manual_seed(2)
        b = theirs(2, 3, **kwargs)
        assert_same(a.state_dict(), b.state_dict())


CASES = {
    "course_utils.bpe.count_pairs": check_count_pairs,
    "course_utils.bpe.most_frequent_pair": check_most_frequent_pair,
    "course_utils.bpe.merge_pair": check_merge_pair,
    "course_utils.bpe.learn_merges_simple": check_learn_merges,
    "course_utils.bpe.pair_index": check_pair_index,
    "course_utils.bpe.learn_merges_incremental": check_learn_merges,
    "course_utils.embeddings.skipgram_loss": check_skipgram_loss,
    "course_utils.embeddings.skipgram_gradients": check_skipgram_gradients,
    "course_utils.embeddings.SkipGram": check_skipgram_model,
    "course_utils.embeddings.skipgram_step": check_skipgram_step,
    "course_utils.embeddings.train_skipgram": check_train_skipgram,
    "course_utils.sequence.LSTMCell": check_lstm_cell,
}

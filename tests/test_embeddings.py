"""Tests of course_utils.embeddings: bag of words, cosine similarity and skip-gram (notebook 08)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics.pairwise import cosine_similarity as sk_cosine

from course_utils.embeddings import (
    STOP_WORDS,
    WORD_PATTERN,
    BagOfWords,
    SkipGram,
    analogy,
    build_word_vocabulary,
    cosine_similarity,
    nearest_neighbours,
    negative_sampling_distribution,
    skipgram_gradients,
    skipgram_loss,
    skipgram_pairs,
    skipgram_step,
    subsample,
    tokenize_words,
    train_skipgram,
)

CORPUS = [
    "The king is dead; long live the king!",
    "O Romeo, Romeo, wherefore art thou Romeo?",
    "Now is the winter of our discontent made glorious summer.",
    "The dog bites the man.",
    "The man bites the dog, o'er and o'er.",
    "the the the and and",  # nothing but stop words
]


def test_tokenize_words():
    assert tokenize_words("Now IS the o'er-wrought King's 3 swords!") == [
        "now",
        "is",
        "the",
        "o'er",
        "wrought",
        "king's",
        "swords",
    ]
    with pytest.raises(TypeError):
        tokenize_words(None)


@pytest.mark.parametrize("stop_words", [None, STOP_WORDS])
@pytest.mark.parametrize("binary", [True, False])
def test_bag_of_words_matches_sklearn(stop_words, binary):
    ours = BagOfWords(stop_words=stop_words, binary=binary)
    X = ours.fit_transform(CORPUS)
    sk = CountVectorizer(
        binary=binary,
        token_pattern=WORD_PATTERN,
        stop_words=sorted(stop_words) if stop_words else None,
    )
    Y = sk.fit_transform(CORPUS).toarray()
    assert ours.vocabulary_ == list(sk.get_feature_names_out())
    assert np.array_equal(X, Y)
    new = ["A king and a dog and a cat"]  # "cat" was never seen: it is dropped
    assert np.array_equal(ours.transform(new), sk.transform(new).toarray())


def test_bag_of_words_ignores_order():
    bow = BagOfWords().fit(CORPUS)
    a, b = bow.transform(["The dog bites the man.", "The man bites the dog."])
    assert np.array_equal(a, b)
    assert bow.transform(["the and"]).sum() == 0  # only stop words: an all-zero vector


def test_bag_of_words_bad_inputs():
    with pytest.raises(TypeError):
        BagOfWords().fit("one string, not a list")
    with pytest.raises(TypeError):
        BagOfWords().fit(["ok", 3])
    with pytest.raises(RuntimeError, match="fit"):
        BagOfWords().transform(["x"])
    with pytest.raises(ValueError, match="stop words"):
        BagOfWords().fit(["the and of"])


def test_cosine_similarity_matches_sklearn_and_torch():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(5, 7)), rng.normal(size=(3, 7))
    assert np.allclose(cosine_similarity(A, B), sk_cosine(A, B))
    a, b = A[0], B[1]
    expected = torch.nn.functional.cosine_similarity(torch.tensor(a), torch.tensor(b), dim=0)
    assert np.isclose(cosine_similarity(a, b), expected.item())
    assert np.allclose(cosine_similarity(a, B), sk_cosine(a[None], B)[0])
    assert np.allclose(cosine_similarity(A, b), sk_cosine(A, b[None])[:, 0])
    assert np.isclose(cosine_similarity(torch.tensor(a), torch.tensor(a)), 1.0)
    Z = np.vstack([np.zeros(7), A[0]])
    assert np.allclose(cosine_similarity(Z, Z), sk_cosine(Z, Z))  # zero vector: similarity 0


def test_cosine_similarity_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        cosine_similarity(np.ones(3), np.ones(4))
    with pytest.raises(ValueError):
        cosine_similarity(np.ones((2, 2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        cosine_similarity([np.nan, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError):
        cosine_similarity("abc", [1.0])


def test_nearest_neighbours_and_analogy_on_constructed_vectors():
    # Axes: royalty, maleness, femaleness.
    vocab = ["king", "queen", "man", "woman", "apple"]
    V = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [-1, 0.1, 0.1]], dtype=float)
    assert analogy("man", "king", "woman", V, vocab)[0][0] == "queen"
    nn_ = nearest_neighbours("king", V, vocab, k=2)
    assert [w for w, _ in nn_] == ["man", "queen"]  # cosines 0.71 and 0.5; king itself left out
    sims = [s for _, s in nearest_neighbours("apple", V, vocab, k=4)]
    assert sims == sorted(sims, reverse=True)
    with pytest.raises(KeyError, match="not in the vocabulary"):
        nearest_neighbours("prince", V, vocab)
    with pytest.raises(ValueError):
        nearest_neighbours("king", V, vocab[:3])


def test_skipgram_pairs():
    assert skipgram_pairs([10, 11, 12], window=1).tolist() == [
        [10, 11],
        [11, 10],
        [11, 12],
        [12, 11],
    ]
    ids = np.arange(20)
    pairs = skipgram_pairs(ids, window=3)
    brute = [
        [ids[i], ids[j]] for i in range(20) for j in range(i - 3, i + 4) if j != i and 0 <= j < 20
    ]
    assert pairs.tolist() == brute
    with pytest.raises(ValueError):
        skipgram_pairs(ids, window=0)
    with pytest.raises(ValueError):
        skipgram_pairs(np.zeros((2, 2)), window=1)


def test_vocabulary_subsampling_and_noise():
    words = "a a a a b b b c c d".split()
    vocab = build_word_vocabulary(words, min_count=2)
    assert vocab.itos == ["a", "b", "c"] and vocab.counts.tolist() == [4, 3, 2]
    assert vocab.encode(["d", "c", "a"]).tolist() == [2, 0]
    p = negative_sampling_distribution([16, 1])
    assert np.allclose(p, np.array([8, 1]) / 9)  # 16 ** 0.75 = 8
    rng = np.random.default_rng(0)
    ids = np.repeat([0, 1], [9000, 1000])
    kept = subsample(ids, np.array([9000, 1000]), t=0.01, rng=rng)
    share = np.mean(kept == 0)
    assert 0.7 < share < 0.8  # "0" is kept with prob sqrt(0.01/0.9) = 0.105, "1" with 0.316
    with pytest.raises(ValueError):
        build_word_vocabulary(words, min_count=10)
    with pytest.raises(ValueError):
        build_word_vocabulary("a a b", min_count=1)


def _random_batch(b=6, k=4, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randn(shape, generator=g, dtype=torch.float64)
        for shape in [(b, d), (b, d), (b, k, d)]
    ]


def test_skipgram_loss_matches_direct_formula():
    v, u, neg = _random_batch()
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    vn, un, nn_ = v.numpy(), u.numpy(), neg.numpy()
    per_example = [
        -np.log(sig(un[i] @ vn[i]))
        - sum(np.log(sig(-nn_[i, j] @ vn[i])) for j in range(nn_.shape[1]))
        for i in range(vn.shape[0])
    ]
    assert np.isclose(skipgram_loss(v, u, neg).item(), np.mean(per_example))


def test_skipgram_gradients_match_autograd():
    v, u, neg = (t.requires_grad_() for t in _random_batch(seed=3))
    skipgram_loss(v, u, neg).backward()
    d_v, d_u, d_neg = skipgram_gradients(v.detach(), u.detach(), neg.detach())
    assert torch.allclose(d_v, v.grad) and torch.allclose(d_u, u.grad)
    assert torch.allclose(d_neg, neg.grad)


def test_review_cases_fail_loudly_or_give_the_right_answer():
    from course_utils.embeddings import WordVocabulary

    with pytest.raises(ValueError, match="integer word ids"):
        skipgram_pairs([1.0, np.nan, 2.0], window=1)
    with pytest.raises(ValueError, match="finite"):
        negative_sampling_distribution([3.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="twice"):
        WordVocabulary(["a", "a"], [3, 2])
    assert cosine_similarity([1, 1, 1], [1e155] * 3) == pytest.approx(1.0)
    assert cosine_similarity([1e-170, 2e-170], [1, 2]) == pytest.approx(1.0)
    assert cosine_similarity([0, 0], [1, 2]) == 0.0


def test_skipgram_step_is_one_adam_step_on_the_loss():
    torch.manual_seed(0)
    model, twin = SkipGram(7, 4), SkipGram(7, 4)
    twin.load_state_dict(model.state_dict())
    pairs, noise = torch.tensor([[0, 1], [2, 3], [4, 5]]), torch.tensor([[6, 2], [1, 0], [3, 3]])
    opt, twin_opt = (
        torch.optim.Adam(model.parameters(), lr=0.1),
        torch.optim.Adam(twin.parameters(), lr=0.1),
    )
    for _ in range(3):
        loss = skipgram_step(model, opt, pairs, noise)
        twin_loss = twin(pairs[:, 0], pairs[:, 1], noise)
        twin_opt.zero_grad()
        twin_loss.backward()
        twin_opt.step()
        assert loss == pytest.approx(twin_loss.item())
    assert torch.equal(model.centre.weight, twin.centre.weight)
    assert not torch.equal(model.context.weight, torch.zeros(7, 4))


def test_training_lowers_the_loss_and_groups_words():
    # Two "topics" that never share a context: words should end up nearer their own topic.
    rng = np.random.default_rng(0)
    words = []
    for _ in range(800):
        topic = (
            ["sun", "moon", "star", "sky"]
            if rng.random() < 0.5
            else ["bread", "wine", "cheese", "meat"]
        )
        words += list(rng.choice(topic, size=6))
    vocab = build_word_vocabulary(words, min_count=1)
    model, history = train_skipgram(
        vocab.encode(words),
        vocab,
        dim=8,
        window=2,
        epochs=2,
        batch_size=256,
        lr=0.02,
        subsample_t=None,
        log_every=10,
        show_progress=False,
    )
    assert history[-1] < history[0]
    V = model.vectors()
    best = nearest_neighbours("sun", V, vocab.itos, k=3)
    assert {w for w, _ in best} == {"moon", "star", "sky"}
    with pytest.raises(ValueError):
        train_skipgram([0, 99], vocab)

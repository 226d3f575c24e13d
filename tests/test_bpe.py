"""Tests of course_utils.bpe: the byte-pair-encoding tokenizer of notebook 08."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from course_utils.bpe import (
    DEFAULT_SPECIAL_TOKENS,
    BPETokenizer,
    chunk_counts,
    count_pairs,
    learn_merges_incremental,
    learn_merges_simple,
    merge_pair,
    most_frequent_pair,
    split_into_chunks,
    train_bpe,
)

SAMPLE = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n"
) * 5


def brute_force_bpe(text: str, n_merges: int) -> list[tuple[int, int]]:
    """The textbook algorithm, with no shortcuts: recount every pair after every merge."""
    ids = list(text.encode("utf-8"))
    merges = []
    for k in range(n_merges):
        counts: dict[tuple[int, int], int] = {}
        for i in range(len(ids) - 1):
            pair = (ids[i], ids[i + 1])
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts.values())
        if best < 2:
            break
        pair = min(p for p, c in counts.items() if c == best)  # ties: the smaller ids
        merges.append(pair)
        out, i = [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
                out.append(256 + k)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        ids = out
    return merges


def apply_in_training_order(tok: BPETokenizer, text: str) -> list[int]:
    """Encode by applying merge 0 everywhere, then merge 1, ... (chunk by chunk)."""
    out = []
    for chunk in split_into_chunks(text, tok.split_pattern):
        ids = list(chunk.encode("utf-8"))
        for k, pair in enumerate(tok.merges):
            ids = merge_pair(ids, pair, 256 + k)
        out.extend(ids)
    return out


def random_text(rng: random.Random, n: int) -> str:
    alphabet = "ab cd\n\t.,!?'_0123456789éßü中文字😀Ωж\u0301"
    return "".join(rng.choice(alphabet) for _ in range(n))


def test_count_and_merge_pairs():
    assert count_pairs([1, 2, 1, 2, 2]) == {(1, 2): 2, (2, 1): 1, (2, 2): 1}
    assert count_pairs([7, 7, 7]) == {(7, 7): 2}  # overlapping occurrences are counted
    assert merge_pair([5, 5, 5, 1, 5, 5], (5, 5), 9) == [9, 5, 1, 9]  # left to right
    assert merge_pair([], (1, 2), 3) == [] and merge_pair([1], (1, 2), 3) == [1]
    assert most_frequent_pair({(3, 1): 2, (1, 9): 2, (0, 5): 1}) == (1, 9)  # tie: smaller ids
    for bad_new_id in (None, 2.5, "x"):
        with pytest.raises(TypeError, match="new_id"):
            merge_pair([1, 2, 3], (1, 2), bad_new_id)
    with pytest.raises(TypeError):
        merge_pair([1, None, 2], (1, 2), 7)


@pytest.mark.parametrize(
    "text",
    [
        "aaabdaaabac",
        "aaaa aaaa aaa",
        "abababab cdcdcd ababcd " * 4,
        "ééé ééé aé 中文 中文字",
        SAMPLE,
    ],
)
@pytest.mark.parametrize("split_pattern", [None, "default"])
def test_incremental_trainer_learns_the_simple_trainers_merges(text, split_pattern):
    pattern = None if split_pattern is None else split_into_chunks.__defaults__[0]
    chunks = chunk_counts(text, pattern)
    for min_count in (1, 2):
        simple = learn_merges_simple(chunks, 40, min_count)
        assert simple, "the case must learn something"
        assert learn_merges_incremental(chunks, 40, min_count) == simple


def test_incremental_trainer_equals_simple_on_shakespeare(shakespeare_text):
    chunks = chunk_counts(shakespeare_text[:60_000])
    simple = learn_merges_simple(chunks, 150)
    assert len(simple) == 150
    assert learn_merges_incremental(chunks, 150) == simple
    assert train_bpe(shakespeare_text[:60_000], 256 + 150 + 5).merges == simple


@pytest.mark.parametrize(
    "text",
    ["aaabdaaabac", "low lower lowest newer wider " * 3, "abababab cdcdcd ababcd", "ééé ééé aé"],
)
def test_agrees_with_brute_force_without_chunking(text):
    n = 12
    tok = train_bpe(text, 256 + n + 5, split_pattern=None)
    assert tok.merges == brute_force_bpe(text, n)


def test_classic_example_merges():
    # The classic example aaabdaaabac (a=97, b=98): "aa" is merged first; then "aa"+"a" and "ab"
    # both occur twice, and the tie goes to the smaller ids, "ab"; then "aa"+"ab".
    tok = train_bpe("aaabdaaabac", 256 + 3, special_tokens=[], split_pattern=None)
    assert tok.merges == [(97, 97), (97, 98), (256, 257)]
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]


def test_chunked_training_equals_brute_force_on_each_word_when_one_word():
    text = "banana"
    tok = train_bpe(text, 256 + 3, special_tokens=[])
    assert tok.merges == brute_force_bpe(text, 3)


def test_round_trip_on_random_text():
    rng = random.Random(0)
    tok = train_bpe(random_text(rng, 3000), 256 + 60)
    for _ in range(30):
        text = random_text(rng, rng.randint(0, 200))
        assert tok.decode(tok.encode(text)) == text


def test_round_trip_and_compression_on_real_text():
    tok = train_bpe(SAMPLE, 256 + 80)
    ids = tok.encode(SAMPLE)
    assert tok.decode(ids) == SAMPLE
    assert len(ids) < 0.5 * len(SAMPLE.encode())  # merges shorten the sequence
    unseen = "Caf\u00e9 society \U0001f600 \u4e2d\u6587 is unknown to Shakespeare."
    assert tok.decode(tok.encode(unseen)) == unseen  # byte-level: nothing is ever unknown
    assert max(ids) < tok.vocab_size


def test_merges_are_applied_in_training_order():
    tok = train_bpe(SAMPLE, 256 + 100)
    for text in [SAMPLE, "Speak, speak! further proceed, famished citizens", "aaaa bbbb"]:
        assert tok.encode(text) == apply_in_training_order(tok, text)


def test_vocabulary_size_and_tokens():
    tok = train_bpe(SAMPLE, 300)
    assert tok.vocab_size == 300 == len(tok)
    assert len(tok.merges) == 300 - 256 - len(DEFAULT_SPECIAL_TOKENS)
    for k, (a, b) in enumerate(tok.merges):
        assert tok.token_bytes(256 + k) == tok.token_bytes(a) + tok.token_bytes(b)
    assert tok.split("Speak") == [tok.token_str(i) for i in tok.encode("Speak")]
    assert "".join(tok.split(SAMPLE)) == SAMPLE


def test_training_stops_when_no_pair_repeats():
    tok = train_bpe("abc", 256 + 50, special_tokens=[])
    assert tok.merges == [] and tok.vocab_size == 256


def test_truncated_matches_training_fewer_merges():
    tok = train_bpe(SAMPLE, 256 + 5 + 40)
    short = train_bpe(SAMPLE, 256 + 5 + 10)
    assert tok.truncated(10) == short
    assert tok.truncated(10).encode(SAMPLE) == short.encode(SAMPLE)


def test_special_tokens():
    tok = train_bpe(SAMPLE, 256 + 5 + 20)
    ids = tok.special_tokens
    assert list(ids) == list(DEFAULT_SPECIAL_TOKENS)
    assert sorted(ids.values()) == list(range(276, 281))
    text = "[SOS]Speak, speak.[EOS][PAD][PAD]"
    enc = tok.encode(text, allow_special=True)
    assert enc[0] == ids["[SOS]"] and enc[-3:] == [ids["[EOS]"], ids["[PAD]"], ids["[PAD]"]]
    assert tok.decode(enc) == text
    plain = tok.encode(text)  # not allowed: the brackets are ordinary characters
    assert not set(plain) & set(ids.values())
    assert tok.decode(plain) == text


def test_save_and_load_as_json():
    tok = train_bpe(SAMPLE, 256 + 5 + 30)
    data = json.loads(json.dumps(tok.to_dict()))
    again = BPETokenizer.from_dict(data)
    assert again == tok and again.encode(SAMPLE) == tok.encode(SAMPLE)


def test_decode_accepts_arrays_and_tensors():
    tok = train_bpe(SAMPLE, 256 + 5 + 30)
    ids = tok.encode("Speak")
    assert tok.decode(np.array(ids)) == tok.decode(torch.tensor(ids)) == "Speak"
    assert tok.decode(ids[0]) == tok.token_str(ids[0])


def test_bad_inputs():
    tok = train_bpe(SAMPLE, 256 + 5 + 10)
    with pytest.raises(TypeError):
        train_bpe(123, 300)
    with pytest.raises(ValueError, match="non-empty"):
        train_bpe("", 300)
    with pytest.raises(ValueError, match="at least 261"):
        train_bpe(SAMPLE, 100)
    with pytest.raises(TypeError):
        train_bpe(SAMPLE, 300.0)
    with pytest.raises(ValueError, match="twice"):
        train_bpe(SAMPLE, 300, special_tokens=["[PAD]", "[PAD]"])
    with pytest.raises(TypeError):
        train_bpe(SAMPLE, 300, special_tokens="[PAD]")
    with pytest.raises(TypeError):
        tok.encode(b"bytes")
    with pytest.raises(TypeError):
        tok.decode("text")
    with pytest.raises(TypeError):
        tok.decode([1.5])
    with pytest.raises(ValueError, match="outside"):
        tok.decode([10_000])
    with pytest.raises(ValueError, match="1-D"):
        tok.decode(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="does not exist"):
        BPETokenizer([(300, 1)])
    with pytest.raises(ValueError, match="not a saved"):
        BPETokenizer.from_dict({"format": "something else"})
    with pytest.raises(ValueError, match="regular expression"):
        BPETokenizer(split_pattern="(")
    with pytest.raises(ValueError, match="cover"):
        split_into_chunks("ab cd", r"[a-z]+")
    with pytest.raises(ValueError):
        tok.truncated(99)


@pytest.fixture(scope="module")
def shakespeare_text():
    from course_utils.data import DatasetUnavailableError, load_tiny_shakespeare

    try:
        return load_tiny_shakespeare()
    except DatasetUnavailableError as exc:
        pytest.skip(f"tiny Shakespeare not available: {exc}")

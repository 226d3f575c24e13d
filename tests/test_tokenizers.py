"""Tests of course_utils.tokenizers: the character tokenizer of notebooks 08, 10 and 11."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from course_utils.tokenizers import CharTokenizer, UnknownCharacterError

SAMPLE = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"


def test_vocabulary_is_sorted_distinct_characters():
    tok = CharTokenizer.from_text(SAMPLE)
    assert tok.itos == sorted(set(SAMPLE))
    assert tok.vocab_size == len(set(SAMPLE)) == len(tok)
    assert all(tok.stoi[ch] == i for i, ch in enumerate(tok.itos))


def test_round_trip_and_ids():
    tok = CharTokenizer.from_text("hello")
    assert tok.encode("hole") == [1, 3, 2, 0]  # e=0, h=1, l=2, o=3
    assert tok.decode([1, 3, 2, 0]) == "hole"
    full = CharTokenizer.from_text(SAMPLE)
    assert full.decode(full.encode(SAMPLE)) == SAMPLE
    assert full.encode("") == [] and full.decode([]) == ""


def test_decode_accepts_tensors_and_arrays():
    tok = CharTokenizer.from_text(SAMPLE)
    ids = tok.encode("Speak")
    assert tok.decode(torch.tensor(ids)) == "Speak"
    assert tok.decode(np.array(ids)) == "Speak"
    with pytest.raises(ValueError, match="1-D"):
        tok.decode(torch.tensor([ids, ids]))


def test_unknown_character_is_named():
    tok = CharTokenizer.from_text(SAMPLE)
    with pytest.raises(UnknownCharacterError, match=r"'é' \(U\+00E9\) at position 1"):
        tok.encode("hé")
    with pytest.raises(ValueError):  # UnknownCharacterError is a ValueError
        tok.encode("#")


def test_bad_ids_and_types():
    tok = CharTokenizer.from_text("abc")
    for bad in ([0, 3], [-1], [0.5], "abc", [True]):
        with pytest.raises(UnknownCharacterError, match="ids 0 to 2"):
            tok.decode(bad)
    with pytest.raises(TypeError):
        tok.encode(123)  # type: ignore[arg-type]


def test_bad_vocabularies():
    for chars in ("", ["a", "a"], ["ab"], []):
        with pytest.raises(ValueError, match="distinct single characters"):
            CharTokenizer(chars) if isinstance(chars, list) else CharTokenizer.from_text(chars)
    with pytest.raises(TypeError):
        CharTokenizer.from_text(None)  # type: ignore[arg-type]


def test_save_load_as_plain_data():
    tok = CharTokenizer.from_text(SAMPLE)
    data = tok.to_dict()
    again = CharTokenizer.from_dict(json.loads(json.dumps(data)))  # survives JSON: plain data
    assert again == tok and again.encode(SAMPLE) == tok.encode(SAMPLE)
    with pytest.raises(ValueError, match="Not a saved"):
        CharTokenizer.from_dict({"chars": "abc"})
    with pytest.raises(ValueError, match="Not a saved"):
        CharTokenizer.from_dict("abc")  # type: ignore[arg-type]


def test_tiny_shakespeare_has_65_symbols(shakespeare_text):
    tok = CharTokenizer.from_text(shakespeare_text)
    assert tok.vocab_size == 65
    assert "".join(tok.itos) == (
        "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    )
    head = shakespeare_text[:1000]
    assert tok.decode(tok.encode(head)) == head


@pytest.fixture(scope="module")
def shakespeare_text():
    from course_utils.data import DatasetUnavailableError, load_tiny_shakespeare

    try:
        return load_tiny_shakespeare()
    except DatasetUnavailableError as exc:
        pytest.skip(f"tiny Shakespeare not available: {exc}")

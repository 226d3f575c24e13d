"""Tokenizers: turn text into integer ids and back.

:class:`CharTokenizer` gives every distinct character of a text its own id (sorted, so the ids are
the same on every machine). On tiny Shakespeare that is 65 symbols: the newline, the space, ten
punctuation marks and symbols (``! $ & ' , - . : ; ?``), the digit ``3``, and the 26 upper- and 26
lower-case letters.

A tokenizer is saved as plain data (:meth:`CharTokenizer.to_dict`), so a model checkpoint can carry
its own tokenizer and still be loaded with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CharTokenizer", "UnknownCharacterError"]


class UnknownCharacterError(ValueError):
    """A character (or id) that the tokenizer's vocabulary does not contain."""


def _show_char(ch: str) -> str:
    return f"{ch!r} (U+{ord(ch):04X})"


class CharTokenizer:
    """A character-level tokenizer: one id per distinct character.

    >>> tok = CharTokenizer.from_text("hello")
    >>> tok.vocab_size, tok.encode("hole"), tok.decode(tok.encode("hole"))
    (4, [1, 3, 2, 0], 'hole')

    Build it from a text with :meth:`from_text` (or give the characters directly). Ids follow the
    sorted order of the characters. :meth:`encode` raises :class:`UnknownCharacterError` (a
    ``ValueError``) naming the first character it does not know.
    """

    FORMAT = "char-tokenizer-v1"

    def __init__(self, chars: Iterable[str]) -> None:
        chars = list(chars)
        if not chars or len(set(chars)) != len(chars) or {len(ch) for ch in chars} != {1}:
            raise ValueError(f"The vocabulary must list distinct single characters: {chars!r:.60}")
        self.itos: list[str] = sorted(chars)
        self.stoi: dict[str, int] = {ch: i for i, ch in enumerate(self.itos)}

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """Build the vocabulary from every distinct character of ``text``."""
        return cls(set(text))

    @property
    def vocab_size(self) -> int:
        """How many distinct symbols (ids ``0 .. vocab_size - 1``) there are."""
        return len(self.itos)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharTokenizer) and self.itos == other.itos

    def __hash__(self) -> int:
        return hash(tuple(self.itos))

    def encode(self, text: str) -> list[int]:
        """Return the list of ids of the characters of ``text``."""
        stoi = self.stoi
        try:
            return [stoi[ch] for ch in text]
        except KeyError:
            pos, ch = next((i, c) for i, c in enumerate(text) if c not in stoi)
            message = (
                f"The character {_show_char(ch)} at position {pos} is not in this "
                f"tokenizer's vocabulary of {self.vocab_size} characters. Remove or replace "
                "it, or build the tokenizer from a text that contains it."
            )
        raise UnknownCharacterError(message)

    def decode(self, ids: Iterable[int] | Any) -> str:
        """Return the text for a sequence of ids (a list, a 1-D array or a 1-D tensor)."""
        ids = ids.tolist() if hasattr(ids, "tolist") else ids  # NumPy arrays and torch tensors
        ids = [ids] if isinstance(ids, int) else ids
        if isinstance(ids, str) or not all(type(i) is int and 0 <= i < len(self) for i in ids):
            raise UnknownCharacterError(f"decode() takes 1-D ids 0 to {len(self) - 1}: {ids!r:.40}")
        return "".join(self.itos[i] for i in ids)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (strings and lists) that :meth:`from_dict` turns back into a tokenizer."""
        return {"format": self.FORMAT, "chars": "".join(self.itos)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CharTokenizer:
        """Rebuild a tokenizer saved with :meth:`to_dict`."""
        if not isinstance(data, Mapping) or data.get("format") != cls.FORMAT:
            raise ValueError(f"Not a saved CharTokenizer (a dict with format {cls.FORMAT!r}).")
        return cls(data["chars"])

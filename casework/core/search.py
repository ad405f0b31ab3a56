"""Finding people by part of a name, an alias or a date of birth without decrypting the table.

Names are encrypted (DESIGN §3), so the database cannot compare them. Each person
instead carries a set of blind tokens (HMACs under the key ring's index key, never
the text itself) in ``person_search_token``:

- the first 3 to 10 letters of every word of their given names, surname and aliases
  (a word shorter than three letters, such as "Li", as a whole), so "Joh" finds
  John and Johnson;
- the Metaphone code of every such word, so "Smyth" finds Smith and "Mohamed" finds
  Muhammad;
- their date of birth.

A search turns the words typed into the same tokens, lets the database find the
people holding a token for every word (and the date of birth, if given), and only
those few candidates are decrypted, checked and ranked (``match``). What a token
reveals to someone holding the database alone: that two records share a name
prefix or a date of birth, not what it is (SECURITY.md, "Blind indexes").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import jellyfish

from . import crypto

PREFIX_MIN = 3
PREFIX_MAX = 10
_NOT_LETTER = re.compile(r"[^\w]|[\d_]", re.UNICODE)


def name_words(*texts: str | None) -> list[str]:
    """Lower-case words of letters only, accents removed ("Zoë O'Brien-Smith" → zoe, obrien, smith)."""
    words: list[str] = []
    for text in texts:
        if not text:
            continue
        decomposed = unicodedata.normalize("NFKD", str(text))
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        for chunk in re.split(r"[\s\-]+", plain):
            word = _NOT_LETTER.sub("", chunk)
            if word:
                words.append(word)
    return words


def _sound(word: str) -> str:
    """Metaphone of a Latin-script word; other scripts have no sound code."""
    return jellyfish.metaphone(word) if word.isascii() else ""


def prefix_token(word: str) -> bytes:
    return crypto.blind_index("person.name_prefix", word[:PREFIX_MAX])


def sound_token(word: str) -> bytes | None:
    code = _sound(word)
    return crypto.blind_index("person.name_sound", code) if code else None


def dob_token(dob: date) -> bytes:
    return crypto.blind_index("person.dob", dob.isoformat())


def person_tokens(
    given_names: str | None, surname: str | None, aliases: Iterable[str] | None, dob: date | None
) -> set[bytes]:
    """Every token a person is found by (see the module docstring)."""
    tokens: set[bytes] = set()
    for word in name_words(given_names, surname, *(aliases or [])):
        if len(word) < PREFIX_MIN:
            tokens.add(prefix_token(word))
        for n in range(PREFIX_MIN, min(len(word), PREFIX_MAX) + 1):
            tokens.add(prefix_token(word[:n]))
        if (sound := sound_token(word)) is not None:
            tokens.add(sound)
    if dob is not None:
        tokens.add(dob_token(dob))
    return tokens


def word_tokens(word: str) -> set[bytes]:
    """The tokens that find a person for one word typed in a search: by its first letters
    (up to ten: longer words are checked in full after decryption) or by its sound."""
    tokens = {prefix_token(word)}
    if (sound := sound_token(word)) is not None:
        tokens.add(sound)
    return tokens


@dataclass(frozen=True)
class NameMatch:
    exact: bool  # every word typed begins a word of the name or an alias
    reasons: tuple[str, ...]


def match_name(query_words: list[str], given_names: str | None, surname: str | None, aliases) -> NameMatch | None:
    """Check a decrypted candidate: each word typed must begin one of the person's name or
    alias words, or sound like one. None when it does not (a token collision)."""
    names = name_words(given_names, surname)
    alias_words = name_words(*(aliases or []))
    reasons: list[str] = []
    exact = True
    for word in query_words:
        if any(w.startswith(word) for w in names):
            continue
        if any(w.startswith(word) for w in alias_words):
            reasons.append("alias")
            continue
        code = _sound(word)
        if code and any(_sound(w) == code for w in names + alias_words):
            exact = False
            reasons.append("sounds like")
            continue
        return None
    return NameMatch(exact, tuple(dict.fromkeys(reasons)))

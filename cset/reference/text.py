"""Text rules shared by every app: normalisation on the way in, folded keys, slugs.

Names arrive in every script. We store them in NFC with blanks stripped, and
beside every searchable name a folded key, so that "sao paulo" finds São Paulo
and "улаанбаатар" finds Улаанбаатар on SQLite as well as PostgreSQL.
"""

import re
import unicodedata

from django.utils.text import slugify
from django.utils.translation import get_language_info

# Characters that render as nothing or as a space but are not caught by str.strip().
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\x00"), None)
_SPACES = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """Return ``value`` in NFC, without NUL bytes or zero-width characters, stripped.

    A value made only of spaces (including non-breaking and zero-width ones)
    becomes the empty string. Inner line breaks are kept: prose may have them.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).translate(_INVISIBLE)
    return text.strip()


def clean_name(value: str | None) -> str:
    """Like :func:`clean_text`, with every run of white space collapsed to one space."""
    return _SPACES.sub(" ", clean_text(value))


# Latin letters that Unicode does not decompose into a base letter and a mark, written
# as people type them without the mark ("lodz" for Łódź, "bagcilar" for Bağcılar).
_UNDECOMPOSABLE = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "TH",
        "ħ": "h",
        "Ħ": "H",
        "ŧ": "t",
        "Ŧ": "T",
    }
)


def fold(value: str | None) -> str:
    """Return the folded key of ``value``: accents dropped, case folded, scripts kept.

    NFKD splits accents from their letters; the combining marks are dropped;
    NFC then recomposes what remains so that Korean syllables stay whole
    (NFKD turns them into jamo, which are letters, not marks). Latin letters with a
    stroke or of two letters in one (ł, ø, æ) become their plain letters.
    """
    plain = clean_name(value).translate(_UNDECOMPOSABLE)
    decomposed = unicodedata.normalize("NFKD", plain)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", without_marks).casefold()


def unicode_slug(value: str | None) -> str:
    """Return a Unicode slug of ``value`` built from its folded form ("São Paulo" → "sao-paulo")."""
    return slugify(fold(value), allow_unicode=True)


def language_name(code: str) -> str:
    """The name of a language in the interface's language ("German"), or its code."""
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


def folded_key(instance, source: str, key: str) -> str:
    """The folded key of ``instance``'s ``source`` field, cut to the ``key`` field's
    length: folding may lengthen a name (ß → ss, æ → ae) that fills its own field."""
    return fold(getattr(instance, source))[: instance._meta.get_field(key).max_length]


def refold(model, source: str, key: str) -> int:
    """Recompute the folded ``key`` of every row of ``model`` from its ``source`` field
    (after a change of :func:`fold`; migrations pass their historical models). Only the
    rows whose key changes are written. Returns how many."""
    length = model._meta.get_field(key).max_length
    changed = [
        model(pk=pk, **{key: fold(text)[:length]})
        for pk, text, stored in model.objects.values_list("pk", source, key).iterator(
            chunk_size=5000
        )
        if fold(text)[:length] != stored
    ]
    model.objects.bulk_update(changed, [key], batch_size=1000)
    return len(changed)

"""A cautious estimate of how guessable a secret is, for production's start checks.

Counting distinct bytes is not enough: `0123456789abcdef0123456789abcdef` has 16 of them
and is two runs of a sequence, repeated. The estimate splits the text into tokens, each one
of: a run of one character, a sequence of consecutive code points (up or down), a repeat of
something seen earlier, or else a single character. A pattern costs a guesser about one
character, so the estimate is tokens * log2(size of the character classes in use). It
over-rates dictionary words (no dictionary here), never a random string.
"""

import math

MIN_PATTERN = 3  # shorter runs, sequences and repeats are what random text has by chance
MAX_CHARACTERS = 1024  # the estimate reads this much at most: it is quadratic in length

CLASSES = (
    (str.islower, 26),
    (str.isupper, 26),
    (str.isdigit, 10),
)
OTHER = 33  # printable ASCII punctuation and space; anything else counts as this too


def pool_size(secret: str) -> int:
    """How many characters a guesser tries per position: the sum of the classes in use."""
    size = 0
    used = [False] * (len(CLASSES) + 1)
    for ch in secret:
        for i, (test, _) in enumerate(CLASSES):
            if ch.isascii() and test(ch):
                used[i] = True
                break
        else:
            used[-1] = True
    for i, (_, n) in enumerate(CLASSES):
        size += n if used[i] else 0
    return size + (OTHER if used[-1] else 0)


def _pattern_length(s: str, i: int) -> int:
    """The length of the run, sequence or earlier repeat starting at `i` (0: none)."""
    best = 0
    step = ord(s[i + 1]) - ord(s[i]) if i + 1 < len(s) else None
    if step is not None and abs(step) <= 1:
        j = i + 1
        while j + 1 < len(s) and ord(s[j + 1]) - ord(s[j]) == step:
            j += 1
        best = j - i + 1
    # The longest text starting here that also starts earlier (overlaps allowed).
    length = 0
    while i + length < len(s) and s.find(s[i : i + length + 1], 0, i + length) != -1:
        length += 1
    best = max(best, length)
    return best if best >= MIN_PATTERN else 0


def tokens(secret: str) -> int:
    s = secret[:MAX_CHARACTERS]
    count, i = 0, 0
    while i < len(s):
        i += _pattern_length(s, i) or 1
        count += 1
    return count


def entropy_bits(secret: str) -> float:
    """The estimate, in bits."""
    if not secret:
        return 0.0
    return tokens(secret) * math.log2(max(pool_size(secret), 2))

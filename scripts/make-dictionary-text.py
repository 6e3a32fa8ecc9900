#!/usr/bin/env python3
"""Writes a dictionary-style text (headwords in alphabetical order, part of speech, numbered
definitions, examples), the same bytes on every machine: for measuring the compressor on text that
is not enwik8. Usage: make-dictionary-text.py OUT [BYTES (default 100000)]"""
import sys

ONSETS = ["", "b", "bl", "br", "c", "ch", "cl", "cr", "d", "dr", "f", "fl", "fr", "g", "gl", "gr", "h",
          "j", "k", "l", "m", "n", "p", "pl", "pr", "qu", "r", "s", "sc", "sh", "sl", "sp", "st", "str",
          "t", "th", "tr", "v", "w", "wh", "y", "z"]
VOWELS = ["a", "e", "i", "o", "u", "ea", "ai", "ou", "oo", "ie"]
CODAS = ["", "", "n", "r", "l", "s", "t", "nd", "st", "ng", "ck", "m", "rt", "sh", "x"]
ENDINGS = ["", "", "", "ment", "ness", "ity", "ous", "al", "er", "ing", "ion", "able", "ly", "ive", "ism"]
POS = ["n.", "v.", "adj.", "adv.", "n.", "v. t.", "v. i.", "n. pl."]
WORDS = ("the a an of to in for with on by from as at into over under about between through of the "
         "a person thing place act state quality manner kind part form use means power state condition "
         "that which who is are was be being having made used done given taken kept shown known held "
         "small large old new long short high low early late good bad great little common rare strong "
         "weak full empty open closed quick slow certain other same such light dark hard soft "
         "water land air fire stone wood metal cloth food body hand head eye heart mind word voice "
         "house city field river sea ship road tree plant animal bird fish horse dog man woman child "
         "king law church war peace time day year night work trade art music book letter number line "
         "make take give keep hold bring carry move turn break cut strike draw throw raise set put "
         "speak tell show call name know think feel see hear seek find lose win gain pay").split()
LABELS = ["Obs.", "Archaic.", "Law.", "Bot.", "Zool.", "Naut.", "Mus.", "Math.", "Chem.", "Colloq."]


class Lcg:
    def __init__(self, seed):
        self.x = seed

    def next(self, n):
        self.x = (self.x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (self.x >> 33) % n

    def pick(self, items):
        return items[self.next(len(items))]


def headword(r):
    w = "".join(r.pick(ONSETS) + r.pick(VOWELS) + r.pick(CODAS) for _ in range(1 + r.next(3)))
    return w + r.pick(ENDINGS)


def phrase(r, n):
    return " ".join(r.pick(WORDS) for _ in range(n))


def entry(r, word):
    parts = [word.capitalize(), " (", r.pick(POS), ")"]
    if r.next(4) == 0:
        parts.append(" [" + headword(r) + " + -" + r.pick(ENDINGS[3:]) + "]")
    parts.append("\n")
    for i in range(1, 2 + r.next(3)):
        line = "  " + str(i) + ". "
        if r.next(5) == 0:
            line += "(" + r.pick(LABELS) + ") "
        d = phrase(r, 3 + r.next(9))
        line += d[0].upper() + d[1:] + "."
        if r.next(3) == 0:
            line += ' "' + phrase(r, 2 + r.next(5)).capitalize() + " " + word + " " + phrase(r, 1 + r.next(4)) + '."'
        parts.append(line + "\n")
    if r.next(6) == 0:
        parts.append("  Syn. -- " + ", ".join(headword(r) for _ in range(2 + r.next(3))) + ".\n")
    return "".join(parts) + "\n"


def main():
    out, size = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    r = Lcg(16)
    words = sorted({headword(r) for _ in range(size // 40)})
    text = "".join(entry(r, w) for w in words).encode("ascii")
    while len(text) < size:
        text += text
    with open(out + ".tmp", "wb") as f:
        f.write(text[:size])
    import os
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()

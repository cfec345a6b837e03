"""Stemmers: a light Arabic stemmer decided by a lexicon; snowball (PyStemmer's C backend) for the rest."""
from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from search.analysis import lexicon, stopword
from search.analysis.normalize import fold_arabic_letters

# Snowball languages for Latin-script and Cyrillic text, by ISO 639-1 code.
SNOWBALL_LANGUAGES = {
    "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "sv": "swedish", "no": "norwegian", "da": "danish",
    "fi": "finnish", "ro": "romanian", "hu": "hungarian", "tr": "turkish", "id": "indonesian",
    "ru": "russian", "ca": "catalan", "ar": "arabic",
}

LATIN_LANGUAGES = frozenset(SNOWBALL_LANGUAGES) - {"ru", "ar"}


@lru_cache(maxsize=None)
def snowball(lang: str) -> "Stemmer.Stemmer":
    """The C snowball stemmer for an ISO 639-1 code (English when unknown)."""
    return Stemmer.Stemmer(SNOWBALL_LANGUAGES.get(lang, "english"))


_HAMZA_SEATS = str.maketrans({"\u0626": "\u0621", "\u0624": "\u0621"})  # ئ ؤ → ء
MIN_REMAINDER = 3  # Arabic roots have three letters: a shorter rest (اف of آلاف) lost part of it
# A form whose definite form (ال + form) is at least this common next to it is a noun, so its
# first letter is part of it (الوزير/وزير 0.22, الولد/ولد 0.09) and not a proclitic (الباسم/باسم
# 0.001: باسم is ب + اسم).
ARTICLE_EVIDENCE = 0.01
# An ending comes off when the whole form is at most this many times as frequent as the rest:
# a word has few inflected forms (masculine/feminine, singular/plural), measured ratios of such
# pairs lie between 0.1 and 2 (بريطانية/بريطاني 1.1, زوجته/زوجة 1.4), while a word of its own
# is an order of magnitude above its look-alike (مدرسة/مدرس 10, معلومات/معلوم 27, سيارة 132).
# Half an order of magnitude separates them. A proclitic form is one of a word's many (و ف ب
# ك ل ال and their combinations), so it must be rarer than the rest (factor 1).
ENDING_RATIO = 10 ** 0.5
# A form the lexicon lacks is no inflection of a word this many times above its floor: the
# inflected forms of such a word are attested (few fall below a hundredth of their word), so
# سواكن is not سوا + كن.
UNSEEN_INFLECTION = 100
# Closed classes: the proclitics (conjunctions, prepositions, the article) and the endings
# (attached pronouns; number, gender and verb endings). Which of them a given word carries is
# decided by the lexicon, never by a list of words.
_CONJUNCTIONS = ("\u0648", "\u0641")  # و ف
_PREPOSITIONS = ("\u0628", "\u0643", "\u0644")  # ب ك ل
_ARTICLE = "\u0627\u0644"  # ال
_TA, _TA_MARBUTA = "\u062A", "\u0629"
# The article with what may precede it, longest first (ل + ال is written لل)
_ARTICLE_FORMS = ("وبال", "فبال", "وكال", "فكال", "ولل", "فلل", "وال", "فال", "بال", "كال",
                  "لل", "ال")
# Attached pronouns (his, her, their, your, our); ة is written ت before them (زوجته).
_PRONOUNS = ("هما", "هم", "هن", "ها", "ه", "كما", "كم", "كن", "ك", "نا")
# (ending, what the word ends with instead): plurals, feminine, verb endings, the accusative
# alef. The dual ان is left out: rare in news, it ends many names (سلمان, لبنان).
_ENDINGS = (("ات", ""), ("ات", _TA_MARBUTA), ("ون", ""), ("ين", ""), ("وا", ""),
            (_TA_MARBUTA, ""), (_TA, ""), ("\u0627", ""))
# A final ي or ية (nisba, or a plural's construct state) points to a word it derives from,
# which must be more frequent than it: the country (روسي → روسيا, اوروبية → اوروبا), the noun
# in ة (رياضي → رياضة), the plural (خريجي → خريجين), or the bare stem when that is a common
# noun, used with the article at least as often as without (هندي → هند as in الهند); a name
# is not (سعودي is not سعود, nor روحاني روح).
_NISBA = ("\u064A\u0627", "\u0627", _TA_MARBUTA, "\u064A\u0646")


# A form the lexicon has never seen is mostly a name or a rare borrowing; behind a single و ف ب ك
# ل, or before a nisba ending, it is taken apart by shape alone when a rest this long remains
# (لغولدينسون → غولدينسون, الهوغونوتيين → هوغونوت): running text writes such a name mostly
# bare, and a rest of four letters or more rarely meets another word.
UNSEEN_REST = 4
# Nisba endings (plural, feminine, masculine; longest first) an unseen form may carry
_UNSEEN_NISBA = ("\u064A\u064A\u0646", "\u064A\u0648\u0646", "\u064A\u0627\u062A",
                 "\u064A" + _TA_MARBUTA, "\u064A")


# Proclitics written onto a number (و900, وب15, لل2015): a conjunction, then a preposition
# and/or the article, before digits only
_NUMBER_PROCLITICS = re.compile("[\u0648\u0641]?(?:[\u0628\u0643\u0644]?\u0627\u0644|"
                                "\u0644\u0644|[\u0628\u0643\u0644])?(?=\\d+$)")

_MAX_STEPS = 12  # و ب ال, a pronoun, two endings and a nisba take 7; the rest is margin


def _is_word(form: str) -> bool:
    """An attested open-class word: in the lexicon, not a particle or pronoun."""
    return (len(form) >= MIN_REMAINDER and form not in stopword.ARABIC
            and lexicon.frequency(form) > 0.0)


def _proclitic_candidates(word: str) -> list[str]:
    """What may remain once a conjunction, a preposition or the article is taken off."""
    out = []
    if word.startswith(_ARTICLE):
        out.append(word[2:])
    if word[:1] in _CONJUNCTIONS or word[:1] in _PREPOSITIONS:
        out.append(word[1:])
    if word.startswith("\u0644\u0644"):  # ل + ال is written لل (للوزير); لل + ل... loses a lam
        out += [_ARTICLE + word[2:], _ARTICLE + word[1:]]
    return out


def _ending_candidates(word: str) -> list[str]:
    """What the word may be without an attached pronoun or an ending."""
    out = []
    for pronoun in _PRONOUNS:
        if word.endswith(pronoun):
            base = word[:-len(pronoun)]
            out.append(base)
            if base.endswith(_TA):
                out.append(base[:-1] + _TA_MARBUTA)
            elif base.endswith(("\u0626", "\u0624")):  # دعائه: a final hamza sits on ئ/ؤ
                out.append(base[:-1] + "\u0621")
            elif base.endswith(("\u064A", "\u0648")):  # مدرسيها: a plural's ن drops before it
                out.append(base + "\u0646")
    for ending, instead in _ENDINGS:
        if word.endswith(ending):
            out.append(word[:-len(ending)] + instead)
    if word.endswith("\u064A"):
        out += [word[:-1] + ending for ending in _NISBA]
        base = word[:-1]
        # the bare stem of a common noun (هندي → هند), or of a sound plural whose construct
        # state ي is (خريجي الجامعة: خريجين → خريج)
        if _is_common_noun(base) or (
                _is_word(base) and lexicon.frequency(base + "\u064A\u0646") > 0.0):
            out.append(base)
    elif word.endswith("\u064A" + _TA_MARBUTA):  # اوروبية → اوروبا as اوروبي does
        out += [word[:-2] + ending for ending in _NISBA]
        if _is_common_noun(word[:-2]):  # التشريعية → تشريع as التشريعات
            out.append(word[:-2])
    return out


def _is_common_noun(form: str) -> bool:
    """Used with the article at least as often as without (الهند, الروم; not سعود, روح)."""
    return lexicon.frequency(_ARTICLE + form) >= lexicon.frequency(form) > 0.0


def split_proclitic(word: str) -> str | None:
    """The word without its outermost proclitic when the lexicon explains it so, else None.

    The article comes off whenever an attested word remains (it attaches to nouns only), and
    from a form the lexicon does not know when three letters remain. A
    single و ف ب ك ل comes off when the rest is an attested word more frequent than the whole
    form (a clitic form is one use among many of its word), and the form does not take the
    article itself (الوزير, الكمال: then its first letter is part of the word, as in وزير, كمال).
    """
    clitics = _NUMBER_PROCLITICS.match(word)
    if clitics and clitics.end():
        # a letter or the article written onto a number (و900, ب15, لل2015) is a proclitic: a
        # number is no word that could begin with it (the shape rule below took و off و2015
        # but not و900, too short for a name)
        return word[clitics.end():]
    whole = lexicon.frequency(word)
    best, best_freq = None, 0.0
    for rest in _proclitic_candidates(word):
        if not _is_word(rest):
            continue
        freq = lexicon.frequency(rest)
        is_article = word.startswith(_ARTICLE) and rest == word[2:]
        takes_article = lexicon.frequency(_ARTICLE + word) >= ARTICLE_EVIDENCE * whole > 0.0
        if not is_article and (whole >= freq or takes_article):
            continue
        if freq > best_freq:
            best, best_freq = rest, freq
    if best is None and whole == 0.0:
        # a form the lexicon has never seen (a name: البانثرز, للبرونكوس): the article forms are
        # the likeliest reading, while a bare و ف ب ك ل may as well be the name's own letter
        for form in _ARTICLE_FORMS:
            if word.startswith(form) and len(word) - len(form) >= MIN_REMAINDER:
                return word[len(form):]
        # then a single proclitic before an unseen rest of a name's length; applied again to
        # the rest, so a bare name and its clitic forms always end at one stem
        if (word[:1] in _CONJUNCTIONS + _PREPOSITIONS and len(word) - 1 >= UNSEEN_REST
                and _known_ending(word) is None):
            return word[1:]
    if best is None and word.startswith(_ARTICLE) and len(word) - 2 >= UNSEEN_REST:
        rest = word[2:]
        if lexicon.frequency(rest) == 0.0 and split_ending(rest) is not None:
            return rest  # الكوستاريكي: the article before an unseen nisba of a known word
    return best


def _is_nisba_pair(word: str, rest: str) -> bool:
    if word.endswith("\u064A") and (rest == word[:-1] or
                                     any(rest == word[:-1] + e for e in _NISBA)):
        return True
    if word.endswith("\u064A" + _TA_MARBUTA) and any(rest == word[:-2] + e for e in _NISBA):
        return True
    return rest + "\u0627" == word and rest.endswith("\u064A")  # روسيا → روسي: the reverse


def _known_ending(word: str) -> str | None:
    """The word without an ending or attached pronoun when the lexicon explains it so, else None.

    An ending comes off when the rest is an attested word and the whole form is not more than
    ENDING_RATIO times as frequent as it (مدرسة is not the feminine of مدرس: 10 times as
    frequent). Of several possible rests, the most frequent wins.
    """
    whole = lexicon.frequency(word)
    best, best_freq = None, 0.0
    is_noun = lexicon.frequency(_ARTICLE + word) >= ARTICLE_EVIDENCE * whole > 0.0
    for rest in _ending_candidates(word):
        if is_noun and rest + _TA == word:
            continue  # ت ends verbs (لعبت); a form that takes the article is a noun (الكويت)
        if (rest + _TA_MARBUTA == word and not rest.endswith("\u064A")
                and max(whole, lexicon.MIN_FREQUENCY) * UNSEEN_INFLECTION
                < lexicon.frequency(rest)):
            # a word's feminine is attested at a hundredth of it or more (as its other
            # inflections, see UNSEEN_INFLECTION); far rarer, the form in ة is a word of its
            # own: السعودة (Saudization) beside the name سعود, الناصرة (Nazareth) beside ناصر.
            # An unseen form counts at the lexicon's floor, as in the rule for unseen forms
            # below (متاهلة, unseen, is still the feminine of the rare متاهل)
            continue
        freq = lexicon.frequency(rest) if _is_word(rest) else 0.0
        # a word and its nisba (روسيا, روسي) meet at the more frequent of the two
        ratio = 1.0 if _is_nisba_pair(word, rest) else ENDING_RATIO
        if (whole == 0.0 and freq > UNSEEN_INFLECTION * lexicon.MIN_FREQUENCY
                and not _is_nisba_pair(word, rest)):
            continue  # a nisba is the exception: كوستاريكي unseen beside كوستاريكا
        if freq > best_freq and whole < ratio * freq:
            best, best_freq = rest, freq
    return best


def split_ending(word: str) -> str | None:
    """The word without an ending or attached pronoun when the lexicon explains it so, or
    when an unseen form ends in a nisba after a rest of a name's length, else None."""
    best = _known_ending(word)
    if best is None and lexicon.frequency(word) == 0.0:
        # an unseen nisba of an unseen name (هوغونوتيين → هوغونوت, as الهوغونوت)
        for ending in _UNSEEN_NISBA:
            if word.endswith(ending) and len(word) - len(ending) >= UNSEEN_REST:
                return word[:-len(ending)]
    return best


@lru_cache(maxsize=200_000)
def strip_proclitics(word: str) -> str:
    """Remove the proclitics the lexicon finds (والمدير → مدير, بالكويت → كويت, كمال stays)."""
    for _ in range(_MAX_STEPS):
        rest = split_proclitic(word)
        if rest is None:
            break
        word = rest
    return word


def arabic_steps(word: str) -> list[str]:
    """The forms the analysis goes through, the word first and its stem last (وبكتابه →
    بكتابه → كتابه → كتاب): a proclitic off where the lexicon allows, else an ending."""
    steps = [word]
    for _ in range(_MAX_STEPS):
        rest = split_proclitic(word)
        if rest is None:
            rest = split_ending(word)
        if rest is None:
            break
        steps.append(rest)
        word = rest
    return steps


@lru_cache(maxsize=200_000)
def _reduce(word: str) -> str:
    return arabic_steps(word)[-1]


def stem_arabic(word: str) -> str:
    """Light-stem a folded Arabic word (marks removed, ة kept) as the lexicon explains it."""
    word = word.replace("\u0649", "\u064A")
    return _reduce(word).translate(_HAMZA_SEATS).replace(_TA_MARBUTA, "\u0647")


# English irregular verbs: past and participle → base form, which snowball cannot see
# (began/begun → begin). Forms that are also common other words are left out (left, saw, bit,
# lay, fell, found, born, fed, shot, rose, drew, ground, bound, wound).
_IRREGULAR = """
begin began begun; come came; become became; overcome overcame; build built; take took taken;
undertake undertook undertaken; mistake mistook mistaken; give gave given; forgive forgave
forgiven; go went gone; undergo underwent undergone; make made; think thought; bring brought;
buy bought; catch caught; teach taught; fight fought; seek sought; hold held; withhold withheld;
lead led; meet met; pay paid; say said; sell sold; tell told; send sent; spend spent; stand
stood; understand understood; win won; write wrote written; ride rode ridden; rise risen;
arise arose arisen; speak spoke spoken; break broke broken; choose chose chosen; drive drove
driven; eat ate eaten; feel felt; keep kept; know knew known; grow grew grown; throw threw
thrown; overthrow overthrew overthrown; fly flew flown; draw drawn; withdraw withdrew
withdrawn; show shown; see seen; foresee foresaw foreseen; run ran; sing sang sung; swim swam
swum; drink drank drunk; strike struck stricken; stick stuck; hang hung; dig dug; lose lost;
lend lent; bend bent; deal dealt; mean meant; hide hid hidden; forget forgot forgotten; get got
gotten; freeze froze frozen; steal stole stolen; wake woke woken; wear wore worn; tear tore torn;
shake shook shaken; forbid forbade forbidden; beat beaten; flee fled; sit sat; sleep slept;
sweep swept; weep wept; sink sank sunk; spin spun; swear swore sworn; tread trod trodden;
slay slew slain; do did done; have had
"""
IRREGULAR_EN = {form: forms.split()[0] for forms in _IRREGULAR.replace("\n", " ").split(";")
                for form in forms.split()[1:]}


def stem_latin(word: str, lang: str = "en") -> str:
    """Snowball stem of a folded Latin-script word in the given language."""
    if not word.isalpha():
        return word  # numbers, acronyms with dots, model names: keep as typed
    if lang == "en":
        word = IRREGULAR_EN.get(word, word)
    return snowball(lang).stemWord(word)


_RU_VOWELS = "аеиоуыэюяй"
# A vowel that drops when an ending is added (суперкубок/суперкубке, уровень/уровня, отец/отца)
_FLEETING = re.compile("(?<=[бвгджзклмнпрстфхцчшщ])[оеё](?=[кцн]$)")


def stem_cyrillic(word: str) -> str:
    """Snowball Russian stem of a folded Cyrillic word, with fleeting vowels removed."""
    stem = snowball("ru").stemWord(word)
    if len(stem) > 4 and stem[-1] in _RU_VOWELS:
        stem = stem[:-1]  # the й-stem vowel snowball leaves: мавзолея → мавзоле, мавзолей → мавзол
    if len(stem) > 4:
        stem = _FLEETING.sub("", stem)
    return stem


def fold_and_stem_arabic(word: str) -> str:
    """Convenience for tests and the CLI: fold then stem an Arabic word."""
    return stem_arabic(fold_arabic_letters(word))

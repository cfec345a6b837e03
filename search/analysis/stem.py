"""Stemmers: snowball (PyStemmer's C backend) with the Arabic damage repaired."""
from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

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


# Words whose first letter و ف ب ك ل is part of the word, not a proclitic (وزير, فريق, بريطانيا),
# in folded form without article. Proclitic stripping never removes it from these.
RADICAL_INITIAL = frozenset("""
وزير وزيره وزراء وزاره وزارات وقت اوقات وضع اوضاع وطن وطني وطنيه وفد وفود ولايه ولايات وكاله
وكالات وجه وجوه وجود وحده وحدات وسط وصول وعد وعود وفاه وفيات وفق ورقه اوراق واقع والد والده
وادي وثيقه وثائق وسيله وسائل وظيفه وظائف وقف وقود ولد اولاد وليد ورش ورشه وعي وباء وحيد وراء
وزن وسام وصف وضوح ولاء وكيل وثائقي وجهه واجب واجبات وصيه ولي وراثه وفاق ورد
فريق فرق فيروس فيروسات فلسطين فلسطيني فلسطينيه فرنسا فرنسي فرنسيه فتره فترات فكره افكار فن فنون
فنان فنانين فصل فصول فرصه فرص فرع فروع فقر فضل فوز فيلم افلام فندق فنادق فئه فئات فريضه فعاليه
فعاليات فلسفه فيزياء فراغ فرد افراد فساد فشل فحص فائده فوائد فقه فقيه فتح فكري فرز فيضان فيل فارس
فقره فرقه فوضي فجر فيسبوك فلوريدا فنزويلا فيينا فيتنام فنلندا فيتو
بطاطس بريطانيا بريطاني بريطانيه بلد بلاد بلدان بلديه بيت بيوت بحر بحار بحث بحوث برنامج برامج بنك
بنوك بيان بيانات بدايه بطوله بطولات بنت بنات بئر بيع بناء بنيه برلمان برلماني بورصه باب ابواب
بطل ابطال بطاقه بعثه بيئه بيئي بشر بشري بصر برج بريد بلاغ بند بنود بعد ابعاد بحيره بترول بروتوكول
بيروت بغداد بكين باريس برلين بروكسل باكستان بلجيكا بولندا بنغلاديش البحرين بوتين بايدن بكر
كتاب كتب كلمه كلمات كره كبير كبيره كليه كليات كميه كميات كرسي كاتب كتابه كشف كهرباء كارثه كوارث
كيان كلب كنيسه كوريا كندا كوبا كينيا كويت كرملين
لبنان لبناني لبنانيه ليبيا ليبي لجنه لجان لعب لاعب لاعبين لغه لغات لحظه لقاء لقاءات ليله ليالي
لائحه لواء لوحه لندن لحم لون الوان لقب لقاح لقاحات
""".split())

# Names and words snowball mangles (لبنان → لبن, الله → له, واشنطن → واشنط): kept whole.
PROTECTED = frozenset("""
الله لبنان ايران فلسطين الصين بوتين عمان عثمان سلمان رمضان سودان السودان اليابان الاردن لندن واشنطن طهران
باكستان افغانستان اذربيجان كازاخستان اوزبكستان طاجيكستان تركمانستان قرقيزستان يونان
اليمن البحرين الكويت العراق الامارات المغرب الجزائر تونس مصر سوريا روسيا موسكو فيينا جنيف
""".split())

_ARTICLE = re.compile("^(?:[وف]?[بكل]?ال|[وف]?لل)")
_HAMZA_SEATS = str.maketrans({"\u0626": "\u0621", "\u0624": "\u0621"})  # ئ ؤ → ء
_LEXICON_SUFFIXES = ("ات", "ين", "ون", "ان", "يه", "ها", "هم", "ه", "ي")


def is_radical_initial(word: str) -> bool:
    """True when the word's first letter is part of it (looked up with common suffixes removed)."""
    w = word.replace("\u0629", "\u0647")
    if w in RADICAL_INITIAL:
        return True
    return any(w.endswith(s) and w[:-len(s)] in RADICAL_INITIAL for s in _LEXICON_SUFFIXES)


def strip_proclitics(word: str) -> str:
    """Remove a conjunction/preposition + article (والـ بالـ للـ), or a bare و/ف conjunction.

    A bare ب ك ل is left alone: too many names and words start with those letters (بوتين,
    كيري, لافروف); a bare و/ف is removed unless the word is known to start with it (وزير, فريق).
    """
    m = _ARTICLE.match(word)
    if m and len(word) - m.end() >= 2:
        return word[m.end():]
    if word[:1] in ("\u0648", "\u0641") and len(word) >= 4 and not is_radical_initial(word):
        return word[1:]
    return word


def stem_arabic(word: str) -> str:
    """Light-stem a folded Arabic word (marks removed, ة kept): proclitics, then snowball suffixes."""
    if word in PROTECTED or len(word) <= 2:
        return word.replace("\u0629", "\u0647")
    core = strip_proclitics(word)
    if core in PROTECTED:
        return core.replace("\u0629", "\u0647")
    # Snowball is given core with an article in front: it then strips only that article (never a
    # leading و ف ب that belongs to the word) and applies the same suffix rules to a noun with
    # and without its article, so الوزيرة and وزيرة share a stem.
    core = core.translate(_HAMZA_SEATS)  # مسؤول/مسئول, دعائه/دعاءه: one spelling
    stem = snowball("ar").stemWord("\u0627\u0644" + core)
    if stem.startswith("\u0627\u0644") and not core.startswith("\u0627\u0644"):
        stem = stem[2:]
    if len(stem) < 3 <= len(core):
        stem = core  # Arabic roots have three letters: a shorter stem is over-stemmed (علي → عل)
    return stem.replace("\u0629", "\u0647")


def stem_latin(word: str, lang: str = "en") -> str:
    """Snowball stem of a folded Latin-script word in the given language."""
    if not word.isalpha():
        return word  # numbers, acronyms with dots, model names: keep as typed
    return snowball(lang).stemWord(word)


def stem_cyrillic(word: str) -> str:
    """Snowball Russian stem of a folded Cyrillic word."""
    return snowball("ru").stemWord(word)


def fold_and_stem_arabic(word: str) -> str:
    """Convenience for tests and the CLI: fold then stem an Arabic word."""
    return stem_arabic(fold_arabic_letters(word))

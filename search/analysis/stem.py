"""Stemmers: a light Arabic stemmer of our own; snowball (PyStemmer's C backend) for the rest."""
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
MIN_STEM = 3  # Arabic roots have three letters: a shorter stem has lost part of the word
# Attached pronouns (his, her, their, their two) and, after them, endings of number, gender and
# relation (nisba); each list longest first. ك/كم/نا are left: rare in news and often radical.
_PRONOUNS = ("هما", "هم", "هن", "ها", "ه")
_ENDINGS = ("يات", "يون", "يين", "ية", "يه", "ات", "ون", "ين", "ان", "وا", "ة", "ي")
_CONJUNCTIONS = ("\u0648", "\u0641")  # و ف
_PREPOSITIONS = ("\u0628", "\u0643", "\u0644")  # ب ك ل


def is_radical_initial(word: str) -> bool:
    """True when the word's first letter is part of it (looked up with common suffixes removed)."""
    w = word.replace("\u0629", "\u0647")
    if w in RADICAL_INITIAL:
        return True
    return any(w.endswith(s) and w[:-len(s)] in RADICAL_INITIAL for s in _LEXICON_SUFFIXES)


def strip_proclitics(word: str) -> str:
    """Remove the article and what is joined to it (والـ بالـ للـ), then a bare و/ف and ب/ك/ل.

    A leading letter is kept when what would remain is shorter than a root, or when the word
    is known to start with it (وزير, فريق, بريطانيا, لبنان). The bare letters are tested after
    an article too, though Arabic puts none there: a name then gets one stem with and without
    the article (البانثرز and بانثرز both → انثرز), which matters more than the stem's looks.
    """
    m = _ARTICLE.match(word)
    if m and len(word) - m.end() >= 2:
        word = word[m.end():]
    if word[:1] in _CONJUNCTIONS and len(word) > MIN_STEM and not is_radical_initial(word):
        word = word[1:]
    if word[:1] in _PREPOSITIONS and len(word) > MIN_STEM and not is_radical_initial(word):
        word = word[1:]
    return word


def _strip_suffix(word: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[:-len(suffix)]
    return word


def strip_suffixes(word: str) -> str:
    """Remove an accusative alef or an attached pronoun, then up to two endings (مقالاته → مقال)."""
    if word.endswith("\u0627") and len(word) > MIN_STEM:
        # the accusative دورًا (its tanween already removed with the marks); names lose the
        # alef too, which joins امريكا to امريكي
        word = word[:-1]
    bare = _strip_suffix(word, _PRONOUNS)
    plural = bare.endswith("\u0627\u062A") and len(bare) - 2 >= MIN_STEM
    if bare != word and bare.endswith("\u062A") and not plural:
        bare = bare[:-1] + "\u0629"  # ة is written ت before a pronoun: زوجته → زوجة
    word = bare
    for _ in range(2):  # two, so قانون and قانوني (→ قانون → قان) meet
        shorter = _strip_suffix(word, _ENDINGS)
        if shorter == word or shorter in PROTECTED:
            return shorter
        word = shorter
    return word


def stem_arabic(word: str) -> str:
    """Light-stem a folded Arabic word (marks removed, ة kept): proclitics, pronoun, endings."""
    if word in PROTECTED or len(word) <= MIN_STEM:
        return word.replace("\u0629", "\u0647")
    core = strip_proclitics(word)
    if core in PROTECTED or len(core) <= MIN_STEM:
        return core.replace("\u0629", "\u0647")
    core = core.translate(_HAMZA_SEATS)  # مسؤول/مسئول, دعائه/دعاءه: one spelling
    return strip_suffixes(core).replace("\u0629", "\u0647")


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

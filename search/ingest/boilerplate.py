"""Scraped-page furniture (comment forms, related links, share buttons), English and Arabic."""
# The rule: a page's furniture sits at its end and starts with a line that is, as a whole,
# a marker ("Related News", "اترك تعليقاً"). From the earliest such marker, if every later
# line is a marker or short (related headlines, form labels), the run is cut. "Read also"
# link lines are dropped wherever they stand. Sentences that merely mention "comment" stay,
# because markers must match a whole line.
from __future__ import annotations

import re

MAX_TAIL_LINE = 160  # furniture lines are labels and headlines, never paragraphs
MAX_TAIL_LINES = 40
MAX_LINK_LINE = 200

_SOCIAL = (r"(?:twitter|x|facebook|instagram|telegram|youtube|whatsapp|linkedin|tiktok|"
           r"google news|تويتر|فيسبوك|فيس بوك|يوتيوب|انستغرام|انستجرام|انستقرام|واتساب|"
           r"واتس اب|تلغرام|التلغرام|تيليجرام|تليجرام|تلجرام|التليجرام|جوجل نيوز|اخبار جوجل)")

# Patterns match a whole line after _marker_form(): lower case, Arabic letters
# unified (أإآ→ا, ى→ي, ة→ه), diacritics and edge punctuation removed.
TAIL_MARKERS: tuple[str, ...] = (
    # English
    r"(?:related|similar|more|latest|recommended|popular|trending|top|other) "
    r"(?:news|articles?|posts?|stories|reads?|videos?|coverage)(?: from .{1,40})?",
    r"(?:you|we) (?:may|might) also (?:like|enjoy|be interested in)",
    r"(?:read|see) (?:also|more)(?: on .{1,40})?|also read|more on this",
    r"(?:your|leave a|leave your|post a|add a|write a|add your|post your|view|show|hide) "
    r"(?:comments?|reply|replies|opinion|feedback)",
    r"(?:\d+ |no |\(\d+\) )?comments?(?: \(\d+\))?(?: yet)?|comments are closed",
    r"you are replying to.*|leave a reply|cancel reply|reply",
    r"(?:follow|like|join|find) us on .*|follow @\w+.*",
    r"share(?: this)?(?: article| story| post| page)?(?: (?:on|via) .{1,40})?|shares?",
    r"(?:print|email|e-mail|tweet|" + _SOCIAL + r")(?: this(?: article| story| page)?)?",
    r"your email address will not be published.*|required fields are marked.*",
    r"save my name, email.*|(?:name|email|website|captcha)",
    r"(?:back|scroll|go) to top|advertisement|sponsored(?: content)?",
    r"(?:subscribe|sign up)(?: to| for)? .{0,40}(?:newsletter|updates|channel|alerts)",
    r"all rights reserved.*|©.*|copyright (?:©|\(c\)|\d{4}).*",
    r"(?:tags?|keywords?|topics?)\s?:.*|(?:filed under|posted in)\b.*",
    # Arabic
    r"(?:اترك|اضف|اكتب|شاركنا) (?:تعليقا|تعليق|ردا|رد|رايك)",
    r"(?:التعليقات|تعليقات|التعليق|تعليقات الزوار|لا توجد تعليقات|\d+ تعليق(?:ات)?)",
    r"(?:مقالات|اخبار|مواضيع|موضوعات|مواد|قصص) (?:ذات صله|متعلقه|مشابهه|ذات علاقه)",
    r"(?:اقرا|طالع) (?:ايضا|كذلك|المزيد)(?: .*)?",
    r"لن يتم نشر (?:عنوان )?بريدك الالكتروني.*|الحقول (?:الالزاميه|المطلوبه) .*",
    r"(?:زر )?(?:الذهاب|العوده|الرجوع) (?:الي|ل)\s?(?:الاعلي|اعلي)",
    r"تابع(?:نا|وا)? .{0,60}(?:علي|عبر) " + _SOCIAL + r".*|تابعونا .*",
    r"(?:شارك|انشر)(?:ها|ه)?(?: (?:هذا )?(?:المقال|الخبر))?(?: (?:علي|عبر) .*)?|مشاركه",
    r"طباعه|ارسال|ارسل (?:الي )?صديق|جميع الحقوق محفوظه.*",
    r"(?:الوسوم|الكلمات الدلاليه|الكلمات المفتاحيه|كلمات مفتاحيه)(?: .*)?",
    r"(?:الاسم|البريد الالكتروني|الموقع الالكتروني)",
    # A comment form's sum captcha: "5 × واحد =", "two + 3 ="
    r"\S+ ?[×x*+−-] ?\S+ ?=.{0,6}",
)
# Links to other articles inside the text: furniture wherever they stand.
LINK_MARKERS: tuple[str, ...] = (
    r"(?:read|see) (?:also|more)\s?:.*|also read\s?:.*",
    r"(?:اقرا|طالع) (?:ايضا|كذلك|المزيد).*",
)

_TAIL = re.compile("|".join(f"(?:{p})" for p in TAIL_MARKERS), re.IGNORECASE)
_LINK = re.compile("|".join(f"(?:{p})" for p in LINK_MARKERS), re.IGNORECASE)
_DIACRITICS = re.compile(r"[\u064b-\u065f\u0670\u0640]")
_UNIFY = str.maketrans("أإآٱىة", "اااايه")
# Not ".": a wrapped sentence's last word alone on a line ("share.") is no button.
_EDGE = " \t:：…*|–—-»›><•·\"'“”«"


def _marker_form(line: str) -> str:
    plain = _DIACRITICS.sub("", line).translate(_UNIFY).lower()
    return " ".join(plain.split()).strip(_EDGE)


def is_marker(line: str) -> bool:
    """Whether a whole line is page furniture that starts a boilerplate tail."""
    if _continues_sentence(line):
        return False
    form = _marker_form(line)
    return bool(form) and _TAIL.fullmatch(form) is not None


def is_link_line(line: str) -> bool:
    """Whether a line is a "Read also: …" link to another article."""
    return len(line) <= MAX_LINK_LINE and _LINK.fullmatch(_marker_form(line)) is not None


def _continues_sentence(line: str) -> bool:
    """A line starting in lower case is the rest of a hard-wrapped sentence, not a label."""
    return line[:1].isascii() and line[:1].islower()


def strip_boilerplate(lines: list[str]) -> list[str]:
    """Drop link lines and the trailing furniture run from stripped lines (blanks allowed)."""
    lines = [line for line in lines if not (line and is_link_line(line))]
    content = [i for i, line in enumerate(lines) if line]
    cut: int | None = None
    kept_chars = sum(len(lines[i]) for i in content)
    tail_chars = 0
    # Walk up from the end through markers and short lines; the earliest marker
    # reached starts the furniture, as long as the real text before it is larger.
    for rank, i in enumerate(reversed(content)):
        line = lines[i]
        if i == content[0] or rank >= MAX_TAIL_LINES:
            break
        marker = is_marker(line)
        if not marker and (len(line) > MAX_TAIL_LINE or _continues_sentence(line)):
            break
        kept_chars -= len(line)
        tail_chars += 0 if marker else len(line)
        if marker and kept_chars >= tail_chars:
            cut = i
    if cut is None:
        return lines
    while cut > 0 and not lines[cut - 1]:
        cut -= 1
    return lines[:cut]

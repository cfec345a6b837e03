"""Bytes to text: BOMs, UTF-8, UTF-16 without BOM, Windows-1256 Arabic, then a guess."""
from __future__ import annotations

import codecs
import unicodedata

from search.errors import IngestError

NOT_TEXT = "not valid UTF-8, UTF-16 or Windows-1256 text"
BINARY = "binary file"

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
# Formats whose first bytes may hold no NUL: PDF, zip, gzip, bzip2, xz, 7z, rar, images, ELF.
_MAGIC = (b"%PDF-", b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!",
          b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x7fELF", b"RIFF", b"OggS")


def decode_bytes(data: bytes) -> str:
    """Decode a file's bytes to text, or raise IngestError saying why it is not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom):].decode(encoding))
            except UnicodeDecodeError:
                damaged = (_decode_damaged_utf8(data[len(bom):], declared=True)
                           if encoding == "utf-8" else None)
                if damaged is None:
                    raise IngestError(f"{NOT_TEXT} (bad bytes after a {encoding} byte-order mark)")
                return _checked(damaged)
    if b"\x00" in data:
        return _checked(_decode_utf16_without_bom(data))
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    for attempt in (_decode_damaged_utf8, _decode_cp1256_arabic, _decode_cp1252_latin):
        text = attempt(data)
        if text is not None:
            return _checked(text)
    return _checked(_guess(data))


def looks_binary(head: bytes) -> bool:
    """Whether the first bytes of a file say it is binary (a known magic, or NULs not UTF-16)."""
    if head.startswith(_MAGIC):
        return True
    if any(head.startswith(bom) for bom, _ in _BOMS) or b"\x00" not in head:
        return False
    even = head[: len(head) // 2 * 2]
    for sample in (even, even[:-2]):  # the cut may split a surrogate pair
        try:
            _decode_utf16_without_bom(sample)
            return False
        except IngestError:
            pass
    return True


def _decode_utf16_without_bom(data: bytes) -> str:
    # UTF-16 text puts the zero high byte of ASCII letters, digits and spaces on one
    # parity; binary formats scatter NULs over both.
    if len(data) % 2:
        raise IngestError(BINARY)
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    if max(even, odd) < 0.9 * (even + odd) or max(even, odd) < len(data) // 20:
        raise IngestError(BINARY)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise IngestError(BINARY)
    if "\x00" in text or _texty_share(text) < 0.95:
        raise IngestError(BINARY)
    return text


def _decode_damaged_utf8(data: bytes, declared: bool = False) -> str | None:
    # UTF-8 with a few bad bytes (a corrupted or cut download) stays UTF-8, the bad bytes
    # becoming U+FFFD: read in a single-byte code page, all its Arabic would be garbage.
    # Legacy-encoded text almost never holds valid multi-byte UTF-8 sequences by chance;
    # after a UTF-8 byte-order mark, a bad byte in a hundred characters is damage too.
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    return text if good >= 10 * bad or declared and bad * 100 <= len(text) else None


def _decode_cp1256_arabic(data: bytes) -> str | None:
    # cp1256 maps every byte, so it always "works": accept it only when the
    # non-ASCII characters it produces are mostly Arabic letters.
    text = data.decode("cp1256")
    high = [c for c in text if ord(c) > 0x7F]
    arabic = sum(1 for c in high if _is_arabic_letter(c))
    if high and arabic >= 0.6 * len(high):
        return text
    return None


def _decode_cp1252_latin(data: bytes) -> str | None:
    # Western European text saved by Windows tools: accented Latin letters only.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    high = [c for c in text if ord(c) > 0x7F]
    latin = sum(1 for c in high if "\u00c0" <= c <= "\u017f" and c.isalpha())
    return text if high and latin >= 0.8 * len(high) else None


def _guess(data: bytes) -> str:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional at run time: without it only the rules above apply
        raise IngestError(NOT_TEXT)
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(NOT_TEXT)
    return str(best)


def _checked(text: str) -> str:
    # Valid UTF-8 can still be a binary format (control bytes everywhere).
    sample = text[:100_000]
    controls = sum(1 for c in sample
                   if unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS)
    if "\x00" in sample or controls > max(2, len(sample) // 100):
        raise IngestError(BINARY)
    return text


def _texty_share(text: str) -> float:
    sample = text[:20_000]
    if not sample:
        return 0.0
    good = sum(1 for c in sample
               if c in _ALLOWED_CONTROLS or unicodedata.category(c)[0] in "LMNPSZ")
    return good / len(sample)


def _is_arabic_letter(char: str) -> bool:
    code = ord(char)
    in_block = (0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F
                or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF)
    return in_block and unicodedata.category(char)[0] in "LM"

"""Numbers a text states, with values comparable across languages and scripts.

Digits in any script and grouping convention ("2,000" / "2 000" / "2.000" / "783،562"), Japanese
千/万/億 among digits ("3億4千万"), scale words after digits ("1.2 million", "10 milliards"), numbers
spelled out in English, French, Bulgarian, Russian and Arabic (their words from number-parser's CLDR
tables, a few forms it lacks added: "une vingtaine", "un millier"), dozens ("four dozen", "две
дузини"), English, French, Bulgarian and Arabic ordinals ("fifteenth", "vingtième", "двадесети",
"الخامس عشر"), French and Russian Roman-numeral centuries ("XVIe siècle"), decades ("the 1960s",
"60-те", "الستينيات"), season ranges ("1995-96") and month names (dates agree across "7 December
2024", "2024年12月7日", "7 ديسمبر 2024", "7 كانون الأول 2024"). Arabic "per cent" (في المائة) is no
hundred.

Chinese and Japanese numerals ("十六岁", "两个", "三千五百"), valued by cn2an: a run of two or more,
or one before a counter (个, 人, 年, つ, ...); not the everyday words and idioms they are part of
(一些, 十分, 千万 "by all means", 万一 "in case", 七零八落). Approximate ranges ("十七八岁",
seventeen or eighteen) are two numbers.

A number worth 1 ("one", "un", "един", "واحد", "一个") counts only inside a longer spelled number
or before a scale word: alone it is mostly an article or a pronoun. A plural scale word ("des
milliards", "хиляди", "الآلاف") counts only inside a longer number or after digits ("10 milliards");
"several" before a numeral ("数十億", "dozens of") makes it no number.
"""
from __future__ import annotations

import importlib
import re

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９٫٬",
                        "012345678901234567890123456789.,")
# 2,000 | 2 000 | 2.000 | 1 040 (thin space) | 783،562 (Arabic comma) | 4'478 (Swiss, an apostrophe or
# a typographic one) in groups of three | 2.5 | 45
# (a lone 0 before the separator is no group of thousands: "0.010" is a hundredth, as MAC-Dev's
# Chinese writes it; "2.726" stays ambiguous and is read as thousands, as "2.000 people" is)
_NUMBER = re.compile(
    r"(?<![\d.,])((?!0\D)\d{1,3}(?:([,.\u00a0\u202f\u2009 ،'\u2019])\d{3})(?:\2\d{3})*|\d+)(?:([.,])(\d+))?(?![\d])")
# digits with Japanese and Chinese multipliers: "280万", "3億4千万" (340 million), "5千4百万" (54 million)
_CJK_RUN = re.compile(r"(?:\d[\d,]*(?:\.\d+)?[十百千万萬億亿兆]+)+\d*")
_CJK_TOKEN = re.compile(r"(\d[\d,]*(?:\.\d+)?)|(.)")
_CJK_SMALL = {"十": 10, "百": 100, "千": 1000}
_CJK_LARGE = {"万": 1e4, "萬": 1e4, "億": 1e8, "亿": 1e8, "兆": 1e12}
# "1995-96", "2019–20": a season or a range of years, the second one written short
_YEAR_RANGE = re.compile(r"\b((?:1[5-9]|20)\d\d)\s?[-–—/]\s?(\d\d)\b")
_ROMAN_ORDINAL = r"(?:e|er|ème|-?(?:ти|ви|ри))?"
# ... two of them joined, the noun once ("XIXe et XXe siècles", "XIX-XX век")
_ROMAN_CENTURY = re.compile(rf"\b([IVX]{{1,5}}){_ROMAN_ORDINAL}(?:\s*(?:et|ou|à|и|или|до|,|[-–—])\s*([IVX]{{1,5}})"
                            rf"{_ROMAN_ORDINAL})?\s+(?:siècles?|век[аи]?|в\.|вв\.)", re.UNICODE)
# ... and a French ordinal of two letters or more alone, its noun left out ("du XIXe siècle et début du
# XXe"); a single letter ("Ve", "Ier") is taken only before its noun
_ROMAN_FRENCH_ORDINAL = re.compile(r"\b([IVX]{2,5})(?:e|ème)\b")
_ROMAN = {"I": 1, "V": 5, "X": 10}
# Decades, which translations write with or without the century ("the 1960s", "les années 60", "60-те",
# "1960年代", "الستينيات", "ستينيات القرن الماضي"), or as the decade's first year ("1930 г."): each is
# its first year where the century is written, else its two digits (as "in his 20s" and "in the 90s",
# an age and a temperature, are read); an Arabic decade word takes the century after it, so that its
# ordinal is no number
_DECADE_DIGITS = re.compile(r"(?<![\d.,])'?((?:1[0-9]|20)?[1-9]0|1[0-9]00)(?=s\b|’s\b|'s\b|-те\b|年代|-[хе]\s+год)"
                            r"|(?<=années )((?:1[0-9]|20)?[1-9]0)\b")
_ARABIC_DECADE = re.compile(r"(?:ال)?(عشر|ثلاث|أربع|خمس|ست|سبع|ثمان|تسع)ين(?:يات|ات)"
                            r"(?:\s+(?:من\s+)?القرن\s+(\S+)(?:\s+عشر)?)?")
_ARABIC_CENTURIES = {"التاسع": 1800.0, "الثامن": 1700.0}  # "... القرن التاسع عشر": the 19th century
_ARABIC_TENS = {stem: 10.0 * tens for tens, stem in enumerate(["عشر", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع"], 2)}
# Words that look like a number and are none: Arabic "per cent" (في المائة, بالمئة: "in the hundred")
# ... Monday ("الاثنين", "the two") and a French cent coin ("un cent": French writes a hundred "cent")
_NOT_NUMBERS = re.compile(r"(?:في\s+|ب)الما?ئة\b|(?<!\w)(?:[وبل]?ال|يوم\s+ال)اثنين\b|\bun cent\b", re.IGNORECASE)
# A number of dozens ("two-dozen", "four dozen", "a dozen", "deux douzaines", "две дузини") or of
# decades, as years ("two decades" is "20 years" in one translation, "две десетилетия" in another,
# "20年間" in a third: all 20; French may put an adjective between: "les trois dernières décennies");
# the plural alone ("dozens of", "des décennies") is no number
_COUNTED = re.compile(r"(?:(\w+)[\s-]+(?:(?:dernières|premières|prochaines)\s+)?)?"
                      r"\b(dozens?|douzaines?|дузин[аи]|дюжин[аыу]?|decades?|décennies?|десетилети[ея]|десятилети[йея]|عقود)\b",
                      re.IGNORECASE)
_COUNTED_VALUES = {"dozen": 12.0, "douzaine": 12.0, "дузин": 12.0, "дюжин": 12.0, "decade": 10.0, "décennie": 10.0,
                   "десетилети": 10.0, "десятилети": 10.0, "عقود": 10.0}
_COUNTED_PLURALS = ("s", "и", "ы", "я", "й", "عقود")  # "десетилетия", "десятилетий", Arabic "decades"
# Arabic counts decades after the plural ("العقود الثلاثة"); two of them it writes in the dual (_ARABIC_DUAL)
_ARABIC_DECADES_COUNTED = re.compile(r"(?<![\w])(?:[وبلف]?ال)?عقود\s+(\w+)")
_ARTICLES = {"a", "an", "one", "un", "une"}
# A half after a number, its unit between or not ("two and a half years", "deux ans et demi", "две
# години и половина", "ثلاث سنوات ونصف"; a scale and a half is 1.5 of it: "un million et demi"), or
# written onto a Japanese or Chinese counter ("1時間半", "两年半"; not "半ば", the middle of)
_CJK_HALF_COUNTERS = "時間|年|か月|ヶ月|カ月|ヵ月|箇月|週間|日|分|秒|世紀|個|个"
_HALF_AFTER = re.compile(r"(?:\s+\w+)?\s+(?:and\s+a\s+half|et\s+demie?|и\s+половина(?!\s+от)|ونصف(?!\s+ال))\b"
                         rf"|(?:{_CJK_HALF_COUNTERS})?半(?!ば)", re.IGNORECASE)
# ... and a unit and a half with no number before it: "an hour and a half", "une heure et demie",
# "година и половина", "ساعة ونصف", "一个半月", "一年半"; "one and a half" ("one" alone is no number)
_UNIT_AND_A_HALF = re.compile(
    r"\b(?:an?|one)\s+(?:(?:hour|year|month|week|day|minute|century|mile|kilometre|kilometer)\s+)?and\s+a\s+half\b"
    r"|\bune?\s+(?:heure|an|année|mois|semaine|jour|minute|siècle|kilomètre|mille)\s+et\s+demie?\b"
    r"|\b(?:час|година|месец|седмица|ден|минута|век|километър)\s+и\s+половина\b"
    r"|(?<!\w)(?:[وبلف]?ال|[وبلف])?(?:ساعة|سنة|عام|شهر|أسبوع|يوم|دقيقة|قرن)\s+ونصف"
    rf"|一(?:{_CJK_HALF_COUNTERS})半(?!ば)", re.IGNORECASE)
# Arabic writes two of a unit of time in the dual, with no number word ("منذ عامين", two years ago;
# "سنتين ونصف", two and a half years; "عقدين", two decades, is 20 years as _COUNTED reads decades;
# its singular, عقد, is also a contract); not centuries: "القرنين التاسع عشر والعشرين" names them
_ARABIC_DUAL_UNITS = {"ساعت": 1.0, "سنت": 1.0, "عام": 1.0, "شهر": 1.0, "أسبوع": 1.0, "يوم": 1.0, "دقيقت": 1.0,
                      "عقد": 10.0}
_ARABIC_DUAL = re.compile(rf"(?<!\w)(?:[وبلف]?ال|[وبلف])?({'|'.join(_ARABIC_DUAL_UNITS)})(?:ين|ان)\b(\s+ونصف)?")

_LANGUAGES = ("ar", "ru", "bg", "fr", "en")  # later ones win where a word is in two (French "billion": 1e12)
# Forms the CLDR tables lack, where news text uses them
_MORE_WORDS = {
    # decades spelled out, read as their two digits as "the 90s" and "in his 20s" are ("in their
    # twenties": "une vingtaine d'années")
    "en": {word + "ties": 10.0 * tens for tens, word in enumerate(
        ["twen", "thir", "for", "fif", "six", "seven", "eigh", "nine"], 2)},
    "fr": {"million": 1e6, "milliard": 1e9, "soixante": 60, "quatre-vingt": 80, "quatre-vingts": 80, "cents": 100,
           # about so many ("une vingtaine", "un millier"): what English says as "twenty", "a thousand"
           "dizaine": 10, "vingtaine": 20, "trentaine": 30, "cinquantaine": 50, "centaine": 100, "millier": 1000},
    "ru": {"полтора": 1.5, "полторы": 1.5},  # one and a half
    "bg": {"млн": 1e6, "млрд": 1e9, "хиляда": 1000, "сто": 100, "една": 1, "единайсет": 11, "дванайсет": 12},
    "ar": {"ألف": 1000, "ألفا": 1000, "ألفين": 2000, "ألفان": 2000, "مئة": 100,
           "مئتي": 200, "مئتين": 200, "مائتين": 200, "ألفي": 2000, "ملايين": 1e6, "مليارات": 1e9,
           # duals of the scales ("بين مليوني وثلاثة ملايين", between two and three million)
           "مليوني": 2e6, "مليونين": 2e6, "مليونان": 2e6, "ملياري": 2e9, "مليارين": 2e9, "ملياران": 2e9,
           "اثنان": 2, "اثنين": 2,
           "اثنتان": 2, "اثنتين": 2, "ثلاث": 3, "أربع": 4, "خمس": 5, "ست": 6, "سبع": 7, "ثماني": 8, "ثمان": 8,
           "تسع": 9, "عشر": 10, "اثني": 2, "اثنتي": 2,
           **{form: 10.0 * tens for tens, stem in enumerate(
               ["عشر", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع"], 2) for form in (stem + "ون", stem + "ين")}},
}
# Chinese and Japanese numerals: a run of them, "百分之" (per cent) before it taken as part of it
# ... "more than" (多, 余, 几) inside it before a larger unit, as in "一百多亿年" (over ten billion years)
_HAN_NUMBER = re.compile(r"(百分之)?([〇零一二两兩三四五六七八九十百千万萬亿億]+(?:[多余几幾][万萬亿億]+)?)")
_HAN_MORE_THAN = re.compile(r"[多余几幾]")
_HAN_COUNTERS = set("个個人年月日天次岁歳名位只条件本点時时分秒里米倍层句步口张頭头匹间家座封声回遍种把块根颗辆架艘枚つ度周週期届号元円代成割")
_HAN_DIGITS = "一二两兩三四五六七八九"
_HAN_UNITS = "十百千万萬亿億"
_HAN_SEVERAL = {"数", "何", "幾"}  # "several" before a numeral
# "very", "by all means", "in case", ..., and "十万八千里" (108,000 li: "a very long way")
_HAN_WORDS = {"十分", "万分", "千万", "万万", "万一", "一一", "百分", "十万八千里"}
_ORDINALS = {"first": 1.0, "second": 2.0, "third": 3.0, "fifth": 5.0, "eighth": 8.0, "ninth": 9.0, "twelfth": 12.0,
             "premier": 1.0, "première": 1.0, "seconde": 2.0}
# Bulgarian ordinals: a cardinal and an ending of gender, number or article ("двадесети век", the 20th
# century; "петата", "деветнадесетия"), or these stems (втори, трети, четвърти, седми, осми)
_BULGARIAN_ENDINGS = ("ият", "ия", "ата", "ото", "ите", "и", "а", "о")
_BULGARIAN_ORDINALS = {"втор": 2.0, "трет": 3.0, "четвърт": 4.0, "седм": 7.0, "осм": 8.0}
# Arabic ordinals, read after the article: "القرن الخامس عشر" (the 15th century) is الخامس + عشر
# (الحادي: the "one" of the 11th and the 21st)
_ARABIC_ORDINALS = {stem + ending: float(value) for value, stem in enumerate(
    ["أول", "ثاني", "ثالث", "رابع", "خامس", "سادس", "سابع", "ثامن", "تاسع", "عاشر"], 1)
    for ending in ("", "ة")} | {"أولى": 1.0, "حادي": 1.0, "حادية": 1.0}
# Bulgarian and Russian adjectives of so many years, hours, days, ... ("Тридесетгодишната война", the
# Thirty Years' War; "пятилетний план"; "двучасовата си реч", his two-hour speech): a number's
# combining form, then the unit's adjective (not "летний" alone, summer, nor "многолетний", of many
# years). Not "хилядолетни" (thousand-year-old): French "millénaires" and Japanese "千年" are read as
# no number, and it flagged them (FLORES dev 465)
_YEARS_ADJECTIVE = re.compile(r"(\w+?)(?:годиш|летн|часов|днев[ен]|месеч[ен]|месячн|седмич[ен]|недельн|минут[ен])\w*")
_COMBINING = {"дву": 2.0, "двух": 2.0, "трёх": 3.0, "трех": 3.0, "четырёх": 4.0, "четырех": 4.0, "пяти": 5.0,
              "шести": 6.0, "семи": 7.0, "восьми": 8.0, "девяти": 9.0, "десяти": 10.0, "двадцати": 20.0,
              "тридцати": 30.0, "сорока": 40.0, "пятидесяти": 50.0}
_SKIP = {"and", "et", "и"}  # words inside a spelled number
# words that are numbers only inside a longer spelled number: "cent" is also "per cent"; Arabic
# "عشر" mostly closes an ordinal ("القرن الخامس عشر", the 15th century); plural thousands, millions
# and billions alone are "thousands of" (آلاف السنين, хиляди барела, des milliards de kilomètres);
# "ألفا" is also Alpha (قناة ألفا, Alpha TV)
_WEAK = {"cent", "cents", "عشر", "آلاف", "ملايين", "مليارات", "ألفا", "хиляди", "тысячи", "millions", "milliards",
         "billions"}
_SCALES = {100.0, 1000.0, 1e6, 1e9, 1e12}


def _number_words() -> dict[str, float]:
    words: dict[str, float] = {}
    for lang in _LANGUAGES:
        info = importlib.import_module(f"number_parser.data.{lang}").info
        for table in ("UNIT_NUMBERS", "DIRECT_NUMBERS", "TENS", "HUNDREDS", "BIG_POWERS_OF_TEN"):
            words.update({word: float(value) for word, value in info[table].items() if " " not in word})
        words.update({word: float(value) for word, value in _MORE_WORDS.get(lang, {}).items()})
    return {word: value for word, value in words.items() if value}  # zero is never worth flagging


_WORDS = _number_words()
_MONTH_NAMES = [  # month names count as their number, so "7 December" and "12月7日" agree
    # English, French, Bulgarian, Russian (both cases), Arabic (_CASED_MONTHS: March, May, mars)
    "january february _ april _ june july august september october november december",
    "janvier février _ avril mai juin juillet août septembre octobre novembre décembre",
    "януари февруари март април май юни юли август септември октомври ноември декември",
    "январь февраль _ апрель _ июнь июль _ сентябрь октябрь ноябрь декабрь",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
]
_MONTHS = {name: float(number) for names in _MONTH_NAMES
           for number, name in enumerate(names.split(), 1) if name != "_"}
# the Levantine month names of Syrian, Lebanese and Iraqi news ("كانون الأول", December)
_LEVANTINE_MONTH = re.compile(r"(كانون|تشرين) (الأول|الثاني)|\b(شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول)\b")
_LEVANTINE = {"تشرين الأول": 10.0, "تشرين الثاني": 11.0, "كانون الأول": 12.0, "كانون الثاني": 1.0, "شباط": 2.0,
              "آذار": 3.0, "نيسان": 4.0, "أيار": 5.0, "حزيران": 6.0, "تموز": 7.0, "آب": 8.0, "أيلول": 9.0}
# month names that are months in this spelling only: "March" and "May" (lower-case they are verbs),
# the abbreviations of English dates ("Nov-Feb", "Dec. 7") and French "mars" ("Mars" is the planet)
_CASED_MONTHS = {"March": 3.0, "May": 5.0, "Feb": 2.0, "Apr": 4.0, "Aug": 8.0, "Sep": 9.0, "Oct": 10.0, "Nov": 11.0,
                 "Dec": 12.0, "mars": 3.0}
_CASE_SENSITIVE = {word.casefold() for word in _CASED_MONTHS}
_WORD = re.compile(r"quatre-vingts?|\w+", re.UNICODE)


def normalise_digits(text: str) -> str:
    """Digits and Arabic decimal/grouping signs as ASCII, one character for one (spans stay valid)."""
    return text.translate(_DIGITS)


def number_spans(text: str) -> list[tuple[int, int, float]]:
    """(start, end, value) of every number the text states, values comparable across languages."""
    digits = normalise_digits(text)
    # before the digits and words inside them
    first = _decades(digits) + _counted(digits) + _arabic_duals(digits) + _halves_alone(digits)
    covered = bytearray(len(digits))
    for start, end, _ in first + [(m.start(), m.end(), 0.0) for m in _NOT_NUMBERS.finditer(digits)]:
        covered[start:end] = b"\x01" * (end - start)
    found = [span for span in _digit_numbers(digits) + _roman_centuries(digits) + _han_numbers(digits)
             if not covered[span[0]]]
    found += [span for span in first if span[2]]  # "dozens of" only covers its words
    found += [(m.start(), m.end(), _LEVANTINE[m.group()]) for m in _LEVANTINE_MONTH.finditer(digits)]
    for start, end, _ in found:
        covered[start:end] = b"\x01" * (end - start)
    words = [w for w in _WORD.finditer(digits) if not covered[w.start()]]
    spelled, weak_scales = _spelled_numbers(digits, words)
    found = _with_halves(digits, sorted(_scaled(digits, found, spelled, weak_scales)))
    for word in words:
        folded = word.group().casefold()
        month = _CASED_MONTHS.get(word.group()) if folded in _CASE_SENSITIVE else _MONTHS.get(folded)
        if month:
            found.append((word.start(), word.end(), month))
    return _ranges(digits, sorted(found))


# Between the two ends of a range whose scale is written once ("deux à trois millions", "200～300万",
# "2-3 млн.", "من 2 إلى 3 ملايين"): the first end takes the second's scale (FLORES-200 dev: "two million
# to three million years old" in English, the scale once in French, Bulgarian and Japanese)
_RANGE_BETWEEN = re.compile(r"\s*(?:to|à|au|до|إلى|[-–—～〜~])\s*")  # not "and": "scored 2 and 3 million watched"


def _ranges(digits: str, spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """``spans`` (in order) with the first end of a range that writes its scale once scaled: a number
    below 1,000 with no scale of its own, then a range word, then a number written with a scale word
    or a Chinese or Japanese large unit whose count it is smaller than."""
    out = list(spans)
    for k in range(len(out) - 1):
        (start, end, value), (next_start, next_end, next_value) = out[k], out[k + 1]
        # the range word first: it rules out nearly every pair of numbers, and cheaply
        if not _RANGE_BETWEEN.fullmatch(digits[end:next_start]) or value >= 1000 or _scale_of(digits[start:end]):
            continue
        scale = _scale_of(digits[next_start:next_end])
        if scale and value < next_value / scale:
            out[k] = (start, end, value * scale)
    return out


def _scale_of(text: str) -> float:
    """The scale a number's text is written with: its last Chinese or Japanese large unit or scale
    word of a thousand or more ("300万": 10,000; "3 millions": a million), else 0."""
    units = [_CJK_LARGE[c] for c in text if c in _CJK_LARGE]
    if units:
        return units[-1]
    scales = [value for word in _WORD.findall(text) if (value := _word_value(word)) is not None and value >= 1000]
    return scales[-1] if scales else 0.0


def numbers(text: str) -> set[float]:
    return {value for _, _, value in number_spans(text)}


# German times of day, "um 14.30 Uhr": an hour and its minutes, as "14:30" and "14 h 30" are read
_CLOCK = re.compile(r"\s?Uhr\b")


def _digit_numbers(digits: str) -> list[tuple[int, int, float]]:
    found = [(m.start(), m.end(), _cjk_value(m.group())) for m in _CJK_RUN.finditer(digits)]
    covered = {k for start, end, _ in found for k in range(start, end)}
    for match in _NUMBER.finditer(digits):
        integer, separator, decimal_sep, decimal = match.groups()
        if match.start() in covered:
            continue
        if digits[match.start() - 1:match.start()] == ":" and integer == "00":
            continue  # the minutes of "11:00", which "11 h" and "11時" do not write
        if decimal and not separator and len(decimal) == 2 and int(integer) <= 24 and _CLOCK.match(digits, match.end()):
            found.append((match.start(), match.start() + len(integer), float(integer)))
            if int(decimal):  # the minutes, but not the 00 that "11 h" and "11時" do not write
                found.append((match.end() - 2, match.end(), float(decimal)))
            continue
        value = float(re.sub(r"\D", "", integer)) if separator else float(integer)
        if decimal and not (separator and decimal_sep == separator):
            value = float(f"{int(value)}.{decimal}")
        found.append((match.start(), match.end(), value))
    for match in _YEAR_RANGE.finditer(digits):  # "1995-96": the second year is 1996
        first, short = match.group(1), match.group(2)
        if int(short) > int(first[2:]):
            found = [(s, e, float(first[:2] + short) if s == match.start(2) else v) for s, e, v in found]
    return found


def _decades(digits: str) -> list[tuple[int, int, float]]:
    """Decades written in digits ("1960s", "60-те", "1960年代", "années 60") and Arabic decade words
    with the century after them, if any (_DECADE_DIGITS, _ARABIC_DECADE)."""
    found = []
    for match in _DECADE_DIGITS.finditer(digits):
        value = float(match.group(1) or match.group(2))
        found.append((match.start(), match.end(), value))
    for match in _ARABIC_DECADE.finditer(digits):
        century = _ARABIC_CENTURIES.get(match.group(2), 1900.0) if match.group(2) else 0.0
        found.append((match.start(), match.end(), century + _ARABIC_TENS[match.group(1)]))
    return found


def _counted(digits: str) -> list[tuple[int, int, float]]:
    """Dozens with their count (_COUNTED); a plural without one as a span worth 0, which only keeps
    its words from being read as a number."""
    found = []
    for match in _COUNTED.finditer(digits):
        before, noun = match.group(1), match.group(2).casefold()
        unit = next(value for stem, value in _COUNTED_VALUES.items() if noun.startswith(stem))
        count = None if before is None else 1.0 if before.casefold() in _ARTICLES else (
            float(before) if before.isdigit() else _word_value(before))
        if count is not None:
            found.append((match.start(), match.end(), count * unit))
        elif not noun.endswith(_COUNTED_PLURALS):
            found.append((match.start(2), match.end(), unit))  # "dozen eggs"
        else:
            found.append((match.start(2), match.end(), 0.0))  # "dozens of": covered, no number
    for match in _ARABIC_DECADES_COUNTED.finditer(digits):
        count = _word_value(match.group(1))
        if count is not None and count < 10:
            found.append((match.start(), match.end(), 10.0 * count))
    return found


def _arabic_duals(digits: str) -> list[tuple[int, int, float]]:
    """Arabic duals of units of time (_ARABIC_DUAL): two of the unit, or two and a half, in years for
    decades."""
    return [(match.start(), match.end(), _ARABIC_DUAL_UNITS[match.group(1)] * (2.5 if match.group(2) else 2.0))
            for match in _ARABIC_DUAL.finditer(digits)]


def _halves_alone(digits: str) -> list[tuple[int, int, float]]:
    """A unit and a half with no number before it (_UNIT_AND_A_HALF): 1.5."""
    return [(match.start(), match.end(), 1.5) for match in _UNIT_AND_A_HALF.finditer(digits)]


def _with_halves(digits: str, spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """``spans`` (in order) with a half added where one follows a number (_HALF_AFTER): 0.5 to a
    number below 1,000, half of a scale to the scale ("un million et demi"); a scale right after a
    number and a half multiplies it ("two and a half million", "one and a half million"; a scale
    written as a word: "2.5 1000" in a table is two numbers)."""
    out: list[tuple[int, int, float]] = []
    k = 0
    while k < len(spans):
        start, end, value = spans[k]
        k += 1
        half = _HALF_AFTER.match(digits, end)
        if half and (value < 1000 or value in _SCALES):
            value, end = (value * 1.5 if value >= 1000 else value + 0.5), half.end()
        if (value % 1 == 0.5 and k < len(spans) and not digits[end:spans[k][0]].strip()
                and spans[k][2] in _SCALES and spans[k][2] >= 1000
                and not any(c.isdigit() for c in digits[spans[k][0]:spans[k][1]])):
            end, value = spans[k][1], value * spans[k][2]
            k += 1
        out.append((start, end, value))
    return out


def _cjk_value(run: str) -> float:
    """The value of digits with Japanese or Chinese multipliers: 十, 百 and 千 multiply the digits
    before them, 万, 億 and 兆 all that came since the last of these ("3億4千万": 3 x 10^8 + 4,000 x
    10^4; "10万4500": 104,500)."""
    total, section, current = 0.0, 0.0, 0.0
    for number, unit in _CJK_TOKEN.findall(run):
        if number:
            current = float(number.replace(",", ""))
        elif unit in _CJK_SMALL:
            section, current = section + (current or 1) * _CJK_SMALL[unit], 0.0
        else:
            total, section, current = total + ((section + current) or 1) * _CJK_LARGE[unit], 0.0, 0.0
    return total + section + current


def _roman_centuries(digits: str) -> list[tuple[int, int, float]]:
    spans = {(match.start(k), match.end(k)) for pattern in (_ROMAN_CENTURY, _ROMAN_FRENCH_ORDINAL)
             for match in pattern.finditer(digits) for k in range(1, pattern.groups + 1) if match.group(k)}
    found = []
    for start, end in sorted(spans):
        values = [_ROMAN[c] for c in digits[start:end]]
        value = sum(-v if v < after else v for v, after in zip(values, values[1:] + [0]))
        found.append((start, end, float(value)))
    return found


def _han_numbers(digits: str) -> list[tuple[int, int, float]]:
    found = []
    for match in _HAN_NUMBER.finditer(digits):
        percent, run = match.groups()
        word = digits[match.start(2):match.end() + 1]
        if not percent and (run in _HAN_WORDS or word in _HAN_WORDS or re.search(r"(.)\1", run)):
            continue  # an everyday word ("十分") or an idiom ("三三两两")
        if len(run) == 1 and not percent and digits[match.end():match.end() + 1] not in _HAN_COUNTERS:
            continue
        if digits[match.start() - 1:match.start()] in _HAN_SEVERAL:
            continue  # "数十億ドル", "何千人": billions, thousands, no number
        found += [(match.start(), match.end(), value) for value in _han_values(run) if value != 1 or percent]
    return found


def _han_values(run: str) -> list[float]:
    """The numbers a run of Han numerals states: one, or two for an approximate range ("十七八岁",
    seventeen or eighteen; "三四点"), none for what is not a number."""
    run = _HAN_MORE_THAN.sub("", run)
    if len(run) > 1 and run[-1] in "两兩":
        run = run[:-1]  # "二十两银子": twenty taels, 两 the unit
    if len(run) > 2 and not any(char in _HAN_UNITS for char in run):
        return _cn2an([run]) if len(run) == 4 else []  # "二〇二四" (a year); "七零八落" (an idiom)
    pair = re.search(f"([{_HAN_DIGITS}])([{_HAN_DIGITS}])([{_HAN_UNITS}]?)$", run)
    if pair:  # a range: "十四五" -> 14, 15; "一二十" -> 10, 20; "八九" -> 8, 9
        head = run[:pair.start()]
        return _cn2an([head + pair.group(1) + pair.group(3), head + pair.group(2) + pair.group(3)])
    return _cn2an([run])


def _cn2an(runs: list[str]) -> list[float]:
    import cn2an  # 0.17 s to import: only where a text has Han numerals

    try:
        return [float(cn2an.cn2an(run, "normal")) for run in runs]
    except ValueError:  # not a well-formed numeral
        return []


def _spelled_numbers(digits: str, words: list[re.Match]) -> tuple[list[tuple[int, int, float]],
                                                                    list[tuple[int, int, float]]]:
    """Runs of number words ("twenty-one", "deux mille", "ثلاثة آلاف"), each run one number: words
    next to each other, or with a hyphen or "and" between them, where they compose (_composes);
    and, apart, the scale words that are no number alone (_WEAK: "milliards"), which digits before
    them still scale ("10 milliards")."""
    found: list[tuple[int, int, float]] = []
    weak_scales: list[tuple[int, int, float]] = []
    k = 0
    while k < len(words):
        run = [(words[k].start(), words[k].end(), v)] if (v := _word_value(words[k].group())) is not None else []
        k += 1
        while run and k < len(words):
            gap = digits[run[-1][1]:words[k].start()].strip()
            if gap in ("", "-") and (value := _word_value(words[k].group())) is not None and _composes(
                    run[-1][2], value, gap, words[k].group().startswith("و")):
                run.append((words[k].start(), words[k].end(), value))
                k += 1
            elif (gap == "" and words[k].group().casefold() in _SKIP and k + 1 < len(words)
                  and digits[words[k].end():words[k + 1].start()].strip() == ""
                  and (value := _word_value(words[k + 1].group())) is not None
                  and run[-1][2] >= 20 and value < run[-1][2]):  # "vingt et un", not "trois et six"
                run.append((words[k + 1].start(), words[k + 1].end(), value))
                k += 2
            else:
                break
        weak = all(_bare(digits[start:end]) in _WEAK for start, end, _ in run)  # "آلاف وآلاف"
        if run and not weak and (len(run) > 1 or run[0][2] != 1):
            found.append((run[0][0], run[-1][1], _run_value([v for _, _, v in run])))
        elif run and run[0][2] >= 1000:  # a weak scale ("milliards"), not "cents": "50 cents" is 50
            weak_scales.append(run[0])
    return found, weak_scales


def _composes(last: float, value: float, gap: str, with_and: bool) -> bool:
    """Whether number word ``value`` right after ``last`` continues one number: a scale ("two
    thousand"), units after tens ("twenty one"), Arabic units and "and" tens ("ثلاثة وعشرون"), a unit
    and ten (Arabic teens: "الخامس عشر"), French "dix-sept" and "soixante-quinze"; not "the first
    ten" ("العشرة الأولى") or two numbers joined by "and" ("التاسع عشر والعشرين")."""
    if with_and:
        return last < 10 and 20 <= value < 100 and value % 10 == 0
    return (value >= 100 or (last >= 100 and value < last) or (20 <= last < 100 and last % 10 == 0 and value < 10)
            or (last < 10 and value == 10) or (gap == "-" and last == 10 and value < 10)
            or (last in (60, 80) and 10 <= value < 20))


def _bare(word: str) -> str:
    """A word case-folded, without the Arabic "and" and article written onto it ("والآلاف": آلاف)."""
    folded = word.casefold()
    folded = folded[1:] if folded.startswith("و") else folded
    return folded[2:] if folded.startswith("ال") else folded


def _word_value(word: str) -> float | None:
    folded = word.casefold()
    if folded in _WORDS:
        return _WORDS[folded]
    if folded.startswith("و"):  # Arabic "and" is written onto the word ("الحادي والعشرين", 21st)
        folded = folded[1:]
    elif folded[:1] in ("ب", "ل") and len(folded) >= 5 and folded[1:] in _WORDS and folded[1:] not in _WEAK:
        return _WORDS[folded[1:]]  # ... and "by", "for" ("بعشرين نقطة": by twenty points; "لست", I am not, is short)
    if folded.startswith("ال"):  # ... and so is the article
        folded = folded[2:]
        return _WORDS.get(folded, _ARABIC_ORDINALS.get(folded))
    return _WORDS.get(folded, _ordinal_value(folded) or _years_adjective(folded))


def _years_adjective(folded: str) -> float | None:
    """The number of a Bulgarian or Russian adjective of so many years (_YEARS_ADJECTIVE)."""
    match = _YEARS_ADJECTIVE.fullmatch(folded)
    if not match:
        return None
    prefix = match.group(1)
    return _COMBINING.get(prefix, _WORDS.get(prefix))


def _ordinal_value(folded: str) -> float | None:
    """English, French and Bulgarian ordinals ("fifteenth", "twenty-first", "vingtième", "двадесети
    век"): Chinese and Japanese write them in numerals ("十五队", the fifteenth team; "21岁の誕生日")."""
    if folded in _ORDINALS:
        return _ORDINALS[folded]
    if folded.endswith("ieth"):
        stems = [folded[:-4] + "y"]
    elif folded.endswith("th"):
        stems = [folded[:-2]]
    elif folded.endswith("ième"):
        stems = [folded[:-4], folded[:-4] + "e", folded[:-5] + "f", folded[:-5]]
    else:
        return _bulgarian_ordinal(folded)
    return next((_WORDS[stem] for stem in stems if stem in _WORDS), None)


def _bulgarian_ordinal(folded: str) -> float | None:
    """A Bulgarian ordinal of a unit or a ten ("милиона" is millions, "стаи" rooms, "първите десет"
    the first ten: "първи" is left out, as "one" is alone)."""
    for ending in _BULGARIAN_ENDINGS:
        stem = folded[:-len(ending)]
        if folded.endswith(ending) and stem in _BULGARIAN_ORDINALS:
            return _BULGARIAN_ORDINALS[stem]
        if folded.endswith(ending) and 5 <= _WORDS.get(stem, 0) < 100 and stem != "ста":
            return _WORDS[stem]
    return None


def _run_value(values: list[float]) -> float:
    """The value of spelled number words in order: units and tens add up, a scale multiplies what
    came before it ("three hundred and twenty thousand" -> 320,000)."""
    total, current = 0.0, 0.0
    for value in values:
        if value == 100:
            current = (current or 1) * 100
        elif value >= 1000:
            total += (current or 1) * value
            current = 0.0
        else:
            current += value
    return total + current


def _scaled(digits: str, found: list[tuple[int, int, float]], spelled: list[tuple[int, int, float]],
            weak_scales: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Digits followed by a spelled scale ("1.2 million", "2 хиляди") as one number; the rest as is."""
    scales = {start: (end, value) for start, end, value in spelled + weak_scales if value in _SCALES}
    merged, used = [], set()
    for start, end, value in found:
        gap = len(digits[end:]) - len(digits[end:].lstrip())
        if 0 < gap <= 2 and end + gap in scales and value < 1000:
            scale_end, scale = scales[end + gap]
            merged.append((start, scale_end, value * scale))
            used.add(end + gap)
        else:
            merged.append((start, end, value))
    return merged + [s for s in spelled if s[0] not in used]

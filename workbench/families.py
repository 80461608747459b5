"""Model families the workbench runs on CTranslate2, and how each is fed.

- ``argos``: argos packages (.argosmodel): metadata.json, model/, sentencepiece.model.
- ``opus-mt``: a Marian OPUS-MT model converted by ``ct2-transformers-converter --model
  Helsinki-NLP/opus-mt-ja-en --output_dir opus-mt-ja-en --copy_files source.spm target.spm``:
  model.bin, config.json, a vocabulary, source.spm and target.spm. One language pair; the
  source gets ``</s>`` appended (the converter leaves that to the caller).
- ``nllb``: NLLB-200 converted the same way (``--copy_files sentencepiece.bpe.model``): one model
  for every language; the source is ``<lang> pieces </s>`` with the FLORES-200 code of its
  language, the output starts with the target prefix ``eng_Latn``, which is dropped.

Which installed model translates a language: ``--model LANG=FAMILY`` (or a model id), else the
first family in PREFERENCE that has the language: a pair-specific OPUS-MT model, then NLLB-200,
then argos (its ja->en is the weakest of the three).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

FAMILIES = ("argos", "opus-mt", "nllb")
PREFERENCE = ("opus-mt", "nllb", "argos")

# The workbench's ISO 639-1 codes -> NLLB-200's FLORES-200 codes (the languages an analyst meets
# most; others can be added here, the model knows 200).
NLLB_CODES = {
    "ar": "arb_Arab", "bg": "bul_Cyrl", "cs": "ces_Latn", "de": "deu_Latn", "el": "ell_Grek", "en": "eng_Latn",
    "es": "spa_Latn", "fa": "pes_Arab", "fi": "fin_Latn", "fr": "fra_Latn", "he": "heb_Hebr", "hi": "hin_Deva",
    "hu": "hun_Latn", "id": "ind_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "ko": "kor_Hang", "nl": "nld_Latn",
    "pl": "pol_Latn", "pt": "por_Latn", "ro": "ron_Latn", "ru": "rus_Cyrl", "sr": "srp_Cyrl", "sv": "swe_Latn",
    "th": "tha_Thai", "tr": "tur_Latn", "uk": "ukr_Cyrl", "ur": "urd_Arab", "vi": "vie_Latn", "zh": "zho_Hans",
}
NLLB_TOKENIZER = "sentencepiece.bpe.model"
EOS = "</s>"
_OPUS_NAME = re.compile(r"opus-mt-([a-z]{2,3})-([a-z]{2,3})")
_VOCABULARIES = ("shared_vocabulary.json", "source_vocabulary.json", "shared_vocabulary.txt",
                 "source_vocabulary.txt")


class FamilyError(ValueError):
    """A model folder this workbench cannot run, said in one line."""


@dataclass(frozen=True)
class Layout:
    """Where a model's parts are and which tokens go around a sentence's pieces."""
    model_dir: Path  # the CTranslate2 model (model.bin, config.json, vocabularies)
    source_spm: Path
    target_spm: Path
    source_prefix: tuple[str, ...] = ()
    source_suffix: tuple[str, ...] = ()
    target_prefix: str | None = None  # forced first output token, dropped from the English


def layout(family: str, path: Path, from_code: str, target_prefix: str | None = None) -> Layout:
    """How to feed the model of ``family`` installed at ``path`` a sentence in ``from_code``."""
    if family == "argos":
        return Layout(path / "model", path / "sentencepiece.model", path / "sentencepiece.model",
                      target_prefix=target_prefix)
    if family == "opus-mt":
        return Layout(path, path / "source.spm", path / "target.spm", source_suffix=(EOS,))
    if family == "nllb":
        return Layout(path, path / NLLB_TOKENIZER, path / NLLB_TOKENIZER, (NLLB_CODES[from_code],), (EOS,),
                      NLLB_CODES["en"])
    raise FamilyError(f"unknown model family {family!r} (known: {', '.join(FAMILIES)})")


def _vocabulary(folder: Path) -> list[str]:
    for name in _VOCABULARIES:
        path = folder / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            return json.loads(text) if name.endswith(".json") else text.splitlines()
    raise FamilyError(f"{folder}: no vocabulary ({' or '.join(_VOCABULARIES[:2])}): not a CTranslate2 model folder")


def detect(folder: Path) -> str:
    """The family of a converted model folder (argos packages come as .argosmodel files)."""
    if not (folder / "model.bin").is_file():
        hint = " (an argos package? add the .argosmodel file)" if (folder / "metadata.json").is_file() else ""
        raise FamilyError(f"{folder}: no model.bin: not a CTranslate2 model folder{hint}")
    if (folder / "source.spm").is_file() and (folder / "target.spm").is_file():
        return "opus-mt"
    if (folder / NLLB_TOKENIZER).is_file():
        return "nllb"
    raise FamilyError(f"{folder}: neither source.spm + target.spm (OPUS-MT) nor {NLLB_TOKENIZER} (NLLB-200): "
                      "convert with --copy_files naming the tokenizer files, or say --family")


def languages(folder: Path, family: str, from_code: str | None = None) -> tuple[list[str], str]:
    """(source languages, target language) a converted model folder translates."""
    if family == "opus-mt":
        named = _OPUS_NAME.search(folder.name)
        if from_code:
            return [from_code], "en"
        if not named:
            raise FamilyError(f"{folder}: the folder name does not say the pair (opus-mt-ja-en): pass --from LANG")
        return [named.group(1)], named.group(2)
    if family == "nllb":
        vocabulary = set(_vocabulary(folder))
        if NLLB_CODES["en"] not in vocabulary:
            raise FamilyError(f"{folder}: the vocabulary has no {NLLB_CODES['en']} token: not an NLLB-200 model")
        served = [iso for iso, flores in NLLB_CODES.items() if iso != "en" and flores in vocabulary]
        if from_code:
            if from_code not in served:
                raise FamilyError(f"{folder}: --from {from_code}: not among the languages this NLLB model has")
            served = [from_code]
        return served, "en"
    raise FamilyError(f"--family {family}: a folder is opus-mt or nllb (argos packages come as .argosmodel)")

"""The region of a strict E.164 number, decided as libphonenumber decides it, without its general parse.

`phonenumbers.parse` + `is_valid_number` + `region_code_for_number` spend most of their time on
parsing that any text needs (punctuation, letters, extensions, RFC 3966) and on validation done
twice (the region of a shared calling code is found by the same patterns that then decide
validity again). For text already `+` and digits this module takes the same steps
without those: the calling code from a table of its digits, the national prefix stripped by the
library's own helpers (only when its pattern matches), and the region's validity as one length
check and two regular expressions, compiled once per calling code from the library's metadata:
the general pattern, and the patterns of every number type that admits the length, joined.
It leans on the library's private helpers and constants: tests/policy/test_numbering.py compares
it with the library's own path over every calling code, and so checks each upgrade of the library.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Final

from phonenumbers import phonenumberutil as _util
from phonenumbers.phonemetadata import REGION_CODE_FOR_NON_GEO_ENTITY, PhoneMetadata, PhoneNumberDesc

NON_GEOGRAPHIC: Final = REGION_CODE_FOR_NON_GEO_ENTITY  # "001": +800, +808, +870, +878, +881 ...
INVALID: Final = ""  # what `region()` answers for a number libphonenumber does not hold valid

# parse() refuses a number whose national part is shorter or longer.
_MIN_NSN: Final = _util._MIN_LENGTH_FOR_NSN
_MAX_NSN: Final = _util._MAX_LENGTH_FOR_NSN
_MAX_CC_DIGITS: Final = _util._MAX_LENGTH_COUNTRY_CODE
# parse() keeps the number as it was when stripping its national prefix leaves one of these.
_KEEP_UNSTRIPPED: Final = (
    _util.ValidationResult.TOO_SHORT,
    _util.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    _util.ValidationResult.INVALID_LENGTH,
)


class _Validity:
    """`_number_type_helper(nsn, metadata) != UNKNOWN`: the general description, then any type's."""

    __slots__ = ("_by_length", "_general", "_general_lengths", "_types")

    def __init__(self, metadata: PhoneMetadata) -> None:
        general = metadata.general_desc
        self._general = _pattern(general)
        self._general_lengths = frozenset(general.possible_length) if general is not None else frozenset()
        descs = [
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
            metadata.fixed_line,
        ]
        if not metadata.same_mobile_and_fixed_line_pattern:
            descs.append(metadata.mobile)
        self._types = [(desc, _pattern(desc)) for desc in descs if desc is not None]
        self._by_length: dict[int, re.Pattern[str] | None] = {}

    def __call__(self, nsn: str) -> bool:
        length = len(nsn)
        if self._general is None or (self._general_lengths and length not in self._general_lengths):
            return False
        try:
            types = self._by_length[length]
        except KeyError:
            types = self._by_length[length] = self._types_of_length(length)
        return types is not None and self._general.fullmatch(nsn) is not None and types.fullmatch(nsn) is not None

    def _types_of_length(self, length: int) -> re.Pattern[str] | None:
        # A full match of alternatives is a full match of one of them: the library tries them in turn.
        texts = [
            pattern.pattern
            for desc, pattern in self._types
            if pattern is not None and (not desc.possible_length or length in desc.possible_length)
        ]
        return re.compile("|".join(f"(?:{text})" for text in texts)) if texts else None


def _pattern(desc: PhoneNumberDesc | None) -> re.Pattern[str] | None:
    # The library matches no number against a missing or empty pattern.
    if desc is None or not desc.national_number_pattern:
        return None
    return re.compile(desc.national_number_pattern)


@dataclass(frozen=True, slots=True)
class _Region:
    code: str
    leading_digits: re.Pattern[str] | None  # places a number of a shared calling code in this region
    valid: _Validity | None  # None: the library has no metadata for it
    usable: bool  # is_valid_number_for_region can hold a number valid for it (its metadata, its calling code)


@dataclass(frozen=True, slots=True)
class _CallingCode:
    code: int
    parsing: PhoneMetadata  # the metadata parse() strips the national prefix with
    national_prefix: re.Pattern[str] | None
    regions: tuple[_Region, ...]


def _calling_code(code: int) -> _CallingCode:
    regions = _util.COUNTRY_CODE_TO_REGION_CODE[code]
    parsing = PhoneMetadata.metadata_for_region_or_calling_code(code, _util.region_code_for_country_code(code))
    assert parsing is not None  # the calling code is in the library's table
    prefix = parsing.national_prefix_for_parsing
    built = []
    for code_of_region in regions:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, code_of_region)
        # is_valid_number_for_region: no metadata, or a region of another calling code, is never valid.
        usable = metadata is not None and (
            code_of_region == NON_GEOGRAPHIC or _util.country_code_for_valid_region(code_of_region) == code
        )
        leading = None
        if len(regions) > 1 and metadata is not None and metadata.leading_digits is not None:
            leading = re.compile(metadata.leading_digits)
        built.append(_Region(code_of_region, leading, None if metadata is None else _Validity(metadata), usable))
    return _CallingCode(code, parsing, re.compile(prefix) if prefix else None, tuple(built))


_CODES: Final = {str(code): code for code in _util.COUNTRY_CODE_TO_REGION_CODE}
_built: dict[int, _CallingCode] = {}
_building = threading.Lock()


def _for(code: int) -> _CallingCode:
    found = _built.get(code)
    if found is None:
        with _building:  # the library loads a region's metadata lazily, under its own lock too
            found = _built.get(code)
            if found is None:
                found = _built[code] = _calling_code(code)
    return found


def region(digits: str) -> str:
    """The region libphonenumber gives the number "+" + `digits` when it holds it valid (NON_GEOGRAPHIC
    for a non-geographic calling code), else INVALID. `digits` must be 2 to 15 ASCII digits, the first
    not 0: the strict E.164 text the caller has checked."""
    for size in range(1, _MAX_CC_DIGITS + 1):
        code = _CODES.get(digits[:size])
        if code is not None:
            break
    else:
        return INVALID
    nsn = digits[size:]
    if len(nsn) < _MIN_NSN:
        return INVALID
    plan = _for(code)
    if plan.national_prefix is not None and plan.national_prefix.match(nsn):
        _, stripped, _ = _util._maybe_strip_national_prefix_carrier_code(nsn, plan.parsing)
        if _util._test_number_length(stripped, plan.parsing) not in _KEEP_UNSTRIPPED:
            nsn = stripped
        if not _MIN_NSN <= len(nsn) <= _MAX_NSN:
            return INVALID
    regions = plan.regions
    if len(regions) == 1:
        only = regions[0]
        return only.code if only.usable and only.valid is not None and only.valid(nsn) else INVALID
    for candidate in regions:  # _region_code_for_number_from_list, then that region's validity
        if candidate.valid is None:
            continue
        if candidate.leading_digits is not None:
            if candidate.leading_digits.match(nsn):
                return candidate.code if candidate.usable and candidate.valid(nsn) else INVALID
        elif candidate.valid(nsn):  # the region's validity, decided once for both questions
            return candidate.code if candidate.usable else INVALID
    return INVALID

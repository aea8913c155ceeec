"""Field rules for people: phone numbers (E.164) and the codice fiscale's consistency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from prossimo.core.phones import format_phone, normalise_phone, phone_search_key

__all__ = [
    "fiscal_code_mismatches",
    "format_phone",
    "normalise_fiscal_code",
    "normalise_phone",
    "phone_search_key",
    "validate_fiscal_code",
]


def normalise_fiscal_code(text: str) -> str:
    return "".join((text or "").split()).upper()


@dataclass(frozen=True)
class FiscalCodeData:
    sex: str
    birth_date: dt.date
    birthplace_code: str


def validate_fiscal_code(code: str) -> FiscalCodeData:
    """Check a codice fiscale's form and check character; return what it encodes."""
    if len(code) != 16:
        raise ValidationError(
            _("A codice fiscale has 16 characters; this one has %(n)d."),
            code="length",
            params={"n": len(code)},
        )
    if not codicefiscale.is_valid(code):
        raise ValidationError(
            _("This codice fiscale is not valid: check for a mistyped character."),
            code="invalid",
        )
    decoded = codicefiscale.decode(code)
    return FiscalCodeData(
        sex=decoded["gender"],
        birth_date=decoded["birthdate"].date(),
        birthplace_code=(decoded.get("birthplace") or {}).get("code", "")
        or decoded["raw"]["birthplace"],
    )


def fiscal_code_mismatches(
    code: str,
    *,
    first_name: str = "",
    last_name: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    birthplace_code: str = "",
) -> list[str]:
    """What in the codice fiscale disagrees with the other data given (messages to show).

    The code must already be valid. Data left empty is not checked.
    """
    data = validate_fiscal_code(code)
    raw = codicefiscale.decode_raw(code)
    problems: list[str] = []
    if last_name and codicefiscale.encode_lastname(last_name) != raw["lastname"]:
        problems.append(_("The codice fiscale does not match the surname."))
    if first_name and codicefiscale.encode_firstname(first_name) != raw["firstname"]:
        problems.append(_("The codice fiscale does not match the first name."))
    if sex and sex != data.sex:
        problems.append(_("The codice fiscale does not match the sex."))
    if birth_date is not None and (
        (birth_date.day, birth_date.month, birth_date.year % 100)
        != (data.birth_date.day, data.birth_date.month, data.birth_date.year % 100)
    ):
        problems.append(_("The codice fiscale does not match the date of birth."))
    if birthplace_code and birthplace_code.upper() != data.birthplace_code.upper():
        problems.append(_("The codice fiscale does not match the place of birth."))
    return problems

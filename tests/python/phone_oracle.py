"""What Google's libphonenumber (PyPI `phonenumbers`, pinned to the metadata the `phonenumber`
crate bundles) says of every region's example numbers, typed the ways people type them, with
and without a country hint, and of invalid variants of them. Prints one JSON array; the test
`tests/tests/phone_oracle.rs` holds core's answers against it.

Each case: {"input", "hint", and either "error" (libphonenumber's NumberParseException type) or
"e164", "valid", "type", "possible" (isPossibleNumberWithReason)}."""

import json
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat as F
from phonenumbers import PhoneNumberType as T
from phonenumbers import NumberParseException
from phonenumbers.phonenumberutil import ValidationResult
from phonenumbers.phonenumberutil import _maybe_strip_national_prefix_carrier_code as strip_prefix
from phonenumbers.phonenumberutil import _test_number_length as test_length

TYPES = [T.FIXED_LINE, T.MOBILE, T.TOLL_FREE, T.PREMIUM_RATE, T.SHARED_COST, T.VOIP,
         T.PERSONAL_NUMBER, T.PAGER, T.UAN, T.VOICEMAIL]
TYPE_NAMES = {v: k for k, v in vars(T).items() if k.isupper()}
ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "INVALID_COUNTRY_CODE",
    NumberParseException.NOT_A_NUMBER: "NOT_A_NUMBER",
    NumberParseException.TOO_SHORT_AFTER_IDD: "TOO_SHORT_AFTER_IDD",
    NumberParseException.TOO_SHORT_NSN: "TOO_SHORT_NSN",
    NumberParseException.TOO_LONG: "TOO_LONG",
}
POSSIBLE = {v: k for k, v in vars(ValidationResult).items() if k.isupper()}
# Other countries' hints: a visitor abroad types their own number with the picker on the country
# they are in (the United States, Germany, India, Kazakhstan: a trunk prefix of 8, a code of 7).
FOREIGN_HINTS = ["US", "DE", "IN", "KZ"]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def verdict(text, hint):
    case = {"input": text, "hint": hint}
    try:
        n = phonenumbers.parse(text, hint, keep_raw_input=True)
    except NumberParseException as e:
        case["error"] = ERRORS[e.error_type]
        return case
    # Our one rule over libphonenumber's reasons: written nationally, with too few digits after
    # the national prefix for any number, the number is "too short" (libphonenumber keeps the
    # prefix as part of it, and may then find that length possible).
    if n.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY and hint:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(hint)
        digits = phonenumbers.normalize_digits_only(text)
        _, stripped, changed = strip_prefix(digits, meta)
        short = (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY)
        case["short_after_prefix"] = bool(changed and test_length(stripped, meta) in short)
    case["e164"] = phonenumbers.format_number(n, F.E164)
    case["valid"] = phonenumbers.is_valid_number(n)
    case["type"] = TYPE_NAMES[phonenumbers.number_type(n)]
    case["possible"] = POSSIBLE[phonenumbers.is_possible_number_with_reason(n)]
    return case


def idd(region):
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = meta.preferred_international_prefix or meta.international_prefix
    return prefix if prefix and prefix.isdigit() else None


def forms(region, n):
    """The ways a person writes `n` in `region`: (text, written internationally)."""
    cc = n.country_code
    nsn = phonenumbers.national_significant_number(n)
    intl = phonenumbers.format_number(n, F.INTERNATIONAL)
    national = phonenumbers.format_number(n, F.NATIONAL)
    out = [
        ("+%d%s" % (cc, nsn), True),
        (intl, True),
        (intl.replace(" ", "-"), True),
        ("+%d (%s)" % (cc, nsn), True),
        (intl.translate(ARABIC_INDIC), True),
        (national, False),
        ("".join(c for c in national if c.isdigit()), False),
        (nsn, False),
    ]
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta.national_prefix:
        out.append(("+%d (%s) %s" % (cc, meta.national_prefix, nsn), True))
    prefix = idd(region)
    if prefix:
        out.append(("%s %d %s" % (prefix, cc, nsn), False))
    return out


def variants(n):
    """Numbers near `n` that are often invalid: digits more or less, another first digit."""
    cc = n.country_code
    nsn = phonenumbers.national_significant_number(n)
    out = ["+%d%s" % (cc, nsn + "1"), "+%d%s" % (cc, nsn + "12"), "+%d%s" % (cc, nsn[:-1]),
           "+%d%s" % (cc, nsn[:-3])]
    out += ["+%d%s%s" % (cc, d, nsn[1:]) for d in "0123456789" if d != nsn[0]]
    out.append("+%d0%s" % (cc, nsn))
    return out


def main():
    cases = []
    seen = set()

    def add(text, hint):
        if (text, hint) not in seen:
            seen.add((text, hint))
            cases.append(verdict(text, hint))

    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for t in TYPES:
            n = phonenumbers.example_number_for_type(region, t)
            if n is None:
                continue
            for text, international in forms(region, n):
                add(text, region)
                if international:
                    add(text, None)
                for other in FOREIGN_HINTS:
                    add(text, other)
            for text in variants(n):
                add(text, None)
            nsn = phonenumbers.national_significant_number(n)
            add(nsn + "1", region)
            add(nsn[:-1], region)
            national = phonenumbers.format_number(n, F.NATIONAL)
            add(national[:-3], region)
            add(national[:-5], region)
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        n = phonenumbers.example_number_for_non_geo_entity(cc)
        if n is not None:
            add(phonenumbers.format_number(n, F.INTERNATIONAL), None)
            add(phonenumbers.format_number(n, F.E164), "US")
    # Numbers the issue named, as a person typed them.
    for text, hint in [("+49 1512 3456789", "US"), ("+86 131 2345 6789", "US"),
                       ("+880 1812-345678", "US"), ("+225 01 23 45 6789", None),
                       ("+3161234567812", None), ("+381001234567", None),
                       ("7710009998", "KZ"), ("710009998", "KZ"), ("+370 801 23 456", None),
                       ("+7 808 123-45-67", None), ("011 15-2345-6789", "AR"),
                       ("8 029 491-19-11", "BY"), ("+44 (0) 7400-123 456", "GB"),
                       ("0044 7400 123456", "GB"), ("+00 44 7400 123456", "GB"),
                       ("+999 1234 5678", None), ("+1", None), ("12", "GB"),
                       ("tel: +44 7400 123456.", None),
                       # Extensions and letters, which we refuse by policy (the test says why).
                       ("+358 18 12345\uff5e67", None), ("+44 7400 123~456", None),
                       ("+44 7400 123456,123", None), ("07400 123456,,12", "GB"),
                       ("+44 7400 123456 ext. 12", None), ("0800 FLOWERS", "GB"),
                       ("My mobile, for calls and messages during the day: 07400 123456", "GB")]:
        add(text, hint)
    json.dump({"phonenumbers": phonenumbers.__version__, "cases": cases}, sys.stdout,
              ensure_ascii=False)


if __name__ == "__main__":
    main()

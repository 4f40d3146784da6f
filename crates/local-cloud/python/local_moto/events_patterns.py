"""EventBridge event patterns checked as AWS checks them at PutRule (and so at deploy: CloudFormation's and
Terraform's rules are PutRule calls): a pattern that is not a JSON object, a field that is neither an object nor an
array, an unknown match type (`{"bogus": 1}`), a `numeric` that is not operator/number pairs, a `prefix` that is
not a string... is refused with InvalidEventPatternException naming the field, where moto 5.2.1 accepted most of
them (the rule then matched nothing) or answered HTTP 500. Matching itself is moto's: it answers as AWS for the
documented operators (tests/test_events.py checks prefix, suffix, numeric ranges, anything-but, exists,
wildcard, equals-ignore-case). The operators and their operands:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html"""

import json

from moto.events.exceptions import InvalidEventPatternException

NUMERIC_OPERATORS = ("<", "<=", "=", ">", ">=")


def check(text: str) -> None:
    """Raises InvalidEventPatternException (AWS's "Event pattern is not valid. Reason: ...") unless `text` is a
    valid event pattern."""
    try:
        pattern = json.loads(text)
    except ValueError as e:
        raise InvalidEventPatternException(f"Filter is not valid JSON: {e}") from None
    if not isinstance(pattern, dict):
        raise InvalidEventPatternException("Filter is not an object")
    check_object(pattern, "")


def check_object(pattern: dict, path: str) -> None:
    for key, value in pattern.items():
        field = f"{path}.{key}" if path else key
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise InvalidEventPatternException(f"$or at '{path or '<root>'}' needs an array of 2 or more objects")
            for i, option in enumerate(value):
                if not isinstance(option, dict):
                    raise InvalidEventPatternException(f"$or option {i} at '{path or '<root>'}' must be an object")
                check_object(option, path)
        elif isinstance(value, dict):
            check_object(value, field)
        elif isinstance(value, list):
            if not value:
                raise InvalidEventPatternException(f"Empty arrays are not allowed at '{field}'")
            for item in value:
                if isinstance(item, dict):
                    check_matcher(item, field)
                elif isinstance(item, list):
                    raise InvalidEventPatternException(f"Match value must be String, number, true, false, or null "
                                                       f"at '{field}'")
        else:
            raise InvalidEventPatternException(f"'{field}' must be an object or an array")


def check_matcher(matcher: dict, field: str) -> None:
    """One `{"operator": operand}` of a field's array."""
    if len(matcher) != 1:
        raise InvalidEventPatternException(f"A match expression at '{field}' must have exactly one match type")
    (kind, operand), = matcher.items()
    if kind in ("prefix", "suffix"):
        check_text(kind, operand, field, allow_ignore_case=True)
    elif kind in ("wildcard", "equals-ignore-case", "cidr"):
        check_text(kind, operand, field)
    elif kind == "exists":
        if not isinstance(operand, bool):
            raise InvalidEventPatternException(f"exists match pattern must be either true or false at '{field}'")
    elif kind == "numeric":
        check_numeric(operand, field)
    elif kind == "anything-but":
        check_anything_but(operand, field)
    else:
        raise InvalidEventPatternException(f"Unrecognized match type {kind} at '{field}'")


def check_text(kind: str, operand, field: str, allow_ignore_case: bool = False) -> None:
    if allow_ignore_case and isinstance(operand, dict) and list(operand) == ["equals-ignore-case"]:
        operand = operand["equals-ignore-case"]
    if not isinstance(operand, str):
        raise InvalidEventPatternException(f"{kind} match pattern must be a string at '{field}'")


def check_numeric(operand, field: str) -> None:
    """`[op, number]` or `[op, number, op, number]` (a range: a lower then an upper bound)."""
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise InvalidEventPatternException(f"Value of numeric must be an array of 2 or 4 items at '{field}'")
    for op, number in zip(operand[::2], operand[1::2]):
        if op not in NUMERIC_OPERATORS:
            raise InvalidEventPatternException(f"Unrecognized numeric range operator: {op!r} at '{field}'")
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise InvalidEventPatternException(f"Value of {op} must be numeric at '{field}'")
    if len(operand) == 4:
        (low, low_value), (high, high_value) = zip(operand[::2], operand[1::2])
        if low not in (">", ">=") or high not in ("<", "<="):
            raise InvalidEventPatternException(f"Bad numeric range operator at '{field}': a range is a lower bound "
                                               f"(> or >=) then an upper bound (< or <=)")
        if low_value >= high_value:
            raise InvalidEventPatternException(f"Bottom must be less than top at '{field}'")


def check_anything_but(operand, field: str) -> None:
    """A string, a number, an array of them, or one of prefix/suffix/wildcard/equals-ignore-case."""
    if isinstance(operand, dict):
        if len(operand) != 1 or next(iter(operand)) not in ("prefix", "suffix", "wildcard", "equals-ignore-case"):
            raise InvalidEventPatternException(f"Unsupported anything-but pattern at '{field}': {json.dumps(operand)}")
        (kind, inner), = operand.items()
        if not (isinstance(inner, str) or (isinstance(inner, list) and inner and
                                           all(isinstance(i, str) for i in inner))):
            raise InvalidEventPatternException(f"anything-but {kind} must be a string at '{field}'")
    elif isinstance(operand, list):
        if not operand or not all(isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in operand):
            raise InvalidEventPatternException(f"Inside anything-but list, only strings or numbers are allowed "
                                               f"at '{field}'")
    elif isinstance(operand, bool) or not isinstance(operand, (str, int, float)):
        raise InvalidEventPatternException(f"Inside anything-but, only a string, a number, an array or an "
                                           f"object is allowed at '{field}'")

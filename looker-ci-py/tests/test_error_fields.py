"""Every field of every core error reaches ``looker_ci.errors``: as an attribute of the exception
(or its ``__cause__``) and declared on its class, so that it is typed and documented."""

from __future__ import annotations

import typing

import pytest
from looker_ci import _native, errors

SAMPLES = _native.error_samples()


def test_there_is_one_sample_per_exception_class() -> None:
    codes = {sample["code"] for sample in SAMPLES}
    classes = {cls.code for cls in errors._BY_CODE.values()}
    assert codes == classes


@pytest.mark.parametrize("details", SAMPLES, ids=[sample["code"] for sample in SAMPLES])
def test_every_field_reaches_the_exception(details: dict[str, typing.Any]) -> None:
    exception = errors._from_native(dict(details))
    assert type(exception) is not errors.LookerCIError, f"no class for {details['code']}"
    assert exception.code == details["code"]
    assert str(exception) == details["message"]
    declared = typing.get_type_hints(type(exception))
    for field, value in details.items():
        if field in ("code", "message"):
            continue
        if field == "cause":
            assert isinstance(exception.__cause__, errors.NativeCause)
            assert str(exception.__cause__) == value
            continue
        assert getattr(exception, field) == value, field
        assert field in declared, f"{type(exception).__name__} does not declare `{field}`"

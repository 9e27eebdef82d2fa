"""Results shared by the report tests: one evaluation, one attribution, one study file (computed once)."""

from __future__ import annotations

import pytest

from tests.report.studies import STUDY, write_study


@pytest.fixture(scope="session")
def study_path(tmp_path_factory):
    return write_study(tmp_path_factory.mktemp("study"), STUDY)


@pytest.fixture(scope="session")
def att():
    from accelkit.attribution import attribute

    return attribute(dict(STUDY))


@pytest.fixture(scope="session")
def ev(att):
    return att.combined

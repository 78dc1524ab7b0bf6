"""Options shared by the whole test suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files of tests/regression from the current model",
    )


@pytest.fixture(autouse=True, scope="session")
def _private_results_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands that store runs (and the subprocesses tests start) write to a store of the
    test session's own, never to the user's."""
    import os

    path = tmp_path_factory.mktemp("results") / "results.duckdb"
    os.environ["HASIM_RESULTS"] = str(path)

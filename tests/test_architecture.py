"""The house keeps its shape: the import contract holds, and it breaks when an app imports upward,
an engine imports Django or two modules import each other; no module grows past 600 lines."""

from copy import deepcopy
from pathlib import Path

import grimp
import pytest
from importlinter.application.use_cases import read_user_options
from importlinter.configuration import configure
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600
CONTRACT_TYPES = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
    "acyclic_siblings": AcyclicSiblingsContract,
}


@pytest.fixture(scope="module")
def house():
    configure()
    options = read_user_options(str(ROOT / "pyproject.toml"))
    session = options.session_options
    graph = grimp.build_graph(
        "glabella", include_external_packages=True, cache_dir=None
    )  # the import graph of the code as it is
    return session, options.contracts_options, graph


def _kept(house, contract_id: str, *extra_imports: tuple[str, str]) -> bool:
    """Whether one contract of pyproject.toml holds, with some imports added to the graph."""
    session, contracts, graph = house
    options = next(c for c in contracts if c.get("id") == contract_id)
    graph = deepcopy(graph)
    for importer, imported in extra_imports:
        graph.add_import(importer=importer, imported=imported)
    contract = CONTRACT_TYPES[options["type"]](
        name=options["name"], session_options=session, contract_options=options
    )
    return contract.check(graph, verbose=False).kept


@pytest.mark.parametrize("contract_id", ["floors", "engines", "no-circles"])
def test_the_code_keeps_the_contract(house, contract_id):
    assert _kept(house, contract_id)


@pytest.mark.parametrize(
    "importer, imported",
    [
        ("glabella.core.access", "glabella.patients.services"),
        ("glabella.inventory.services", "glabella.treatments.models"),
        ("glabella.catalogue.labels", "glabella.clinic.models"),
        ("glabella.scheduling.models", "glabella.screening.models"),
    ],
)
def test_an_app_that_imports_upward_breaks_the_floors(house, importer, imported):
    assert not _kept(house, "floors", (importer, imported))


def test_an_engine_that_imports_django_breaks_the_contract(house):
    assert not _kept(house, "engines", ("glabella.treatments.dosing", "django.db"))
    # Also through a module that does.
    assert not _kept(house, "engines", ("glabella.catalogue.products", "glabella.core.models"))


def test_two_modules_that_import_each_other_break_the_contract(house):
    assert not _kept(
        house,
        "no-circles",
        ("glabella.outcomes.durations", "glabella.outcomes.services"),
        ("glabella.outcomes.services", "glabella.outcomes.durations"),
    )


def test_no_module_is_longer_than_600_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "glabella").rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}

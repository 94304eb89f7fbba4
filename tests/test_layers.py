"""What the import-linter contracts (pyproject.toml) cannot say about the layers."""

import grimp


def test_no_module_imports_the_app_factory():
    """The root package is the entry: a contract over its children cannot see it imported."""
    graph = grimp.build_graph("eventhub", include_external_packages=False)
    assert graph.find_modules_that_directly_import("eventhub") == set()

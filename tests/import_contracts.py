"""Import-linter contract types of this project (see [tool.importlinter] in pyproject.toml).

`allow_list`: the source packages may import the standard library (but for its modules
named in `refused_modules`, such as those that do I/O), each other and the modules named in
`allowed_modules`, nothing else. A deny-list lets any new dependency through; this names
what is allowed, so a new import fails until it is added on purpose.

`no_test_imports`: no module of the source packages imports a test module (`test_*`) or a
`conftest`: what tests share lives in helper modules (tests/support), so that a test module
can be moved, renamed or deleted without breaking another.
"""

import sys

import grimp
from importlinter import Contract, ContractCheck, fields, output


class AllowListContract(Contract):
    type_name = "allow_list"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.StringField())
    refused_modules = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        sources = [module.name for module in self.source_modules]
        allowed = {*sys.stdlib_module_names, *sources, *self.allowed_modules}
        allowed -= set(self.refused_modules)
        refused: list[tuple[str, str]] = []
        for source in sources:
            for importer in sorted({source, *graph.find_descendants(source)}):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if imported.split(".")[0] not in allowed:
                        refused.append((importer, imported))
        return ContractCheck(kept=not refused, metadata={"refused": refused})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["refused"]:
            output.print_error(f"{importer} imports {imported}, which is not allowed.")
            output.new_line()


class NoTestImportsContract(Contract):
    type_name = "no_test_imports"

    source_modules = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        refused: list[tuple[str, str]] = []
        for source in (module.name for module in self.source_modules):
            for importer in sorted({source, *graph.find_descendants(source)}):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if _is_test_module(imported):
                        refused.append((importer, imported))
        return ContractCheck(kept=not refused, metadata={"refused": refused})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["refused"]:
            output.print_error(f"{importer} imports {imported}: move what it needs to a helper.")
            output.new_line()


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"

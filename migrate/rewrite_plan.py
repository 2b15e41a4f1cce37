"""From a batch's sites to per-file rewrite plans: the data each codemod is handed.

The repo-wide analysis has already decided what every site is; here each pending site of the
batch becomes entries in the plans of the files it touches. A module-level client touches its
own file and every file that imports it (under any alias, or through `import m` then
`m.client`): the batch rewrites them together, as one unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.analysis.facts import LOCALS, FileFacts
from migrate.analysis.link import LinkedSite, ModuleIndex
from migrate.codemods._common import Accessor
from migrate.discovery import module_name
from migrate.model import Inventory, Site


@dataclass(slots=True)
class FilePlan:
    """What the codemods do to one file."""

    path: str
    module: str
    package: str
    calls: dict[tuple[int, int], Accessor] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Accessor] = field(default_factory=dict)
    getters: dict[str, tuple[str, Accessor]] = field(default_factory=dict)
    remove_names: set[str] = field(default_factory=set)
    references: dict[str, Accessor] = field(default_factory=dict)
    closes: dict[str | None, set[str]] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)  # the batch's sites in this file
    convert: str | None = None  # "aioredis1"/"aioredis2": convert calls on the moved clients
    convert_receivers: dict[str | None, set[str]] = field(default_factory=dict)

    @property
    def removed_modules(self) -> set[str]:
        """Modules whose clients this file referenced (their imports may now be unused)."""
        return {name.rpartition(".")[0] for name in self.references}


def plan_batch(inventory: Inventory, batch: str, lifecycle_import: str,
               compat: bool = False) -> dict[str, FilePlan]:
    """The plans of every file the batch's pending sites touch.

    With `compat`, aioredis clients move to the compat wrapper (`get_compat_redis()`) and keep
    their 1.x-shaped calls instead of having them converted.
    """
    facts: dict[str, FileFacts] = inventory.facts
    index = ModuleIndex(f.module for f in facts.values())
    plans: dict[str, FilePlan] = {}

    def plan_for(path: str) -> FilePlan:
        if path not in plans:
            module, is_package = module_name(path)
            package = module if is_package else module.rpartition(".")[0]
            plans[path] = FilePlan(path, module, package)
        return plans[path]

    for site in inventory.sites:
        if site.batch != batch or site.status != "pending":
            continue
        linked: LinkedSite = inventory.details[(site.file, site.line, site.col, site.kind)]
        aioredis = site.library in ("aioredis1", "aioredis2")
        accessor = Accessor(lifecycle_import, "needs-blocking-client" in site.flags, site.client,
                            sync=site.sync, compat=compat and aioredis)
        plan = plan_for(site.file)
        plan.sites.append(site)
        if site.kind == "instantiation":
            _plan_instantiation(plan, linked, accessor, facts, index, plan_for)
            if aioredis and not compat:
                _plan_conversion(plan, linked, site.library, facts, index, plan_for)
        elif site.kind == "close":
            receivers = plan.closes.setdefault(_relative(linked.function, plan.module), set())
            receivers.update(_spellings(linked, plan.module))
    return plans


def _plan_instantiation(plan: FilePlan, linked: LinkedSite, accessor: Accessor,
                        facts: dict[str, FileFacts], index: ModuleIndex, plan_for) -> None:
    bound = linked.bound_to or ""
    if linked.function is None:  # module-client or pool-client at module level
        name = bound[len(plan.module) + 1:] if bound.startswith(plan.module + ".") else bound
        plan.remove_names.add(name)
        if linked.family == "client":
            # every name the client is reachable under: its own, and re-exports of it
            keys = {bound, *(h for h in linked.holders if f".{LOCALS}." not in h)}
            for path, targets in _references(keys, facts, index, plan.module).items():
                plan_for(path).references.update({t: accessor for t in targets})
        return
    function = _relative(linked.function, plan.module) or ""
    if linked.rewrite == "instance-attribute":
        class_path, _, attribute = _relative(bound, plan.module).rpartition(".")
        plan.attributes[(class_path, attribute)] = accessor
    elif linked.rewrite == "lazy-getter":
        global_name = bound.rpartition(".")[2]
        plan.getters[function] = (global_name, accessor)
    else:
        plan.calls[(linked.loc.line, linked.loc.col)] = accessor


def _plan_conversion(plan: FilePlan, linked: LinkedSite, library: str,
                     facts: dict[str, FileFacts], index: ModuleIndex, plan_for) -> None:
    """aioredis calls on the moved client: in its file, and wherever it is referenced."""
    plan.convert = library
    bound = linked.bound_to or ""
    function = _relative(linked.function, plan.module)
    if linked.rewrite == "instance-attribute":
        attribute = bound.rpartition(".")[2]
        plan.convert_receivers.setdefault("*", set()).add(f"self.{attribute}")
    elif function and bound.startswith(f"{linked.function}.{LOCALS}."):
        plan.convert_receivers.setdefault(function, set()).add(bound.rpartition(".")[2])
    if linked.function is None and linked.family == "client":  # a module client's importers
        keys = {bound, *(h for h in linked.holders if f".{LOCALS}." not in h)}
        for path in _references(keys, facts, index, plan.module):
            plan_for(path).convert = library


def _references(keys: set[str], facts: dict[str, FileFacts], index: ModuleIndex,
                defining_module: str) -> dict[str, set[str]]:
    """Per file, the absolute names under which it can reach the removed client."""
    found: dict[str, set[str]] = {}
    for path, file_facts in facts.items():
        names: set[str] = set()
        for key in keys:
            if file_facts.module == defining_module or key.startswith(file_facts.module + "."):
                names.add(key)  # the module's own name for it
            for _scope, _local, target in file_facts.imports:
                canonical = index.canonical(target)
                if canonical == key:
                    names.add(target)
                elif key.startswith(canonical + "."):
                    names.add(target + key[len(canonical):])
        if names:
            found[path] = names
    return found


def _relative(key: str | None, module: str) -> str | None:
    """`pkg.mod.C.m` -> `C.m` for a key inside `module`."""
    if key is None:
        return None
    return key[len(module) + 1:] if key.startswith(module + ".") else key


def _spellings(close: LinkedSite, module: str) -> set[str]:
    """How the closed receiver is written inside the function that closes it."""
    key = _relative(close.bound_to, module) or ""
    function = _relative(close.function, module)
    spellings = {key}
    if function and key.startswith(f"{function}.{LOCALS}."):
        spellings.add(key[len(function) + len(LOCALS) + 2:])
    if function and "." in function:
        class_path = function.rpartition(".")[0]
        if key.startswith(class_path + "."):
            spellings.add("self." + key[len(class_path) + 1:])
    return spellings

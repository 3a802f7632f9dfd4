"""The parts of the house and the imports allowed between them (README, "Design").

Every import of every product module counts, at the top of a file or inside a function, and so does a job
enqueued by its dotted name. A feature may import core, hierarchy's models and signals, tenants' models and its
`TenantSlug`; any other import from one part into another must be one of the declared arrows below, and none may
be in NEVER.
Core imports no feature (the factory names the features once, as strings, in `core.FEATURES`). And no module may
import itself back through others, even inside a function: the modules form a tree a newcomer reads bottom-up.

A new forbidden import or cycle fails here with the file and line that made it.
"""
import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# part -> the top-level packages or modules it is made of
PARTS = {
    "entry": ("wsgi", "config"),
    "core": ("core",),
    "tenants": ("tenants",),
    "hierarchy": ("hierarchy",),
    "content": ("content",),
    "inbox": ("inbox",),
    "metrics": ("metrics",),
    "zalo": ("zalo",),
    "audit": ("audit",),
    "open311": ("open311",),
    "ops": ("ops",),
    "devtools": ("devtools",),  # development tools (the fake Zalo): no product module may import them
}
FEATURES = ("tenants", "hierarchy", "content", "inbox", "metrics", "zalo", "audit", "open311", "ops")
ANY = "*"
# What every feature may import of another part.
PUBLIC = {"core": ANY, "hierarchy": ("hierarchy.models", "hierarchy.signals"),
          "tenants": ("tenants.models", "tenants.params")}
# Declared arrows beyond that: (from, to, the modules of `to` it may import or ANY, why).
ARROWS = (
    ("entry", "core", ANY, "the app object"),
    ("core", "entry", ("config",), "the settings, read and validated once by the factory"),
    ("content", "hierarchy", ANY, "a post belongs to a unit of the tree"),
    ("inbox", "hierarchy", ANY, "tips are routed and escalated along the tree"),
    ("metrics", "hierarchy", ANY, "figures roll up the tree"),
    ("zalo", "hierarchy", ANY, "an Official Account serves a unit"),
    ("tenants", "hierarchy", ANY, "onboarding imports the province's tree; staff are anchored at units"),
    ("inbox", "metrics", ("metrics.events",), "record()"),
    ("content", "metrics", ("metrics.events",), "record()"),
    ("zalo", "metrics", ("metrics.events",), "record()"),
    ("zalo", "inbox", ANY, "the channel brings tips in and takes replies out"),
    ("zalo", "content", ANY, "articles mirror posts"),
    ("open311", "inbox", ANY, "a channel: requests become tips through the inbox's intake"),
    ("open311", "hierarchy", ("hierarchy.correspondence",), "the communes' coordinates place a request"),
    ("ops", "entry", ("config",), "doctor compares the settings with the public development keys"),
    ("devtools", "zalo", ("zalo.client", "zalo.demo"), "the fake Zalo speaks the client's protocol"),
)
NEVER = (
    ("hierarchy", "content", "the tree knows no posts"),
    ("hierarchy", "inbox", "the tree knows no tips"),
    ("hierarchy", "metrics", "the tree knows no numbers"),
    ("tenants", "inbox", "identity of staff, not of reporters"),
    ("content", "inbox", "two features, talking through events"),
    ("inbox", "content", "two features, talking through events"),
    ("core", "content", "core knows no posts"),
    ("core", "inbox", "core knows no tips"),
    ("core", "hierarchy", "core knows no tree"),
    ("core", "metrics", "core knows no numbers"),
    ("core", "zalo", "core knows no channel"),
    ("core", "audit", "core writes the log; reading and checking it is a feature"),
    ("core", "ops", "core knows no operating tools"),
    ("core", "tenants", "core lists the features by name only"),
    ("inbox", "zalo", "channel depends on inbox, not back"),
    ("metrics", "inbox", "numbers know no tips"),
    ("metrics", "content", "numbers know no posts"),
    ("inbox", "open311", "channel depends on inbox, not back"),
    ("core", "open311", "core lists the features by name only"),
    ("content", "zalo", "a post published reaches Zalo through a signal"),
)
def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules():
    """{module name: path} of every product module."""
    roots = [root for roots in PARTS.values() for root in roots]
    found = {}
    for root in roots:
        if (ROOT / f"{root}.py").exists():
            found[root] = ROOT / f"{root}.py"
        for path in sorted((ROOT / root).rglob("*.py")) if (ROOT / root).is_dir() else ():
            found[_module_name(path)] = path
    return found


def part_of(module):
    top = module.split(".")[0]
    return next((part for part, roots in PARTS.items() if top in roots), None)


def _resolve(name):
    """The product module `name` refers to (`a.b.c` may be a module or a name inside `a.b`), or None."""
    known, parts = modules(), name.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts) or None


def _absolute(module, node):
    if not node.level:
        return node.module
    package = module.split(".") if modules()[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _called(call):
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _text(args, index):
    """The string constant at `args[index]`, or None."""
    if len(args) > index and isinstance(args[index], ast.Constant) and isinstance(args[index].value, str):
        return args[index].value
    return None


def _enqueued_by_name(call):
    """The dotted name of a job in `enqueue("a.b.job", ...)` or `after_commit(enqueue, "a.b.job", ...)`."""
    if _called(call) == "enqueue":
        return _text(call.args, 0)
    if call.args and isinstance(call.args[0], ast.Name) and call.args[0].id == "enqueue":
        return _text(call.args, 1)
    return None


@cache
def imports_of(module):
    """[(imported module, line, how)] of every import in `module`, wherever it stands in the file."""
    found = []
    tree = ast.parse(modules()[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            names = [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call):
            if _called(node) in ("import_module", "__import__") and _text(node.args, 0):
                names = [_text(node.args, 0)]
            elif job := _enqueued_by_name(node):
                found += [(target, node.lineno, "enqueue") for target in [_resolve(job)] if target]
                continue
        found += [(target, node.lineno, "import") for target in map(_resolve, names) if target and target != module]
    return found


def _allowed(source_part, target):
    target_part = part_of(target)
    if source_part in FEATURES and (PUBLIC.get(target_part) == ANY or target in PUBLIC.get(target_part, ())):
        return True
    for start, end, allowed, _why in ARROWS:
        if (start, end) == (source_part, target_part) and (allowed == ANY or target in allowed):
            return True
    return False


def violations():
    found = set()
    for module in modules():
        source_part = part_of(module)
        for target, line, _how in imports_of(module):
            if part_of(target) != source_part and not _allowed(source_part, target):
                found.add((module, target, line))
    return found


def test_the_declared_arrows_never_draw_a_forbidden_one():
    drawn = {(start, end) for start, end, _allowed, _why in ARROWS}
    drawn |= {(feature, part) for feature in FEATURES for part in PUBLIC if feature != part}
    assert not drawn & {(start, end) for start, end, _why in NEVER}


def test_no_part_imports_what_it_may_not():
    found = sorted(f"{modules()[module].relative_to(ROOT)}:{line} imports {target} ({_why_not(module, target)})"
                   for module, target, line in violations())
    assert not found, "forbidden imports:\n" + "\n".join(found)


def _why_not(module, target):
    pair = (part_of(module), part_of(target))
    return next((why for start, end, why in NEVER if (start, end) == pair), "no declared arrow")


def import_graph():
    return {module: {target for target, _line, how in imports_of(module) if how == "import"} for module in modules()}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_no_module_imports_itself_back():
    found = sorted(sorted(cycle) for cycle in cycles(import_graph()))
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(cycle) for cycle in found)


def test_jobs_enqueued_by_name_exist():
    from importlib import import_module

    named = []
    for module in modules():
        tree = ast.parse(modules()[module].read_text(encoding="utf-8"))
        named += [(module, node.lineno, dotted) for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and (dotted := _enqueued_by_name(node))]
    assert {dotted for _module, _line, dotted in named} >= {"inbox.jobs.check_deadlines",
                                                          "metrics.exports.jobs.run_export"}
    for module, line, dotted in named:
        owner, _, name = dotted.rpartition(".")
        assert callable(getattr(import_module(owner), name, None)), f"{module}:{line} enqueues {dotted}"


def test_the_check_sees_imports_inside_functions_and_cycles():
    """The checker itself: a function-level import is found, and a two-module loop is a cycle."""
    assert any(target == "inbox.services" for target, _line, _how in imports_of("inbox.receivers"))
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert cycles({"a": {"b"}, "b": set()}) == []
    assert not _allowed("hierarchy", "inbox.models") and _allowed("zalo", "inbox.models")
    assert _allowed("inbox", "tenants.models") and not _allowed("inbox", "tenants.services")

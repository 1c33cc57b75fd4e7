"""Component-model applications (ANALYSIS.md §6): which core module to instrument, and putting the
instrumented module back.

A component is read by :func:`compiler.wasm.component.read_component`; this module holds the policy on
top of it, shared by ``whamm instr``/``run``/``wat`` and the shell:

* :func:`choose_module` — ``--module N``, or the only core module that is neither the WASI adapter nor
  a wit-component shim; none or several such modules is an error that lists them;
* :func:`embed` — the component with the instrumented module in place of the original, validated by
  wasmtime before anyone sees it.  The instrumented module may import only what the component already
  gives that module: the component instantiates it with exactly the imports it had (wit-component passes
  a bag of just those functions), so a new import — the report's ``fd_write`` in a module that never
  wrote, ``clock_time_get`` for ``nsecs``, a user library — has no route, and is refused by name with
  what to do instead, never left to a confusing link error at run time.
"""
from __future__ import annotations

from compiler.errors import WhammError
from compiler.runner import error_reason
from compiler.wasm.component import PREVIEW1, Component, CoreModule
from compiler.wasm.errors import ValidationError
from compiler.wasm.reader import read_module
from compiler.wasm.validate import engine

__all__ = ["ComponentError", "choose_module", "module_table", "embed", "validate_component"]


class ComponentError(WhammError):
    """A component cannot be used as asked: no module to choose, or no route for an import."""


def module_table(component: Component) -> str:
    """The core modules as ``modules`` lists them: index, size, role, name."""
    lines = ["index  size     role          name", "-----  -------  ------------  ----"]
    for module in component.modules:
        lines.append(f"{module.index:>5}  {module.size:>7}  {module.role.value:<12}  {module.name or '-'}")
    return "\n".join(lines)


def choose_module(component: Component, index: int | None, name: str) -> CoreModule:
    """Core module ``index`` of ``component``, or (``index`` None) the only app module.  ``name`` is how
    messages call the component."""
    modules = component.modules
    if index is not None:
        if not 0 <= index < len(modules):
            raise ComponentError(f"component {name} has no core module {index} (it has {len(modules)}: "
                                 f"0 to {len(modules) - 1}; `whamm wat {name}` or the shell's `modules` "
                                 "lists them)")
        return modules[index]
    candidates = component.candidates
    if len(candidates) == 1:
        return candidates[0]
    listing = "\n".join("  " + line for line in module_table(component).splitlines())
    if not candidates:
        raise ComponentError(f"component {name} has no core module to instrument (every one is a WASI "
                             f"adapter or a shim); choose one with --module N:\n{listing}")
    numbers = ", ".join(str(m.index) for m in candidates)
    raise ComponentError(f"component {name} has {len(candidates)} core modules that could be the "
                         f"application ({numbers}); choose one with --module N (the shell: load APP "
                         f"--module N):\n{listing}")


def _new_imports(original: CoreModule, wasm: bytes) -> list[tuple[str, str]]:
    """The imports of the instrumented module that the original module did not have."""
    have = {(imp.module, imp.name) for imp in original.module.imports}
    return [(imp.module, imp.name) for imp in read_module(wasm).imports if (imp.module, imp.name) not in have]


def embed(component: Component, original: CoreModule, wasm: bytes, name: str) -> bytes:
    """``component`` with ``original`` replaced by the instrumented ``wasm``, validated.  Raises
    :class:`ComponentError` when the instrumented module imports something the component does not give
    it (see the module docstring)."""
    missing = _new_imports(original, wasm)
    if missing:
        raise ComponentError(_no_route(missing, original, name))
    data = component.replace(original.index, wasm)
    try:
        validate_component(data)
    except ValidationError as exc:
        raise WhammError(f"internal error: the instrumented component failed validation: {exc}") from None
    return data


def _no_route(missing: list[tuple[str, str]], module: CoreModule, name: str) -> str:
    """Why the instrumented module cannot run inside the component, and what to do instead."""
    items = ", ".join(f"{m}.{n}" for m, n in missing)
    text = (f"cannot instrument core module {module.index} of component {name}: the instrumented module "
            f"imports {items}, which the component does not give that module (it only provides the "
            "module's own imports)")
    if (PREVIEW1, "fd_write") in missing:
        text += ("; the report is printed through the preview 1 fd_write the module reaches, and this "
                 "module never writes (it does not import fd_write): use whamm's --no-report (the shell "
                 "reads a component's values from that report) or a module that prints")
    elif any(m == PREVIEW1 for m, _ in missing):
        text += "; the script needs WASI functions the module does not use"
    else:
        text += "; user libraries cannot be linked into a component"
    return text


def validate_component(data: bytes) -> None:
    """Compile ``data`` as a component with the validation engine (wasmtime has no validate-only call
    for components); raise :class:`~compiler.wasm.errors.ValidationError` with wasmtime's reason (the
    last line of its message) if it is not valid."""
    import wasmtime  # heavy (~20 ms): loaded when a component is first validated
    import wasmtime.component

    try:
        wasmtime.component.Component(engine(), data)
    except wasmtime.WasmtimeError as exc:
        raise ValidationError(error_reason(exc)) from None

"""``compiler/wasm/component.py``: the core modules of the committed components (order, roles, names,
bytes identical to the core module they were made from), replacing one (everything else byte for byte,
checked against wasm-tools' own reading of the result), and malformed components (every prefix of a
component is either read or refused with a located :class:`ComponentDecodeError`, never another error)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compiler.wasm import DecodeError, read_module, write_module
from compiler.wasm.binary import uleb
from compiler.wasm.component import ComponentDecodeError, Role, is_component, read_component

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "component"
PROGRAMS = ("hello", "files", "silent")


@pytest.fixture(scope="module")
def components() -> dict[str, bytes]:
    """The committed components by name."""
    return {name: (CORPUS / f"{name}.component.wasm").read_bytes() for name in (*PROGRAMS, "nested")}


@pytest.mark.parametrize("name", PROGRAMS)
def test_wit_component_output_has_app_adapter_and_shims(components, name):
    component = read_component(components[name])
    assert [m.role for m in component.modules] == [Role.APP, Role.ADAPTER, Role.SHIM, Role.SHIM]
    assert [m.name for m in component.modules] == [
        "main", "wit-component:adapter:wasi_snapshot_preview1", "wit-component-shim-module", "wit-component-fixup"]
    # the app module is the core module wasm-tools was given, byte for byte
    assert component.module_bytes(0) == (CORPUS / f"{name}.core.wasm").read_bytes()
    assert component.candidates == (component.modules[0],)
    assert component.replace(0, component.module_bytes(0)) == components[name]


def test_nested_component_modules_are_depth_first(components):
    component = read_component(components["nested"])
    assert [(m.index, m.depth, m.role, m.name) for m in component.modules] == [
        (0, 0, Role.APP, "outer"), (1, 1, Role.APP, "inner")]


def test_replacing_a_nested_module_rewrites_only_the_enclosing_sizes(components, independent_validator):
    original = components["nested"]
    component = read_component(original)
    inner = read_module(component.module_bytes(1))
    inner.customs = [c for c in inner.customs if c.name != "name"]   # a smaller, still valid module
    inner.names = None
    smaller = write_module(inner)
    assert len(smaller) < component.modules[1].size
    out = component.replace(1, smaller)
    again = read_component(out)
    assert again.module_bytes(1) == smaller
    assert again.module_bytes(0) == component.module_bytes(0)
    assert len(out) == len(original) - (component.modules[1].size - len(smaller))
    # wasm-tools reads the same modules out of the result
    done = subprocess.run([independent_validator.executable, "print", "-"], input=out, capture_output=True,
                          check=True)
    assert done.stdout.count(b"(core module") == 2 and b"(module $inner" not in done.stdout
    subprocess.run([independent_validator.executable, "validate", "-"], input=out, check=True)


def test_every_prefix_is_read_or_refused_with_a_location(components):
    for name, step in (("nested", 1), ("silent", 7)):
        data = components[name]
        for cut in range(0, len(data), step):
            try:
                read_component(data[:cut])
            except ComponentDecodeError as exc:
                assert 0 <= exc.offset <= cut and exc.section, (name, cut, exc)
                assert str(exc).startswith("malformed component: ")


def test_errors_inside_a_module_point_into_the_component(components):
    data = bytearray(components["nested"])
    start = read_component(bytes(data)).modules[1].start
    data[start + 8] = 0x55                       # the inner module's first section id
    with pytest.raises(DecodeError) as caught:
        read_component(bytes(data))
    assert caught.value.offset == start + 8
    assert caught.value.section == "core module 1: header"
    assert "invalid section id 85" in str(caught.value)


def test_is_component_tells_components_from_modules(components):
    assert is_component(components["hello"])
    assert not is_component((CORPUS / "hello.core.wasm").read_bytes())


def test_nesting_is_bounded_and_a_module_is_not_a_component():
    inner = b"\x00asm\x0d\x00\x01\x00"
    for _ in range(150):                          # each level: a component section holding the one below
        inner = b"\x00asm\x0d\x00\x01\x00" + b"\x04" + uleb(len(inner)) + inner
    with pytest.raises(ComponentDecodeError, match="nested more than 100 deep"):
        read_component(inner)
    with pytest.raises(ComponentDecodeError, match="the binary has version 01000000"):
        read_component((CORPUS / "hello.core.wasm").read_bytes())

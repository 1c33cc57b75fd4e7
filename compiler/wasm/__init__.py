"""The WebAssembly binary toolkit: opcode table, module model, reader, writer, WAT printer, index remapper.

The core surface re-exported here: the opcode table (``opcodes``), the model (``model``), ``read_module``
(``reader``), ``write_module`` (``writer``), the instruction codec (``code``), the errors and
``validate``.  Import submodules directly for anything else.
"""
from __future__ import annotations

from compiler.wasm.code import decode_all, decode_expr, decode_instrs, encode_body, encode_expr, encode_instrs
from compiler.wasm.errors import DecodeError, ValidationError, WasmError
from compiler.wasm.model import (
    EXTERNREF, FUNCREF, ArrayType, Catch, CustomSection, DataSegment, ElemSegment, Export, ExternKind, FieldType, FuncBody,
    FuncType, Global, GlobalType, Import, Instr, Limits, MemArg, Module, Names, RecGroup, RefType,
    StructType, SubType, Table, TableType, Tag,
)
from compiler.wasm.opcodes import BY_NAME, OPCODES, OpInfo
from compiler.wasm.reader import read_module
from compiler.wasm.validate import validate
from compiler.wasm.writer import write_module

__all__ = [
    "read_module", "write_module", "validate", "decode_all", "decode_instrs", "decode_expr", "encode_instrs", "encode_expr",
    "encode_body", "DecodeError", "ValidationError", "WasmError", "OPCODES", "BY_NAME", "OpInfo",
    "ArrayType", "Catch", "CustomSection", "DataSegment", "ElemSegment", "Export", "ExternKind", "FieldType",
    "FuncBody", "FuncType", "Global", "GlobalType", "Import", "Instr", "Limits", "MemArg", "Module", "Names",
    "RecGroup", "RefType", "StructType", "SubType", "Table", "TableType", "Tag", "FUNCREF", "EXTERNREF",
]

"""Turn a pycparser AST into the ABI-independent model.

The builder keeps C's namespaces (ordinary identifiers, tags), the
``#pragma pack`` stack as GCC keeps it, and GCC's reading of attributes.
It also keeps the declared type of every variable and function, so that
an expression naming one (``typeof(f)``, ``sizeof(table)``, the kernel's
``__same_type`` and ``ARRAY_SIZE`` in a static assert) has a type; its
value is never a constant (``model.ObjectRef``, ``model.Call``).
Anything that could change a layout and is not understood stops with a
``LayoutError`` naming file:line:column; nothing is guessed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Dict, List, Optional, Tuple

from pycparser import c_ast
from pycparser.c_parser import Coord

from .. import expr as E
from ..consteval import BIT_BUILTIN
from ..errors import LayoutError, where_of
from ..model import (
    MAX_ALIGN,
    VOID,
    Void,
    Aligned,
    AlignSpec,
    Array,
    Call,
    CType,
    Enum,
    Enumerator,
    Function,
    Member,
    ObjectRef,
    Pointer,
    Qualified,
    Record,
    Scalar,
    StaticAssert,
    TranslationUnit,
    Typedef,
    TypeofExpr,
    TypesCompatible,
    names_typeof,
    same_type,
    unqualified,
)
from ..typenames import type_name
from .parser import gc_paused

# Attributes that change layout and are modelled.
_MODELLED = {"aligned", "packed", "mode"}
# what GCC's pragma_lex makes of a '#pragma pack' line: names, preprocessing
# numbers, and any other character on its own
_PRAGMA_TOKEN = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*|\.?[0-9](?:[eEpP][+-]|[A-Za-z0-9_.])*|\S")
_PRAGMA_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
# punctuators (one character of one at a time): GCC reads them and goes on
_PRAGMA_PUNCT = frozenset("()[]{},;:.+-*/%<>=!&|^~?")
_PRAGMA_INT = re.compile(r"(0[xX][0-9A-Fa-f]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)"
                         r"(?:[uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?\Z")
_PRAGMA_FLOAT = re.compile(r"(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                           r"|[0-9]+[eE][+-]?[0-9]+"
                           r"|0[xX](?:[0-9A-Fa-f]+\.?[0-9A-Fa-f]*|\.[0-9A-Fa-f]+)[pP][+-]?[0-9]+)[fFlL]?\Z")
# Attributes that change layout and are not modelled: refuse them.
_REFUSED = {
    "vector_size": "vector types",
    "altivec": "AltiVec vector types",  # what PowerPC's 'vector int' becomes
    "scalar_storage_order": "reversed scalar storage orders",
    "ms_struct": "Microsoft struct layouts",
    "copy": "attributes copied from another declaration",
    "randomize_layout": "randomized struct layouts",
    "ext_vector_type": "vector types",
    "matrix_type": "matrix types",
}

_MODES = {
    "QI": "char", "byte": "char", "HI": "short", "SI": "int", "DI": "long long",
    "TI": "__int128", "word": "mode:word", "pointer": "mode:pointer",
    "unwind_word": "mode:word",
}

_BUILTIN_TYPEDEF_KINDS = {
    "__int128_t": ("__int128", True, "__int128"),
    "__uint128_t": ("__int128", False, "unsigned __int128"),
    "_Float128": ("_Float128", True, "_Float128"),
    "__float128": ("_Float128", True, "__float128"),
    "__ieee128": ("_Float128", True, "__ieee128"),
    "_Float32": ("float", True, "_Float32"),
    "_Float64": ("double", True, "_Float64"),
    # The ABI record lays it out (a pointer, a struct or an array of one).
    "__builtin_va_list": ("__builtin_va_list", None, "__builtin_va_list"),
}

# x86 named address spaces, kept as qualifiers: they never move a bit, but
# a pointer to one is a different type from a pointer to generic memory.
_ADDRESS_SPACES = ("__seg_gs", "__seg_fs")


# GCC builtins that fold to constants, and how many arguments they take
# (and consteval.BIT_BUILTIN: __builtin_clz and its family, one each).
_BUILTINS = {"__builtin_constant_p": 1, "__builtin_expect": 2, "__builtin_choose_expr": 3,
             "__builtin_bswap16": 1, "__builtin_bswap32": 1, "__builtin_bswap64": 1}


_ABSENT = object()  # a name not declared before a prototype declared it


def _err(msg: str, coord) -> LayoutError:
    return LayoutError(msg, where_of(coord))


def _aligned_to_two(t: CType) -> bool:
    """Is ``t`` aligned to 2 or more on every ABI, whatever its attributes?
    A plain integer wider than char and a floating type are; char, _Bool,
    an enum, a type with an alignment attribute may not be."""
    while isinstance(t, (Typedef, Qualified)):
        t = t.target if isinstance(t, Typedef) else t.base
    return isinstance(t, Scalar) and t.kind in ("short", "int", "long", "long long", "__int128",
                                                 "float", "double", "long double")


def _name_coord(node):
    """Where a declaration's name is (its own coord is the declarator's
    first token, the '*' of ``int *p``)."""
    t = node.type
    while isinstance(t, (c_ast.PtrDecl, c_ast.ArrayDecl, c_ast.FuncDecl)):
        t = t.type
    if isinstance(t, c_ast.TypeDecl) and t.coord is not None:
        return t.coord
    return node.coord


class Builder:
    """Build a TranslationUnit from one parsed text."""

    def __init__(self) -> None:
        self.tu = TranslationUnit()
        self.typedefs: Dict[str, CType] = {}
        self.tags: Dict[str, CType] = {}
        self.ordinary: Dict[str, object] = {}
        # The declared type of each variable and function, for typeof and
        # sizeof; a string when it is not modelled, saying why.
        self.objects: Dict[str, object] = {}
        # Names a prototype's parameter list declares, to undo after it:
        # (table, name, previous value or _ABSENT).
        self._prototype_journal: List[tuple] = []
        self._prototype_depth = 0
        self.pack: Optional[int] = None
        self.pack_stack: List[tuple] = []
        # Declarators sharing specifiers share one AST node for a struct
        # definition ("typedef struct s {...} S, *PS;"): build it once.
        self._defined: Dict[int, CType] = {}
        self._deferred = None
        self._position: Optional[int] = None
        self._completions = 0  # struct, union and enum definitions completed so far
        # (position in the parsed tokens, definitions completed before it) of
        # each external declaration built, in order: a deferred declaration
        # is built with the count where it stands
        self._marks: List[Tuple[int, int]] = []
        # the file names the coordinates of the external declaration being
        # built stand for in this text (old -> new), when it was parsed in
        # another text and shared (parser._Reuse), else None
        self._map: Optional[Dict[str, str]] = None

    def _c(self, coord):
        """``coord`` (of the declaration being built) as this text names
        it: every coordinate the builder keeps or reports passes here."""
        mapping = self._map
        if mapping is None or coord is None:
            return coord
        return Coord(mapping[coord.file], coord.line, coord.column)

    def _is_object(self, name: str) -> bool:
        """Is ``name`` a declared variable or function?  Its declarations
        that stand before the current one and were left unparsed are
        built first, in source order, at file scope."""
        if self._deferred is not None:
            nodes = self._deferred.take(name, self._position)
            if nodes:
                saved = (self._prototype_depth, self._prototype_journal, self._position, self._map,
                         self._completions)
                # (parsed here, from this text's own tokens)
                self._prototype_depth, self._prototype_journal, self._map = 0, [], None
                try:
                    for position, node in nodes:
                        # built as where it stands: what it reads is complete
                        # only if defined before it (a deferred declaration
                        # defines no struct, union or enum of its own)
                        self._completions = self._completions_at(position)
                        self._external(node)
                        if self._completions != self._completions_at(position):
                            raise _err("a declaration read on demand completed a type",  # pragma: no cover
                                       self._c(getattr(node, "coord", None)))
                finally:
                    (self._prototype_depth, self._prototype_journal, self._position, self._map,
                     self._completions) = saved
        return name in self.objects

    def _completions_at(self, position: int) -> int:
        """The definitions completed before the parsed tokens' ``position``:
        those before the first declaration built at or after it."""
        marks = self._marks
        i = bisect_left(marks, (position, -1))
        return marks[i][1] if i < len(marks) else self._completions

    # ----------------------------------------------------------- top level
    def build(self, ast: c_ast.FileAST) -> TranslationUnit:
        # Declarations of functions and variables that ``scan`` left
        # unparsed: brought in when an expression names what they declare.
        self._deferred = getattr(ast, "deferred", None)
        positions = getattr(ast, "ext_positions", None)
        maps = getattr(ast, "ext_maps", None)
        marks = self._marks
        with gc_paused():
            for i, node in enumerate(ast.ext):
                self._position = positions[i] if positions else None
                if self._position is not None and (not marks or marks[-1][0] < self._position):
                    marks.append((self._position, self._completions))
                self._map = maps[i] if maps else None
                self._external(node)
            self._map = None
        self.tu.typedefs = {k: v for k, v in self.typedefs.items() if isinstance(v, Typedef)}
        self.tu.tags = dict(self.tags)
        return self.tu

    def _external(self, node) -> None:
        if isinstance(node, c_ast.Pragma):
            self._pragma(node)
        elif isinstance(node, c_ast.StaticAssert):
            self._static_assert(node)
        elif isinstance(node, c_ast.Typedef):
            self._typedef(node)
        elif isinstance(node, c_ast.Decl):
            self._object_decl(node)
        elif isinstance(node, c_ast.FuncDef):
            self._object_decl(node.decl)
        else:
            raise _err(f"unsupported top-level construct {type(node).__name__}", self._c(node.coord))

    def _static_assert(self, node: c_ast.StaticAssert) -> None:
        message = node.message.value if node.message is not None else None
        self.tu.static_asserts.append(StaticAssert(self.expr(node.cond), message, self._c(node.coord)))

    def _object_decl(self, node: c_ast.Decl) -> None:
        """A variable or function: the types it defines, and its own type
        for expressions that name it (``typeof(f)``, ``sizeof(x)``)."""
        ctype: object = self.decl_type(node.type)
        if node.name:
            # Objects may be declared again; a typedef or enumerator of
            # that name may not.
            self._check_redeclaration(node.name, "object", self._c(_name_coord(node)))
            self.ordinary[node.name] = "object"
            if getattr(node, "init", None) is not None:
                ctype = self._completed_by(ctype, node.init)
            previous = self.objects.get(node.name)
            self.objects[node.name] = ctype if previous is None else _composite(previous, ctype)

    def _completed_by(self, ctype: CType, init) -> object:
        """The type of a variable whose array size its initializer gives
        (``int a[] = {1, 2}``): counted for a plain list and a string,
        else a string saying it is not modelled."""
        core = ctype
        while isinstance(core, (Typedef, Qualified)):
            core = core.target if isinstance(core, Typedef) else core.base
        if not (isinstance(core, Array) and core.dim is None):
            return ctype
        unknown = "the size its initializer gives it is not modelled"
        elem = unqualified(core.elem)
        if isinstance(init, c_ast.InitList):
            items = init.exprs
            if any(isinstance(e, c_ast.NamedInitializer) for e in items):
                return unknown  # designators: [5] = x
            if isinstance(elem, (Array, Record)) and not all(
                    isinstance(e, c_ast.InitList) or _is_char_array(elem) and _is_string(e)
                    for e in items):
                return unknown  # braces elided: {1, 2, 3, 4} for int[][2]
            count = len(items)
        elif _is_string(init) and isinstance(elem, Scalar) and elem.kind == "char":
            try:
                count = len(_string(init, self._c(init.coord)).data) + 1
            except LayoutError:
                return unknown  # a wide string
        else:
            return unknown
        return Array(core.elem, E.IntLit(count, False, 0, True, self._c(init.coord)), core.coord)

    def _declare(self, table: dict, name: str, value) -> None:
        """table[name] = value, undone at the end of a prototype."""
        if self._prototype_depth:
            self._prototype_journal.append((table, name, table.get(name, _ABSENT)))
        table[name] = value

    def _check_redeclaration(self, name: str, kind: str, coord) -> None:
        """GCC's file-scope rules for an ordinary identifier declared as
        ``kind`` ("object", "typedef" or "enumerator") when ``name`` is
        already declared: an enumerator is never declared twice, and no
        name is both a typedef and something else."""
        if kind != "object" and name not in self.ordinary and name not in self.typedefs:
            self._is_object(name)  # an unread declaration before this one
        previous = self.ordinary.get(name)
        if previous is None and name in self.typedefs:
            previous = self.typedefs[name]
        if previous is None:
            return
        if isinstance(previous, Enumerator):
            if kind == "enumerator":
                raise _err(f"redeclaration of enumerator '{name}' "
                           f"(previous declaration at {where_of(previous.coord)})", coord)
            same_kind = False
        elif isinstance(previous, Typedef):
            same_kind = kind == "typedef"  # _typedef compares the types
        else:
            same_kind = kind == "object"
        if not same_kind:
            raise _err(f"'{name}' redeclared as different kind of symbol", coord)

    def _typedef(self, node: c_ast.Typedef) -> None:
        target = self.decl_type(node.type)
        target = self._with_quals(target, node.quals)
        # GCC: "'packed' attribute ignored" on a typedef
        target = self._mode_and_alignment(target, node, packed_refused=False)
        coord = self._c(_name_coord(node))
        self._check_redeclaration(node.name, "typedef", coord)
        previous = self.typedefs.get(node.name)
        if previous is not None:
            # C11 allows a typedef to be defined again as the same type.
            if same_type(previous.target, target):
                return
            where = where_of(previous.coord)
            if same_type(previous.target, target, alignment=False):
                # GCC merges the two and keeps the larger alignment.
                raise _err(f"redefinition of typedef '{node.name}' with a different "
                           f"alignment (previous definition at {where}) is not supported",
                           coord)
            # same_type is "certainly the same"; the rare redefinition it
            # cannot judge (a mode attribute, array sizes spelled apart
            # beyond literal arithmetic) is refused with the conflicts.
            raise _err(f"conflicting types for typedef '{node.name}' "
                       f"(previous definition at {where})", coord)
        self.typedefs[node.name] = Typedef(node.name, target, coord)

    def _pragma(self, node: c_ast.Pragma) -> None:
        text = node.string
        if isinstance(text, c_ast.Constant):  # _Pragma("..."): its string, destringized
            literal = text.value
            if literal[:literal.index('"')] not in ("", "L"):
                return  # u8"", u"", U"": GCC 12 destringizes no pragma from them (it warns)
            text = literal[literal.index('"') + 1:-1].replace('\\"', '"').replace("\\\\", "\\")
        text = text.strip() if isinstance(text, str) else ""
        m = re.match(r"(GCC\s+)?(\w+)\s*(.*)$", text, re.S)
        if not m:
            return
        gcc, name, rest = m.group(1), m.group(2), m.group(3).strip()
        if name == "scalar_storage_order":
            raise _err("#pragma scalar_storage_order is not supported", self._c(node.coord))
        if name != "pack" or gcc:  # GCC knows no '#pragma GCC pack': it warns, and ignores it
            return
        self._pack_pragma(rest, self._c(node.coord))

    def _pack_pragma(self, rest: str, coord) -> None:
        """``#pragma pack`` with ``rest`` after its name, as GCC 12 reads it
        (handle_pragma_pack, push_alignment and pop_alignment in c-pragma.cc):
        a malformed one, an unknown action, a value that is no integer
        constant or no small power of two (0 resets) is warned about and
        ignored, whole; tokens after the ')' are warned about, and the
        pragma applies.  GCC reads every token of the line, also after it
        has decided to ignore the pragma, and stops at one it cannot read (a
        number such as '08', a stray '@'): a token layoutcheck cannot read
        as GCC does (those, a quote, a name that is not plain ASCII) is
        refused wherever it is on the line."""
        toks = _PRAGMA_TOKEN.findall(rest)

        def is_number(tok) -> bool:  # a preprocessing number ('.' alone is a punctuator)
            return tok is not None and (tok[0].isdigit() or (tok[0] == "." and len(tok) > 1))

        for tok in toks:
            if _PRAGMA_NAME.match(tok) or tok in _PRAGMA_PUNCT:
                continue
            if is_number(tok):
                if _PRAGMA_INT.match(tok) or _PRAGMA_FLOAT.match(tok):
                    continue
                raise _err(f"#pragma pack: bad value {tok!r}", coord)
            if tok == "\\" or not tok.isascii():  # a universal character name, or UTF-8
                raise _err("#pragma pack: a name that is not plain ASCII is not supported", coord)
            raise _err(f"#pragma pack: {tok!r} is not supported there", coord)
        pos = 0

        def lex():
            nonlocal pos
            pos += 1
            return toks[pos - 1] if pos <= len(toks) else None

        def number(tok):
            """The int GCC keeps of an integer constant (TREE_INT_CST_LOW
            into an int), None for a floating one (ignored; every number
            was found to be one or the other above)."""
            m = _PRAGMA_INT.match(tok)
            if m is None:
                return None
            value, _decimal = _int_digits(m.group(1))
            if value >= 1 << 64:
                raise _err(f"#pragma pack: value {tok} is too large", coord)
            value &= (1 << 32) - 1  # GCC keeps the low 32 bits
            return value - (1 << 32) if value >= 1 << 31 else value

        if lex() != "(":
            return  # missing '(' after '#pragma pack' - ignored
        tok = lex()
        ident = None
        align = -1
        if tok == ")":
            action, align = "set", 0
        elif is_number(tok):
            value = number(tok)
            if value is None or lex() != ")":
                return  # invalid constant / malformed - ignored
            action, align = "set", value
        elif tok is not None and _PRAGMA_NAME.match(tok):
            if tok not in ("push", "pop"):
                return  # unknown action - ignored
            action = tok
            tok = lex()
            while tok == ",":
                tok = lex()
                if tok is not None and _PRAGMA_NAME.match(tok) and ident is None:
                    ident = tok
                elif is_number(tok) and action == "push" and align == -1:
                    value = number(tok)
                    if value is None:
                        return  # invalid constant - ignored
                    align = value
                    if align == -1:
                        action = "set"
                else:
                    return  # malformed '#pragma pack(push|pop ...)' - ignored
                tok = lex()
            if tok != ")":
                return  # malformed - ignored
        else:
            return  # malformed - ignored
        # (tokens after the ')': 'junk at end of #pragma pack', applied)
        if action != "pop":
            if align in (0, 1, 2, 4, 8, 16):
                new = align or None
            elif align == -1 and action == "push":
                new = self.pack
            else:
                return  # alignment must be a small power of two - ignored
        if action == "set":
            self.pack = new
        elif action == "push":
            self.pack_stack.append((ident, self.pack))
            self.pack = new
        else:
            if not self.pack_stack:
                return  # pop without a matching push - ignored
            if ident is not None:
                for at in range(len(self.pack_stack) - 1, -1, -1):
                    if self.pack_stack[at][0] == ident:
                        del self.pack_stack[at + 1:]
                        break
                # (not found: GCC warns, and pops the top one)
            _, self.pack = self.pack_stack.pop()

    # ---------------------------------------------------------- attributes
    def _gnu(self, attrs) -> list:
        out = []
        for a in attrs or ():
            if isinstance(a, c_ast.Attribute):
                if a.namespace != "gnu":
                    raise _err("C23 attributes are not supported", self._c(a.coord))
                if a.name in _REFUSED:
                    raise _err(
                        f"__attribute__(({a.name})): {_REFUSED[a.name]} are not supported",
                        self._c(a.coord),
                    )
                out.append(a)
            else:
                raise _err("C23 attributes are not supported", self._c(getattr(a, "coord", None)))
        return out

    def _align_arg(self, attr) -> AlignSpec:
        if attr.arguments is None or attr.arguments == []:
            return AlignSpec(MAX_ALIGN, self._c(attr.coord))
        if len(attr.arguments) != 1:
            raise _err("aligned takes one argument", self._c(attr.coord))
        return AlignSpec(self.expr(attr.arguments[0]), self._c(attr.coord))

    def _apply_mode(self, ctype: CType, attr) -> CType:
        args = attr.arguments or []
        if len(args) != 1 or not isinstance(args[0], str):
            raise _err("mode takes one machine mode", self._c(attr.coord))
        mode = args[0]
        kind = _MODES.get(mode)
        if kind is None:
            raise _err(f"__attribute__((mode({mode}))) is not supported", self._c(attr.coord))
        base = ctype.strip_typedefs()
        if isinstance(base, Qualified):
            base = base.strip_typedefs()
        if not (isinstance(base, Scalar) and base.is_integer) and not isinstance(base, Enum):
            raise _err(f"mode({mode}) on a type that is not an integer", self._c(attr.coord))
        enum = base if isinstance(base, Enum) else base.signed_as
        if enum is not None:
            # GCC makes an integer of the mode as signed as the enum
            # (handle_mode_attribute): its values say which, on each ABI
            if not enum.complete:
                raise _err(f"mode({mode}) on enum '{enum.tag or '<anonymous>'}' before its "
                           f"definition is not supported", self._c(attr.coord))
            return Scalar(kind, None, f"enum {enum.tag or '<anonymous>'} __attribute__((mode({mode})))",
                          from_mode=True, signed_as=enum)
        signed = base.signed
        spelling = {"char": "char", "short": "short", "int": "int", "long long": "long long",
                    "__int128": "__int128"}.get(kind, f"__attribute__((mode({mode}))) int")
        if not signed:
            spelling = "unsigned " + spelling
        elif kind == "char":
            spelling = "signed char"
        return Scalar(kind, signed, spelling, from_mode=True)

    # ---------------------------------------------------------------- types
    def decl_type(self, node) -> CType:
        """Convert a declarator chain (TypeDecl/PtrDecl/ArrayDecl/...)."""
        if isinstance(node, c_ast.TypeDecl):
            base = self.specifier_type(node.type)
            return self._with_quals(base, node.quals)
        if isinstance(node, c_ast.PtrDecl):
            target = self.decl_type(node.type)
            ptr: CType = Pointer(target)
            ptr = self._with_quals(ptr, node.quals)
            aligned = None
            for attr in self._gnu(node.attributes):
                if attr.name == "aligned":
                    aligned = self._align_arg(attr)
                elif attr.name == "mode":
                    raise _err("mode on a pointer type is not supported", self._c(attr.coord))
            if aligned is not None:
                ptr = Aligned(ptr, aligned, self._c(node.coord))
            return ptr
        if isinstance(node, c_ast.ArrayDecl):
            elem = self.decl_type(node.type)
            self._check_element(elem, self._c(node.coord))
            dim = self.expr(node.dim) if node.dim is not None else None
            if node.dim_quals and "static" in node.dim_quals:
                pass
            return Array(elem, dim, self._c(node.coord),
                         self._completions if names_typeof(elem) else None)
        if isinstance(node, c_ast.FuncDecl):
            return self._function(node)
        if isinstance(node, c_ast.Typename):
            t = self.decl_type(node.type)
            t = self._with_quals(t, node.quals)
            return self._type_name_attrs(t, node)
        if isinstance(node, (c_ast.Struct, c_ast.Union, c_ast.Enum, c_ast.IdentifierType)):
            return self.specifier_type(node)
        raise _err(f"unsupported declarator {type(node).__name__}", self._c(getattr(node, "coord", None)))

    def _type_name_attrs(self, t: CType, node: c_ast.Typename) -> CType:
        """Attributes in a type name's specifiers (``sizeof(int
        __attribute__((aligned(8))))``) apply to the type named, as a
        typedef's do: a mode first, then the last alignment."""
        return self._mode_and_alignment(t, node, packed_refused=True)

    def _mode_and_alignment(self, t: CType, node, packed_refused: bool) -> CType:
        """``t`` with the ``mode`` and the last ``aligned`` among the
        attributes of a typedef or a type name (``packed`` is ignored on a
        typedef, as GCC does, and refused in a type name)."""
        aligned = None
        earlier: List[AlignSpec] = []
        mode = None
        for attr in self._gnu(node.attributes):
            if attr.name == "aligned":
                if aligned is not None:
                    earlier.append(aligned)
                aligned = self._align_arg(attr)
            elif attr.name == "mode":
                mode = attr
            elif attr.name == "packed" and packed_refused:
                raise _err("__attribute__((packed)) in a type name is not supported", self._c(attr.coord))
        if mode is not None:
            t = self._apply_mode(t, mode)
        if aligned is not None:
            core = unqualified(t)
            t = Aligned(t, aligned, self._c(node.coord),
                        before_completion=isinstance(core, (Record, Enum)) and not core.complete,
                        earlier=tuple(earlier))
        return t

    @staticmethod
    def _check_element(elem: CType, coord) -> None:
        """What GCC refuses as an array's element where the declarator
        stands (grokdeclarator): void, a function, a struct, union or enum
        not complete at that point (defined later or never), in any
        array, behind a pointer or in a typedef too."""
        core = unqualified(elem)
        if isinstance(core, Void):
            raise _err("declaration of an array of voids", coord)
        if isinstance(core, Function):
            raise _err("declaration of an array of functions", coord)
        if isinstance(core, (Record, Enum)) and not core.complete:
            what = core.kind if isinstance(core, Record) else "enum"
            raise _err(f"array type has incomplete element type '{what} {core.tag or '<anonymous>'}'",
                       coord)

    def _function(self, node: c_ast.FuncDecl) -> Function:
        ret = self.decl_type(node.type)
        returned = unqualified(ret)
        if isinstance(returned, (Array, Function)):
            raise _err(f"function returning {'an array' if isinstance(returned, Array) else 'a function'}",
                       self._c(node.coord))
        if node.args is None:
            return Function(ret)
        # Enumerators declared in a parameter list have prototype scope:
        # they are gone after it (GCC warns that they are not visible), and
        # so are the parameters, which a later one may name (int a[n]).
        # What the list declares is undone from the journal afterwards.
        mark = len(self._prototype_journal)
        self._prototype_depth += 1
        params: Optional[List[CType]] = []
        variadic = False
        try:
            for param in node.args.params:
                if isinstance(param, c_ast.EllipsisParam):
                    variadic = True
                elif isinstance(param, (c_ast.Decl, c_ast.Typename)):
                    params.append(self.decl_type(param.type))
                    if param.name:
                        self._declare(self.objects, param.name, params[-1])
                else:
                    params = None  # an identifier list: GCC reads f(a, b) as f()
                    break
        finally:
            self._prototype_depth -= 1
            while len(self._prototype_journal) > mark:
                table, name, previous = self._prototype_journal.pop()
                if previous is _ABSENT:
                    del table[name]
                else:
                    table[name] = previous
        if params is None:
            return Function(ret)
        if len(params) == 1 and not variadic and unqualified(params[0]) is VOID:
            params = []  # f(void)
        return Function(ret, params, variadic)

    @staticmethod
    def _with_quals(t: CType, quals) -> CType:
        quals = tuple(q for q in (quals or ())
                      if q in ("const", "volatile", "restrict", "_Atomic") + _ADDRESS_SPACES)
        if not quals:
            return t
        if isinstance(t, Qualified):
            return Qualified(t.base, tuple(dict.fromkeys(t.quals + quals)))
        return Qualified(t, quals)

    def specifier_type(self, node) -> CType:
        if isinstance(node, c_ast.IdentifierType):
            return self._identifier_type(node)
        if isinstance(node, (c_ast.Struct, c_ast.Union)):
            return self._record(node)
        if isinstance(node, c_ast.Enum):
            return self._enum(node)
        if isinstance(node, c_ast.TypeOf):
            if isinstance(node.expr, c_ast.Typename):
                return self.decl_type(node.expr)
            return TypeofExpr(self.expr(node.expr), self._c(node.coord))
        if isinstance(node, (c_ast.TypeDecl, c_ast.PtrDecl, c_ast.ArrayDecl, c_ast.Typename)):
            return self.decl_type(node)
        raise _err(f"unsupported type {type(node).__name__}", self._c(getattr(node, "coord", None)))

    def _identifier_type(self, node: c_ast.IdentifierType) -> CType:
        names = list(node.names)
        if len(names) == 1 and names[0] in self.typedefs:
            return self.typedefs[names[0]]
        if len(names) == 1 and names[0] in _BUILTIN_TYPEDEF_KINDS:
            kind, signed, spelling = _BUILTIN_TYPEDEF_KINDS[names[0]]
            return Scalar(kind, signed, spelling)
        words = {}
        for n in names:
            words[n] = words.get(n, 0) + 1
        if any(n not in ("void", "char", "short", "int", "long", "signed", "unsigned",
                         "float", "double", "_Bool", "_Complex", "__int128") for n in words):
            raise _err(f"unknown type name '{' '.join(names)}'", self._c(node.coord))
        if "void" in words:
            return VOID
        unsigned = "unsigned" in words
        signed_kw = "signed" in words
        longs = words.get("long", 0)
        complex_ = "_Complex" in words
        if "_Bool" in words:
            return Scalar("_Bool", False, "_Bool")
        if "float" in words or "double" in words:
            if "float" in words:
                kind = "float"
            elif longs:
                kind = "long double"
            else:
                kind = "double"
            if complex_:
                return Scalar("_Complex " + kind, True, "_Complex " + kind)
            return Scalar(kind, True, kind)
        if complex_:
            raise _err("complex integer types are not supported", self._c(node.coord))
        if "__int128" in words:
            return Scalar("__int128", not unsigned, "unsigned __int128" if unsigned else "__int128")
        if "char" in words:
            if unsigned:
                return Scalar("char", False, "unsigned char")
            if signed_kw:
                return Scalar("char", True, "signed char")
            return Scalar("char", None, "char")  # signedness is the ABI's
        if "short" in words:
            kind = "short"
        elif longs == 1:
            kind = "long"
        elif longs >= 2:
            kind = "long long"
        else:
            kind = "int"
        spelling = ("unsigned " if unsigned else "") + kind
        return Scalar(kind, not unsigned, spelling)

    # ------------------------------------------------------------- records
    def _tag_key(self, kind: str, name: str) -> str:
        return f"{kind} {name}"

    def _record(self, node) -> Record:
        done = self._defined.get(id(node))
        if done is not None:
            return done
        kind = "struct" if isinstance(node, c_ast.Struct) else "union"
        name = node.name
        if node.decls is None:
            key = self._tag_key(kind, name)
            found = self.tags.get(key)
            if found is None:
                other = "union" if kind == "struct" else "struct"
                if self._tag_key(other, name) in self.tags or self._tag_key("enum", name) in self.tags:
                    raise _err(f"'{name}' defined as wrong kind of tag", self._c(node.coord))
                found = Record(kind, name, self._c(node.coord))
                self.tags[key] = found
            return found
        if name is not None:
            key = self._tag_key(kind, name)
            rec = self.tags.get(key)
            if rec is None:
                rec = Record(kind, name, self._c(node.coord))
                self.tags[key] = rec
            elif rec.complete:
                raise _err(f"redefinition of '{kind} {name}'", self._c(node.coord))
            else:
                rec.coord = self._c(node.coord)  # where it is defined, not first named
        else:
            rec = Record(kind, None, self._c(node.coord))
        members: List[Member] = []
        for decl in node.decls:
            if isinstance(decl, c_ast.Pragma):
                self._pragma(decl)
            elif isinstance(decl, c_ast.StaticAssert):
                self._static_assert(decl)
            elif isinstance(decl, c_ast.Decl):
                member = self._member(decl)
                if member is not None:
                    members.append(member)
            else:
                raise _err(f"unsupported member {type(decl).__name__}", self._c(decl.coord))
        for attr in self._gnu(node.attributes):
            if attr.name == "packed":
                rec.packed = True
            elif attr.name == "aligned":
                rec.aligns.append(self._align_arg(attr))
            elif attr.name == "mode":
                raise _err("mode on a struct or union type", self._c(attr.coord))
        _check_member_names(members, set())
        rec.pack = self.pack
        rec.members = members
        self._completions += 1
        rec.defined_at = self._completions
        self.tu.records.append(rec)
        self._defined[id(node)] = rec
        return rec

    def _member(self, decl: c_ast.Decl) -> Optional[Member]:
        if decl.storage:
            raise _err(f"storage class '{decl.storage[0]}' on a member", self._c(decl.coord))
        dtype = decl.type
        if decl.name is None and decl.bitsize is None:
            # No declarator: an anonymous struct/union member, or a tag
            # declaration that declares no member at all.
            inner = dtype.type if isinstance(dtype, c_ast.TypeDecl) else dtype
            ctype = self.decl_type(dtype)
            if isinstance(inner, (c_ast.Struct, c_ast.Union)) and inner.name is None and inner.decls is not None:
                member = Member(None, ctype, self._c(decl.coord))
                # GCC drops the specifiers' __attribute__ of a member with
                # no declarator (grokfield is given none); _Alignas stays,
                # and those after the '}' are the type's
                self._member_attrs(member, decl, gnu=False)
                return member
            # "declaration does not declare anything": GCC warns and drops
            # it ('int;', or a typedef of a struct, which -fms-extensions
            # would make an anonymous member: refused in kernel.py)
            return None
        ctype = self.decl_type(dtype)
        space = _address_space(ctype)
        if space is not None:
            raise _err(f"'{space}' specified for structure field '{decl.name}'",
                       self._c(_name_coord(decl)))
        refused, typeof = _member_type(ctype, decl.name)
        if refused is not None:
            raise _err(refused, self._c(_name_coord(decl) if decl.name else decl.coord))
        member = Member(decl.name, ctype, self._c(decl.coord),
                        seen=self._completions if typeof else None)
        if decl.bitsize is not None:
            member.bitwidth = self.expr(decl.bitsize)
        self._member_attrs(member, decl)
        return member

    def _member_attrs(self, member: Member, decl: c_ast.Decl, gnu: bool = True) -> None:
        for alignas in decl.align or ():
            if member.bitwidth is not None:
                raise _err(f"alignment specified for bit-field '{member.name or '<anonymous>'}'",
                           self._c(alignas.coord))
            arg = alignas.alignment
            if isinstance(arg, c_ast.Typename):
                value = E.AlignofType(self.decl_type(arg), False, self._c(alignas.coord), self._completions)
            else:
                value = self.expr(arg)
            member.aligns.append(AlignSpec(value, self._c(alignas.coord), alignas=True))
        attrs = self._gnu(decl.attributes) if gnu else []
        names = {a.name for a in attrs}
        if {"packed", "mode"} <= names and member.bitwidth is None \
                and not _aligned_to_two(member.type):
            # GCC ignores 'packed' on a field whose type is 1-aligned when
            # it meets it, and a mode met after it widens the type (char b
            # __attribute__((packed, mode(SI))) is an aligned int): which
            # came first is not kept here
            mode = next(a for a in attrs if a.name == "mode")
            raise _err("'packed' with 'mode' on a member of a 1-byte-aligned type is not "
                       "supported", self._c(mode.coord))
        for attr in attrs:
            if attr.name == "aligned":
                member.aligns.append(self._align_arg(attr))
            elif attr.name == "packed":
                member.packed = True
            elif attr.name == "mode":
                member.type = self._apply_mode(member.type, attr)

    # --------------------------------------------------------------- enums
    def _enum(self, node: c_ast.Enum) -> Enum:
        done = self._defined.get(id(node))
        if done is not None:
            return done
        name = node.name
        if node.values is None:
            key = self._tag_key("enum", name)
            found = self.tags.get(key)
            if found is None:
                found = Enum(name, self._c(node.coord))
                self.tags[key] = found
            return found
        if name is not None:
            key = self._tag_key("enum", name)
            enum = self.tags.get(key)
            if enum is None:
                enum = Enum(name, self._c(node.coord))
                self.tags[key] = enum
            elif enum.complete:
                raise _err(f"redefinition of 'enum {name}'", self._c(node.coord))
        else:
            enum = Enum(None, self._c(node.coord))
        enumerators: List[Enumerator] = []
        for item in node.values.enumerators:
            if isinstance(item, c_ast.Pragma):
                self._pragma(item)
                continue
            value = self.expr(item.value) if item.value is not None else None
            self._check_redeclaration(item.name, "enumerator", self._c(item.coord))
            e = Enumerator(item.name, value, enum, len(enumerators), self._c(item.coord))
            enumerators.append(e)
            self._declare(self.ordinary, item.name, e)
            self.tu.enumerators[item.name] = e
        enum.enumerators = enumerators
        self._completions += 1
        enum.defined_at = self._completions
        for attr in self._gnu(node.attributes):
            if attr.name == "packed":
                enum.packed = True
            elif attr.name == "aligned":
                enum.aligns.append(self._align_arg(attr))
            elif attr.name == "mode":
                args = attr.arguments or []
                if len(args) != 1 or not isinstance(args[0], str):
                    raise _err("mode takes one machine mode", self._c(attr.coord))
                if args[0] not in _MODES:
                    raise _err(f"__attribute__((mode({args[0]}))) is not supported", self._c(attr.coord))
                enum.mode = _MODES[args[0]]
        self.tu.enums.append(enum)
        self._defined[id(node)] = enum
        return enum

    # --------------------------------------------------------- expressions
    def expr(self, node) -> E.Expr:
        coord = self._c(getattr(node, "coord", None))
        if isinstance(node, c_ast.Constant):
            return _constant(node, coord)
        if isinstance(node, c_ast.ID):
            found = self.ordinary.get(node.name)
            if isinstance(found, Enumerator):
                return E.EnumConst(found, coord)
            if node.name in ("__FUNCTION__", "__func__", "__PRETTY_FUNCTION__"):
                raise _err(f"'{node.name}' is not a constant", coord)
            if self._is_object(node.name):
                ctype = self.objects[node.name]
                if isinstance(ctype, str):
                    return ObjectRef(node.name, None, coord, f"the type of '{node.name}': {ctype}")
                return ObjectRef(node.name, ctype, coord, seen=self._completions)
            raise _err(f"'{node.name}' is not an integer constant here: it is undeclared", coord)
        if isinstance(node, c_ast.UnaryOp):
            op = node.op
            if op == "sizeof":
                if isinstance(node.expr, c_ast.Typename):
                    return E.SizeofType(self.decl_type(node.expr), coord, self._completions)
                return E.SizeofExpr(self.expr(node.expr), coord, self._completions)
            if op in ("_Alignof", "__alignof__"):
                return E.AlignofType(self.decl_type(node.expr), op == "__alignof__", coord,
                                     self._completions)
            if op in ("_Alignofexpr", "__alignof__expr"):
                return E.AlignofExpr(self.expr(node.expr), op == "__alignof__expr", coord, self._completions)
            if op in ("-", "+", "~", "!", "&", "*"):
                return E.Unary(op, self.expr(node.expr), coord)
            raise _err(f"operator '{op}' in a constant expression", coord)
        if isinstance(node, c_ast.BinaryOp):
            return E.Binary(node.op, self.expr(node.left), self.expr(node.right), coord, self._completions)
        if isinstance(node, c_ast.TernaryOp):
            return E.Cond(self.expr(node.cond), self.expr(node.iftrue), self.expr(node.iffalse), coord)
        if isinstance(node, c_ast.Cast):
            return E.Cast(self.decl_type(node.to_type), self.expr(node.expr), coord)
        if isinstance(node, c_ast.ExprList):
            items = [self.expr(e) for e in node.exprs]
            out = items[0]
            for item in items[1:]:
                out = E.Binary(",", out, item, coord)
            return out
        if isinstance(node, c_ast.StructRef):
            return E.MemberRef(self.expr(node.name), node.field.name, node.type == "->", coord,
                               self._completions)
        if isinstance(node, c_ast.ArrayRef):
            return E.Index(self.expr(node.name), self.expr(node.subscript), coord, self._completions)
        if isinstance(node, c_ast.FuncCall):
            return self._call(node)
        raise _err(f"unsupported expression ({type(node).__name__})", coord)

    def _call(self, node: c_ast.FuncCall) -> E.Expr:
        coord = self._c(node.coord)
        fname = node.name.name if isinstance(node.name, c_ast.ID) else None
        args = node.args.exprs if node.args is not None else []
        if fname == "offsetof":
            typ = self.decl_type(args[0])
            steps = []
            self._designator(args[1], steps)
            return E.Offsetof(typ, steps, coord, self._completions)
        if fname == "__builtin_types_compatible_p":
            return TypesCompatible(self.decl_type(args[0]), self.decl_type(args[1]), coord)
        if fname in _BUILTINS or BIT_BUILTIN.match(fname or ""):
            wanted = _BUILTINS.get(fname, 1)
            if len(args) != wanted:
                raise _err(f"{fname} takes {wanted} argument{'s' if wanted > 1 else ''}", coord)
            return E.Builtin(fname, [self.expr(a) for a in args], coord)
        if fname is not None and self._is_object(fname):
            # A call is never a constant, but its type counts where it
            # stands in an arm GCC folds away.
            function = self.expr(node.name)
            callee = unqualified(function.type) if function.type is not None else None
            if isinstance(callee, Pointer):  # a call through a pointer: 'fp()'
                callee = unqualified(callee.target)
            if function.type is not None and not isinstance(callee, (Function, TypeofExpr)):
                raise _err(f"called object '{fname}' is not a function", coord)
            return Call(function, [self.expr(a) for a in args], coord)
        if fname is None:
            # a call through an expression ('(*fp)()'): its type is the
            # callee's return type, found where the call is typed
            return Call(self.expr(node.name), [self.expr(a) for a in args], coord)
        if fname.startswith("__builtin_"):
            raise _err(f"'{fname}' in a constant expression is not supported", coord)
        raise _err(f"call to '{fname}' in a constant expression", coord)

    def _designator(self, node, steps: list) -> None:
        if isinstance(node, c_ast.ID):
            steps.append(("member", node.name))
        elif isinstance(node, c_ast.StructRef):
            self._designator(node.name, steps)
            steps.append(("member", node.field.name))
        elif isinstance(node, c_ast.ArrayRef):
            self._designator(node.name, steps)
            steps.append(("index", self.expr(node.subscript)))
        else:
            raise _err("unsupported offsetof designator", self._c(getattr(node, "coord", None)))


def _member_type(ctype: CType, name: Optional[str]) -> Tuple[Optional[str], bool]:
    """(why GCC refuses a member of type ``ctype`` where it is declared,
    or None; whether the type names a typeof, through typedefs and array
    elements, whose type only the engine can judge: ``Member.seen``).

    GCC (grokfield) refuses void, a function, and a struct, union or enum
    not complete at that point: one completed later is still incomplete
    here, and so is the struct being defined; laid out at the end of the
    unit it would have a size, where GCC has none to give."""
    core = ctype
    while True:  # (unqualified and names_typeof in one walk: every member passes here)
        cls = core.__class__
        if cls is Typedef:
            core = core.target
        elif cls is Qualified or cls is Aligned:
            core = core.base
        else:
            break
    if cls is Scalar or cls is Pointer:
        return None, False
    what = name or "<anonymous>"
    if cls is Void:
        return f"member '{what}' has void type", False
    if cls is Function:
        return f"member '{what}' has function type", False
    if (cls is Record or cls is Enum) and not core.complete:
        return f"member '{what}' has incomplete type '{type_name(ctype)}'", False
    return None, (cls is Array and names_typeof(core)) or cls is TypeofExpr


def _is_string(node) -> bool:
    return isinstance(node, c_ast.Constant) and node.type == "string"


def _is_char_array(t: CType) -> bool:
    return isinstance(t, Array) and isinstance(unqualified(t.elem), Scalar) \
        and unqualified(t.elem).kind == "char"


def _composite(previous: object, new: object) -> object:
    """The type of a variable or function declared again (C11 6.2.7):
    the same type, or an array whose size one declaration gives; any other
    composite is not modelled (a string says so)."""
    if isinstance(previous, str) or isinstance(new, str):
        return previous if isinstance(previous, str) else new
    assert isinstance(previous, CType) and isinstance(new, CType)
    if same_type(previous, new):
        return previous
    if isinstance(previous, Array) and isinstance(new, Array) \
            and same_type(previous.elem, new.elem) and None in (previous.dim, new.dim):
        return new if previous.dim is None else previous
    return "its declarations differ and their composite type is not modelled"


def _address_space(t: CType) -> Optional[str]:
    """The named address space an object of type ``t`` would live in."""
    while True:
        if isinstance(t, Qualified):
            for q in t.quals:
                if q in _ADDRESS_SPACES:
                    return q
            t = t.base
        elif isinstance(t, (Typedef, Aligned)):
            t = t.target if isinstance(t, Typedef) else t.base
        elif isinstance(t, Array):
            t = t.elem
        else:
            return None


def _check_member_names(members: List[Member], seen: set) -> None:
    """GCC's "duplicate member": a name may appear once in a struct or
    union, counting the members of its anonymous structs and unions."""
    for m in members:
        if m.name is None:
            inner = unqualified(m.type)
            if isinstance(inner, Record) and m.bitwidth is None:
                _check_member_names(inner.members or [], seen)
        elif m.name in seen:
            raise _err(f"duplicate member '{m.name}'", m.coord)
        else:
            seen.add(m.name)


_INT_RE = re.compile(r"^(0[xX][0-9a-fA-F']+|0[bB][01']+|0[0-7']*|[1-9][0-9']*)([uUlL]*)$")


def _int_digits(digits: str) -> Tuple[int, bool]:
    """The value of an integer constant's digits (hexadecimal, binary,
    octal or decimal; no suffix, no separators), and whether they are
    decimal."""
    if digits[:2].lower() == "0x":
        return int(digits, 16), False
    if digits[:2].lower() == "0b":
        return int(digits[2:], 2), False
    if digits.startswith("0") and len(digits) > 1:
        return int(digits, 8), False
    return int(digits), True


def _constant(node: c_ast.Constant, coord) -> E.Expr:
    """``node`` as an expression, at ``coord`` (its coordinate as this
    text names it: Builder._c)."""
    text = node.value
    if node.type == "string":
        return _string(node, coord)
    if node.type in ("char", "wchar_t", "char16_t", "char32_t", "char8_t") or text[:1] == "'" or text[1:2] == "'":
        return _char_constant(text, coord)
    m = _INT_RE.match(text)
    if m:
        value, decimal = _int_digits(m.group(1).replace("'", ""))
        suffix = m.group(2).lower()
        return E.IntLit(value, "u" in suffix, suffix.count("l"), decimal, coord)
    try:
        t = text.rstrip("fFlL")
        kind = "float" if text[-1:] in "fF" else ("long double" if text[-1:] in "lL" else "double")
        exact = _exact_real(t)
    except (ValueError, ZeroDivisionError):
        raise _err(f"cannot read constant {text!r}", coord) from None
    try:
        approx = float(exact)
    except OverflowError:  # 1e400: an error only where a constant needs its value
        approx = float("inf")
    return E.FloatLit(approx, kind, coord, exact)


def _exact_real(t: str):
    """The exact value a floating literal (without its suffix) writes."""
    from fractions import Fraction

    if not t[:2].lower() == "0x":
        return Fraction(t)
    mantissa, _, exponent = t[2:].lower().partition("p")
    whole, _, frac = mantissa.partition(".")
    if not exponent or not (whole or frac):
        raise ValueError(t)
    return Fraction(int(whole + frac, 16), 16 ** len(frac)) * Fraction(2) ** int(exponent)


_ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, "a": 7, "b": 8, "f": 12, "v": 11,
            "\\": 92, "'": 39, '"': 34, "?": 63, "e": 27}


def _unescape(body: str, coord) -> List[int]:
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.extend(c.encode("utf-8"))
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "01234567":
            j = i + 1
            while j < len(body) and j < i + 4 and body[j] in "01234567":
                j += 1
            out.append(int(body[i + 1:j], 8) & 0xFF)  # GCC: "out of range", masked
            i = j
        elif nxt == "x":
            j = i + 2
            while j < len(body) and body[j] in "0123456789abcdefABCDEF":
                j += 1
            if j == i + 2:
                raise _err("\\x used with no following hex digits", coord)
            out.append(int(body[i + 2:j], 16) & 0xFF)
            i = j
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            raise _err(f"unknown escape '\\{nxt}'", coord)
    return out


def _char_constant(text: str, coord) -> E.CharLit:
    """A narrow character constant as GCC 12 reads it (narrow_str_to_charconst):
    one char is its byte; several are an int, each byte shifted in from
    the right and the whole kept to int's 32 bits (GCC warns; past four the
    first ones are shifted out), then read as signed."""
    prefix = text[: text.index("'")]
    if prefix:
        raise _err("wide character constants are not supported", coord)
    vals = _unescape(text[1:-1], coord)
    if not vals:
        raise _err("empty character constant", coord)
    if len(vals) == 1:
        return E.CharLit(vals[0], coord)
    value = 0
    for v in vals:
        value = ((value << 8) | v) & 0xFFFFFFFF
    if value >= 1 << 31:
        value -= 1 << 32
    return E.CharLit(value, coord, multi=True)


def _string(node: c_ast.Constant, coord) -> E.Expr:
    text = node.value
    if not text.startswith('"'):
        raise _err("wide string literals are not supported", coord)
    # pycparser joins adjacent literals into one token text
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    data = bytes(v for part in parts for v in _unescape(part, coord))
    return E.StrLit(data, 1, coord)

"""pycparser taught the GNU C that real headers are written in.

pycparser 3 parses standard C.  Headers are written in GNU C, so this module
adds, on top of pycparser's recursive-descent parser:

* a token filter for the GNU keyword spellings (``__extension__``,
  ``__signed__``, ``__inline``, ``__restrict``, ``__typeof__``,
  ``__alignof__``, ``__builtin_offsetof``, ``asm`` labels, ``static_assert``,
  the x86 address spaces ``__seg_gs`` and ``__seg_fs``, ...);
* ``__attribute__((...))`` in every position GCC accepts it, recorded on the
  node GCC would apply it to (see ``layoutcheck.model`` for the meaning):
  in declaration specifiers (the declaration's), after a declarator or a
  bitfield width (the declaration's), after ``struct``/``union``/``enum`` or
  after the closing brace of a definition (the type's, in place), after a
  ``*`` (that pointer type's), after an enumerator or a parameter (ignored);
* ``__builtin_types_compatible_p(type, type)``, which takes type names where
  a call takes expressions;
* function bodies skipped by brace matching on the raw text, before any of
  it becomes a token (``_GnuLexer.skip_body``): they cannot change a layout,
  they are where GNU C is at its most inventive (statement expressions,
  ``__auto_type``, ``asm goto``), and in a kernel header most of the text is
  in them.  Outside a body, statement expressions and ``__auto_type`` are
  refused with their location.

Attributes become ``c_ast.Attribute(name, "gnu", args)`` in the ``attributes``
list of the node; ``args`` is a list of expression nodes for the attributes
whose arguments matter to layout, and the raw token text otherwise.

Every error names ``file:line:column`` of the original source: tokens carry
the position the preprocessor's line markers give them, and an error
pycparser reports with no position is placed at the token it stopped at.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import re
import sys
from typing import FrozenSet, List, Optional, Tuple

from pycparser import c_ast
from pycparser.c_lexer import CLexer, Token
from pycparser.c_parser import (
    _FUNCTION_SPEC,
    _STORAGE_CLASS,
    _TYPE_QUALIFIER,
    _TYPE_SPEC_SIMPLE,
    _TYPEOF_SPEC,
    CParser,
    Coord,
    ParseError,
)

from ..errors import LayoutError, where_of
from .scan import LazyItem, scan

# Type names GCC predeclares.  The model maps each to its layout kind.
BUILTIN_TYPEDEFS = (
    "__builtin_va_list",
    "__int128_t",
    "__uint128_t",
    "_Float128",
    "__float128",
    "_Float32",
    "_Float64",
    "_Float32x",
    "_Float64x",
    "__float80",
    "__ieee128",
    "__ibm128",
    "_Float16",
    "__fp16",
    "__bf16",
)

# '( "pack...' after _Pragma: the operator form of #pragma pack.
# (GCC knows no '#pragma GCC pack': it is ignored, as other unknown pragmas)
_PRAGMA_PACK_WORD = re.compile(r"\s*pack\b")
_PRAGMA_PACK_TEXT = re.compile(r"""\(\s*L?"\s*pack\b""")

# What may follow a declarator that has no suffix.
_DECLARATOR_END = frozenset({"SEMI", "COMMA", "COLON", "EQUALS", "GNU_ATTRIBUTE", "GNU_ASM"})

# Attributes whose arguments are constant expressions that matter here.
_EXPR_ARG_ATTRIBUTES = {"aligned", "vector_size", "warn_if_not_aligned"}
# Attributes whose single argument is an identifier.
_IDENT_ARG_ATTRIBUTES = {"mode"}
# Attributes that change the type they apply to in a way layout sees.
_TYPE_CHANGING_ATTRIBUTES = {"aligned", "packed", "mode", "vector_size", "scalar_storage_order",
                             "ms_struct", "gcc_struct", "randomize_layout", "warn_if_not_aligned"}


class _ListTokens:
    """The parser's tokens, all read in advance (``scan``)."""

    __slots__ = ("_buffer", "_index", "_n")

    def __init__(self, tokens: List[Token]) -> None:
        self._buffer = tokens
        self._index = 0
        self._n = len(tokens)

    def peek(self, k: int = 1) -> Optional[Token]:
        pos = self._index + k - 1
        return self._buffer[pos] if 0 <= pos < self._n and k > 0 else None

    def next(self) -> Optional[Token]:
        i = self._index
        self._index = i + 1
        return self._buffer[i] if i < self._n else None

    def mark(self) -> int:
        return self._index

    def reset(self, mark: int) -> None:
        self._index = mark


def attribute_name(raw: str) -> str:
    """``__aligned__`` -> ``aligned``."""
    if raw.startswith("__") and raw.endswith("__") and len(raw) > 4:
        return raw[2:-2]
    return raw


class ParsedFile(c_ast.FileAST):
    """A FileAST with where each external declaration stands among the
    parsed tokens, and the declarations left for later (``scan``)."""

    __slots__ = ("ext_positions", "deferred", "typedef_log", "ext_maps")

    def __init__(self, ext, ext_positions, deferred, typedef_log=(), ext_maps=None) -> None:
        super().__init__(ext)
        self.ext_positions = ext_positions
        self.deferred = deferred
        self.typedef_log = typedef_log  # (position, name) of each file-scope typedef name
        # for each external declaration, None, or the file names its
        # coordinates stand for in this text (old -> new): a declaration
        # parsed in another text and shared, not copied (_Reuse)
        self.ext_maps = ext_maps


# Array and function suffixes, and levels of pointer, in one declarator
# (int a[1][2]..., char **...): GCC takes any number; real code has a handful.
MAX_DECLARATOR_SUFFIXES = 512


def _gcc_token(tok: Token) -> str:
    """A token as GCC's 'expected ... before' names it."""
    kind = tok.type
    if kind.startswith(("INT_CONST", "FLOAT_CONST", "HEX_FLOAT")):
        return "numeric constant"
    if kind.endswith("STRING_LITERAL"):
        return "string constant"
    if kind.endswith("CHAR_CONST"):
        return tok.value
    if tok.value[:1].isalpha() or tok.value[:1] in "_$":
        return f"'{tok.value}'"
    return f"'{tok.value}' token"


class GnuCParser(CParser):
    """A pycparser CParser that reads GNU C declarations."""

    def __init__(self, defer: bool = True, reuse: bool = False, source: bool = False) -> None:
        super().__init__(lexer=CLexer)
        self.defer = defer
        self.reuse = reuse  # declarations parsed in other texts are shared (_Reuse)
        self.source = source  # a header read as written, not a preprocessor's output
        self._member_lists = 0  # struct or union member lists being read (nested)
        self._parameters = 0  # parameter declarations being read (nested)
        self._declarator_closed = False  # the last declarator read ended in a width or attributes
        self._end = Coord("", 1, 1)
        # (token index, name) of each file-scope typedef name, in order.
        self.typedef_log: List[Tuple[int, str]] = []
        self.ext_positions: List[int] = []
        self.ext_maps: List[Optional[dict]] = []
        # the entries of _Reuse this parse kept or took: one met again in
        # the same text is copied (the builder knows a definition by its
        # node: two of one node would be one definition)
        self._shared: set = set()
        # with reuse: the text's scan (LazyItem declarations), what parsing
        # the current one did to file scope, and where it stands among the
        # parsed tokens (the position of the typedef names it declares)
        self._scanned = None
        self._effects: Optional[list] = None
        self._log_at: Optional[int] = None

    # ------------------------------------------------------------ tokens
    def parse(self, text: str, filename: str = "", debug: bool = False) -> c_ast.FileAST:
        """Parse what ``scan`` keeps of ``text``; the rest is on demand
        through the AST's ``deferred`` (see ``parse_c``).  With reuse, a
        text whose declarations do not read one by one as they read in a
        row (_Unreused), or that has an error, is parsed again without."""
        if self.reuse:
            try:
                return self.parse_scanned(scan(text, filename, self.defer, lazy=True, source=self.source))
            except (_Unreused, LayoutError, ParseError, RecursionError):
                # an error: which one comes first is the plain reading's
                # (every token read before any declaration is parsed)
                pass
            fresh = GnuCParser(self.defer, source=self.source)
            try:
                return fresh.parse(text, filename)
            finally:
                fresh.clex = None
        return self.parse_scanned(scan(text, filename, self.defer, source=self.source))

    def parse_scanned(self, scanned) -> c_ast.FileAST:
        """``parse`` of a text ``scan`` has read (``scan.Scanned``)."""
        self._scanned = scanned
        try:
            return self.wrap(self.parse_tokens(scanned.tokens, scanned.end).ext, scanned)
        finally:
            self._scanned = None

    def start_tokens(self, tokens: List[Token]) -> None:
        """Read ``tokens`` (a list that may still grow) from the start."""
        self._scope_stack = [{name: True for name in BUILTIN_TYPEDEFS}]
        self._typedef_checked_token = None
        self._tokens = _ListTokens(tokens)

    def wrap(self, ext: list, scanned) -> "ParsedFile":
        """The ParsedFile of ``ext``, parsed from ``scanned``'s tokens by
        this parser, with the deferred declarations' reader."""
        maps = self.ext_maps if any(m is not None for m in self.ext_maps) else None
        ast = ParsedFile(ext, self.ext_positions, scanned.deferred, self.typedef_log, maps)
        log = self.typedef_log
        # pycparser's parser and its lexer refer to each other: drop the
        # lexer and the tokens, so that neither outlives the parse (the
        # collector, frozen after it, would never free the cycle).
        self.clex = None
        self._tokens = _ListTokens([])
        positions = [at for at, _ in log]

        def parse_deferred(tokens: List[Token], end: Coord, position: int) -> list:
            names = [name for _, name in log[:bisect.bisect_right(positions, position)]]
            parser = GnuCParser()
            try:
                return parser.parse_tokens(tokens, end, names).ext
            except ParseError as exc:  # anything pycparser raised past our hooks
                raise LayoutError(str(exc)) from None
            finally:
                parser.clex = None  # see above

        scanned.deferred.parse = parse_deferred
        return ast

    def parse_tokens(self, tokens: List[Token], end: Coord, typedefs=()) -> c_ast.FileAST:
        self.start_tokens(tokens)
        self._scope_stack[0].update((name, True) for name in typedefs)
        self._end = end
        try:
            ast = self._parse_translation_unit_or_empty()
            tok = self._peek()
            if tok is not None:
                self._parse_error(f"unexpected '{tok.value}'", self._tok_coord(tok))
        except RecursionError:
            raise LayoutError("declarations nested too deeply to parse",
                              where_of(self._here())) from None
        return ast

    def _parse_translation_unit(self):
        ext: list = []
        positions = self.ext_positions
        tokens = self._tokens
        while self._peek() is not None:
            at = tokens._index
            tok = tokens._buffer[at]
            mapping = None
            if tok.__class__ is LazyItem:
                nodes, mapping = self._parse_lazy(tok, at)
            else:
                nodes = self._parse_external_declaration()
            ext.extend(nodes)
            positions.extend([at] * len(nodes))
            self.ext_maps.extend([mapping] * len(nodes))
        return ext

    def _parse_lazy(self, item: LazyItem, at: int) -> Tuple[list, Optional[dict]]:
        """The external declarations of a declaration left untokenized, and
        None or the file names their coordinates stand for here: what
        parsing the same declaration gave in another text, when there was
        one (``_Reuse``), else tokenized and parsed here on its own (and
        kept for the next text).  Anything but a declaration read to its
        last token raises _Unreused."""
        main = self._tokens
        key, files = _REUSE.key(self._scanned.text, item, self._scope_stack[0])
        kept = _REUSE.take(key, files, self._shared) if key is not None else None
        mapping = None
        if kept is not None:
            nodes, replay, mapping = kept
            scope = self._scope_stack[0]
            for name, is_typedef in replay:
                scope[name] = is_typedef
                if is_typedef:
                    self.typedef_log.append((at + 1, name))
        else:
            effects: list = []
            try:
                own = self._scanned.tokenize(item)
                self._tokens = _ListTokens(own)
                self._typedef_checked_token = None
                # its typedef names stand after it: a deferred declaration
                # just before it (at ``at``) does not see them
                self._effects, self._log_at = effects, at + 1
                nodes = self._parse_external_declaration()
                if self._tokens._index != len(own) or len(self._scope_stack) != 1:
                    raise _Unreused()
            except (LayoutError, ParseError, RecursionError):
                raise _Unreused() from None
            finally:
                self._tokens = main
                self._effects = self._log_at = None
            if key is not None:
                # (a node's coordinate is one of its tokens')
                _REUSE.keep(key, files, nodes, effects, self._shared,
                            frozenset(tok.filename for tok in own))
        main._index = at + 1
        self._typedef_checked_token = None
        return nodes, mapping

    def _add_typedef_name(self, name, coord):
        super()._add_typedef_name(name, coord)
        if len(self._scope_stack) == 1:
            self.typedef_log.append((self._tokens._index if self._log_at is None else self._log_at, name))
            if self._effects is not None:
                self._effects.append((name, True))

    def _add_identifier(self, name, coord):
        super()._add_identifier(name, coord)
        if self._effects is not None and len(self._scope_stack) == 1:
            self._effects.append((name, False))

    # pycparser's token helpers, on a list read in advance.
    def _peek(self, k: int = 1) -> Optional[Token]:
        toks = self._tokens
        pos = toks._index + k - 1
        tok = toks._buffer[pos] if pos < toks._n else None
        if tok is not self._typedef_checked_token:
            if tok is not None and (tok.type == "ID" or tok.type == "TYPEID"):
                tok.type = "TYPEID" if self._is_type_in_scope(tok.value) else "ID"
            self._typedef_checked_token = tok
        return tok

    def _peek_type(self, k: int = 1) -> Optional[str]:
        toks = self._tokens
        pos = toks._index + k - 1
        if pos >= toks._n:
            return None
        tok = toks._buffer[pos]
        if tok is not self._typedef_checked_token:
            if tok.type == "ID" or tok.type == "TYPEID":
                tok.type = "TYPEID" if self._is_type_in_scope(tok.value) else "ID"
            self._typedef_checked_token = tok
        return tok.type

    def _advance(self) -> Token:
        toks = self._tokens
        i = toks._index
        toks._index = i + 1
        if i >= toks._n:
            self._parse_error("At end of input", None)
        tok = toks._buffer[i]
        if tok is not self._typedef_checked_token:
            if tok.type == "ID" or tok.type == "TYPEID":
                tok.type = "TYPEID" if self._is_type_in_scope(tok.value) else "ID"
            self._typedef_checked_token = tok
        return tok

    def _accept(self, token_type: str) -> Optional[Token]:
        if self._peek_type() == token_type:
            return self._advance()
        return None

    def _parse_error(self, msg, coord):
        if msg.startswith("before: "):
            msg = f"syntax error before '{msg[8:]}'"
        elif msg == "At end of input":
            msg = "unexpected end of input"
        elif msg == "Invalid expression":
            tok = self._peek()
            msg = f"expected an expression before '{tok.value}'" if tok else "expected an expression"
        if not isinstance(coord, Coord):
            # pycparser names only the file for some errors (and the
            # lexer's file, which may be ahead of the parser): the token the
            # parser stopped at is where the error is.
            coord = self._here()
        raise LayoutError(msg, where_of(coord))

    def _here(self) -> Coord:
        """Where the parser is: the next token, else the end of the text."""
        try:
            tok = self._tokens.peek()
        except LayoutError:
            tok = None
        if tok is not None:
            return self._tok_coord(tok)
        return self._end

    def _starts_declaration(self, tok=None) -> bool:
        tok = tok or self._peek()
        if tok is not None and tok.type in ("GNU_ATTRIBUTE", "ADDR_SPACE", "AUTO_TYPE"):
            return True
        return super()._starts_declaration(tok)

    # ------------------------------------------------------- attributes
    def _parse_gnu_attributes(self) -> List[c_ast.Attribute]:
        """Zero or more ``__attribute__((...))`` groups."""
        out: List[c_ast.Attribute] = []
        while self._peek_type() == "GNU_ATTRIBUTE":
            self._advance()
            self._expect("LPAREN")
            self._expect("LPAREN")
            while True:
                tok = self._peek()
                if tok is None:
                    self._parse_error("unterminated __attribute__", None)
                if tok.type == "RPAREN":
                    break
                if tok.type == "COMMA":
                    self._advance()
                    continue
                name_tok = self._advance()
                if not (name_tok.value[:1].isalpha() or name_tok.value[:1] == "_"):
                    self._parse_error(
                        f"unexpected '{name_tok.value}' in __attribute__", self._tok_coord(name_tok)
                    )
                name = attribute_name(name_tok.value)
                coord = self._tok_coord(name_tok)
                args = None
                if self._peek_type() == "LPAREN":
                    if name in _EXPR_ARG_ATTRIBUTES:
                        self._advance()
                        args = []
                        while self._peek_type() != "RPAREN":
                            args.append(self._parse_assignment_expression())
                            if not self._accept("COMMA"):
                                break
                        self._expect("RPAREN")
                    elif name in _IDENT_ARG_ATTRIBUTES:
                        self._advance()
                        arg = self._advance()
                        args = [attribute_name(arg.value)]
                        self._expect("RPAREN")
                    else:
                        args = self._skip_balanced_parens()
                out.append(c_ast.Attribute(name, "gnu", args, coord))
                if not self._accept("COMMA"):
                    break
            self._expect("RPAREN")
            self._expect("RPAREN")
        return out

    def _skip_balanced_parens(self) -> str:
        """Consume '( ... )' and return the text between the parentheses."""
        self._expect("LPAREN")
        depth = 1
        parts = []
        while True:
            tok = self._tokens.next()
            if tok is None:
                self._parse_error("unbalanced parentheses", None)
            if tok.type == "LPAREN":
                depth += 1
            elif tok.type == "RPAREN":
                depth -= 1
                if depth == 0:
                    return " ".join(parts)
            parts.append(tok.value)

    def _skip_asm(self) -> None:
        """``asm [volatile|goto|inline]* ( ... )`` (labels and top-level asm)."""
        self._expect("GNU_ASM")
        while self._peek_type() in {"VOLATILE", "INLINE", "GOTO"}:
            self._advance()
        self._skip_balanced_parens()

    def _parse_postfix_attributes(self) -> List[c_ast.Attribute]:
        """Attributes and asm labels after a declarator."""
        attrs: List[c_ast.Attribute] = []
        while True:
            kind = self._peek_type()
            if kind == "GNU_ATTRIBUTE":
                attrs.extend(self._parse_gnu_attributes())
            elif kind == "GNU_ASM":
                # an asm label names an object or function of file scope:
                # GCC refuses one on a parameter or a member
                if self._parameters:
                    self._parse_error("expected ';', ',' or ')' before 'asm'",
                                      self._tok_coord(self._peek()))
                if self._member_lists:
                    allowed = "',', ';' or '}'" if attrs else "':', ',', ';', '}' or '__attribute__'"
                    self._parse_error(f"expected {allowed} before 'asm'", self._tok_coord(self._peek()))
                self._skip_asm()
            else:
                return attrs

    # ------------------------------------------------------ declarations
    def _unknown_type_check(self) -> None:
        tok = self._peek()
        if tok is not None and tok.type == "ID":
            self._parse_error(f"unknown type name '{tok.value}'", self._tok_coord(tok))

    def _parse_specifier_qualifier_list(self):
        spec, saw_type, first_coord = self._parse_specifiers(allow_storage_and_function=False)
        if spec is None or (not saw_type and not spec["alignment"]):
            self._unknown_type_check()
            tok = self._peek()
            self._parse_error(
                f"expected a type before '{tok.value}'" if tok else "expected a type",
                self._tok_coord(tok) if tok else None)
        return spec

    def _add_declaration_specifier(self, declspec, newspec, kind):
        spec = super()._add_declaration_specifier(declspec, newspec, kind)
        spec.setdefault("gnu", [])
        return spec

    def _new_spec(self):
        spec = super()._add_declaration_specifier(None, "", "qual")
        spec["qual"].clear()
        spec["gnu"] = []
        return spec

    def _parse_specifiers(self, *, allow_storage_and_function: bool):
        """Declaration specifiers, with GNU attributes anywhere among them."""
        spec = None
        saw_type = False
        first_coord = None
        defined = False  # a type specifier so far is a struct, union or enum definition
        while True:
            tok = self._peek()
            if tok is None:
                break
            if first_coord is None:
                first_coord = self._tok_coord(tok)
            kind = tok.type
            if defined and (kind in _TYPE_SPEC_SIMPLE or kind in _TYPEOF_SPEC
                            or kind in {"STRUCT", "UNION", "ENUM"}
                            or kind == "_ATOMIC" and self._peek_type(2) == "LPAREN"):
                # a definition's ';' left out ('struct s { ... }' then the
                # next declaration): said where GCC says it
                self._parse_error(f"expected ';', identifier or '(' before '{tok.value}'",
                                  self._tok_coord(tok))
            if kind == "GNU_ATTRIBUTE":
                if spec is None:
                    spec = self._new_spec()
                spec["gnu"].extend(self._parse_gnu_attributes())
                continue
            if kind == "TYPEID" and saw_type:
                break
            spec_kind = "type"
            if kind == "_ALIGNAS":
                spec_kind = "alignment"
                newspec = self._parse_alignment_specifier()
            elif kind == "_ATOMIC" and self._peek_type(2) == "LPAREN":
                newspec = self._parse_atomic_specifier()
            elif kind in _TYPEOF_SPEC:
                newspec = self._parse_typeof_specifier()
            elif kind in _TYPE_QUALIFIER or kind == "ADDR_SPACE":
                spec_kind = "qual"
                newspec = self._advance().value
            elif kind == "AUTO_TYPE":
                self._parse_error("__auto_type outside a function body is not supported",
                                  self._tok_coord(tok))
            elif allow_storage_and_function and kind in _STORAGE_CLASS:
                spec_kind = "storage"
                newspec = self._advance().value
            elif allow_storage_and_function and kind in _FUNCTION_SPEC:
                spec_kind = "function"
                newspec = self._advance().value
            elif kind in _TYPE_SPEC_SIMPLE or kind == "TYPEID":
                tok = self._advance()
                newspec = c_ast.IdentifierType([tok.value], coord=self._tok_coord(tok))
            elif kind in {"STRUCT", "UNION"}:
                newspec = self._parse_struct_or_union_specifier()
            elif kind == "ENUM":
                newspec = self._parse_enum_specifier()
            else:
                break
            if spec is None:
                spec = self._new_spec()
            spec = self._add_declaration_specifier(spec, newspec, spec_kind)
            if spec_kind == "type":
                saw_type = True
                defined = defined or isinstance(newspec, (c_ast.Struct, c_ast.Union)) and \
                    newspec.decls is not None or isinstance(newspec, c_ast.Enum) and \
                    newspec.values is not None
        return spec, saw_type, first_coord

    def _build_declarations(self, spec, decls, typedef_namespace=False):
        if spec.get("alignment") and "typedef" in spec.get("storage", ()):
            # (pycparser's Typedef has no place for it: it would be dropped)
            self._parse_error("alignment specified for typedef", spec["alignment"][0].coord)
        if "typedef" in spec.get("storage", ()):
            for info in decls:
                if info.get("init") is not None:
                    name, coord = self._declarator_name(info.get("decl"))
                    self._parse_error(f"typedef '{name}' is initialized (use '__typeof__' instead)",
                                      coord)
        # (after a bitfield's width or a declarator's attributes, GCC
        # expects no more of that declarator: _parse_declaration_end)
        self._declarator_closed = bool(decls) and (decls[-1].get("bitsize") is not None
                                                   or bool(decls[-1].get("gnu")))
        built = super()._build_declarations(spec, decls, typedef_namespace)
        prefix = spec.get("gnu", [])
        for node, info in zip(built, decls, strict=True):
            post = info.get("gnu", [])
            # Attributes before a declarator after a comma join the
            # specifiers' for that declarator alone, in front of them.
            own_prefix = info.get("gnu_prefix", [])
            if post or prefix or own_prefix:
                # GCC applies the declarator's attributes, then the
                # specifiers' (chainon (postfix, prefix)): order decides
                # which of two 'aligned' on a typedef wins.
                node.attributes = list(post) + list(own_prefix) + list(prefix)
        return built

    @staticmethod
    def _declarator_name(decl) -> Tuple[str, Optional[Coord]]:
        """The name a declarator declares, and where it is."""
        coord = getattr(decl, "coord", None)
        while decl is not None and not isinstance(decl, c_ast.TypeDecl):
            decl = getattr(decl, "type", None)
        if decl is None:
            return "?", coord
        return decl.declname or "?", decl.coord or coord

    def _build_type_name(self, spec, decl, coord):
        typename = super()._build_type_name(spec, decl, coord)
        if spec.get("gnu"):
            # GCC applies them to the type named, as a typedef's.
            typename.attributes = list(typename.attributes or []) + list(spec["gnu"])
        return typename

    def _parse_external_declaration(self):
        tok = self._peek()
        if tok is None:
            return []
        kind = tok.type
        if kind == "PPHASH":
            self._parse_error("preprocessor directive in preprocessed text", self._tok_coord(tok))
        if kind in {"PPPRAGMA", "_PRAGMA"}:
            return [self._parse_pppragma_directive()]
        if kind == "SEMI":
            self._advance()
            return []
        if kind == "_STATIC_ASSERT":
            return [self._parse_static_assert()]
        if kind == "GNU_ASM":
            # A file-scope asm is basic asm: no qualifiers (GCC refuses them).
            self._advance()
            if self._peek_type() != "LPAREN":
                self._parse_error("expected '(' after 'asm'", self._here())
            self._skip_balanced_parens()
            self._expect("SEMI")
            return []
        if not self._starts_declaration(tok):
            self._parse_error(f"expected a declaration before '{tok.value}'", self._tok_coord(tok))
        spec, saw_type, spec_coord = self._parse_declaration_specifiers(allow_no_type=True)
        name_type, _ = self._peek_declarator_name_info()
        if name_type != "ID":
            decls = self._parse_decl_body_with_spec(spec, saw_type)
            return self._parse_declaration_end(decls)
        decl = self._parse_id_declarator()
        if self._peek_type() == "LBRACE":
            if not spec["type"]:
                spec["type"] = [c_ast.IdentifierType(["int"], coord=spec_coord)]
            return [self._parse_function_definition(spec, decl)]
        if isinstance(decl, c_ast.FuncDecl) and super()._starts_declaration():
            self._parse_error("K&R-style function definitions are not supported", decl.coord)
        first = self._finish_init_declarator(decl)
        decls = self._parse_init_declarator_list(first=first)
        decls = self._build_declarations(spec=spec, decls=decls, typedef_namespace=True)
        return self._parse_declaration_end(decls)

    def _finish_init_declarator(self, decl):
        info = {"decl": decl}
        attrs = self._parse_postfix_attributes()
        if attrs:
            info["gnu"] = attrs
        if self._accept("EQUALS"):
            info["init"] = self._parse_initializer()
        return info

    def _parse_init_declarator(self, id_only: bool = False):
        own_prefix = self._parse_gnu_attributes()  # int a, __attribute__((x)) b;
        decl = self._parse_id_declarator() if id_only else self._parse_declarator()
        info = self._finish_init_declarator(decl)
        if own_prefix:
            info["gnu_prefix"] = own_prefix
        return info

    def _parse_struct_declarator(self):
        if self._peek_type() == "COLON":
            colon = self._advance()  # an unnamed bit-field is where its ':' is
            info = {"decl": c_ast.TypeDecl(None, None, None, None, self._tok_coord(colon)),
                    "bitsize": self._parse_constant_expression()}
        else:
            info = {"decl": self._parse_declarator()}
            if self._accept("COLON"):
                info["bitsize"] = self._parse_constant_expression()
        attrs = self._parse_postfix_attributes()
        if attrs:
            info["gnu"] = attrs
        return info

    # struct members read by _simple_member (a class switch: the tests read
    # each text both ways and compare the trees)
    FAST_MEMBERS = True

    def _parse_struct_declaration(self):
        if self.FAST_MEMBERS:
            fast = self._simple_member()
            if fast is not None:
                return fast
        return super()._parse_struct_declaration()

    def _simple_member(self) -> Optional[list]:
        """The most common struct members, read without pycparser's general
        machinery: a type that is plain type keywords, a typedef name, or
        ``struct``/``union``/``enum`` and a tag; plain ``*``s; a name that
        is no typedef name; then ``[N]`` (without ``*``) or ``: N`` (N a
        plain decimal number), and ``;``.  The nodes, their coordinates and
        what is left of the parser's state are those the general reading
        makes (``tests/test_frontend.py`` reads real headers both ways);
        anything else (qualifiers, attributes, several declarators, a
        definition) is None, for the general reading."""
        toks = self._tokens
        buf, i, n = toks._buffer, toks._index, toks._n
        if i >= n:
            return None
        tok = buf[i]
        kind = tok.type
        in_scope = self._is_type_in_scope
        typed = []  # ID tokens read, and the type each gets
        if kind in _TYPE_SPEC_SIMPLE:
            names = [tok.value]
            j = i + 1
            while j < n and buf[j].type in _TYPE_SPEC_SIMPLE:
                names.append(buf[j].value)
                j += 1
            base = c_ast.IdentifierType(names, coord=Coord(tok.filename, tok.lineno, tok.column))
        elif kind == "ID" or kind == "TYPEID":
            if not in_scope(tok.value):
                return None
            typed.append((tok, "TYPEID"))
            base = c_ast.IdentifierType([tok.value], coord=Coord(tok.filename, tok.lineno, tok.column))
            j = i + 1
        elif kind == "STRUCT" or kind == "UNION" or kind == "ENUM":
            if i + 2 >= n:
                return None
            tag = buf[i + 1]
            if tag.type != "ID" and tag.type != "TYPEID":
                return None
            follow = buf[i + 2].type
            if follow != "TIMES" and follow != "ID" and follow != "TYPEID":
                return None  # a definition, attributes, an enum's ':', or no declarator
            where = Coord(tag.filename, tag.lineno, tag.column)
            if kind == "ENUM":
                base = c_ast.Enum(tag.value, None, None, where, attributes=[])
            else:
                klass = c_ast.Struct if kind == "STRUCT" else c_ast.Union
                base = klass(name=tag.value, decls=None, coord=where, attributes=[])
            typed.append((tag, "TYPEID" if in_scope(tag.value) else "ID"))
            j = i + 2
        else:
            return None
        stars = j
        while j < n and buf[j].type == "TIMES":
            j += 1
        stars = j - stars
        if j + 1 >= n or stars > MAX_DECLARATOR_SUFFIXES:
            return None  # too many stars: the general reading names the limit
        name = buf[j]
        if (name.type != "ID" and name.type != "TYPEID") or in_scope(name.value):
            return None
        typed.append((name, "ID"))
        after = buf[j + 1].type
        dim = bitsize = None
        if after == "SEMI":
            end = j + 1
        elif after == "LBRACKET" and not stars:
            if j + 4 >= n or buf[j + 3].type != "RBRACKET" or buf[j + 4].type != "SEMI":
                return None
            dim = buf[j + 2]
            end = j + 4
        elif after == "COLON":
            if j + 3 >= n or buf[j + 3].type != "SEMI":
                return None
            bitsize = buf[j + 2]
            end = j + 3
        else:
            return None
        number = dim or bitsize
        if number is not None and (number.type != "INT_CONST_DEC" or not number.value.isdigit()):
            return None
        # what the general reading leaves: each word typed, the tokens read
        for word, word_type in typed:
            word.type = word_type
        toks._index = end + 1
        where = Coord(name.filename, name.lineno, name.column)
        decl = c_ast.TypeDecl(declname=name.value, quals=[], align=None, type=base, coord=where,
                              attributes=[])
        if dim is not None:
            decl = c_ast.ArrayDecl(type=decl, dim=c_ast.Constant(
                "int", dim.value, Coord(dim.filename, dim.lineno, dim.column)),
                dim_quals=[], coord=where, attributes=[])
        for k in range(j - stars, j):
            star = buf[k]
            decl = c_ast.PtrDecl(quals=[], type=decl, coord=Coord(star.filename, star.lineno, star.column),
                                 attributes=[])
        width = None
        if bitsize is not None:
            width = c_ast.Constant("int", bitsize.value,
                                   Coord(bitsize.filename, bitsize.lineno, bitsize.column))
        self._declarator_closed = width is not None
        return [c_ast.Decl(name.value, [], [], [], [], decl, None, width, decl.coord, attributes=[])]

    def _parse_pppragma_directive_list(self):
        """Pragmas before a declaration's ';' or among enumerators (pycparser
        keeps them there).  GCC refuses a pragma in either place ("expected
        ';' before '#pragma'"): a '#pragma pack' there is refused, never
        applied to the structs after it; others change no layout."""
        pragmas = []
        while self._peek_type() in ("PPPRAGMA", "_PRAGMA"):  # each of them, not the first only
            tok = self._peek()
            buf, at = self._tokens._buffer, self._tokens._index
            following = " ".join(t.value for t in buf[at + 1:at + 3])
            if (_PRAGMA_PACK_WORD.match(following) if tok.type == "PPPRAGMA"
                    else _PRAGMA_PACK_TEXT.match(following)):
                self._parse_error("#pragma pack inside a declaration, before its ';' or among "
                                  "enumerators (GCC refuses a pragma there)", self._tok_coord(tok))
            pragmas.append(self._parse_pppragma_directive())
        return pragmas

    def _parse_function_definition(self, spec, decl):
        """Keep the declaration, skip the body: it cannot change a layout."""
        if self._peek_type() != "LBRACE":
            self._parse_error("expected a function body", decl.coord)
        lbrace = self._tokens.next()
        depth = 1
        # ``scan`` leaves a body as '{' '}'; a body it could not tell from
        # a type's braces comes whole, and is passed over here.
        while depth:
            tok = self._tokens.next()
            if tok is None:
                self._parse_error("unterminated function body", self._tok_coord(lbrace))
            if tok.type == "LBRACE":
                depth += 1
            elif tok.type == "RBRACE":
                depth -= 1
            elif (tok.type == "PPPRAGMASTR" and tok.value.split("(")[0].strip() == "pack"
                  or tok.type == "_PRAGMA" and _PRAGMA_PACK_TEXT.match(
                      " ".join(t.value for t in self._tokens._buffer[self._tokens._index:self._tokens._index + 2]))):
                self._parse_error(
                    "#pragma pack inside a function body is not supported", self._tok_coord(tok)
                )
        body = c_ast.Compound([], self._tok_coord(lbrace))
        return self._build_function_definition(spec, decl, None, body)

    def _parse_parameter_declaration(self):
        # 'u32 x', 'u32 *p', 'const u32 x': a word no typedef names, before
        # a declarator, is an unknown type name to GCC (alone it is the
        # parameter's name: 'f(a, b)', or 'f(const x)', an implicit int)
        k = 1
        while self._peek_type(k) in _TYPE_QUALIFIER or self._peek_type(k) == "REGISTER":
            k += 1
        self._refuse_unknown_type(k)
        self._parameters += 1
        try:
            decl = super()._parse_parameter_declaration()
            self._parse_postfix_attributes()
        finally:
            self._parameters -= 1
        return decl

    def _refuse_unknown_type(self, k: int) -> None:
        """A parameter's word at token ``k`` ahead that no typedef names,
        followed by a declarator ('u32 x', 'u32 *p'): GCC's unknown type
        name.  Followed by ',' or ')', it is a K&R or implicit-int name."""
        word = self._peek(k)
        if word is not None and word.type == "ID" and \
                self._peek_type(k + 1) in ("ID", "TIMES", "LPAREN", "LBRACKET"):
            self._parse_error(f"unknown type name '{word.value}'", self._tok_coord(word))

    # ------------------------------------------------- struct/union/enum
    def _parse_struct_or_union_specifier(self):
        tok = self._advance()
        klass = c_ast.Struct if tok.value == "struct" else c_ast.Union
        attrs = self._parse_gnu_attributes()
        name = None
        coord = self._tok_coord(tok)
        if self._peek_type() in {"ID", "TYPEID"}:
            name_tok = self._advance()
            name = name_tok.value
            coord = self._tok_coord(name_tok)
        if self._peek_type() != "LBRACE":
            if name is None:
                self._parse_error(f"expected '{{' after '{tok.value}'", coord)
            # GCC ignores attributes on a reference to a tag.
            return klass(name=name, decls=None, coord=coord, attributes=[])
        lbrace = self._advance()
        if name is None:
            coord = self._tok_coord(lbrace)
        decls = [] if self._accept("RBRACE") else None
        if decls is None:
            self._member_lists += 1
            try:
                decls = self._parse_struct_declaration_list()
            finally:
                self._member_lists -= 1
            self._expect("RBRACE")
        attrs.extend(self._parse_gnu_attributes())
        return klass(name=name, decls=decls, coord=coord, attributes=attrs)

    def _parse_declaration_end(self, decls):
        # GCC takes the last member of a struct or union without its ';'
        # ('struct s { int a; char b };': a pedantic warning, "no semicolon
        # at end of struct or union")
        tok = self._peek()
        if self._member_lists and tok is not None and tok.type == "RBRACE":
            return decls
        if tok is not None and tok.type not in ("SEMI", "PPPRAGMA", "_PRAGMA"):
            # what may follow the last declarator, in GCC's words
            if self._member_lists:
                allowed = "',', ';' or '}'" if self._declarator_closed \
                    else "':', ',', ';', '}' or '__attribute__'"
            else:
                allowed = "',' or ';'" if self._declarator_closed \
                    else "'=', ',', ';', 'asm' or '__attribute__'"
            self._parse_error(f"expected {allowed} before {_gcc_token(tok)}", self._tok_coord(tok))
        return super()._parse_declaration_end(decls)

    def _parse_enum_specifier(self):
        tok = self._expect("ENUM")
        attrs = self._parse_gnu_attributes()
        name = None
        coord = self._tok_coord(tok)
        if self._peek_type() in {"ID", "TYPEID"}:
            name_tok = self._advance()
            name = name_tok.value
            coord = self._tok_coord(name_tok)
        if self._peek_type() == "COLON" and self._starts_declaration(self._peek(2)):
            self._parse_error("enums with a fixed underlying type are not supported", coord)
        if self._peek_type() != "LBRACE":
            if name is None:
                self._parse_error("expected '{' after 'enum'", coord)
            return c_ast.Enum(name, None, None, coord, attributes=[])
        self._advance()
        values = self._parse_enumerator_list()
        self._expect("RBRACE")
        attrs.extend(self._parse_gnu_attributes())
        return c_ast.Enum(name, values, None, coord, attributes=attrs)

    def _parse_enumerator(self):
        name_tok = self._expect("ID")
        self._parse_gnu_attributes()  # deprecated/unavailable: no layout effect
        value = self._parse_constant_expression() if self._accept("EQUALS") else None
        enum = c_ast.Enumerator(name_tok.value, value, self._tok_coord(name_tok))
        self._add_identifier(enum.name, enum.coord)
        return enum

    # -------------------------------------------------------- declarators
    def _parse_pointer(self):
        stars = []
        while True:
            times = self._accept("TIMES")
            if times is None:
                break
            quals: List[str] = []
            attrs: List[c_ast.Attribute] = []
            while True:
                kind = self._peek_type()
                if kind in _TYPE_QUALIFIER or kind == "ADDR_SPACE":
                    quals.append(self._advance().value)
                elif kind == "GNU_ATTRIBUTE":
                    attrs.extend(self._parse_gnu_attributes())
                else:
                    break
            stars.append((quals, self._tok_coord(times), attrs))
            if len(stars) > MAX_DECLARATOR_SUFFIXES:
                self._parse_error(f"more than {MAX_DECLARATOR_SUFFIXES} levels of pointer in one "
                                  f"declarator", stars[-1][1])
        if not stars:
            return None
        ptr = None
        for quals, coord, attrs in stars:
            ptr = c_ast.PtrDecl(quals=quals, type=ptr, coord=coord, attributes=attrs)
        return ptr

    def _parse_declarator(self):
        """pycparser's, with a shortcut for the most common declarator, a
        name after plain '*'s and before what ends it (``*next;``): the
        same nodes, without the look-ahead the general case needs."""
        toks = self._tokens
        buf, i, n = toks._buffer, toks._index, toks._n
        j = i
        while j < n and buf[j].type == "TIMES":
            j += 1
        if j + 1 < n and buf[j + 1].type in _DECLARATOR_END:
            name = buf[j]
            if (name.type == "ID" or name.type == "TYPEID") and not self._is_type_in_scope(name.value):
                ptr = self._parse_pointer() if j > i else None
                self._advance()
                decl = c_ast.TypeDecl(declname=name.value, type=None, quals=None, align=None,
                                      coord=self._tok_coord(name))
                decl.attributes = []
                return decl if ptr is None else self._type_modify_decl(decl, ptr)
        return super()._parse_declarator()

    def _parse_decl_suffixes(self, decl):
        """pycparser's, with a bound: each suffix walks the declarator built
        so far, so n of them cost n^2 (100,000 ``[1]`` ran for minutes)."""
        count = 0
        while self._peek_type() in ("LBRACKET", "LPAREN"):
            count += 1
            if count > MAX_DECLARATOR_SUFFIXES:
                self._parse_error(f"more than {MAX_DECLARATOR_SUFFIXES} array or function "
                                  f"suffixes in one declarator", self._tok_coord(self._peek()))
            if self._peek_type() == "LBRACKET":
                decl = self._type_modify_decl(decl, self._parse_array_decl(decl))
            else:
                # '(u32 x': a first parameter whose type no typedef names
                # (pycparser would read the word as a K&R parameter name)
                self._refuse_unknown_type(2)
                decl = self._type_modify_decl(decl, self._parse_function_decl(decl))
        return decl

    def _parse_direct_declarator(self, kind, allow_paren=True):
        if allow_paren and self._peek_type() == "LPAREN" and self._peek_type(2) == "GNU_ATTRIBUTE":
            # '(' attributes declarator ')': GCC applies the attributes to
            # the type built so far, outside the parentheses.  Those that do
            # not change a type (unused, noreturn, ...) cannot matter here;
            # the others would need that reading and are refused.
            self._advance()
            for attr in self._parse_gnu_attributes():
                if attr.name in _TYPE_CHANGING_ATTRIBUTES:
                    self._parse_error(f"__attribute__(({attr.name})) at the start of a "
                                      f"parenthesized declarator is not supported", attr.coord)
            decl = self._parse_declarator_kind(kind, allow_paren=True)
            self._expect("RPAREN")
            return self._parse_decl_suffixes(decl)
        return super()._parse_direct_declarator(kind, allow_paren)

    def _scan_declarator_name_info(self):
        saw_paren = False
        while self._peek_type() == "GNU_ATTRIBUTE":  # '(' attributes declarator ')'
            self._advance()
            self._skip_balanced_parens()
        while self._accept("TIMES"):
            while True:
                kind = self._peek_type()
                if kind in _TYPE_QUALIFIER or kind == "ADDR_SPACE":
                    self._advance()
                elif kind == "GNU_ATTRIBUTE":
                    self._advance()
                    self._skip_balanced_parens()
                else:
                    break
        tok = self._peek()
        if tok is None:
            return None, saw_paren
        if tok.type in {"ID", "TYPEID"}:
            self._advance()
            return tok.type, saw_paren
        if tok.type == "LPAREN":
            saw_paren = True
            self._advance()
            tok_type, nested = self._scan_declarator_name_info()
            saw_paren = saw_paren or nested
            depth = 1
            while True:
                tok = self._peek()
                if tok is None:
                    return None, saw_paren
                self._advance()
                if tok.type == "LPAREN":
                    depth += 1
                elif tok.type == "RPAREN":
                    depth -= 1
                    if depth == 0:
                        break
            return tok_type, saw_paren
        return None, saw_paren

    # --------------------------------------------------------- expressions
    def _parse_primary_expression(self):
        tok = self._peek()
        if tok is not None and tok.type == "LPAREN" and self._peek_type(2) == "LBRACE":
            # Function bodies never get here: they are skipped unread.
            self._parse_error("braced-group within expression allowed only inside a function",
                              self._tok_coord(tok))
        if tok is not None and tok.type == "ID" and tok.value == "__builtin_types_compatible_p":
            self._advance()
            coord = self._tok_coord(tok)
            self._expect("LPAREN")
            first = self._parse_type_name()
            self._expect("COMMA")
            second = self._parse_type_name()
            self._expect("RPAREN")
            return c_ast.FuncCall(c_ast.ID(tok.value, coord),
                                  c_ast.ExprList([first, second], coord), coord)
        return super()._parse_primary_expression()

    def _parse_unary_expression(self):
        if self._peek_type() == "_ALIGNOF":
            tok = self._advance()
            result = self._try_parse_paren_type_name()
            if result is not None:
                return c_ast.UnaryOp(tok.value, result[0], self._tok_coord(tok))
            # GCC reads '_Alignof expression' as '__alignof__ expression'
            # (c_alignof_expr for both; -Wpedantic warns of the first)
            expr = self._parse_unary_expression()
            return c_ast.UnaryOp(tok.value + "expr", expr, self._tok_coord(tok))
        return super()._parse_unary_expression()


# ------------------------------------------------------------- reuse
# A line marker inside a declaration, as GCC writes them: the file name
# (group 2) is where two copies of one header differ (/usr/include/linux/
# and /usr/aarch64-linux-gnu/include/linux/).
_ITEM_MARKER = re.compile(r'^([ \t]*#[ \t]*[0-9]+[ \t]+)"([^"\\\n]*)"', re.M)
_ITEM_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*([A-Za-z0-9_]*)", re.M)
_WORD = re.compile(r"[A-Za-z_$][0-9A-Za-z_$]*")


class _Unreused(Exception):
    """A text that is not read declaration by declaration: parsed again
    the way a text without reuse is (its tokens in a row), for the same
    result and the same first error."""


class _NotMapped(Exception):
    """A coordinate of a kept declaration names a file the copy cannot map."""


class _Reuse:
    """Declarations parsed once, shared with every other text that has them.

    The texts of one header for many ABIs (each ABI's copy of the UAPI
    headers), or for many configs, are mostly the same declarations.  A
    declaration's parse depends on its tokens (its text, and where it
    starts: the file, line and column) and on which of its identifiers
    are typedef names, ordinary names or unknown at file scope when it is
    met; nothing else.  The key is exactly that, with the names of the
    files in its line markers set apart: the kept parse, with its
    coordinates read as naming this text's files (the map ``take``
    returns, which the builder applies: ``Builder._c``), and its effects
    on file scope (the names it declares) replayed, is what parsing it
    here gives.  The nodes are shared, never changed after the parse; a
    text that has one declaration twice gets a copy the second time.
    ``tests/test_reuse.py`` holds the shared parses to fresh ones,
    coordinates included, and what the builder makes of them, on the
    UAPI headers of every ABI."""

    # characters of declarations kept (each costs about 70 bytes of nodes,
    # held as long as the process: a library caller's too), then all
    # dropped: the 18 texts of the UAPI row keep 0.5 M
    LIMIT = 1 << 20

    def __init__(self) -> None:
        self._kept: dict = {}
        self._size = 0

    def key(self, text: str, item: LazyItem, scope) -> Tuple[Optional[tuple], tuple]:
        lineno, column, filename = item.line, item.column, item.state[3]
        chunk = text[item.start:item.end]
        # where the declaration's first character is, not what ends the
        # line before it
        body = chunk.lstrip(" \t\n")
        if len(body) != len(chunk):
            lead = chunk[:len(chunk) - len(body)]
            newlines = lead.count("\n")
            if newlines:
                lineno += newlines
                column = len(lead) - lead.rfind("\n") - 1
            else:
                column += len(lead)
            chunk = body
        files: Tuple[str, ...] = (filename,)
        if "#" in chunk:
            markers = 0
            for m in _ITEM_DIRECTIVE.finditer(chunk):
                word = m.group(1)
                if not (word.isdigit() or word == "pragma"):
                    return None, files  # a directive not written by GCC: parsed here
                markers += word.isdigit()
            names: List[str] = []

            def apart(m):
                names.append(m.group(2))
                return m.group(1) + '""'

            # (setting the names apart leaves each line's start as it was)
            chunk, count = _ITEM_MARKER.subn(apart, chunk)
            if count != markers:
                return None, files  # a marker of another form
            files += tuple(names)
        # what each word means at file scope now (a typedef name, another
        # name, or nothing): every identifier's, and more
        known = tuple(map(scope.get, _WORD.findall(chunk)))
        return (chunk, lineno, column, known), files

    def take(self, key: tuple, files: tuple, shared: set) -> Optional[Tuple[list, list, Optional[dict]]]:
        """The nodes kept for ``key``, the declaration's effects on file
        scope, and None or the file names the nodes' coordinates stand for
        in a text whose declaration names ``files`` (old -> new); or None.
        The nodes are shared, not copied (the builder reads their
        coordinates through the mapping), unless this text (``shared``,
        the entries it kept or took) has them already: then a copy."""
        kept = self._kept.get(key)  # one lookup: another thread may clear the table
        if kept is None:
            return None
        nodes, kept_files, effects, named = kept
        if kept_files == files:
            mapping = None
        else:
            mapping = {}
            for old, new in zip(kept_files, files, strict=True):
                if mapping.setdefault(old, new) != new:
                    return None  # one file there, two here: not this copy
            if not named <= mapping.keys():
                return None  # a coordinate names a file the copy cannot map
        if id(kept) not in shared:
            shared.add(id(kept))
            return list(nodes), effects, mapping
        seen: dict = {}
        try:
            return [_copy_value(node, mapping, seen) for node in nodes], effects, None
        except _NotMapped:
            return None

    def keep(self, key: tuple, files: tuple, nodes: list, effects: list, shared: set,
             named: FrozenSet[str]) -> None:
        """Keep the nodes parsed for ``key``; ``named``: the files their
        coordinates name (those of the tokens they were parsed from)."""
        if self._size > self.LIMIT:
            self._kept.clear()
            self._size = 0
        kept = (nodes, files, effects, named)
        self._kept[key] = kept
        shared.add(id(kept))
        self._size += len(key[0])

    def clear(self) -> None:
        self._kept.clear()
        self._size = 0


_REUSE = _Reuse()


def _copy_value(value, mapping, seen: dict):
    """A deep copy of a value of an AST (nodes, lists, coordinates), each
    coordinate's file name mapped (``mapping`` None: the same files, and
    coordinates are shared).  A node met twice (the Struct node of
    'typedef struct s {...} S, *PS;', under both declarators) is copied
    once, as the builder knows a definition by its node: ``seen`` maps the
    id of each node copied to its copy."""
    copier = _COPIERS.get(value.__class__)
    if copier is not None:
        return copier(value, mapping, seen)
    if isinstance(value, c_ast.Node):
        return _COPIERS[value.__class__](value, mapping, seen)
    if value is None or value.__class__ in (str, int, bool, float):
        return value
    if value.__class__ is Coord:
        return value if mapping is None else _copy_coord(value, mapping)
    if value.__class__ is list:
        return _copy_list(value, mapping, seen)
    if value.__class__ is tuple:
        return tuple(_copy_value(v, mapping, seen) for v in value)
    if value.__class__ is dict:
        return {k: _copy_value(v, mapping, seen) for k, v in value.items()}
    raise _NotMapped()  # a value of a kind not seen in a declaration's AST


def _copy_list(values: list, mapping, seen: dict) -> list:
    """A list of an AST copied (lists are not shared between nodes in a way
    anything reads: only nodes are)."""
    out = []
    for v in values:
        copier = _COPIERS.get(v.__class__)
        if copier is not None:
            out.append(copier(v, mapping, seen))
        elif v is None or v.__class__ is str:
            out.append(v)
        else:
            out.append(_copy_value(v, mapping, seen))
    return out


def _copy_coord(coord: Coord, mapping) -> Coord:
    try:
        return Coord(mapping[coord.file], coord.line, coord.column)
    except KeyError:
        raise _NotMapped() from None


class _Copiers(dict):
    """One copying function per AST class, written when first needed:
    each slot read and set by name, a string or None kept as it is."""

    def __missing__(self, cls):
        if not (isinstance(cls, type) and issubclass(cls, c_ast.Node)):
            raise KeyError(cls)
        slots = [s for s in cls.__slots__ if s != "__weakref__"]
        lines = ["def copy(node, mapping, seen):",
                 "  done = seen.get(id(node))",
                 "  if done is not None:",
                 "    return done",
                 "  try:",
                 "    new = new_(cls)",
                 "    seen[id(node)] = new"]
        for slot in slots:
            lines.append(f"    v = node.{slot}")
            if slot == "coord":
                lines.append("    new.coord = v if mapping is None or v is None else coord(v, mapping)")
                continue
            lines += [f"    if v is None or v.__class__ is str: new.{slot} = v",
                      f"    elif v.__class__ is list: new.{slot} = [] if not v else copy_list(v, mapping, seen)",
                      "    else:",
                      "      c = known(v.__class__)",
                      f"      new.{slot} = c(v, mapping, seen) if c is not None else value(v, mapping, seen)"]
        lines += ["    return new",
                  "  except AttributeError:",  # a slot never set: copied one by one
                  "    return slow(node, mapping, seen)"]
        space = {"new_": object.__new__, "cls": cls, "value": _copy_value, "coord": _copy_coord,
                 "copy_list": _copy_list, "known": self.get,
                 "slow": lambda node, mapping, seen: _copy_slots(cls, slots, node, mapping, seen)}
        exec("\n".join(lines), space)  # our own text: the slot names of pycparser's classes
        self[cls] = space["copy"]
        return space["copy"]


def _copy_slots(cls, slots, node, mapping, seen):
    new = object.__new__(cls)
    seen[id(node)] = new
    for slot in slots:
        if hasattr(node, slot):
            setattr(new, slot, _copy_value(getattr(node, slot), mapping, seen))
    return new


_COPIERS = _Copiers()


class StreamReader:
    """Split, tokenize and parse a text as the preprocessor writes it:
    ``feed(text_so_far)`` (each a longer prefix of the same text), then
    ``finish(text)`` gives the ParsedFile ``parse_c`` would.  Complete
    external declarations are parsed as soon as their tokens are there;
    an error stops the reading (``finish`` then reads the text whole,
    meeting the error where ``parse_c`` meets it)."""

    def __init__(self, filename: str) -> None:
        from .scan import Scanner

        self.filename = filename
        self.scanner = Scanner(filename)
        self.parser = GnuCParser()
        self.parser.start_tokens(self.scanner.tokens)
        self.ext: list = []
        self.failed = False

    def feed(self, text: str) -> None:
        if self.failed:
            return
        try:
            self.scanner.feed(text)
            self._parse_available()
        except (LayoutError, ParseError, RecursionError):
            self.failed = True

    def _parse_available(self) -> None:
        parser = self.parser
        tokens = parser._tokens
        tokens._n = len(self.scanner.tokens)
        positions = parser.ext_positions
        while tokens._index < tokens._n:
            at = tokens._index
            nodes = parser._parse_external_declaration()
            self.ext.extend(nodes)
            positions.extend([at] * len(nodes))

    def finish(self, text: str) -> c_ast.FileAST:
        if not self.failed:
            try:
                scanned = self.scanner.finish(text)
                self.parser._end = scanned.end
                self._parse_available()
                return self.parser.wrap(self.ext, scanned)
            except (LayoutError, ParseError, RecursionError):
                pass
        return parse_c(text, self.filename)


# Blocks of memory a library caller's process may grow by before the
# frozen objects (gc_paused) are given back to the collector and collected
# (at least: see gc_paused): about ten UAPI texts laid out and dropped.
_RECLAIM_BLOCKS = 1 << 20
_reclaimed_at = 0  # sys.getallocatedblocks() after the last collection


@contextlib.contextmanager
def gc_paused():
    """Keep Python's cyclic garbage collector out of a parse or a build.

    Both allocate hundreds of thousands of objects that all live on (a
    kernel header's tokens, AST nodes and types); each collection rescans
    them, and together the collections cost more than the work itself.
    Nothing they make needs the collector before the end.  At the end
    they are frozen (``gc.freeze``): left in the youngest generation, the
    first collections after it would each scan all of them again (70 ms
    for a kernel header's); reference counting still frees them, but not
    their cycles.  The command line's process ends after its command
    (``workers.keep_frozen``); a library caller's lives on, and what it is
    done with must be collected: once the process has grown by
    ``_RECLAIM_BLOCKS``, and by as much as it held after the last
    collection, the frozen objects go back to the collector and it runs
    (a frozen object is never collected: 4 MB more for each small text
    loaded, 0.1 M blocks for each UAPI text).  A collection scans what
    the process holds; growing by as much between two keeps their cost
    in proportion to the work, and the process at most about twice what
    it holds."""
    global _reclaimed_at
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            from .. import workers

            try:
                gc.freeze()
                if not workers.KEEP_FROZEN and \
                        sys.getallocatedblocks() - _reclaimed_at > max(_RECLAIM_BLOCKS, _reclaimed_at):
                    gc.unfreeze()
                    gc.collect()
                    _reclaimed_at = sys.getallocatedblocks()
            finally:
                gc.enable()  # also when interrupted while collecting


def parse_c(text: str, filename: str, defer: bool = True, scanned=None,
            reuse: bool = False, source: bool = False) -> c_ast.FileAST:
    """Parse preprocessed GNU C text into a pycparser AST (a ``ParsedFile``:
    declarations of functions and variables are parsed when the builder
    asks for them, unless ``defer`` is False).  ``scanned`` is the text's
    ``scan`` when it was already made (``Preprocessed.scanned``).  With
    ``reuse``, a declaration this process parsed in another text is
    copied from there (``_Reuse``: the same nodes and coordinates).
    ``source``: the text is a header read as it is written (``--cpp
    none``), where a directive may be indented, not a preprocessor's
    output, where a '#' not first on its line is a stray one."""
    try:
        with gc_paused():
            if scanned is not None:
                return GnuCParser(defer).parse_scanned(scanned)
            return GnuCParser(defer, reuse, source).parse(text, filename)
    except ParseError as exc:  # anything pycparser raised past our hooks
        raise LayoutError(str(exc)) from None

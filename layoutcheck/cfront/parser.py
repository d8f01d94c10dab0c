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

import contextlib
import gc
import re
from typing import List, Optional

from pycparser import c_ast
from pycparser.c_lexer import CLexer, Token, _line_pattern, _pragma_pattern
from pycparser.c_parser import CParser, Coord, ParseError, _TokenStream

from ..errors import LayoutError, where_of

# GNU spellings that mean a standard token.
_ALIASES = {
    "__signed__": ("SIGNED", "signed"),
    "__signed": ("SIGNED", "signed"),
    "__inline__": ("INLINE", "inline"),
    "__inline": ("INLINE", "inline"),
    "__restrict__": ("RESTRICT", "restrict"),
    "__restrict": ("RESTRICT", "restrict"),
    "__const__": ("CONST", "const"),
    "__const": ("CONST", "const"),
    "__volatile__": ("VOLATILE", "volatile"),
    "__volatile": ("VOLATILE", "volatile"),
    "__typeof__": ("TYPEOF", "typeof"),
    "__typeof": ("TYPEOF", "typeof"),
    "typeof": ("TYPEOF", "typeof"),
    "__alignof__": ("_ALIGNOF", "__alignof__"),
    "__alignof": ("_ALIGNOF", "__alignof__"),
    "__builtin_offsetof": ("OFFSETOF", "offsetof"),
    "__thread": ("_THREAD_LOCAL", "_Thread_local"),
    "__attribute__": ("GNU_ATTRIBUTE", "__attribute__"),
    "__attribute": ("GNU_ATTRIBUTE", "__attribute__"),
    "__asm__": ("GNU_ASM", "asm"),
    "__asm": ("GNU_ASM", "asm"),
    "asm": ("GNU_ASM", "asm"),
    "__int128__": ("__INT128", "__int128"),
    # C23's keyword, and <assert.h>'s macro before it.
    "static_assert": ("_STATIC_ASSERT", "_Static_assert"),
    # x86 named address spaces: qualifiers of the type they precede.
    "__seg_gs": ("ADDR_SPACE", "__seg_gs"),
    "__seg_fs": ("ADDR_SPACE", "__seg_fs"),
    # Refused by the parser where it would declare something: it only ever
    # appears in function bodies, which are skipped before they are lexed.
    "__auto_type": ("AUTO_TYPE", "__auto_type"),
}
_DROPPED = {"__extension__"}
_UNSUPPORTED = {
    "_Decimal32": "decimal floating types",
    "_Decimal64": "decimal floating types",
    "_Decimal128": "decimal floating types",
}

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

# Attributes whose arguments are constant expressions that matter here.
_EXPR_ARG_ATTRIBUTES = {"aligned", "vector_size", "warn_if_not_aligned"}
# Attributes whose single argument is an identifier.
_IDENT_ARG_ATTRIBUTES = {"mode"}
# Attributes that change the type they apply to in a way layout sees.
_TYPE_CHANGING_ATTRIBUTES = {"aligned", "packed", "mode", "vector_size", "scalar_storage_order",
                             "ms_struct", "gcc_struct", "randomize_layout", "warn_if_not_aligned"}


# What a function body skip stops at: braces, the start of a string or
# character literal or a comment, a newline (line numbers) and '#' (line
# markers and pragmas).
_BODY_STOP = re.compile(r"[{}\"'\n/#]")
_QUOTED = {'"': re.compile(r'"(?:[^"\\\n]|\\.)*"'),
           "'": re.compile(r"'(?:[^'\\\n]|\\.)*'")}
_PRAGMA_PACK = re.compile(r"[ \t]*pragma[ \t]+(?:GCC[ \t]+)?pack\b")


class _GnuLexer(CLexer):
    """pycparser's lexer, able to pass over a function body unread."""

    def skip_body(self, depth: int) -> bool:
        """Advance past the text up to the brace that closes ``depth`` open
        braces, keeping line numbers and line markers; False if the text
        ends first.  Braces inside string and character literals and
        comments do not count.  Nothing in the body is lexed, so nothing in
        it can be refused, except ``#pragma pack``, whose state outlives the
        body."""
        text = self._lexdata
        pos = self._pos
        search = _BODY_STOP.search
        pending, self._pending_tok = self._pending_tok, None
        if pending is not None and pending.type == "PPPRAGMASTR":
            self._check_body_pragma("pragma " + pending.value,
                                    Coord(pending.filename, pending.lineno, pending.column))
        while True:
            m = search(text, pos)
            if m is None:
                self._pos = len(text)
                return False
            pos = m.start()
            c = text[pos]
            if c == "{":
                depth += 1
                pos += 1
            elif c == "}":
                depth -= 1
                pos += 1
                if depth == 0:
                    self._pos = pos
                    return True
            elif c == "\n":
                pos += 1
                self._lineno += 1
                self._line_start = pos
            elif c in "\"'":
                quoted = _QUOTED[c].match(text, pos)
                if quoted is None:
                    where = Coord(self._filename, self._lineno, pos - self._line_start + 1)
                    raise LayoutError(f"missing terminating {c} character", where_of(where))
                pos = quoted.end()
            elif c == "/":
                pos = self._skip_comment(text, pos)
            elif text[self._line_start:pos].strip(" \t"):
                pos += 1  # '#' in the middle of a line: not a directive
            elif _line_pattern.match(text, pos + 1):
                self._pos = pos + 1
                self._handle_ppline()  # sets the line, the file and _line_start
                pos = self._pos
            else:
                end = text.find("\n", pos)
                end = len(text) if end < 0 else end
                if _pragma_pattern.match(text, pos + 1):
                    where = Coord(self._filename, self._lineno, pos - self._line_start + 1)
                    self._check_body_pragma(text[pos + 1:end], where)
                pos = end

    def _skip_comment(self, text: str, pos: int) -> int:
        """Past a comment at ``pos`` (or past a lone '/')."""
        if text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end < 0:
                where = Coord(self._filename, self._lineno, pos - self._line_start + 1)
                raise LayoutError("unterminated comment", where_of(where))
            newlines = text.count("\n", pos, end)
            if newlines:
                self._lineno += newlines
                self._line_start = text.rfind("\n", pos, end) + 1
            return end + 2
        if text.startswith("//", pos):
            end = text.find("\n", pos)
            return len(text) if end < 0 else end
        return pos + 1

    @staticmethod
    def _check_body_pragma(line: str, where: Coord) -> None:
        if _PRAGMA_PACK.match(line):
            raise LayoutError("#pragma pack inside a function body is not supported",
                              where_of(where))


class _Tokens(_TokenStream):
    """pycparser's token buffer, which can tell what it has read ahead."""

    def read_ahead(self) -> int:
        """How many tokens are buffered and not yet consumed."""
        return len(self._buffer) - self._index


def attribute_name(raw: str) -> str:
    """``__aligned__`` -> ``aligned``."""
    if raw.startswith("__") and raw.endswith("__") and len(raw) > 4:
        return raw[2:-2]
    return raw


class GnuCParser(CParser):
    """A pycparser CParser that reads GNU C declarations."""

    def __init__(self) -> None:
        super().__init__(lexer=_GnuLexer)

    # ------------------------------------------------------------ tokens
    def parse(self, text: str, filename: str = "", debug: bool = False) -> c_ast.FileAST:
        self._scope_stack = [{name: True for name in BUILTIN_TYPEDEFS}]
        self._typedef_checked_token = None
        self.clex.input(text, filename)
        self._tokens = _Tokens(self._filtered_token)
        try:
            ast = self._parse_translation_unit_or_empty()
            tok = self._peek()
            if tok is not None:
                self._parse_error(f"unexpected '{tok.value}'", self._tok_coord(tok))
        except RecursionError:
            raise LayoutError("declarations nested too deeply to parse",
                              where_of(self._here())) from None
        return ast

    def _filtered_token(self) -> Optional[Token]:
        lex = self.clex.token
        while True:
            tok = lex()
            if tok is None:
                return None
            if tok.type != "ID":
                return tok
            value = tok.value
            if value in _DROPPED:
                continue
            alias = _ALIASES.get(value)
            if alias is not None:
                tok.type, tok.value = alias
                return tok
            if value in _UNSUPPORTED:
                self._parse_error(f"{_UNSUPPORTED[value]} are not supported", self._tok_coord(tok))
            return tok

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
        lex = self.clex
        return Coord(lex.filename, lex._lineno, lex._pos - lex._line_start + 1)

    def _lex_error_func(self, msg, line, column):
        self._parse_error(msg, Coord(self.clex.filename, line, column))

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
                    self._parse_error("unterminated __attribute__", self.clex.filename)
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
                self._parse_error("unbalanced parentheses", self.clex.filename)
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
                self._tok_coord(tok) if tok else self.clex.filename)
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
        from pycparser.c_parser import (
            _FUNCTION_SPEC,
            _STORAGE_CLASS,
            _TYPE_QUALIFIER,
            _TYPE_SPEC_SIMPLE,
            _TYPEOF_SPEC,
        )

        while True:
            tok = self._peek()
            if tok is None:
                break
            if first_coord is None:
                first_coord = self._tok_coord(tok)
            kind = tok.type
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
        return spec, saw_type, first_coord

    def _build_declarations(self, spec, decls, typedef_namespace=False):
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

    def _parse_function_definition(self, spec, decl):
        """Keep the declaration, skip the body: it cannot change a layout."""
        if self._peek_type() != "LBRACE":
            self._parse_error("expected a function body", decl.coord)
        lbrace = self._tokens.next()
        depth = 1
        # Tokens the parser has already read ahead are counted here; the
        # rest of the body is passed over as text, never lexed.
        while depth and self._tokens.read_ahead():
            tok = self._tokens.next()
            if tok is None:
                self._parse_error("unterminated function body", self._tok_coord(lbrace))
            if tok.type == "LBRACE":
                depth += 1
            elif tok.type == "RBRACE":
                depth -= 1
            elif tok.type == "PPPRAGMASTR" and tok.value.split("(")[0].strip() == "pack":
                self._parse_error(
                    "#pragma pack inside a function body is not supported", self._tok_coord(tok)
                )
        if depth and not self.clex.skip_body(depth):
            self._parse_error("unterminated function body", self._tok_coord(lbrace))
        body = c_ast.Compound([], self._tok_coord(lbrace))
        return self._build_function_definition(spec, decl, None, body)

    def _parse_parameter_declaration(self):
        decl = super()._parse_parameter_declaration()
        self._parse_postfix_attributes()
        return decl

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
            decls = self._parse_struct_declaration_list()
            self._expect("RBRACE")
        attrs.extend(self._parse_gnu_attributes())
        return klass(name=name, decls=decls, coord=coord, attributes=attrs)

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
        from pycparser.c_parser import _TYPE_QUALIFIER

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
        if not stars:
            return None
        ptr = None
        for quals, coord, attrs in stars:
            ptr = c_ast.PtrDecl(quals=quals, type=ptr, coord=coord, attributes=attrs)
        return ptr

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
        from pycparser.c_parser import _TYPE_QUALIFIER

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
            if tok.value == "_Alignof":
                self._parse_error("_Alignof needs a type name", self._tok_coord(tok))
            expr = self._parse_unary_expression()
            return c_ast.UnaryOp(tok.value + "expr", expr, self._tok_coord(tok))
        return super()._parse_unary_expression()


@contextlib.contextmanager
def gc_paused():
    """Keep Python's cyclic garbage collector out of a parse or a build.

    Both allocate hundreds of thousands of objects that all live on (a
    kernel header's tokens, AST nodes and types); each collection rescans
    them, and together the collections cost more than the work itself.
    Nothing they make needs the collector before the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_c(text: str, filename: str) -> c_ast.FileAST:
    """Parse preprocessed GNU C text into a pycparser AST."""
    try:
        with gc_paused():
            return GnuCParser().parse(text, filename)
    except ParseError as exc:  # anything pycparser raised past our hooks
        raise LayoutError(str(exc)) from None

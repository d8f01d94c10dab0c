# ruff: noqa: E501  (a table: one case per line)
"""Hostile inputs: each with the exit status and the file:line its message must name.

Each case: (id, files written into an empty directory, the command line run
there, exit status, a fragment of the output, the start of the file:line
the message names or "").  tests/test_hostile.py runs them under a memory
and a time limit; the README lists the limits they meet."""

# (id, {file: text}, argv (with {d} for the dir), rc, message fragment, location fragment or "")
S = "struct s { int a; };\n"


def nest(n):
    return "struct s {" + "struct {" * n + "int x;" + "};" * n + "};\n"


CASES = [
 # C text that cannot be read
 ("truncated", {"h.h": "struct s { int a;"}, ["show", "h.h"], 2, "unexpected end of input", "h.h:1:"),
 ("missing-semicolon", {"h.h": "struct s { int a int b; }; \n"}, ["show", "h.h"], 2, "before 'int'", "h.h:1:18"),
 ("unknown-type", {"h.h": "struct s { foo_t a; };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("contains-itself", {"h.h": "struct s { struct s x; };\n"}, ["show", "h.h"], 2,
  "member 'x' has incomplete type 'struct s'", "h.h:1:21"),
 ("member-completed-later", {"h.h": "struct t;\nstruct s { struct t x; };\nstruct t { int a; };\n"},
  ["show", "h.h", "--struct", "t"], 2, "member 'x' has incomplete type 'struct t'", "h.h:2:21"),
 ("incomplete-member", {"h.h": "struct t;\nstruct s { struct t x; };\n"}, ["show", "h.h"], 2, "incomplete", "h.h:2:"),
 ("void-member", {"h.h": "struct s { void x; };\n"}, ["show", "h.h"], 2, "void", "h.h:1:"),
 ("atomic-array", {"h.h": "typedef int A[3];\nstruct s { _Atomic A x; };\n"}, ["show", "h.h"], 2, "_Atomic", "h.h:2:"),
 ("negative-array", {"h.h": "struct s { char a[-1]; };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("huge-array", {"h.h": "struct s { char a[1ULL<<40]; int b; };\n"}, ["show", "h.h"], 2, "too large", "h.h:1:"),
 ("huge-array-x86_64", {"h.h": "struct s { char a[1ULL<<62]; char b[1ULL<<62]; };\n"}, ["show", "h.h", "--abi", "x86_64"], 2, "", "h.h:1:"),
 ("terabyte-member-text", {"h.h": "struct s { char a[1ULL<<40]; int b; };\n"}, ["show", "h.h", "--abi", "x86_64"], 0, "cacheline boundaries 1 to 17179869184", ""),
 ("terabyte-member-json", {"h.h": "struct s { char a[1ULL<<40]; int b; };\n"}, ["show", "h.h", "--abi", "x86_64", "--format", "json"], 2, "up to 67108864 bytes", "h.h:1:"),
 ("twenty-megabyte-header", {"h.h": "".join(f"struct s{i} {{ int a; long b; char c[3]; }};\n" for i in range(160000))}, ["show", "h.h", "--struct", "s5", "--abi", "x86_64"], 0, "struct s5 {", ""),
 ("zero-width-named-bitfield", {"h.h": "struct s { int a:0; };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("bitfield-too-wide", {"h.h": "struct s { int a:33; };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("bitfield-of-pointer", {"h.h": "struct s { int *a:3; };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("aligned-not-power", {"h.h": "struct s { int a __attribute__((aligned(3))); };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("aligned-too-big", {"h.h": "struct s { int a __attribute__((aligned(1<<30))); };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("division-by-zero-bound", {"h.h": "struct s { char a[1/0]; };\n"}, ["show", "h.h"], 2, "division by zero", "h.h:1:"),
 ("nonconstant-bound", {"h.h": "extern int n;\nstruct s { char a[n]; };\n"}, ["show", "h.h"], 2, "", "h.h:2:"),
 ("enum-overflow", {"h.h": "enum e { A = 0x7fffffffffffffffLL, B, C };\nstruct s { enum e x; };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("redefinition", {"h.h": "struct s { int a; };\nstruct s { long b; };\n"}, ["show", "h.h"], 2, "", "h.h:2:"),
 ("duplicate-member", {"h.h": "struct s { int a; int a; };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("static-assert-div0", {"h.h": "_Static_assert(1/0, \"x\");\n" + S}, ["check", "h.h"], 2, "division by zero", "h.h:1:"),
 ("static-assert-nonconst", {"h.h": "extern int n;\n_Static_assert(n, \"x\");\n" + S}, ["check", "h.h", "--strict"], 1, "not evaluated", ""),
 ("nest-1000", {"h.h": nest(1000)}, ["show", "h.h", "--abi", "x86_64"], 0, "", ""),
 ("nest-100000", {"h.h": nest(100000)}, ["show", "h.h"], 2, "nested too deeply", "h.h:1:"),
 ("parens-1000", {"h.h": "struct s { char a[" + "(" * 1000 + "1" + ")" * 1000 + "]; };\n"}, ["show", "h.h", "--abi", "x86_64"], 0, "", ""),
 ("parens-100000", {"h.h": "struct s { char a[" + "(" * 100000 + "1" + ")" * 100000 + "]; };\n"}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("dims-100000", {"h.h": "struct s { char a" + "[1]" * 100000 + "; };\n"}, ["show", "h.h"], 2, "more than 512", "h.h:1:"),
 ("stars-100000", {"h.h": "struct s { char " + "*" * 100000 + "a; };\n"}, ["show", "h.h"], 2, "more than 512", "h.h:1:"),
 ("garbage-bytes", {"h.h": "\x00\x01\x02\xff struct"}, ["show", "h.h"], 2, "", "h.h"),
 ("only-comment-unterminated", {"h.h": "/* never ends\nstruct s { int a; };\n"}, ["show", "h.h"], 2, "", "h.h:1"),
 # preprocessing
 ("error-directive", {"h.h": "#error no\n" + S}, ["show", "h.h"], 2, "#error no", "h.h:1:"),
 ("missing-include", {"h.h": '#include "nope.h"\n' + S}, ["show", "h.h"], 2, "nope.h", "h.h:1:"),
 ("include-itself", {"h.h": '#include "h.h"\n' + S}, ["show", "h.h"], 2, "", "h.h"),
 ("include-dev-zero", {"h.h": '#include "/dev/zero"\n' + S}, ["show", "h.h", "--abi", "x86_64"], 2, "", ""),
 ("include-dev-stdin", {"h.h": '#include "/dev/stdin"\n' + S}, ["show", "h.h", "--abi", "x86_64"], 0, "", ""),
 ("unterminated-if", {"h.h": "#if 1\n" + S}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("bad-if-expr", {"h.h": "#if 1 +\n#endif\n" + S}, ["show", "h.h"], 2, "", "h.h:1:"),
 ("macro-recursion", {"h.h": "#define A A B\n#define B A\nstruct s { int A; };\n"}, ["show", "h.h"], 2, "", "h.h:3:"),
 # paths
 ("directory", {}, ["show", "{d}"], 2, "is a directory", ""),
 ("missing-file", {}, ["show", "{d}/nope.h"], 2, "no such file", ""),
 ("dash-path", {"-x.h": S}, ["show", "--", "-x.h"], 0, "", ""),
 ("crlf-header", {"h.h": "struct s {\r\n int a;\r\n};\r\n"}, ["show", "h.h", "--abi", "x86_64", "--cpp", "none"], 0, "int a;", ""),
 ("cr-header", {"h.h": "struct s {\r int a;\r};\r"}, ["show", "h.h", "--abi", "x86_64"], 0, "int a;", ""),
 ("empty-file", {"h.h": ""}, ["show", "h.h"], 0, "no struct or union", ""),
 # options
 ("bad-abi", {"h.h": S}, ["show", "h.h", "--abi", "vax"], 2, "unknown ABI", ""),
 ("bad-define", {"h.h": S}, ["show", "h.h", "-D", "1bad"], 2, "not a macro name", ""),
 ("define-newline", {"h.h": S}, ["show", "h.h", "-D", "A=1\n#include </etc/passwd>"], 2, "", ""),
 ("bad-undef", {"h.h": S}, ["show", "h.h", "-U", "a-b"], 2, "", ""),
 ("include-dir-missing", {"h.h": S}, ["show", "h.h", "-I", "{d}/none"], 0, "", ""),
 ("cacheline-negative", {"h.h": S}, ["show", "h.h", "--cacheline", "-1"], 2, "--cacheline", ""),
 ("verify-jobs-negative", {"h.h": S}, ["verify", "h.h", "-j", "-1"], 2, "-j must be at least 1", ""),
 ("unknown-struct", {"h.h": S}, ["show", "h.h", "--struct", "t"], 2, "no struct or union named 't'", ""),
 ("bits-need-negative", {"h.h": S}, ["bits", "h.h", "--need", "-1"], 2, "--need", ""),
 ("decode-no-abi", {"h.h": S, "d.bin": "xxxx"}, ["decode", "h.h", "d.bin", "--struct", "s"], 2, "give one ABI", ""),
 ("decode-short-dump", {"h.h": S, "d.bin": "xx"}, ["decode", "h.h", "d.bin", "--struct", "s", "--abi", "x86_64", "--count", "1"], 2, "hold no whole struct s", ""),
 ("alias-no-value", {"h.h": S}, ["alias", "h.h", "--struct", "s", "--set", "a"], 2, "MEMBER=VALUE", ""),
 ("alias-too-big", {"h.h": S}, ["alias", "h.h", "--struct", "s", "--set", "a=1e99", "--abi", "x86_64"], 2, "", ""),
 ("place-bad-member", {"h.h": S}, ["place", "h.h", "--member", "int return"], 2, "C keyword", ""),
 ("option-not-a-number", {"h.h": S}, ["show", "h.h", "--cacheline", "0x40"], 2, "show: argument --cacheline: invalid int value", ""),
 ("decode-offset-not-a-number", {"h.h": S, "d.bin": "xxxx"}, ["decode", "h.h", "d.bin", "--struct", "s", "--offset", "0xzz"], 2, "invalid number value", ""),
 ("unknown-option", {"h.h": S}, ["show", "h.h", "--bogus"], 2, "show: unrecognized arguments: --bogus", ""),
 ("device-header", {}, ["show", "/dev/zero"], 2, "not a regular file", ""),
 ("device-dump", {"h.h": S}, ["decode", "h.h", "/dev/zero", "--struct", "s", "--abi", "x86_64", "--count", "1"], 2, "not a regular file", ""),
 ("device-rules", {"h.h": S}, ["check", "h.h", "--rules", "/dev/zero"], 2, "not a regular file", ""),
 ("pcpp-empty-define", {"h.h": "#define\n" + S}, ["show", "h.h", "--abi", "x86_64", "--cpp", "python"], 2, "pcpp could not preprocess", "h.h"),
 ("project-nul-define", {"h.h": "#define B 1\n" + S, "layoutcheck.toml": '[project]\ndefines = { A = "\\"\\u0000\\"" }\n'}, ["show", "h.h", "--abi", "x86_64"], 2, "holds a NUL", ""),
 # rules files
 ("rules-wrong-type", {"h.h": S, "layoutcheck.toml": "struct = 5\n"}, ["check", "h.h"], 2, "'struct' must be a struct name", "layoutcheck.toml"),
 ("rules-multiple-of-zero", {"h.h": S, "layoutcheck.toml": 'struct="s"\n[[rule]]\nname="x"\nkind="size"\nmultiple_of=0\n'}, ["check", "h.h"], 2, "multiple_of = 0", "layoutcheck.toml"),
 ("rules-not-utf8", {"h.h": S, "layoutcheck.toml": b'struct="\xff"\n'}, ["check", "h.h"], 2, "not UTF-8", "layoutcheck.toml:1"),
 ("rules-5000-digits", {"h.h": S, "layoutcheck.toml": 'struct="s"\n[[rule]]\nname="x"\nkind="size"\nexpect=' + "9" * 5000 + "\n"}, ["check", "h.h"], 2, "digits", "layoutcheck.toml"),
 ("rules-deep", {"h.h": S, "layoutcheck.toml": "x=" + "[" * 100000 + "]" * 100000 + "\n"}, ["check", "h.h"], 2, "nested too deeply", "layoutcheck.toml"),
 ("rules-vary-30", {"h.h": S, "layoutcheck.toml": 'struct="s"\n[matrix]\nvary=[' + ",".join(f'"M{i}"' for i in range(30)) + "]\n"}, ["check", "h.h"], 2, "at most 10", "layoutcheck.toml"),
 ("rules-size-unicode-digit", {"h.h": S, "layoutcheck.toml": 'struct="s"\n[[rule]]\nname="x"\nkind="size"\nexpect="\u00b2"\n'}, ["check", "h.h"], 2, "cannot read size", "layoutcheck.toml"),
 ("rules-size-5000-digit-string", {"h.h": S, "layoutcheck.toml": 'struct="s"\n[[rule]]\nname="x"\nkind="size"\nexpect="' + "9" * 5000 + '"\n'}, ["check", "h.h"], 2, "too many digits", "layoutcheck.toml"),
 ("rules-not-toml", {"h.h": S, "layoutcheck.toml": "struct = \n"}, ["check", "h.h"], 2, "", "layoutcheck.toml"),
 ("rules-unknown-kind", {"h.h": S, "layoutcheck.toml": 'struct="s"\n[[rule]]\nname="x"\nkind="nope"\n'}, ["check", "h.h"], 2, "", "layoutcheck.toml"),
 ("rules-unknown-member", {"h.h": S, "layoutcheck.toml": 'struct="s"\n[[rule]]\nname="x"\nkind="offset"\nmember="b"\nexpect=0\n'}, ["check", "h.h"], 1, "", ""),
 ("rules-too-big", {"h.h": S, "layoutcheck.toml": "# " + "x" * (5 << 20) + "\n"}, ["check", "h.h"], 2, "more than", "layoutcheck.toml"),
 ("project-bad-key", {"h.h": S, "layoutcheck.toml": '[project]\nheaderz=["h.h"]\n'}, ["show", "h.h"], 2, "", "layoutcheck.toml"),
]

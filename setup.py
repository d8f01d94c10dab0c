"""layoutcheck: bit-exact C struct layouts for every Linux ABI."""

import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(HERE, "README.md"), encoding="utf-8") as fh:
    LONG_DESCRIPTION = fh.read()

setup(
    name="layoutcheck",
    version="0.1.0",
    description="Lay out C structs bit-exactly for every Linux ABI and check layout rules",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["layoutcheck", "layoutcheck.*"]),
    package_data={"layoutcheck": ["data/*.json", "data/macros/*.h", "data/include/*.h", "py.typed"]},
    install_requires=[
        # The GNU C front end subclasses pycparser's parser: pin the minor
        # version it was written and tested against.
        "pycparser>=3.12,<3.13",
        # Pure-Python preprocessor for machines without a C compiler.
        "pcpp>=1.30",
        # Reads the compilers' answers out of ELF objects (verify).
        "pyelftools>=0.31",
        # The host ABI's second oracle: a module built through cffi.
        "cffi>=1.17",
        # The bytes of a layout (layoutcheck.image: parse, build, decode,
        # alias): definitions composed from its Struct, Union and BitStruct.
        "construct>=2.10,<2.11",
    ],
    extras_require={
        # .ci/run lints before testing (ruff: pyflakes, pycodestyle,
        # bugbear; mypy on the engine, the ABI records and the API), so the
        # README's setup command installs the same tools.
        # jsonschema validates the SARIF output against its schema;
        # pre-commit runs the hook as users install it (tests/test_workflow.py).
        "test": ["pytest>=8", "hypothesis>=6.100", "ruff>=0.5", "mypy>=1.10",
                 "jsonschema>=4.17", "pre-commit>=3.5"],
    },
    entry_points={
        "console_scripts": ["layoutcheck = layoutcheck.cli:console_main"],
        # assert_layout, assert_rules_pass, assert_no_layout_change and the
        # layoutcheck_project fixture for a project's own tests
        "pytest11": ["layoutcheck = layoutcheck.pytest_plugin"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: C",
        "Topic :: Software Development :: Testing",
        "Operating System :: POSIX :: Linux",
    ],
)

"""Word grids (``show``/``diff --format svg|html``), rendered by a real
browser: headless Chromium loads the diff page the thread's question makes,
the member boxes are checked in the DOM it built, and a screenshot is kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.dom.minidom

import pytest

from .conftest import CDEFS, oracles_required

PAGE = os.path.join(CDEFS, "page")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "no chromium (apt-get install chromium)"
    if oracles_required():
        pytest.fail(message)
    pytest.skip(message)


def test_show_svg_is_one_wellformed_document(run_cli):
    code, out, err = run_cli("show", os.path.join(PAGE, "v4.20.h"), "--struct", "page", "--format", "svg",
                             "--abi", "x86_64", "--abi", "i386")
    assert code == 0, err
    doc = xml.dom.minidom.parseString(out)
    boxes = [g.getAttribute("data-member") for g in doc.getElementsByTagName("g")
             if g.getAttribute("data-member")]
    assert {"flags", "lru.next", "compound_head", "pgmap", "hmm_data", "_refcount.counter"} <= set(boxes)
    tails = [r for r in doc.getElementsByTagName("rect") if r.getAttribute("data-tail")]
    assert {r.getAttribute("data-tail") for r in tails} == {"compound_head"}


def test_html_escapes_what_comes_from_headers(tmp_path, run_cli):
    header = tmp_path / "a<b>&.h"
    header.write_text("struct s { char c; long l; };\n")
    code, out, _ = run_cli("show", header, "--format", "html", "--abi", "x86_64")
    assert code == 0
    assert "a<b>" not in out and "a&lt;b&gt;&amp;.h" in out
    assert "<script" not in out and "http" not in out.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # the hole after c is drawn: 56 of the 128 bits are padding
    assert out.count('class="hole"') == 56


def test_chromium_renders_the_zd_swap_diff(tmp_path, run_cli):
    browser = _chromium()
    code, out, err = run_cli("diff", os.path.join(PAGE, "v4.20.h"), os.path.join(PAGE, "zd-swap.h"),
                             "--format", "html")
    assert code == 1, err
    page = tmp_path / "zd-swap.html"
    page.write_text(out)
    shot = tmp_path / "zd-swap.png"
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(base + ["--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    subprocess.run(base + ["--window-size=2600,1400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    # the boxes the thread argues about, as the browser built them
    for member in ("pgmap", "hmm_data", "_zd_pad_1", "dma_pinned_flags", "lru.prev", "compound_head"):
        assert f'data-member="{member}"' in dom, member
    assert 'class="member changed" data-member="hmm_data"' in dom
    assert 'class="member flagged" data-member="mapping"' in dom  # a rule fails there
    assert dom.count("<section") == out.count("<section") >= 4
    assert shot.stat().st_size > 20000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("LAYOUTCHECK_SCREENSHOTS")
    if keep:
        shutil.copy(shot, os.path.join(keep, "zd-swap-diff.png"))


def test_diff_svg_has_old_and_new_grids(run_cli):
    code, out, _ = run_cli("diff", os.path.join(PAGE, "v4.20.h"), os.path.join(PAGE, "zd-swap.h"),
                           "--format", "svg", "--abi", "x86_64")
    assert code == 1
    doc = xml.dom.minidom.parseString(out)
    titles = [t.firstChild.data for t in doc.getElementsByTagName("text")
              if t.getAttribute("class") == "title"]
    assert titles[0].startswith("layoutcheck diff ")
    assert any(t.startswith("struct page: old: x86_64") for t in titles)
    assert any(t.startswith("struct page: new: x86_64") for t in titles)
    changed = {g.getAttribute("data-member") for g in doc.getElementsByTagName("g")
               if "changed" in g.getAttribute("class")}
    assert {"hmm_data", "_zd_pad_1"} <= changed
    code, _, err = run_cli("diff", "--git", "HEAD", os.path.join(PAGE, "v4.20.h"), "--format", "svg")
    assert code == 2 and "--format svg: give OLD and NEW as paths" in err

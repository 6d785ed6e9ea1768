"""Opening input files (chipcast.inputs.files) and typing ids (chipcast.inputs.cells): only
regular files inside the data folder under a size cap; ids in plain ASCII."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from chipcast.contracts import TABLES
from chipcast.contracts.inputs import IDENTIFIER_COLUMNS, TEXT
from chipcast.errors import InputError, excerpt
from chipcast.inputs.cells import CellError, parse_identifier
from chipcast.inputs.files import read_input_bytes


def _problem(path: Path, root: Path | None, limit: int = 1000) -> str:
    with pytest.raises(InputError) as err:
        read_input_bytes(path, "x.csv", root=root, limit=limit)
    assert [p.file for p in err.value.problems] == ["x.csv"]
    return str(err.value)


def test_a_regular_file_inside_is_read(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.csv").write_bytes(b"a,b\n1,2\n")
    (tmp_path / "link.csv").symlink_to("sub/t.csv")  # a link staying inside is fine
    for name in ("sub/t.csv", "link.csv"):
        assert read_input_bytes(tmp_path / name, name, root=tmp_path, limit=8) == b"a,b\n1,2\n"


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 9)
    assert "cap" in _problem(path, tmp_path, limit=8)
    assert read_input_bytes(path, "big.csv", root=tmp_path, limit=9) == b"x" * 9
    os.truncate(path, 60 * 1024 * 1024)  # sparse: refused from its size, not read
    assert "60.0 MB, above the 50 MB cap" in _problem(path, tmp_path, limit=50 * 1024 * 1024)


def test_links_out_fifos_devices_and_folders_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "secret.csv").write_text("root:x:0:0\n")
    (data / "out.csv").symlink_to(tmp_path / "secret.csv")
    (data / "zero.csv").symlink_to("/dev/zero")
    (data / "loop.csv").symlink_to("loop.csv")
    os.mkfifo(data / "pipe.csv")
    (data / "dir.csv").mkdir()
    text = _problem(data / "out.csv", data)
    assert "outside the data folder" in text and "root:" not in text
    assert "outside the data folder" in _problem(data / "zero.csv", data)
    assert "a device" in _problem(Path("/dev/zero"), None)  # a path given on the command line
    assert "outside the data folder" in _problem(data / "loop.csv", data)
    assert "FIFO" in _problem(data / "pipe.csv", data)  # and it returns at once: no hang
    assert "a folder, not a file" in _problem(data / "dir.csv", data)
    assert "file not found" in _problem(data / "none.csv", data)


@pytest.mark.parametrize("text", ["baidu", "A800-80GB-SXM", "Moore Threads", "ERNIE 4.5",
                                  "Qwen2.5-Max (open)", "*", "gpt4-class", "idc-2022_a/b+c"])
def test_plain_ids_are_kept(text: str) -> None:
    assert parse_identifier(f" {text} ") == text


@pytest.mark.parametrize("text", ["b\u0430idu", "\u0432aidu", "\u0391lpha", "baidu\u200b"])
def test_look_alike_letters_are_named(text: str) -> None:
    bad = next(c for c in text if not c.isascii())
    with pytest.raises(CellError) as err:
        parse_identifier(text)
    assert f"U+{ord(bad):04X} {unicodedata.name(bad)}" in err.value.message
    assert "plain ASCII" in err.value.message


@pytest.mark.parametrize("text,plain", [("\uff42\uff41\uff49\uff44\uff55", "baidu"),
                                        ("Moore\u00a0Threads", "Moore Threads"),
                                        ("A\u2010100", None)])
def test_nfkc_spelling_is_offered_when_it_is_plain(text: str, plain: str | None) -> None:
    with pytest.raises(CellError) as err:
        parse_identifier(text)
    if plain is None:
        assert "retype it" in err.value.hint
    else:
        assert err.value.hint == f"write it in plain ASCII: {plain}"


@pytest.mark.parametrize("text", ["a  b", "a;b", "a,b", "-a", "a\tb", "x" * 81, "a\nb", "é"])
def test_other_characters_are_refused(text: str) -> None:
    with pytest.raises(CellError):
        parse_identifier(text)


def test_excerpts_are_short_and_printable() -> None:
    assert excerpt("root:x:0:0:root:/root:/bin/bash\n" * 10).endswith("...")
    assert len(excerpt("y" * 1000)) == 63
    assert excerpt("a\x00b\x1b[31m") == "a\\x00b\\x1b[31m"
    assert excerpt("Huawei") == "Huawei"


def test_every_text_key_is_an_identifier_column() -> None:
    assert set(IDENTIFIER_COLUMNS) == set(TABLES)
    for name, spec in TABLES.items():
        assert set(spec.identifiers) <= set(spec.all_columns), name
        text_keys = {k for k in spec.keys if spec.type_of(k) == TEXT}
        assert text_keys <= set(spec.identifiers), name
        if spec.numeric:
            assert "metric" in spec.identifiers, name

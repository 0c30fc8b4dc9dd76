"""Reading members of real-format archives: a Debian package, a wheel, a source tarball."""

from __future__ import annotations

import pytest

from data.formats import make_deb, make_tar_gz, make_zip
from lrlab.data.archives import ArchiveError, ar_members, archive_member, deb_member, zip_member


def test_a_member_of_a_debian_package_comes_out_whole() -> None:
    payload = bytes(range(256)) * 41 + b"odd"  # an odd size: ar pads members to even offsets
    deb = make_deb({"usr/share/datasets/x/file.gz": payload, "usr/share/doc/x/copyright": b"MIT"})
    assert list(ar_members(deb)) == ["debian-binary", "control.tar.xz", "data.tar.xz"]
    assert deb_member(deb, "usr/share/datasets/x/file.gz") == payload
    assert archive_member(deb, "deb", "./usr/share/doc/x/copyright") == b"MIT"


def test_wheel_and_tarball_members() -> None:
    assert zip_member(make_zip({"pkg/data/a.csv": b"1,2\n"}), "pkg/data/a.csv") == b"1,2\n"
    assert archive_member(make_tar_gz({"mlbench/data/L.rda": b"RDX2"}), "tar", "mlbench/data/L.rda") == b"RDX2"


@pytest.mark.parametrize(("kind", "data", "message"), [
    ("deb", b"PK\x03\x04 not a deb", "not an ar archive"),
    ("deb", make_deb({"a": b"x"})[:-40], "truncated|tar archive"),
    ("zip", b"!<arch>\n", "not a zip archive"),
    ("zip", make_zip({"a": b"x"}), "has no file 'b'"),
    ("tar", make_tar_gz({"a": b"x"}), "has no file 'b'"),
])
def test_a_wrong_or_damaged_archive_is_refused_with_one_line(kind: str, data: bytes, message: str) -> None:
    with pytest.raises(ArchiveError, match=message) as raised:
        archive_member(data, kind, "b" if "has no file" in message else "a")
    assert "\n" not in str(raised.value)

import pytest

from course_utils import envcheck


def test_installed_package_is_ok():
    status, version = envcheck.package_status("numpy", ">=1.0")
    assert status == "OK" and version


def test_missing_and_wrong_version():
    assert envcheck.package_status("surely-not-a-real-package-xyz") == ("missing", None)
    status, version = envcheck.package_status("numpy", ">=999")
    assert status == "wrong version" and version


def test_bad_requirement():
    with pytest.raises(ValueError):
        envcheck.package_status("numpy", ">=>1")
    with pytest.raises(ValueError):
        envcheck.package_status("")


def test_report_covers_every_required_package(capsys):
    rows = envcheck.report()
    assert set(envcheck.REQUIRED) | {"python"} == set(rows)
    assert all(status == "OK" for status, _ in rows.values()), rows
    assert "torch" in capsys.readouterr().out


def test_main_prints_device_and_datasets(capsys):
    assert envcheck.main() == 0
    out = capsys.readouterr().out
    assert "device:" in out and "tiny Shakespeare" in out

"""Flask commands: seed-demo, create-user, demo-otp."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from casework.auth import services as auth
from casework.core.models import Agency, Person, User
from casework.extensions import db
from tests.helpers import login


@pytest.fixture
def runner(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")  # keep demo credentials out of the real instance folder
    return app.test_cli_runner()


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_demo_loads_once(app, runner, tmp_path):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert "admin@example.org" in result.output
    counts = (_count(Agency), _count(User), _count(Person))
    assert counts[0] >= 10 and counts[1] >= 9 and counts[2] >= 2
    creds = tmp_path / "instance" / "demo-credentials.txt"
    assert creds.exists() and creds.stat().st_mode & 0o777 == 0o600
    roles = set().union(*(u.roles for u in db.session.scalars(sa.select(User))))
    assert {"admin", "marac_coordinator", "idva", "marac_rep", "dpo", "analyst"} <= roles

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "already has data" in again.output
    assert "Demo data loaded." not in again.output
    db.session.expire_all()
    assert (_count(Agency), _count(User), _count(Person)) == counts

    # The printed password and TOTP secret really sign in.
    line = next(ln for ln in creds.read_text().splitlines() if ln.startswith("idva@example.org"))
    _, password, secret = line.split("\t")
    user = db.session.scalar(sa.select(User).where(User.email == "idva@example.org"))
    assert user.totp_secret == secret
    login(app.test_client(), user, password)


def test_seed_demo_refused_outside_demo_mode(app, runner):
    app.config["DEMO_MODE"] = False
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "refused" in result.output
    assert _count(Agency) == 0


def test_create_user(app, runner, factory):
    agency = factory.agency("police", code="POL")
    password = "a perfectly long passphrase 9"
    result = runner.invoke(
        args=["create-user", "--email", "New.Officer@Example.org", "--name", "New Officer", "--agency", "POL"]
        + ["--role", "marac_rep", "--role", "iom_officer"],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created user" in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new.officer@example.org"))
    assert user.display_name == "New Officer" and user.agency_id == agency.id
    assert user.roles == {"marac_rep", "iom_officer"}
    assert auth.check_password(user, password)
    assert not user.mfa_enrolled


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--agency", "NOPE", "--role", "idva"], "a perfectly long passphrase 9", "no agency with code NOPE"),
        (["--agency", "POL", "--role", "idva"], "short", "at least 12 characters"),
        (["--agency", "POL", "--role", "wizard"], "a perfectly long passphrase 9", "Unknown role"),
    ],
)
def test_create_user_refusals(app, runner, factory, args, password, message):
    factory.agency("police", code="POL")
    before = _count(User)
    result = runner.invoke(
        args=["create-user", "--email", "x@example.org", "--name", "X", *args], input=f"{password}\n{password}\n"
    )
    assert result.exit_code != 0
    assert message in result.output
    db.session.expire_all()
    assert _count(User) == before


def test_create_user_duplicate_email(app, runner, factory):
    existing = factory.user("idva")
    agency_code = existing.agency.code
    password = "a perfectly long passphrase 9"
    result = runner.invoke(
        args=["create-user", "--email", existing.email, "--name", "Dup", "--agency", agency_code, "--role", "idva"],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code != 0 and "already exists" in result.output


def test_demo_otp_prints_current_code(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["demo-otp", "idva@example.org"])
    assert result.exit_code == 0, result.output
    code = result.output.strip()
    assert re.fullmatch(r"\d{6}", code)
    secret = db.session.scalar(sa.select(User).where(User.email == "idva@example.org")).totp_secret
    totp = pyotp.TOTP(secret)
    now = time.time()
    assert code in {totp.at(now), totp.at(now - 30)}


def test_demo_otp_refusals(app, runner, factory):
    factory.user("idva", enrolled=False, email="pending@example.org")
    assert runner.invoke(args=["demo-otp", "nobody@example.org"]).exit_code != 0
    result = runner.invoke(args=["demo-otp", "pending@example.org"])
    assert result.exit_code != 0 and "no enrolled user" in result.output
    app.config["DEMO_MODE"] = False
    factory.user("idva", email="enrolled@example.org")
    result = runner.invoke(args=["demo-otp", "enrolled@example.org"])
    assert result.exit_code != 0 and "development only" in result.output


def test_keygen_prints_valid_production_secrets(capsys, tmp_path):
    import json

    from casework import create_app, keygen
    from casework.core.crypto import Keyring

    keygen.main()
    out = capsys.readouterr().out
    secret = re.search(r"^CASEWORK_SECRET_KEY=(\S+)$", out, re.M).group(1)
    ring_json = re.search(r"^CASEWORK_KEYRING='(.+)'$", out, re.M).group(1)
    ring = Keyring.from_dict(json.loads(ring_json))
    assert len(ring.keys) == 1 and ring.current == ring.index
    # Production accepts exactly what keygen prints.
    app = create_app(
        "production",
        {"SECRET_KEY": secret, "KEYRING_JSON": ring_json, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"},
    )
    assert app.extensions["casework.keyring"] == ring


def test_keys_add_refuses_environment_key_ring(app, runner):
    result = runner.invoke(args=["keys", "add"])
    assert result.exit_code != 0 and "CASEWORK_KEYRING" in result.output


def test_keys_add_to_file_ring(app, runner, tmp_path):
    import json

    from casework.core import crypto

    path = tmp_path / "ring.json"
    ring = crypto.Keyring.from_dict(json.loads(app.config["KEYRING_JSON"]))
    crypto.write_keyring_file(path, ring)
    app.config["KEYRING_JSON"] = None
    app.config["KEYRING_FILE"] = str(path)
    app.extensions.pop("casework.keyring", None)
    result = runner.invoke(args=["keys", "add"])
    assert result.exit_code == 0, result.output
    updated = crypto.load_keyring({"KEYRING_FILE": str(path)})
    assert set(ring.keys) < set(updated.keys)
    assert updated.current != ring.current and updated.index == ring.index
    assert path.stat().st_mode & 0o777 == 0o600
    assert crypto.keyring().current == updated.current

"""The password policy: 15 characters or more, not common nor easy to guess, everywhere a password is set."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from admin.auth.passwords import MIN_PASSWORD_LENGTH, WeakPassword, check_password
from common.settings import Settings
from harness.processes import run_hop
from tests.admin.api import PASSWORD, Account, assert_problem, login, register
from tests.admin.db import sql

# Each is at least 15 characters long, and each is refused.
COMMON = [
    "1qaz2wsx3edc4rfv",  # on zxcvbn's list of the most common leaked passwords
    "qwertyuiop12345",  # a keyboard row and a sequence
    "passwordpassword",  # a repeat of the most common password
    "P@ssw0rd12345678",  # l33t spelling does not hide it
    "aaaaaaaaaaaaaaaaaaaaaaa",
    "abcdefghijklmnopqrstu",
    "iloveyouiloveyou!",
    "Password1234567!",  # the most common password, padded to length
    "Welcome2024!!!!!",
]
GOOD = [PASSWORD, "an entirely new passphrase", "mydogisnamedrex", "Blue-Sky-Morning"]


@pytest.mark.parametrize("password", COMMON)
def test_common_and_guessable_passwords_are_refused(password: str) -> None:
    assert len(password) >= MIN_PASSWORD_LENGTH
    with pytest.raises(WeakPassword, match="common or easy to guess"):
        check_password(password)


@pytest.mark.parametrize("password", GOOD)
def test_long_unguessable_passwords_pass(password: str) -> None:
    check_password(password, email="someone@example.com")


def test_length_is_the_first_rule() -> None:
    with pytest.raises(WeakPassword, match="at least 15 characters"):
        check_password("Xk#9vLq2!mZ7rT")  # 14 random characters
    check_password("Xk#9vLq2!mZ7rT4")


def test_the_accounts_own_address_does_not_make_a_password() -> None:
    email = "zorbulon.kwefty@example.com"
    check_password("zorbulonkwefty12", email=None)
    with pytest.raises(WeakPassword):
        check_password("zorbulonkwefty12", email=email)


def test_only_the_first_characters_are_judged_so_a_check_stays_cheap() -> None:
    # zxcvbn's cost grows faster than the length; 256 random characters would take seconds.
    check_password("Xk#9vLq2!mZ7rT4" + "a" * 241)
    with pytest.raises(WeakPassword):
        check_password("a" * 40 + "Xk#9vLq2!mZ7rT4")


def test_registration_refuses_a_weak_password(client: TestClient, settings: Settings) -> None:
    problem = assert_problem(register(client, "weak@example.com", "1qaz2wsx3edc4rfv"), 422, "weak_password")
    assert problem["errors"] == [
        {"loc": ["body", "password"], "msg": problem["detail"], "type": "weak_password"},
    ]
    assert "1qaz2wsx3edc4rfv" not in str(problem)
    assert sql(settings, "SELECT id FROM users") == []


def test_a_password_change_refuses_a_weak_password(client: TestClient, alice: Account) -> None:
    body = {"current_password": PASSWORD, "new_password": "qwertyuiop12345"}
    problem = assert_problem(client.post("/api/v1/users/me/password", json=body, headers=alice.headers), 422)
    assert problem["code"] == "weak_password" and problem["errors"][0]["loc"] == ["body", "new_password"]
    assert login(client, alice.email).status_code == 200


def test_hop_user_create_refuses_a_weak_password(settings: Settings) -> None:
    made = run_hop(settings, "user", "create", "weakling@example.com", "--password-stdin", stdin="passwordpassword\n")
    assert made.returncode == 1
    assert "password" in made.stderr and "easy to guess" in made.stderr
    assert sql(settings, "SELECT id FROM users") == []

"""`dotmac-isp mail receive` and the jobs, run as an operator would."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.test_cli import _command, _free_port


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DOTMAC_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "DOTMAC_LOG_JSON": "false", "DOTMAC_LOG_LEVEL": "WARNING",
            "DOTMAC_SUPPORT_ATTACHMENTS_DIR": str(tmp_path / "files")}


def _wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the receiver did not start")


def test_mail_receive_answers_on_its_port_and_stops_on_sigterm(env: dict[str, str]) -> None:
    assert subprocess.run([*_command(), "db", "upgrade"], env=env, capture_output=True,
                          timeout=60).returncode == 0
    port = _free_port()
    proc = subprocess.Popen([*_command(), "mail", "receive", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_port(port, proc)
        message = EmailMessage()
        message["From"] = "someone@example.com"
        message["To"] = "support+0123456789abcdef@isp.example"
        message["Subject"] = "Re: [T000001] hello"
        message.set_content("Is anyone there?")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp, \
                pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.send_message(message)
        assert refused.value.smtp_code == 550
        assert b"no ticket or conversation matches" in refused.value.smtp_error
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert f"receiving mail on 127.0.0.1:{port}" in output


def test_the_support_and_notification_jobs_run_from_the_command_line(
        env: dict[str, str]) -> None:
    subprocess.run([*_command(), "db", "upgrade"], env=env, capture_output=True, timeout=60)
    listed = subprocess.run([*_command(), "jobs", "list"], env=env, capture_output=True,
                            text=True, timeout=60).stdout
    assert "support.check_sla" in listed and "notifications.send_pending" in listed
    checked = subprocess.run([*_command(), "jobs", "run", "support.check_sla"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "0 tickets checked" in checked.stdout
    sent = subprocess.run([*_command(), "jobs", "run", "notifications.send_pending"], env=env,
                          capture_output=True, text=True, timeout=60)
    # with no SMTP server configured nothing is attempted and the messages stay queued
    assert sent.returncode == 0 and "no SMTP server configured" in sent.stdout

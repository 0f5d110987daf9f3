"""The same MS-CHAP logins sent to FreeRADIUS's mschap module and to our server: what
radclient reads from the two accepts (keys decrypted, success, policy, types) is the same."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import mschap
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import (
    SECRET,
    Reply,
    radclient,
    radius_settings,
    running_server,
    seed_isp,
)
from tests.support.freeradius import (
    FreeRadius,
    enable_site,
    free_udp_port,
    prepare_raddb,
    require_freeradius,
    running,
)

MS_CHAP = ("MS-CHAP2-Success", "MS-MPPE-Send-Key", "MS-MPPE-Recv-Key", "MS-CHAP-MPPE-Keys",
           "MS-MPPE-Encryption-Policy", "MS-MPPE-Encryption-Types", "MS-CHAP-Error")


_CHALLENGE = re.compile(r"C=[0-9a-fA-F]+")


def _site(port: int) -> str:
    return (f"server mschap_reference {{\n"
            f"\tlisten {{\n\t\ttype = auth\n\t\tipaddr = 127.0.0.1\n\t\tport = {port}\n\t}}\n"
            f"\tauthorize {{\n\t\tfiles\n\t\tmschap\n\t}}\n"
            f"\tauthenticate {{\n\t\tAuth-Type MS-CHAP {{\n\t\t\tmschap\n\t\t}}\n\t}}\n}}\n")


def _requests(password: str) -> list[dict[str, Any]]:
    v2_challenge, peer, v1_challenge = os.urandom(16), os.urandom(16), os.urandom(8)
    password_hash = mschap.nt_password_hash(password.encode())
    v2_answer = mschap.nt_response(mschap.challenge_hash(peer, v2_challenge, b"alice"),
                                   password_hash)
    v1_answer = mschap.nt_response(v1_challenge, password_hash)
    return [
        {"User-Name": "alice", "MS-CHAP-Challenge": "0x" + v2_challenge.hex(),
         "MS-CHAP2-Response": "0x" + (b"\x05\x00" + peer + bytes(8) + v2_answer).hex()},
        {"User-Name": "alice", "MS-CHAP-Challenge": "0x" + v1_challenge.hex(),
         "MS-CHAP-Response": "0x" + (b"\x06\x01" + bytes(24) + v1_answer).hex()},
        {"User-Name": "alice", "MS-CHAP-Challenge": "0x" + v1_challenge.hex(),
         "MS-CHAP-Response": "0x" + (b"\x06\x01" + bytes(48)).hex()},
        {"User-Name": "alice", "MS-CHAP-Challenge": "0x" + v2_challenge.hex(),
         "MS-CHAP2-Response": "0x" + (b"\x08\x00" + peer + bytes(32)).hex()},
    ]


def _ms_chap(replies: list[Reply]) -> list[tuple[str, dict[str, list[str]]]]:
    """The MS-CHAP attributes of each reply; an error's new challenge is random."""
    return [(r.code, {k: [_CHALLENGE.sub("C=*", x) for x in v]
                      for k, v in r.attributes.items() if k in MS_CHAP})
            for r in replies]


def test_our_mschap_accepts_read_like_freeradius_ones(radius_db: Database, settings: Settings,
                                                      tmp_path: Path) -> None:
    require_freeradius()
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    password = isp.passwords["alice"]
    requests = _requests(password)
    raddb = prepare_raddb(tmp_path, SECRET)
    (raddb / "mods-config" / "files" / "authorize").write_text(
        f'alice\tCleartext-Password := "{password}"\n')
    port = free_udp_port()
    enable_site(raddb, _site(port), "mschap_reference")
    with running(FreeRadius(raddb, port, 0, SECRET)) as freeradius:
        reference = radclient(freeradius.auth_port, "auth", requests, parallel=1)
    with running_server(radius_settings(settings), radius_db) as server:
        ours = radclient(server.auth_port, "auth", requests, parallel=1)
    assert [r.code for r in reference] == ["Access-Accept", "Access-Accept",
                                           "Access-Reject", "Access-Reject"]
    expected = _ms_chap(reference)
    assert expected[0][1]["MS-MPPE-Send-Key"] and expected[1][1]["MS-CHAP-MPPE-Keys"]
    # FreeRADIUS offers a retry (R=1); we do not, the NAS asks with a new challenge instead
    for _code, attributes in expected:
        if "MS-CHAP-Error" in attributes:
            attributes["MS-CHAP-Error"] = [e.replace(" R=1 ", " R=0 ")
                                           for e in attributes["MS-CHAP-Error"]]
    assert _ms_chap(ours) == expected

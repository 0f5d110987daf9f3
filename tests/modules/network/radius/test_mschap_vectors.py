"""MS-CHAP and MPPE key pieces against the published sample values, and the RFC 2548
encryption against pyrad's own decryption."""

from __future__ import annotations

import hashlib

import pytest
from pyrad.packet import AuthPacket

from dotmac_isp.modules.network.radius import mschap, mschap_keys
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.dictionary import load_dictionary
from tests.modules.network.radius.mschap_peer import lm_password_hash

# RFC 2433 appendix B.2 (MS-CHAPv1)
V1_PASSWORD = b"MyPw"
V1_CHALLENGE = bytes.fromhex("102DB5DF085D3041")
V1_NT_HASH = "FC156AF7EDCD6C0EDDE3337D427F4EAC"
V1_LM_HASH = "75BA30198E6D1975AAD3B435B51404EE"
V1_NT_RESPONSE = "4E9D3C8F9CFD385D5BF4D3246791956CA4C351AB409A3D61"

# RFC 2759 section 9.2 and RFC 3079 section 3.5.3 (MS-CHAPv2 and its MPPE keys)
PASSWORD = b"clientPass"
NT_RESPONSE = bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF")
PASSWORD_HASH_HASH = "41C00C584BD2D91C4017A2A12FA59F3F"
MASTER_KEY = "FDECE3717A8C838CB388E527AE3CDD31"
SEND_START_KEY_128 = "8B7CDC149B993A1BA118CB153F56DCCB"

SECRET = b"testing-secret-123"
AUTHENTICATOR = bytes(range(16))


def test_mschapv1_hashes_and_response_match_rfc_2433() -> None:
    password_hash = mschap.nt_password_hash(V1_PASSWORD)
    assert password_hash.hex().upper() == V1_NT_HASH
    assert lm_password_hash(V1_PASSWORD).hex().upper() == V1_LM_HASH
    assert mschap.nt_response(V1_CHALLENGE, password_hash).hex().upper() == V1_NT_RESPONSE


def test_the_peers_lan_manager_hash_matches_rfc_3079() -> None:
    # RFC 3079 2.5: LmPasswordHash of "clientPass"; upper-casing makes it case-blind
    assert lm_password_hash(PASSWORD).hex() == "76a152936096d7830e2390227404afd2"
    assert lm_password_hash(b"CLIENTPASS") == lm_password_hash(PASSWORD)


def test_mschapv2_master_and_start_keys_match_rfc_3079() -> None:
    hash_hash = mschap.md4(mschap.nt_password_hash(PASSWORD))
    assert hash_hash.hex().upper() == PASSWORD_HASH_HASH
    master = mschap_keys.master_key(hash_hash, NT_RESPONSE)
    assert master.hex().upper() == MASTER_KEY
    send, receive = mschap_keys.mschapv2_keys(hash_hash, NT_RESPONSE)
    assert send.hex().upper() == SEND_START_KEY_128
    # what the NAS sends with, the client receives with, and the other way round
    assert mschap_keys.asymmetric_start_key(master, 16, send=False, server=False) == send
    assert mschap_keys.asymmetric_start_key(master, 16, send=True, server=False) == receive
    assert send != receive
    # 40- and 56-bit sessions take the first octets of the same derivation
    assert mschap_keys.mschapv2_keys(hash_hash, NT_RESPONSE, 8)[0] == send[:8]


def _reply_for_decryption(authenticator: bytes) -> AuthPacket:
    reply = AuthPacket(code=codec.ACCESS_ACCEPT, id=1, secret=SECRET, dict=load_dictionary())
    reply.request_authenticator = authenticator
    return reply


@pytest.mark.parametrize("key", [bytes(range(16)), b"\xff" * 16, bytes(range(8)),
                                 bytes(range(32))])
def test_rfc_2548_key_encryption_round_trips_through_pyrad(key: bytes) -> None:
    salt = b"\x85\x17"
    value = mschap_keys.encrypt_key(key, SECRET, AUTHENTICATOR, salt)
    assert value[:2] == salt
    assert (len(value) - 2) % 16 == 0 and len(value) - 2 >= len(key) + 1
    assert _reply_for_decryption(AUTHENTICATOR).SaltDecrypt(value) == key
    assert mschap_keys.decrypt_key(value, SECRET, AUTHENTICATOR) == key
    # the wrong secret or request authenticator gives something else
    assert _reply_for_decryption(bytes(16)).SaltDecrypt(value) != key
    with pytest.raises(ValueError):
        mschap_keys.decrypt_key(b"\x05\x17" + value[2:], SECRET, AUTHENTICATOR)


def test_salts_have_the_high_bit_set_and_differ_within_a_reply() -> None:
    for _ in range(200):
        salts = mschap_keys.new_salts(2)
        assert len(set(salts)) == 2
        assert all(len(s) == 2 and s[0] & 0x80 for s in salts)


def test_hidden_mschapv1_keys_unhide_like_a_user_password() -> None:
    plain = bytes(range(24)) + bytes(8)
    hidden = mschap_keys.hide(plain, SECRET, AUTHENTICATOR)
    first = hashlib.md5(SECRET + AUTHENTICATOR).digest()
    second = hashlib.md5(SECRET + hidden[:16]).digest()
    unhidden = bytes(a ^ b for a, b in zip(hidden, first + second, strict=True))
    assert unhidden == plain


def test_error_attribute_carries_the_ident_and_no_retry() -> None:
    packet = AuthPacket(code=codec.ACCESS_REQUEST, id=3, secret=SECRET, dict=load_dictionary())
    packet["User-Name"] = "bob"
    packet["MS-CHAP-Challenge"] = V1_CHALLENGE
    packet["MS-CHAP-Response"] = b"\x07\x01" + bytes(48)
    v1 = codec.decode(packet.RequestPacket())
    attribute = mschap.error_attribute(v1)
    assert attribute[6] == mschap.MS_CHAP_ERROR and attribute[7] == len(attribute) - 6
    assert attribute[8:9] == b"\x07"  # the ident of the response
    assert attribute[9:].decode().startswith("E=691 R=0 C=") and attribute.endswith(b" V=2")
    assert len(attribute[9:].split(b" ")[2]) == 2 + 16
    del packet["MS-CHAP-Response"]
    packet["MS-CHAP2-Response"] = b"\x09\x00" + bytes(48)
    v2 = codec.decode(packet.RequestPacket())
    text = mschap.error_attribute(v2, mschap.ERROR_ACCOUNT_DISABLED)[9:].decode()
    assert text.startswith("E=647 R=0 C=") and text.endswith(" V=3 M=Account disabled")
    assert len(text.split(" ")[2]) == 2 + 32


@pytest.mark.parametrize(("message", "digest"), [
    (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
    (b"message digest", "d9130a8164549fe818874806e1c7014b"),
    (b"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
    (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536"),  # two blocks
])
def test_md4_matches_the_rfc_1320_test_suite(message: bytes, digest: str) -> None:
    assert mschap.md4(message).hex() == digest


def test_a_password_that_could_not_be_read_never_matches() -> None:
    """A stored password that fails to decrypt reads as empty; a client answering with the
    empty password must not get in."""
    packet = AuthPacket(code=codec.ACCESS_REQUEST, id=4, secret=SECRET, dict=load_dictionary())
    packet["User-Name"] = "bob"
    packet["MS-CHAP-Challenge"] = V1_CHALLENGE
    packet["MS-CHAP-Response"] = b"\x01\x01" + bytes(24) + mschap.nt_response(
        V1_CHALLENGE, mschap.nt_password_hash(b""))
    request = codec.decode(packet.RequestPacket())
    assert mschap.verify(request, b"") is None
    assert mschap.verify(request, b"x") is None

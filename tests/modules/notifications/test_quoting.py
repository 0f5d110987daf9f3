"""Only the new part of an emailed reply is kept."""

from __future__ import annotations

from dotmac_isp.modules.notifications.quoting import html_to_text, strip_quoted


def test_gmail_attribution_and_quoted_lines_are_cut() -> None:
    text = ("Still no light on the router.\nI restarted it twice.\n\n"
            "On Mon, 23 Nov 2026 at 10:00, Lagos Fibre <support+ab12cd34ef@isp.example> "
            "wrote:\n> An engineer is on the way.\n> \n")
    assert strip_quoted(text) == "Still no light on the router.\nI restarted it twice."


def test_a_wrapped_gmail_attribution_is_recognised() -> None:
    text = ("Thanks, it works now.\n\nOn Mon, Nov 23, 2026 at 10:00 AM Lagos Fibre <\n"
            "support+ab12cd34ef@isp.example> wrote:\n\n> old text\n")
    assert strip_quoted(text) == "Thanks, it works now."


def test_outlook_header_block_is_cut() -> None:
    text = ("Please call me after 5pm.\r\n\r\n________________________________\r\n"
            "From: Lagos Fibre <support@isp.example>\r\nSent: Monday, November 23, 2026\r\n"
            "Subject: [T000017] No internet\r\n\r\nAn engineer is on the way.\r\n")
    assert strip_quoted(text) == "Please call me after 5pm."
    bare = "Yes.\nFrom: Lagos Fibre <support@isp.example>\nDate: Mon\n\nold"
    assert strip_quoted(bare) == "Yes."


def test_our_marker_signature_and_mobile_footer_are_cut() -> None:
    assert strip_quoted("OK thanks\n\n## Reply above this line ##\nold") == "OK thanks"
    assert strip_quoted("See attached.\n-- \nAda Obi\n+234 803") == "See attached."
    assert strip_quoted("Done\n\nSent from my iPhone") == "Done"
    assert strip_quoted("Fine\n-----Original Message-----\nold") == "Fine"
    assert strip_quoted("Merci\nLe lun. 23 nov. 2026, Lagos Fibre a écrit :\n> old") == "Merci"


def test_interleaved_quotes_are_dropped_and_the_answers_kept() -> None:
    text = "> Is the light red?\nYes, red.\n> Since when?\nSince Sunday."
    assert strip_quoted(text) == "Yes, red.\nSince Sunday."


def test_a_reply_of_only_quotes_is_empty() -> None:
    assert strip_quoted("> everything quoted\n>more\n\n") == ""


def test_html_only_mail_becomes_text() -> None:
    html = ("<html><head><style>p{}</style></head><body><p>Still down &amp; slow</p>"
            "<div>Ada<br>Obi</div><script>alert(1)</script></body></html>")
    assert html_to_text(html).split() == ["Still", "down", "&", "slow", "Ada", "Obi"]

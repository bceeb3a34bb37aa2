"""Decoding: strict UTF-8 first, a few bad bytes replaced rather than a whole document read in
another code page, and a legacy page only on evidence, with the decision kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.steps.decode import DETECTION_BAR, decode_text, detect

DATA = Path(__file__).parent / "data" / "encodings"
REAL = {  # real text in each legacy encoding (see data/encodings/README.md)
    "tutor.fr.latin-1.txt": "latin-1",
    "tutor.de.latin-1.txt": "latin-1",
    "tutor.ru.koi8-r.txt": "koi8_r",
    "tutor.ja.shift_jis.txt": "shift_jis",
}
WINDOWS_1252 = (
    "Le ministre a déclaré « qu’il n’y aurait pas de hausse » — avant d’annoncer, mardi, "
    "un prélèvement de 2 € par billet. “C’est un impôt déguisé”, a répondu l’opposition… "
    "Les compagnies aériennes, déjà fragilisées, prévoient une baisse de 3 % du trafic à Noël."
)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_legacy_text_is_read_in_its_code_page_and_the_decision_kept(name):
    data = (DATA / name).read_bytes()
    expected = data.decode(REAL[name])
    decoded = decode_text(data)
    assert decoded.text == expected
    assert decoded.basis == "detected" and decoded.confidence >= DETECTION_BAR
    assert decoded.record()["basis"] == "detected"


def test_windows_1252_quotes_dashes_and_the_euro_are_read_as_written():
    for size in (60, 200, len(WINDOWS_1252)):
        text = WINDOWS_1252[:size]
        decoded = decode_text(text.encode("cp1252"))
        assert decoded.text == text, size
        assert decoded.encoding == "cp1252"


def test_latin_1_is_never_read_in_a_baltic_page():
    decoded = decode_text("Il était déjà là, à côté de l'église.".encode("latin-1"))
    assert decoded.text == "Il était déjà là, à côté de l'église."


def test_one_invalid_byte_in_utf_8_is_replaced_and_the_rest_stays_utf_8():
    text = "Café crème à la gare de Saint-Étienne. " * 20
    data = text.encode("utf-8")
    cut = data.index(b" gare", 200)
    broken = data[:cut] + b"\xe9" + data[cut:]
    decoded = decode_text(broken)
    assert decoded.encoding == "utf-8" and decoded.basis == "utf-8-repaired" and decoded.replaced == 1
    assert decoded.text.replace("\ufffd", "") == text
    assert "Café" in decoded.text and "CafĂŠ" not in decoded.text


def test_a_declared_charset_is_evidence():
    page = '<html><head><meta charset="koi8-r"></head><body><p>Привет, как дела?</p></body></html>'
    decoded = decode_text(page.encode("koi8_r"))
    assert decoded.basis == "declared" and decoded.encoding == "koi8-r" and "Привет" in decoded.text


def test_bytes_no_page_explains_are_read_as_utf_8_with_replacements_and_said_so():
    import random

    rnd = random.Random(7)
    data = bytes(rnd.randrange(128, 256) if rnd.random() < 0.3 else rnd.randrange(97, 123) for _ in range(3000))
    guess = detect(data)
    assert guess is not None and guess[2] < DETECTION_BAR
    decoded = decode_text(data)
    assert decoded.basis == "unexplained" and decoded.encoding == "utf-8" and decoded.replaced > 0


def test_text_is_nfc():
    assert decode_text("Cafe\u0301 au lait".encode("utf-8")).text == "Caf\u00e9 au lait"


def test_a_utf_8_page_with_a_few_invalid_bytes_stays_utf_8_whatever_it_declares():
    """Pages re-saved as UTF-8 keep their old ``<meta charset>``; one to three stray bytes must
    not turn the whole page into that code page ("café" as "cafÃ©")."""
    page = ('<html><head><meta charset="windows-1252"></head><body><p>Le café de la gare a rouvert '
            'à Orléans après trois mois de travaux, à la grande joie des habitués.</p></body></html>').encode()
    cut = page.index(b" de la gare")
    for stray in (b"\xe9", b"\xe9\xe8", b"\x80\x81\xff"):
        decoded = decode_text(page[:cut] + stray + page[cut:])
        assert (decoded.encoding, decoded.basis, decoded.replaced) == ("utf-8", "utf-8-repaired", len(stray))
        assert "café" in decoded.text and "Orléans" in decoded.text and "Ã" not in decoded.text


def test_a_legacy_page_that_declares_its_charset_is_still_read_in_it():
    text = "Le café de la gare a rouvert à Orléans après trois mois de travaux."
    page = f'<html><head><meta charset="windows-1252"></head><body><p>{text}</p></body></html>'.encode("cp1252")
    decoded = decode_text(page)
    assert decoded.basis == "declared" and text in decoded.text

"""The rule families for chrome no seed phrased: each removes a line of its kind, in each language
where the kind has a common phrasing, and keeps a body line that shares its words."""

from __future__ import annotations

import pytest

from workers.steps.cleaning import clean_text
from workers.steps.cleaning.rules import classify

FOOT = 0.9  # where these lines stand on a page
MIDDLE = 0.4

REMOVED = [
    # error / typo report prompts
    ("error-report", "Notice an error in this story? Please tell us at fixes@example.com"),
    ("error-report", "Заметили ошибку? Выделите её и нажмите Ctrl+Enter"),
    ("error-report", "Fehler gefunden? Bitte markieren Sie ihn und drücken Sie Strg+Enter."),
    ("error-report", "Vous avez trouvé une faute ? Signalez-la à la rédaction avec Ctrl+Entrée."),
    ("error-report", "¿Ves una errata? Avísanos en correcciones@example.es"),
    ("error-report", "기사 내용에 오류가 있다면 제보해 주세요 desk@example.kr"),
    # follow / subscribe prompts naming networks or messengers
    ("social-prompt", "Keep up with us on Telegram and WhatsApp"),
    ("social-prompt", "Подписывайтесь на наш канал в Telegram"),
    ("social-prompt", "Mehr von uns gibt es auch auf Instagram und TikTok"),
    ("social-prompt", "Retrouvez-nous sur Instagram et TikTok"),
    ("social-prompt", "Síguenos en WhatsApp y Threads"),
    ("social-prompt", "카카오톡 채널에서 뉴스를 만나보세요"),
    # copyright and reproduction notices
    ("copyright", "No part of this article may be reproduced without permission."),
    ("copyright", "Перепечатка без разрешения редакции запрещена."),
    ("copyright", "Nachdruck nur mit Genehmigung des Verlags."),
    ("copyright", "Reproduction interdite sans autorisation."),
    ("copyright", "Prohibida la reproducción sin permiso."),
    ("copyright", "무단 전재 및 재배포 금지"),
    # "Updated ..." and timestamp lines
    ("date-line", "Last updated 4 Dec 2026 14:05"),
    ("date-line", "Обновлено 5 декабря 2026, 10:15"),
    ("date-line", "Aktualisiert am 5.12.2026 um 10:15 Uhr"),
    ("date-line", "Publié le 05/12/2026 à 10:15, modifié à 11:20"),
    ("date-line", "Actualizado: 05/12/2026 10:15"),
    ("date-line", "입력 2026.12.05 10:15 | 수정 2026.12.05 11:20"),
]

KEPT = [
    "Readers told us about errors in the timetable, and the operator corrected them within a week.",
    "Ошибки в расчётах нашли аудиторы, сообщили нам в министерстве.",
    "Videos of the flood spread quickly on Telegram and WhatsApp.",
    "He urged residents to follow the updates on Telegram.",
    "Die Polizei bat Zeugen, sich über WhatsApp zu melden, nachdem das Video aufgetaucht war.",
    "The court ruled that reproduction of the photographs without permission was prohibited, and fined the agency.",
    "Updated figures will be published in March.",
    "수정 계획은 다음 달 발표된다.",
]


@pytest.mark.parametrize("rule,line", REMOVED)
def test_family_removes_its_line(rule, line):
    verdict = classify(line, position=FOOT)
    assert verdict is not None and verdict.rule == rule, line


@pytest.mark.parametrize("line", KEPT)
def test_family_keeps_the_body_line_that_shares_its_words(line):
    assert classify(line, position=MIDDLE) is None, line


STORY = [
    "The harbour authority said on Monday that the breakwater repairs would be finished by the end of the month.",
    "Engineers replaced two hundred metres of the wall and dredged the entrance channel over the winter.",
    "Pumps",
    "Two new pumps were installed at the lock, each able to move four tonnes of water a second.",
    "“Not before time.”",
    "That was the verdict of the oldest skipper in the port, who has fished from the inner basin for fifty years.",
    "The ferries will return to the summer timetable on the first of April, the operator said in a statement.",
    "Margaret Ellis",
    "Harbour correspondent",
]


def test_short_body_lines_stay_unless_a_rule_names_them():
    page = "\n\n".join(["Harbour Times", "Breakwater repairs finish early", "Updated 4 Dec 2026 14:05",
                        "PORTREE, Scotland", *STORY,
                        "Notice an error in this story? Please tell us at fixes@example.com",
                        "Ferry strike talks resume", "Is the new fish market worth the wait?", "Tide tables for the week",
                        "© 2026 Harbour Times. No part of this site may be reproduced without permission."]) + "\n"
    cleaned = clean_text(page)
    assert cleaned.paragraphs == ["PORTREE, Scotland", *STORY]  # dateline, subhead, quote, signature kept
    assert cleaned.title == "Breakwater repairs finish early"


ENDS_ON_A_QUESTION = STORY[:-2] + ["Will the harbour be ready for the summer crowds this time?"]


def test_a_question_heading_unlabelled_headlines_is_one_of_them():
    body = STORY[:-2]  # the last line a sentence: the question has body on one side
    page = "\n\n".join(["Harbour Times", "Breakwater repairs finish early", *body,
                        "Fact check: will the old lighthouse really close to visitors next year?",
                        "Ferry strike talks resume", "Tide tables for the week",
                        "© 2026 Harbour Times. No part of this site may be reproduced without permission."]) + "\n"
    assert clean_text(page).paragraphs == body


def test_a_story_that_ends_on_a_question_keeps_it():
    for footer in (["Notice an error in this story? Please tell us at fixes@example.com",
                    "© 2026 Harbour Times. No part of this site may be reproduced without permission."],
                   ["Related stories", "Ferry strike talks resume", "Tide tables for the week"]):
        page = "\n\n".join(["Harbour Times", "Breakwater repairs finish early", *ENDS_ON_A_QUESTION, *footer]) + "\n"
        assert clean_text(page).paragraphs == ENDS_ON_A_QUESTION, footer

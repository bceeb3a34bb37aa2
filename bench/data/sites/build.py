"""Build the site evaluation set: twelve invented news sites, each a few pages of different stories
under that site's own chrome, one raw-text dump per page, every line labelled.

    python bench/data/sites/build.py      # writes dev.jsonl and heldout.jsonl next to this file

The chrome was written for this set, site by site, as such sites print it (header and menu lines,
"Updated ..." lines, a copyright or reproduction notice, an error-report prompt, a follow-us prompt
naming networks or messengers, a list of other headlines after the body with no heading), not
from the phrasings of corpus's rules. Six sites are ``dev`` (look at them while writing rules) and
six ``heldout`` (one per language each: measure only). The bodies (``stories.py``) carry datelines,
one-word subheads, fact-check labels, signatures and short quoted lines: all body.

Each record has the shape of ``bench/data/clean/corpus.jsonl`` plus ``page`` (its order on the
site) and ``split``.
"""

from __future__ import annotations

import json
from pathlib import Path

from stories import STORIES

HERE = Path(__file__).resolve().parent

#: ``{d}`` day of month, ``{h}``/``{m}`` time, ``{n}`` a count: per-page values.
SITES = [
    # ---------------------------------------------------------------- dev
    {"site": "harbourgazette.example", "lang": "en", "split": "dev",
     "header": ["HARBOUR GAZETTE", "Home  News  Business  Sport  Opinion  Weather  Puzzles"],
     "before": ["Updated {h}:{m} GMT, {d} March 2026"],
     "after": ["Spotted a mistake in this article? Highlight it and press Ctrl+Enter to let our editors know.",
               "Keep up with the Gazette on Facebook, Instagram and WhatsApp",
               "{other}",
               "All content © Harbour Gazette Media Ltd 2026. Material may not be republished without written consent."],
     "extra": ["Lifeboat crew rescues two walkers from cliff path", "Harbour master to retire after thirty years",
               "Tide tables for the week ahead"]},
    {"site": "novosti-severa.example", "lang": "ru", "split": "dev",
     "header": ["Новости Севера", "Главная Политика Экономика Общество Спорт Культура"],
     "before": ["Обновлено {d} декабря 2026, {h}:{m}"],
     "after": ["{other}",
               "Нашли опечатку? Выделите фрагмент текста и нажмите Ctrl+Enter.",
               "Подписывайтесь на нас в Telegram и ВКонтакте",
               "© 2026 «Новости Севера». Все права защищены. Перепечатка материалов без письменного согласия редакции запрещена.",
               "18+"],
     "extra": ["В регионе ожидаются морозы до минус тридцати", "Мэрия объявила конкурс на лучший двор",
               "Стоимость проезда в автобусах не изменится"]},
    {"site": "tagesblick.example", "lang": "de", "split": "dev",
     "header": ["Tagesblick", "Startseite Politik Wirtschaft Region Sport Kultur"],
     "before": ["Aktualisiert am {d}.12.2026 um {h}:{m} Uhr"],
     "after": ["Sie haben einen Fehler entdeckt? Markieren Sie die Stelle und drücken Sie Strg+Enter.",
               "{other}",
               "Folgen Sie uns auf Instagram, Facebook und WhatsApp",
               "© Tagesblick Medien GmbH 2026 – Alle Rechte vorbehalten. Vervielfältigung nur mit Genehmigung."],
     "extra": ["Baustelle auf der B12 dauert länger", "Kreistag beschließt Haushalt für 2027",
               "Wetter: Schnee bis ins Flachland"]},
    {"site": "le-courrier-ouest.example", "lang": "fr", "split": "dev",
     "header": ["Le Courrier de l'Ouest", "Accueil · Actualités · Économie · Sports · Culture · Météo"],
     "before": ["Mis à jour le {d} décembre 2026 à {h}h{m}"],
     "after": ["{other}",
               "Vous avez repéré une erreur ? Signalez-la à la rédaction en sélectionnant le texte puis Ctrl+Entrée.",
               "Suivez-nous sur Facebook, X et Instagram",
               "© Le Courrier de l'Ouest 2026. Toute reproduction, même partielle, est interdite sans autorisation."],
     "extra": ["Le marché de Noël ouvre vendredi", "Grève des bus : le trafic perturbé mardi",
               "Les résultats du loto de samedi"]},
    {"site": "diario-del-sur.example", "lang": "es", "split": "dev",
     "header": ["Diario del Sur", "Portada | Nacional | Local | Deportes | Cultura | Opinión"],
     "before": ["Actualizado: {d}/12/2026 {h}:{m}"],
     "after": ["¿Has visto un error? Selecciona el texto y pulsa Ctrl+Enter para avisarnos.",
               "Síguenos en Facebook, Instagram y Telegram",
               "{other}",
               "© Diario del Sur 2026. Prohibida la reproducción total o parcial sin permiso expreso."],
     "extra": ["El tiempo: lluvias en el litoral", "La feria del libro bate récord de visitas",
               "Cortes de tráfico por la maratón del domingo"]},
    {"site": "hanbit-ilbo.example", "lang": "ko", "split": "dev",
     "header": ["한빛일보", "홈 정치 경제 사회 문화 스포츠"],
     "before": ["입력 2026.12.{d} {h}:{m} | 수정 2026.12.{d} {h}:{m}"],
     "after": ["{other}",
               "기사에 오류가 있다면 해당 부분을 선택한 뒤 Ctrl+Enter를 눌러 알려주세요.",
               "한빛일보를 카카오톡과 네이버 밴드에서 만나보세요",
               "Copyright ⓒ 한빛일보. 무단전재 및 재배포 금지"],
     "extra": ["주말 전국 대체로 맑고 추워", "지하철 요금 동결 결정", "연말 특별 교통 대책 발표"]},
    # ---------------------------------------------------------------- held out: measure only
    {"site": "valley-times.example", "lang": "en", "split": "heldout",
     "header": ["The Valley Times", "Local | Region | Farming | Schools | Letters | Obituaries"],
     "before": ["Last updated {d} Dec 2026 {h}:{m}"],
     "after": ["{other}",
               "Found an error? Tell us at corrections@valley-times.example",
               "Follow The Valley Times on X, Threads and Telegram for breaking news",
               "Copyright 2026 Valley Times Publishing. Reproduction in whole or in part without permission is prohibited."],
     "extra": ["School bus route changes from Monday", "Bridge inspection closes lane for a week",
               "Letters: readers on the new parking charges"]},
    {"site": "ural-inform.example", "lang": "ru", "split": "heldout",
     "header": ["УралИнформ", "Новости Происшествия Бизнес Город Афиша"],
     "before": ["Дата обновления: {d}.12.2026 {h}:{m}"],
     "after": ["Если вы заметили ошибку в тексте, выделите её и нажмите Ctrl+Enter",
               "{other}",
               "Читайте нас в Дзене и Одноклассниках",
               "Использование материалов возможно только с указанием активной ссылки на источник. © УралИнформ, 2026"],
     "extra": ["На Плотинке откроют ледовый городок", "Цены на бензин выросли за неделю",
               "Афиша выходных: куда пойти с детьми"]},
    {"site": "nordkurier-land.example", "lang": "de", "split": "heldout",
     "header": ["Nordkurier Land", "Lokales • Politik • Sport • Ratgeber • Immobilien"],
     "before": ["Zuletzt aktualisiert: {d}. Dezember 2026, {h}:{m} Uhr"],
     "after": ["{other}",
               "Haben Sie einen Tippfehler gefunden? Schreiben Sie uns an korrektur@nordkurier-land.example",
               "Nordkurier Land gibt es auch bei Telegram, Threads und auf YouTube",
               "Alle Inhalte urheberrechtlich geschützt. Nachdruck und Weiterverbreitung nur mit schriftlicher Erlaubnis des Verlags."],
     "extra": ["Feuerwehr rückt zu Scheunenbrand aus", "Neue Kita in Anklam eröffnet",
               "Veranstaltungstipps fürs Wochenende"]},
    {"site": "la-depeche-alpes.example", "lang": "fr", "split": "heldout",
     "header": ["La Dépêche des Alpes", "Région · Faits divers · Montagne · Sports · Loisirs"],
     "before": ["Publié le {d}/12/2026 à {h}:{m}, modifié à {h}:{m}"],
     "after": ["Une coquille ? Une erreur ? Écrivez-nous via le formulaire de contact.",
               "Retrouvez-nous sur WhatsApp, Facebook et LinkedIn",
               "{other}",
               "Tous droits réservés – La Dépêche des Alpes 2026. Reproduction interdite sauf accord préalable."],
     "extra": ["Route du col fermée jusqu'à nouvel ordre", "Bulletin d'avalanche du jour",
               "Les stations ouvrent samedi"]},
    {"site": "la-voz-norte.example", "lang": "es", "split": "heldout",
     "header": ["La Voz del Norte", "Inicio  Actualidad  Economía  Deportes  Gente"],
     "before": ["Última actualización: {d} de diciembre de 2026, {h}:{m}"],
     "after": ["{other}",
               "Si encuentras una errata, escríbenos a erratas@la-voz-norte.example",
               "Sigue a La Voz del Norte en WhatsApp, X y TikTok",
               "Todos los derechos reservados. Queda prohibida su reproducción, distribución o comunicación pública sin autorización. La Voz del Norte, 2026."],
     "extra": ["Huelga de limpieza: los barrios afectados", "El puerto recibe su primer crucero del invierno",
               "Lotería: números premiados del sorteo"]},
    {"site": "saebyeok-news.example", "lang": "ko", "split": "heldout",
     "header": ["새벽뉴스", "전체기사 지역 경제 생활 연예"],
     "before": ["최종수정 2026-12-{d} {h}:{m}"],
     "after": ["오탈자 제보는 이메일로 보내주세요 news@saebyeok.example",
               "{other}",
               "새벽뉴스 텔레그램 채널을 구독하세요",
               "저작권자 © 새벽뉴스 무단 전재, 재배포 및 AI 학습 이용 금지"],
     "extra": ["올겨울 첫 한파 특보", "시내버스 노선 개편 안내", "연말정산 이렇게 준비하세요"]},
]


def pages(site: dict) -> list[dict]:
    stories = STORIES[site["lang"]]
    out = []
    for n, story in enumerate(stories):
        values = {"d": f"{n + 3:02d}", "h": f"{9 + n:02d}", "m": f"{(17 * n + 5) % 60:02d}"}
        others = [s["headline"] for s in stories if s is not story][n % 3 : n % 3 + 3] + [site["extra"][n % 3]]
        lines: list[tuple[str, str]] = [(l, "chrome") for l in site["header"]]
        lines.append((story["headline"], "chrome"))
        lines += [(l.format(**values), "chrome") for l in site["before"]]
        lines.append((story["dateline"], "body"))
        lines += [(l, "body") for l in story["body"]]
        for l in site["after"]:
            if l == "{other}":
                lines += [(h, "chrome") for h in others]
            else:
                lines.append((l.format(**values), "chrome"))
        text = "\n\n".join(t for t, _ in lines) + "\n"
        out.append({"id": f"{site['site']}#{n}", "site": site["site"], "lang": site["lang"], "split": site["split"],
                    "page": n, "format": "text", "text": text,
                    "lines": [{"text": t, "label": label} for t, label in lines]})
    return out


def main() -> None:
    for split in ("dev", "heldout"):
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for site in SITES:
                if site["split"] == split:
                    for page in pages(site):
                        fh.write(json.dumps(page, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

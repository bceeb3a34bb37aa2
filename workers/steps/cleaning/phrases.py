"""Multilingual phrase lists for the chrome rule families (en, de, fr, es, ru).

Phrases are the second line of evidence: a rule family (:mod:`.legal`, :mod:`.credits`,
:mod:`.prompts`, :mod:`.navigation`) first checks the shape of a line (length, position, punctuation, links) and only then asks whether it *says* what chrome
says. Keeping the vocabulary here, one tuple per family, lets a new language or a new site's
wording be added without touching the logic.

Every phrase is a regular-expression fragment, matched case-insensitively at the start of a
line (after leading decoration such as bullets or dashes) unless the family says otherwise.
"""

from __future__ import annotations

import re

FLAGS = re.IGNORECASE | re.UNICODE


def alternation(phrases: tuple[str, ...]) -> str:
    """Longest first, so that ``related posts`` wins over ``related``."""
    return "(?:" + "|".join(sorted(phrases, key=len, reverse=True)) + ")"


# Whole-line markers: the entire line is one of these (decoration stripped).
ADVERTISEMENT = (
    r"advertisements?", r"advert", r"ads?", r"sponsored(?: content| post| links?)?", r"paid (?:content|post)",
    r"promoted(?: content| stories)?", r"partner content", r"ad feature", r"sponsored by .{1,40}", r"advertising feature",
    r"werbeanzeige", r"annonce",
    r"story continues below(?: this)? advertisement", r"article continues below(?: this)?(?: advertisement| ad)?",
    r"continue reading (?:the main story|below)", r"scroll (?:down )?to continue(?: with content| reading)?",
    r"advertisement\W+scroll to continue(?: with content)?", r"content continues below",
    r"advertising", r"advertisement\W+(?:continue reading|scroll|story continues)(?: below| down)?(?: to continue)?",
    r"anzeige", r"werbung", r"gesponsert", r"weiter nach der anzeige", r"lesen sie nach der anzeige weiter",
    r"weiterlesen nach der anzeige", r"anzeige\W+scrollen sie weiter", r"реклама \d+\+",
    r"publicité", r"publicite", r"contenu sponsorisé", r"sponsorisé", r"la suite après (?:cette |la )?publicité",
    r"publicidad", r"anuncio", r"patrocinado", r"contenido patrocinado", r"sigue leyendo tras la publicidad",
    r"реклама", r"на правах рекламы", r"спонсорский материал", r"продолжение после рекламы",
)

COOKIE_WORD = r"(?:cookies?|куки|файл(?:ы|ов) cookie)"
# Who is speaking: consent banners address the reader or speak as the site.
COOKIE_ADDRESS = (
    r"we|we'll|we're|our|us|you|you're|your|this (?:web)?site|this portal|"
    r"wir|unsere?|ihre?|sie stimmen|diese (?:web)?seite|"
    r"nous|notre|nos|vous|votre|vos|ce site|"
    r"usamos|utilizamos|nuestr[oa]s?|usted|tu|aceptas?|este (?:sitio|portal)|"
    r"мы|вы|ваш\w*|наш\w*|сайт использует|"
    r"this website|diese website|stimmen sie|cette page|ce site web|esta web|este sitio web|этот сайт"
)
COOKIE_CONSENT = (
    r"accept|agree|consent|opt[- ]?out|privacy|settings|preferences|manage|got it|continu|browsing|experience|"
    r"learn more|more info|mehr erfahren|en savoir plus|más información|подробнее|\bok\b|\bок\b|"
    r"akzeptier|zustimm|einverstanden|datenschutz|einstellungen|"
    r"accepte|consentement|paramètres|confidentialité|en poursuivant|"
    r"acept|consentimiento|configuración|privacidad|al continuar|navegación|"
    r"принять|соглас|конфиденциальн|настройк|продолжая"
)

RELATED_HEADER = (
    r"related", r"related (?:posts?|articles?|stories|story|news|content|coverage|links|reading|topics|videos?|items)",
    r"recommended(?: for you| stories| articles| reading| videos?)?", r"we recommend", r"recommended by",
    r"you (?:may|might|could) (?:also )?(?:like|enjoy|be interested in)", r"you may have missed",
    r"more (?:from|on|in|about) .{1,40}", r"more (?:stories|news|articles|headlines|to read|to explore|videos?)",
    r"read next", r"what to read next", r"most (?:read|popular|viewed|shared|commented)",
    r"trending(?: now| stories| news)?", r"popular(?: posts| stories| now| articles| news)?",
    r"latest (?:news|stories|posts|articles|headlines|videos?)", r"further reading", r"see also",
    r"don['’]?t miss", r"do not miss", r"top stories", r"most read in .{1,30}", r"most popular in .{1,30}", r"editor'?s picks", r"in other news", r"other news",
    r"also (?:read|see)", r"around the web", r"in case you missed it", r"keep reading", r"elsewhere on .{1,30}",
    r"weiterführende links", r"zum weiterlesen", r"pour aller plus loin", r"sigue informándote", r"more stories from .{1,40}", r"further coverage", r"also trending",
    r"voir plus d'articles", r"plus d'articles", r"más artículos", r"ещё новости", r"еще новости", r"from (?:our|the) network", r"similar (?:posts|articles|stories)",
    r"weitere (?:artikel|nachrichten|beiträge|meldungen|themen)", r"mehr zum thema", r"mehr (?:aus|zu|von) .{1,30}",
    r"das könnte (?:sie|dich) auch interessieren", r"auch interessant", r"empfohlene artikel", r"meistgelesen",
    r"meistgelesene artikel", r"ähnliche (?:artikel|beiträge)", r"lesen sie auch", r"zum thema", r"verwandte artikel",
    r"à lire aussi", r"a lire aussi", r"lire aussi", r"sur le même sujet", r"vous aimerez(?: peut-être)? aussi",
    r"articles? similaires", r"articles? liés", r"les plus lus", r"à voir aussi", r"dans la même rubrique",
    r"nos articles recommandés", r"à découvrir aussi", r"voir aussi", r"plus d'actualités",
    r"noticias relacionadas", r"artículos relacionados", r"(?:también )?te puede interesar", r"puede interesarte",
    r"te recomendamos", r"más noticias", r"lo más leído", r"más leídas", r"lee también", r"leer también",
    r"relacionad[oa]s?", r"también en .{1,30}", r"te podría interesar", r"ver también",
    r"читайте также", r"читать также", r"похожие (?:новости|статьи|материалы)", r"по теме", r"другие новости",
    r"ещё по теме", r"еще по теме", r"рекомендуем", r"материалы по теме", r"самое читаемое", r"популярное",
    r"новости по теме", r"смотрите также", r"вам может быть интересно", r"главное за день", r"новости партн[её]ров",
    r"читать все новости", r"все новости", r"alle artikel zum thema", r"tous nos articles(?: sur .{1,30})?",
    r"noticias? relacionadas?", r"all (?:stories|articles|news)(?: (?:about|on) .{1,30})?", r"related (?:topics|coverage)",
    r"recommended stories", r"top stories",
)

# A prompt followed by a link or a headline on the same line.
READ_MORE = (
    r"read more", r"read also", r"also read", r"see more", r"see also", r"related", r"more", r"watch", r"listen",
    r"watch now", r"read next", r"don['’]?t miss", r"recommended", r"also on \S+\.\w+", r"related (?:posts?|articles?|stories|story|links?|content|reading|coverage|news)", r"continue reading",
    r"click here to read more", r"read the full (?:story|article)", r"read the original article", r"full story",
    r"read full article", r"more on this story", r"more info", r"read this next", r"listen to this article",
    r"lesen sie (?:auch|mehr|hier)", r"mehr dazu", r"mehr zum thema", r"auch lesen", r"weiterlesen", r"mehr lesen",
    r"zum artikel", r"lire aussi", r"lire la suite", r"à lire aussi", r"a lire aussi", r"voir aussi", r"à voir",
    r"lee (?:también|más)", r"leer más", r"ver también", r"más información", r"seguir leyendo", r"sigue leyendo",
    r"читайте также", r"читать далее", r"читать полностью", r"смотрите также", r"подробнее", r"читать еще",
    r"читать ещё",
)
# Of those, the ones that are a whole line on their own (a bare button).
READ_MORE_ALONE = (
    r"read more", r"continue reading", r"read full (?:article|story)", r"full story", r"weiterlesen",
    r"mehr lesen", r"lire la suite", r"leer más", r"seguir leyendo", r"читать далее", r"подробнее",
    r"читать полностью", r"more", r"load more", r"show more", r"view more", r"mehr anzeigen",
    r"voir plus", r"ver más", r"показать ещё", r"показать еще",
)

SOCIAL_WORDS = (
    "share", "shares", "shared", "sharing", "this", "article", "story", "post", "page", "on", "via", "by", "to",
    "facebook", "twitter", "x", "whatsapp", "email", "e-mail", "mail", "print", "linkedin", "pinterest",
    "reddit", "telegram", "vk", "vkontakte", "ok", "odnoklassniki", "viber", "messenger", "flipboard",
    "copy", "link", "copied", "tweet", "pin", "it", "save", "bookmark", "comment", "comments", "url",
    "teilen", "drucken", "versenden", "kopieren", "partager", "imprimer", "envoyer", "copier", "lien",
    "compartir", "imprimir", "enviar", "copiar", "enlace", "поделиться", "печать", "ссылку", "скопировать",
    "instagram", "youtube", "tiktok", "threads", "bluesky", "mastodon", "rss", "and", "or", "the",
)

# Of those, the ones that make a row of them a share bar (one must be there).
SOCIAL_CORE = frozenset(
    "share shares tweet facebook twitter whatsapp linkedin pinterest reddit telegram vk email e-mail print "
    "teilen partager compartir поделиться flipboard messenger viber copy link pin".split()
)

SHARE_PROMPT = (
    r"share (?:this|on|via|article|story|post|with)", r"share the (?:story|article|post|page)", r"click to (?:share|email|print)", r"like this (?:story|article|post)",
    r"share it with", r"spread the word", r"(?:e-?mail|send) (?:this |it )?to a friend", r"teile diesen (?:artikel|beitrag)", r"tell your friends", r"if you liked this(?: article| story)?, share",
    r"teilen sie (?:diesen|den) (?:artikel|beitrag)", r"artikel teilen", r"beitrag teilen", r"jetzt teilen",
    r"partagez (?:cet|l') ?article", r"partager (?:cet|l') ?article", r"partager sur",
    r"comparte (?:esta|este|la) (?:noticia|artículo)", r"compartir en", r"compartir esta noticia",
    r"поделиться в", r"поделитесь (?:этой )?(?:статьей|новостью)",
)

FOLLOW_VERB = (
    r"follow", r"join us on", r"find us on", r"connect with us", r"like us on", r"catch up with us on",
    r"stay connected", r"stay in touch", r"keep up with",
    r"folgen sie", r"folge", r"folgt", r"besuchen sie uns auf",
    r"suivez", r"retrouvez-nous", r"rejoignez-nous",
    r"síguenos", r"siguenos", r"sigue(?:nos)?", r"síganos", r"encuéntranos en",
    r"подписывайтесь", r"подпишитесь на (?:нас|наш)", r"следите за", r"читайте нас", r"присоединяйтесь",
)
PLATFORMS = (
    r"twitter|facebook|instagram|youtube|telegram|tiktok|linkedin|whatsapp|threads|bluesky|mastodon|"
    r"google news|apple news|flipboard|snapchat|pinterest|rss|vk|вконтакте|дзен|яндекс|x\b|@\w+|"
    r"https?://|us\b|uns\b|nous\b|nosotros|нас\b|social media|soziale|réseaux sociaux|redes sociales|соцсет"
)

SUBSCRIBE_PROMPT = (
    r"subscribe(?: now| today| here| for| to)?\b", r"click here to subscribe", r"become an? (?:member|subscriber|supporter|patron)",
    r"support (?:our|independent|quality) journalism", r"join (?:now|today|us today)", r"get (?:unlimited|full|digital|instant) access",
    r"already a (?:subscriber|member)", r"(?:log|sign) in to (?:continue|read|comment)", r"start your (?:free )?trial",
    r"try (?:it )?(?:for )?free", r"already have an account", r"create a (?:free )?account", r"members only",
    r"sign up for free", r"register for free", r"register to (?:read|continue)", r"get access to", r"if you (?:enjoyed|liked|value|appreciate|found) (?:this|our|reading)",
    r"unlock (?:this|full|unlimited)", r"this (?:article|content|story) is (?:for|available to|reserved for) (?:subscribers|members)",
    r"(?:to )?continue reading,? (?:subscribe|please|log|sign|become)", r"donate( now)?\b", r"support us\b",
    r"jetzt abonnieren", r"abonnieren sie", r"abo abschließen", r"jetzt (?:testen|lesen|weiterlesen) mit",
    r"unterstützen sie", r"abonnez-vous", r"s'abonner", r"je m'abonne", r"abonnez vous", r"soutenez",
    r"suscríbete", r"suscribete", r"suscribirse", r"hazte (?:socio|suscriptor)", r"apoya (?:nuestro|el) periodismo",
    r"подписаться", r"подпишитесь", r"оформить подписку", r"оформите подписку", r"поддержите",
)

NEWSLETTER_WORD = (
    r"newsletters?|inbox|mailing list|alertes?|alerts?|(?:to|in|en|dans|an) (?:your|tu|votre|ihr|ihre) (?:e-?mail|inbox|correo|boîte|postfach)|e-?mail (?:alerts?|updates|briefing)|briefing|digest|(?:by|via|per|par) e-?mail|"
    r"por correo|на почту|"
    r"newsletter abonnieren|postfach|infolettre|lettre d'information|boletín|boletines|"
    r"рассылк\w*|дайджест"
)
NEWSLETTER_ACTION = (
    r"sign up", r"signup", r"subscribe", r"get", r"join", r"enter", r"register", r"receive", r"stay",
    r"want", r"like what", r"sent", r"delivered", r"never miss", r"don'?t miss",
    r"melden sie sich", r"registrieren", r"erhalten sie", r"jetzt", r"bestellen", r"abonnieren",
    r"inscrivez", r"abonnez", r"recevez", r"inscription", r"s'inscrire",
    r"suscríbete", r"suscribete", r"regístrate", r"registrate", r"recibe", r"apúntate",
    r"подпишитесь", r"подписаться", r"получайте", r"оформите",
)

COMMENTS = (
    r"comments?", r"\d+ comments?", r"comments? \(\d+\)", r"leave a (?:reply|comment)", r"post a comment",
    r"add a comment", r"write a comment", r"(?:show|view|load|hide|read) (?:all )?(?:\d+ )?comments", r"join the (?:discussion|conversation|debate)",
    r"comment on this (?:story|article)", r"tell us what you think", r"have your say", r"what do you think\??",
    r"you must be (?:logged|signed) in to (?:post a )?comment", r"your email address will not be published",
    r"required fields are marked", r"save my name,? email", r"post comment", r"submit comment", r"reply",
    r"cancel reply", r"log in to reply", r"\d+ repl(?:y|ies)", r"be the first to comment", r"no comments yet",
    r"comments are closed", r"discussion", r"conversation", r"(?:add|post) your comment", r"kommentar verfassen",
    r"ajouter un commentaire", r"leave your comment", r"comentar(?: la| esta)? noticia", r"написать комментарий",
    r"kommentare?", r"\d+ kommentare?", r"kommentar schreiben", r"kommentieren", r"diskutieren sie mit", r"leserkommentare",
    r"commentaires?", r"\d+ commentaires?", r"laisser un commentaire", r"laissez un commentaire", r"réagir", r"réagissez",
    r"comentarios?", r"\d+ comentarios?", r"deja un comentario", r"dejar un comentario", r"escribe un comentario",
    r"добавить комментарий", r"оставить комментарий", r"комментари\w*", r"\d+ комментари\w*", r"обсуждение",
    r"ваш адрес email не будет опубликован",
)

NAV_LINE = (
    r"skip to (?:main )?content", r"skip to (?:main )?navigation", r"skip to footer", r"jump to", r"main menu", r"menu",
    r"navigation", r"search", r"home", r"homepage", r"back to top", r"top", r"next(?: article| post| story| page)?",
    r"previous(?: article| post| story| page)?", r"prev", r"log ?in", r"sign ?in", r"sign ?up", r"register", r"my account",
    r"open menu", r"close", r"menü", r"menú", r"jump to navigation", r"navigation überspringen", r"se connecter", r"registrarse", r"регистрация", r"toggle navigation", r"search for", r"go to", r"sections?", r"all sections",
    r"zum inhalt springen", r"startseite", r"suche", r"anmelden", r"nach oben", r"zurück", r"weiter",
    r"aller au contenu(?: principal)?", r"accueil", r"rechercher", r"connexion", r"retour en haut", r"suivant", r"précédent",
    r"ir al contenido", r"inicio", r"buscar", r"iniciar sesión", r"volver arriba", r"siguiente", r"anterior",
    r"перейти к содержанию", r"главная", r"поиск", r"войти", r"наверх", r"меню", r"назад", r"далее",
)
NAV_WORDS = frozenset("""
home news world politics business sport sports culture opinion tech technology science health travel
lifestyle entertainment video videos live weather money markets economy us uk europe asia africa
americas latin middle east australia india china russia local national international about contact
subscribe login menu search more the & and arts life style food books music film tv media education
environment climate podcast podcasts photos newsletters games shop jobs careers crime
startseite nachrichten politik wirtschaft kultur wissenschaft panorama meinung reise gesundheit
accueil actualités monde politique économie société culture sport sports international france
inicio noticias mundo política economía sociedad cultura deportes opinión internacional españa
главная новости мир политика экономика общество культура спорт происшествия наука
홈 뉴스 전체기사 정치 경제 사회 문화 스포츠 국제 세계 지역 전국 생활 연예 오피니언 사설 칼럼 과학 포토 영상
""".split())

# Words of interface furniture. A short line made only of these ("Manage consent", "Contact us",
# "Zur Startseite", "Lire plus tard", "Комментировать") is a button or a menu entry.
UI_WORDS = frozenset("""
accept all cookies cookie settings manage consent preferences privacy policy notice terms conditions of use service
contact about us the a an to this our your my print email e-mail mail share save bookmark like loading comment comments
reply audio video videos photos gallery listen watch play read later more less show hide menu search home back top next
facebook twitter x whatsapp telegram linkedin instagram youtube tiktok vk auf sur en в via per par plus
previous prev article post story page news latest see view open close login log in sign up register account subscribe
follow author reporter rss feed app download and & or with on for all get go
alle akzeptieren einstellungen datenschutz impressum kontakt über uns teilen drucken speichern kommentieren kommentare
jetzt zur zum startseite weiter zurück nach oben suche anmelden abmelden merken vorlesen artikel mehr
accepter tout tous paramètres confidentialité mentions légales nous contact partager imprimer enregistrer commenter
commentaires lire plus tard retour haut accueil rechercher connexion s'abonner suivre voir aussi
aceptar todo todas configuración privacidad aviso legal contacto nosotros compartir imprimir guardar comentar
comentarios leer más tarde volver arriba inicio buscar iniciar sesión suscribirse seguir ver
принять все настройки политика конфиденциальности контакты о нас поделиться печать сохранить комментировать
комментарии читать позже наверх главная поиск войти подписаться ещё еще
related stories story people also editors editor's editors' picks pick top popular headlines headline trending
most read viewed shared latest recent recommended suggested you might may enjoy want missed sponsored promoted content
ad ads choices advertisement advertising partner paid trial free start unlock full access subscriber subscribers
subscriber-only members member only premium plus offer day days month year week newsletter newsletters daily weekly
edition inbox alerts alert notifications push report leave add post view load write navigation homepage portal
front landing link links copy copied send friend whatsapp messenger
meistgelesen meistgelesene beliebt beliebteste neueste empfohlen empfehlungen abo abonnieren abschließen testen
ressort aus dem der die das anzeigen kommentar verfassen weiterleiten senden freund
découvrir lu lus populaires récents recommandés abonnement abonnez lisez suite pour essai gratuit lettre
voir afficher signaler envoyer ami portada último últimos más leído leídas populares recomendado suscripción
suscríbete prueba gratis por ver mostrar enviar amigo volver a la lo el los
популярные новости последние читаемое рекомендуем подписка подписке полностью читайте читать бесплатно
показать скрыть отправить другу на главную по
le les à l'accueil des du by von par
other others stories articles beliebte autres otras noticias также читайте мы в digital subscription subscriptions from
ab euro offre d'essai essai gratuite gratuit подписка рубля responses response kommentieren sie diesen dieser diese
cet cette esta este эту этот réagir comenta обсудить main skip advert lokales lokal regionales régions région regional
region regiones регион регионы local от noticia feature
try continue reading exclusive nur für abonnenten réservé aux abonnés exclusivo para suscriptores только для
подписчиков inscrivez-vous gratuitement apúntate gratis sort ihr votre commentaire tu comentario ваш комментарий
sitemap site map breadcrumb hauptmenü principal главное меню gesponserter inhalt contenu partenaire contenido marca
партнерский материал соцсетях menú
""".split())
UI_CORE = frozenset("""
related popular trending picks headlines recommended sponsored promoted ad ads advertisement advertising trial
unlock subscriber subscribers subscriber-only members premium newsletter inbox alerts navigation homepage link
friend comment meistgelesen meistgelesene abo abonnieren ressort anzeigen kommentar découvrir lu abonnement
lisez commentaires portada último leído suscripción suscríbete популярные подписке подписка главную комментарии
показать отправить другу новости news read comments comentarios comentar kommentare commenter
stories articles artikel noticias читайте send telegram subscription offre responses kommentieren réagir comenta
обсудить navigation skip advert try exclusive abonnenten abonnés suscriptores подписчиков inscrivez-vous apúntate
commentaire comentario комментарий sitemap map breadcrumb hauptmenü меню menú gesponserter partenaire marca партнерский
соцсетях accueil l'accueil
cookies cookie consent preferences privacy terms print email e-mail share save bookmark like loading comment comments
reply audio video listen watch menu search login sign register subscribe follow rss contact about later home
akzeptieren einstellungen datenschutz impressum kontakt teilen drucken speichern kommentieren startseite suche anmelden merken vorlesen
accepter paramètres confidentialité mentions partager imprimer enregistrer commenter accueil rechercher connexion contact tard später después позже
aceptar configuración privacidad aviso contacto compartir imprimir guardar comentar inicio buscar
принять настройки политика контакты поделиться печать сохранить комментировать главная поиск войти подписаться
""".split())

PHOTO_PREFIX = (
    r"image caption", r"caption", r"photo(?:graph)?s?", r"picture", r"image", r"images?", r"photo credit", r"image credit",
    r"credits?", r"file photo", r"image source", r"photo source", r"illustration", r"pictured", r"video",
    r"foto(?:s)?", r"bild(?:quelle)?", r"bildunterschrift", r"quelle", r"crédits?(?: photo)?", r"photo ?\(.{1,30}\)",
    r"légende", r"imagen", r"fotografía", r"pie de foto", r"фото(?:графия)?", r"источник фото", r"иллюстрация",
    r"подпись",
)
PHOTO_AGENCIES = (
    r"getty images|ap photo|afp|reuters|shutterstock|istock|epa|alamy|dpa|picture alliance|imago|xinhua|"
    r"tass|ria novosti|sputnik|efe|europa press|anadolu|associated press|wikimedia commons|unsplash|"
    r"ритм|риа новости|тасс|ap\b|photo:|foto:|фото:"
)

TAGS_PREFIX = (
    r"tags?", r"topics?", r"tagged(?: with| as)?", r"filed under", r"categor(?:y|ies)", r"keywords?", r"posted in",
    r"more about", r"subjects?", r"schlagw(?:ö|o)rte?r?", r"stichw(?:ö|o)rte?r?", r"themen", r"thema",
    r"étiquettes?", r"mots[- ]clés?", r"thèmes?", r"sujets?", r"etiquetas?", r"temas?", r"palabras clave",
    r"categorías?", r"теги", r"метки", r"темы", r"ключевые слова", r"рубрик[аи]", r"тэги", r"categoria",
)

BYLINE_PREFIX = (
    r"by", r"story", r"texte", r"autor/in", r"rédaction", r"redacción", r"корреспондент", r"written by", r"words by", r"words", r"ein beitrag von", r"un article de", r"reportage", r"texto", r"автор материала", r"story by", r"posted by", r"published by", r"author", r"authors",
    r"reporter", r"von", r"autor(?:in)?", r"text", r"par", r"auteur", r"por", r"escrito por", r"redacción",
    r"автор", r"текст", r"publicado por",
)
BYLINE_ROLES = (
    r"(?:senior |chief |staff |special |political |foreign |business |sports? |science )?"
    r"(?:writer|reporter|correspondent|editor|columnist|contributor|journalist|analyst|photographer)|"
    r"staff|redakteur(?:in)?|korrespondent(?:in)?|journaliste|correspondant(?:e)?|rédact(?:eur|rice)|"
    r"periodista|corresponsal|redactor(?:a)?|корреспондент|журналист|редактор"
)
NAME_CONNECTORS = frozenset(
    "and & und et y и , de da van von der del la le di du al bin ibn of the on el am vom".split()
)

DATE_PREFIX = (
    r"published", r"updated", r"posted", r"last updated", r"last modified", r"modified", r"created", r"date",
    r"first published", r"published on", r"updated on", r"posted on",
    r"veröffentlicht(?: am)?", r"aktualisiert(?: am)?", r"stand", r"erstellt", r"datum",
    r"publié(?: le)?", r"mis à jour(?: le)?", r"modifié(?: le)?", r"date de publication", r"mis en ligne(?: le)?",
    r"publicado(?: el)?", r"actualizado(?: el)?", r"fecha",
    r"опубликовано", r"обновлено", r"дата публикации", r"изменено", r"создано",
    r"입력", r"수정", r"최종수정", r"기사입력", r"등록", r"업데이트",
)
MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|jun(?:e|\.)?|jul(?:y|\.)?|aug(?:ust|\.)?|"
    r"sep(?:t(?:ember)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?|"
    r"januar|jänner|februar|märz|mai|juni|juli|oktober|dezember|"
    r"janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
    r"январь|февраль|март|апрель|май|июнь|июль|август|сентябрь|октябрь|ноябрь|декабрь"
)
WEEKDAYS = (
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo|"
    r"понедельник|вторник|среда|четверг|пятница|суббота|воскресенье|"
    r"segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira"
)
RELATIVE_TIME = (
    r"\d+ (?:min(?:ute)?s?|hours?|hrs?|days?|weeks?|months?) ago|just now|yesterday|today|"
    r"vor \d+ (?:minuten|stunden|tagen)|gestern|heute|il y a \d+ (?:minutes?|heures?|jours?)|hier|aujourd'hui|"
    r"hace \d+ (?:minutos?|horas?|días?)|ayer|hoy|\d+ (?:минут\w*|час\w*|дн\w*) назад|вчера|сегодня"
)
READ_TIME = (
    r"\d+\s*(?:-\s*)?(?:min(?:ute)?s?|mins?\.?)\s*(?:read|reading time|de lectura|de lecture|lesezeit)|"
    r"(?:reading time|lesezeit|temps de lecture|tiempo de lectura|tempo de leitura|время чтения)\s*:?\s*\d+\s*\w*|"
    r"\d+ (?:minuten?|minutes?|minutos?|мин\w*) (?:lesezeit|de lecture|de lectura|чтения)"
)

COPYRIGHT = (
    r"©", r"\(c\)(?=\s*(?:\d{4}|copyright))", r"copyright\b", r"all rights reserved", r"alle rechte vorbehalten",
    r"tous droits réservés", r"todos los derechos reservados", r"все права защищены", r"alle rechte\b",
    r"droits de reproduction", r"prohibida su reproducción", r"reproducción prohibida",
    r"this material may not be published", r"no part of this (?:publication|article)",
    r"reproduction (?:interdite|prohibida|forbidden)", r"nachdruck (?:nur|verboten)", r"перепечатка",
    r"при (?:использовании|цитировании) материалов", r"использование материалов",
)
LEGAL_WORDS = (
    r"privacy policy|privacy notice|terms of (?:use|service)|terms and conditions|cookie policy|cookie settings|"
    r"accessibility|sitemap|site map|contact us|about us|advertise with us|careers|do not sell my (?:personal )?info\w*|"
    r"impressum|datenschutz(?:erklärung)?|agb|nutzungsbedingungen|kontakt|"
    r"mentions légales|politique de confidentialité|conditions générales|cgu|nous contacter|"
    r"aviso legal|política de privacidad|política de cookies|términos y condiciones|contacto|"
    r"политика конфиденциальности|пользовательское соглашение|контакты|о нас|реклама на сайте"
)

SYNDICATION = (
    r"original article", r"original(?: source| story| post)?", r"originally (?:posted|appeared|ran)(?: on| in| at)?", r"erschienen in", r"publié initialement", r"publicado inicialmente",
    r"(?:cet|ce) (?:article|texte) (?:est paru|a paru|a été publié)", r"este (?:texto|artículo) se publicó",
    r"материал (?:впервые )?опубликован",
    r"die meinung des autors", r"l'opinion de l'auteur", r"la opinión del autor", r"source", r"sources?", r"originally published(?: at| on| in| by)?",
    r"this (?:article|story|post|piece|column|report) (?:was |is |first )?(?:originally |first )?(?:published|appeared|posted|ran)",
    r"this (?:article|story) is (?:republished|reproduced|syndicated)", r"republished (?:with permission|from|under)",
    r"reprinted (?:with permission|from)", r"mit freundlicher genehmigung", r"reproduit avec l'autorisation",
    r"reproducido con (?:el )?permiso", r"перепечатано с разрешения",
    r"first published (?:in|on|at|by)", r"(?:statement|disclaimer)\s*:", r"the views (?:and opinions )?expressed",
    r"the opinions expressed", r"views expressed", r"editor'?s note\s*:",
    r"dieser (?:artikel|beitrag|text) (?:erschien|ist) (?:zuerst|ursprünglich|erstmals)", r"zuerst erschienen",
    r"erstveröffentlichung", r"quelle\s*:", r"originalartikel",
    r"cet article (?:a été|est) (?:initialement |d'abord |originellement )?publié", r"article (?:initialement|d'abord) publié",
    r"source\s*:", r"article original",
    r"este artículo (?:fue|se) (?:publicado|publicó)(?: originalmente)?", r"publicado originalmente", r"fuente\s*:",
    r"artículo original",
    r"оригинал(?: статьи)?", r"источник\s*:", r"статья (?:впервые )?опубликована", r"впервые опубликовано",
    r"мнение автора", r"точка зрения автора",
)
# Disclaimers need the vocabulary as well as the prefix, "Statement:" alone opens body lines too.
DISCLAIMER_VOCAB = (
    r"views?|opinions?|author|represent|responsib|endorse|attitude|buttons?|vote|reflect|"
    r"meinung|autor|position|ansicht|opinion|auteur|reflète|engage|opinión|autor|refleja|"
    r"мнени|автор|позици|редакци"
)

REPORTING_CREDIT = (
    r"(?:additional )?reporting by", r"writing by", r"editing by", r"edited by", r"compiled by", r"produced by",
    r"research by", r"translated by", r"with reporting by", r"mitarbeit", r"redaktion\s*:", r"traduit par",
    r"avec (?:l'agence|afp)", r"con información de", r"редактор\s*:", r"перевод\s*:",
)
CONTRIBUTED = (
    r"contributed (?:to )?(?:this|the) (?:report|story|article)|contributed reporting|also contributed|trugen zu diesem bericht bei|"
    r"a contribué à cet article|contribuyó a este (?:informe|artículo)"
)

CONTACT = (
    r"reach(?:ed)?\b.{0,40}?\bat\b|can be reached|may be reached|contact (?:the )?(?:author|reporter|us)|"
    r"e-?mail (?:him|her|them|the author|us)|write to|send (?:us )?(?:a )?tips?|have a (?:news )?tip|tips?\s*:|"
    r"follow (?:him|her|them)|email\s*:|e-mail\s*:|kontakt\s*:|contact\s*:|контакт\w*\s*:|почта\s*:"
)

CALL_TO_ACTION = (
    r"click here|tap here|hier klicken|klicken sie hier|cliquez ici|haga clic aquí|haz clic aquí|pulsa aquí|"
    r"нажмите (?:здесь|сюда)|download (?:our|the) app|get the app|app herunterladen|téléchargez l'application|"
    r"descarga la app|скачайте приложение"
)

# Reported speech: a line carrying one of these is the story talking about chrome, not chrome.
ATTRIBUTION = (
    r"said|says|told|tells|according to|asked|added|explained|wrote|argued|"
    r"sagte|sagt|erklärte|schrieb|laut|a déclaré|a dit|selon|explique|dijo|dice|según|afirmó|explicó|"
    r"сказал\w*|заявил\w*|по словам|отметил\w*|сообщил\w*"
)

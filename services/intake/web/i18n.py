"""The words of the applicant's pages in English, French and German. A missing translation falls back to English,
and a test checks that none is missing.

Keys name where the words appear: `field.<name>` and `hint.<name>` for a form field (the names the form posts,
e.g. `contact.email`), `option.<name>.<value>` for a choice, `error.<name>.<type>` and `error.<type>` for what
pydantic found wrong (see applications/form_fields.py), `sector.<id>` for the sector vocabulary, `event.<type>` for a
timeline entry. The reasons of a decision are not here: the scoring and routing rules write them in English,
and the pages say so.
"""

from __future__ import annotations

from collections.abc import Callable

from contracts import profile

NAMES = {"en": "English", "fr": "Français", "de": "Deutsch"}
# The languages the factory profile writes to applicants in, among those the words below are written in.
LANGUAGES = {code: NAMES[code] for code in profile.selected().identity.languages}

SITE = {
    "site.name": {"en": "$name", "fr": "$name", "de": "$name"},
    "site.tagline": {"en": "One-stop shop for AI projects", "fr": "Guichet unique pour les projets d'IA",
                     "de": "Zentrale Anlaufstelle für KI-Projekte"},
    "site.skip": {"en": "Skip to main content", "fr": "Aller au contenu principal",
                  "de": "Zum Hauptinhalt springen"},
    "site.language": {"en": "Language", "fr": "Langue", "de": "Sprache"},
}

FORM = {
    "form.title": {"en": "Apply with your AI project", "fr": "Présentez votre projet d'IA",
                   "de": "Bewerben Sie sich mit Ihrem KI-Projekt"},
    "form.lede": {
        "en": "The $name helps companies and public bodies with their AI projects: training, advice "
              "from our experts, and computing time on the $supercomputer supercomputer. Tell us about your project: "
              "we answer by email, and you can follow your application online.",
        "fr": "La $name aide les entreprises et les organismes publics dans leurs projets d'IA : "
              "formation, conseils de nos experts et temps de calcul sur le supercalculateur $supercomputer. "
              "Présentez-nous votre projet : nous vous répondons par e-mail, et vous pouvez suivre votre "
              "candidature en ligne.",
        "de": "Die $name unterstützt Unternehmen und öffentliche Einrichtungen bei ihren "
              "KI-Projekten: Schulung, Beratung durch unsere Fachleute und Rechenzeit auf dem Supercomputer "
              "$supercomputer. Stellen Sie uns Ihr Projekt vor: Wir antworten per E-Mail, und Sie können Ihre "
              "Bewerbung online verfolgen.",
    },
    "form.required": {"en": "Every field is required unless it says optional.",
                      "fr": "Tous les champs sont obligatoires, sauf mention « facultatif ».",
                      "de": "Alle Felder sind Pflichtfelder, sofern nicht „optional“ dabeisteht."},
    "form.optional": {"en": "(optional)", "fr": "(facultatif)", "de": "(optional)"},
    "form.errors_title": {"en": "There is a problem", "fr": "Il y a un problème", "de": "Es gibt ein Problem"},
    "form.error_prefix": {"en": "Error:", "fr": "Erreur :", "de": "Fehler:"},
    "form.company": {"en": "Your organisation", "fr": "Votre organisation", "de": "Ihre Organisation"},
    "form.contact": {"en": "Who we write to", "fr": "À qui nous écrivons", "de": "An wen wir schreiben"},
    "form.project": {"en": "Your AI project", "fr": "Votre projet d'IA", "de": "Ihr KI-Projekt"},
    "form.choose_country": {"en": "Choose a country", "fr": "Choisissez un pays", "de": "Wählen Sie ein Land"},
    "form.submit": {"en": "Send my application", "fr": "Envoyer ma candidature", "de": "Bewerbung absenden"},
}

FIELDS = {
    "field.company.name": {"en": "Name of the company or organisation", "fr": "Nom de l'entreprise ou de l'organisme",
                           "de": "Name des Unternehmens oder der Einrichtung"},
    "hint.company.name": {"en": "Its legal name.", "fr": "Sa dénomination officielle.",
                          "de": "Der eingetragene Name."},
    "field.company.country": {"en": "Country", "fr": "Pays", "de": "Land"},
    "hint.company.country": {"en": "Where its registered office is.", "fr": "Le pays de son siège.",
                             "de": "Das Land seines Sitzes."},
    "field.company.size": {"en": "Type of organisation", "fr": "Type d'organisation", "de": "Art der Organisation"},
    "option.company.size.startup": {"en": "Start-up", "fr": "Start-up", "de": "Start-up"},
    "option.company.size.sme": {"en": "Small or medium-sized enterprise (SME)",
                                "fr": "Petite ou moyenne entreprise (PME)",
                                "de": "Kleines oder mittleres Unternehmen (KMU)"},
    "option.company.size.large": {"en": "Large company", "fr": "Grande entreprise", "de": "Großunternehmen"},
    "option.company.size.public_body": {"en": "Public body", "fr": "Organisme public",
                                        "de": "Öffentliche Einrichtung"},
    "field.contact.name": {"en": "Your full name", "fr": "Vos prénom et nom", "de": "Ihr vollständiger Name"},
    "field.contact.email": {"en": "Email address", "fr": "Adresse e-mail", "de": "E-Mail-Adresse"},
    "hint.contact.email": {"en": "We send our decision and every next step to this address.",
                           "fr": "Nous envoyons notre décision et chaque étape suivante à cette adresse.",
                           "de": "An diese Adresse senden wir unsere Entscheidung und jeden weiteren Schritt."},
    "field.contact.language": {"en": "Language of our emails", "fr": "Langue de nos e-mails",
                               "de": "Sprache unserer E-Mails"},
    "field.project.title": {"en": "Project title", "fr": "Titre du projet", "de": "Projekttitel"},
    "hint.project.title": {"en": "A few words, for example “Fraud detection in insurance claims”.",
                           "fr": "Quelques mots, par exemple « Détection de fraude dans les sinistres ».",
                           "de": "Einige Worte, zum Beispiel „Betrugserkennung bei Versicherungsschäden“."},
    "field.project.summary": {"en": "Project summary", "fr": "Résumé du projet", "de": "Projektbeschreibung"},
    "hint.project.summary": {
        "en": "What the project does, which data you have and what you want to build: at least {min_length} "
              "characters, in English, French or German.",
        "fr": "Ce que fait le projet, les données dont vous disposez et ce que vous voulez réaliser : au moins "
              "{min_length} caractères, en français, en anglais ou en allemand.",
        "de": "Was das Projekt tut, welche Daten Sie haben und was Sie bauen möchten: mindestens {min_length} "
              "Zeichen, auf Deutsch, Englisch oder Französisch.",
    },
    "field.project.declared_sectors": {"en": "Sectors", "fr": "Secteurs", "de": "Branchen"},
    "hint.project.declared_sectors": {
        "en": "Choose up to {max_items}; we also read the sectors from your summary. $of_country priorities "
              "are $priorities_in_full.",
        "fr": "Choisissez-en {max_items} au plus ; nous lisons aussi les secteurs dans votre résumé. Les priorités "
              "$of_country sont $priorities_in_full.",
        "de": "Wählen Sie bis zu {max_items}; wir lesen die Branchen auch aus Ihrer Beschreibung. Die Schwerpunkte "
              "$of_country sind $priorities_in_full.",
    },
    "field.project.data_readiness": {"en": "Your data", "fr": "Vos données", "de": "Ihre Daten"},
    "option.project.data_readiness.none": {"en": "We have no data yet", "fr": "Nous n'avons pas encore de données",
                                           "de": "Wir haben noch keine Daten"},
    "option.project.data_readiness.partial": {
        "en": "We have data, but it is not prepared yet",
        "fr": "Nous avons des données, mais elles ne sont pas encore préparées",
        "de": "Wir haben Daten, aber sie sind noch nicht aufbereitet"},
    "option.project.data_readiness.ready": {"en": "Our data is ready to use",
                                            "fr": "Nos données sont prêtes à l'emploi",
                                            "de": "Unsere Daten sind einsatzbereit"},
    "field.project.stage": {"en": "How far the project is", "fr": "Avancement du projet", "de": "Stand des Projekts"},
    "option.project.stage.idea": {"en": "An idea", "fr": "Une idée", "de": "Eine Idee"},
    "option.project.stage.prototype": {"en": "A prototype", "fr": "Un prototype", "de": "Ein Prototyp"},
    "option.project.stage.pilot": {"en": "A pilot with real users", "fr": "Un pilote avec de vrais utilisateurs",
                                   "de": "Ein Pilotbetrieb mit echten Nutzern"},
    "option.project.stage.production": {"en": "In production", "fr": "En production", "de": "Im Produktivbetrieb"},
}

CONSENT = {
    "form.consent": {"en": "Passing your application on to another AI Factory",
                     "fr": "Transmettre votre candidature à une autre AI Factory",
                     "de": "Weitergabe Ihrer Bewerbung an eine andere AI Factory"},
    "consent.why": {
        "en": "Each European AI Factory has its own strengths; $of_country are "
              "$priorities. If another AI Factory fits your project better, we can "
              "pass your application on to it, so that you do not have to apply again.",
        "fr": "Chaque AI Factory européenne a ses points forts ; ceux $of_country sont "
              "$priorities. Si une autre AI Factory convient mieux à votre "
              "projet, nous pouvons lui transmettre votre candidature, pour que vous n'ayez pas à postuler de "
              "nouveau.",
        "de": "Jede europäische AI Factory hat ihre eigenen Stärken; die $of_country sind "
              "$priorities. Passt Ihr Projekt besser zu "
              "einer anderen AI Factory, können wir Ihre Bewerbung dorthin weitergeben, damit Sie sich nicht noch "
              "einmal bewerben müssen.",
    },
    "consent.what": {
        "en": "What we pass on: your organisation's name, country and type; your name, email address and "
              "language; and your project (title, summary, sectors, data and how far it is).",
        "fr": "Ce que nous transmettons : le nom, le pays et le type de votre organisation ; vos nom, adresse "
              "e-mail et langue ; et votre projet (titre, résumé, secteurs, données et avancement).",
        "de": "Was wir weitergeben: Name, Land und Art Ihrer Organisation; Ihren Namen, Ihre E-Mail-Adresse und "
              "Sprache; und Ihr Projekt (Titel, Beschreibung, Branchen, Daten und Stand).",
    },
    "consent.whom": {
        "en": "To whom: another European AI Factory of the EuroHPC network, only if your project fits there better "
              "than $in_country. If it declines, we may ask the next one that fits. We tell you every step.",
        "fr": "À qui : une autre AI Factory européenne du réseau EuroHPC, uniquement si votre projet y correspond "
              "mieux qu'$in_country. Si elle refuse, nous pouvons demander à la suivante qui convient. Nous vous "
              "informons de chaque étape.",
        "de": "An wen: an eine andere europäische AI Factory des EuroHPC-Netzes, nur wenn Ihr Projekt dort besser "
              "passt als $in_country. Lehnt sie ab, fragen wir gegebenenfalls die nächste passende. Wir "
              "informieren Sie über jeden Schritt.",
    },
    "consent.without": {
        "en": "If you do not agree: nothing about you leaves $country. If another AI Factory fits your project "
              "better, we tell you which one, and you apply there yourself.",
        "fr": "Si vous n'êtes pas d'accord : rien de ce qui vous concerne ne quitte $country. Si une autre "
              "AI Factory convient mieux à votre projet, nous vous disons laquelle, et vous y postulez vous-même.",
        "de": "Wenn Sie nicht zustimmen: Nichts über Sie verlässt $country. Passt eine andere AI Factory besser "
              "zu Ihrem Projekt, nennen wir sie Ihnen, und Sie bewerben sich dort selbst.",
    },
    "field.consent.share_with_partner_factories": {
        "en": "I agree that the $name passes my application on to another European AI Factory if "
              "my project fits there better.",
        "fr": "J'accepte que la $name transmette ma candidature à une autre AI Factory européenne "
              "si mon projet y correspond mieux.",
        "de": "Ich bin einverstanden, dass die $name meine Bewerbung an eine andere europäische "
              "AI Factory weitergibt, wenn mein Projekt dort besser passt.",
    },
    "hint.consent.share_with_partner_factories": {
        "en": "You can apply whether you agree or not.", "fr": "Vous pouvez postuler, que vous acceptiez ou non.",
        "de": "Sie können sich bewerben, ob Sie zustimmen oder nicht."},
}

# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) as sentences: first the
# field's own sentence (error.<field>.<type>), else the type's with the field's label, else error.generic.
ERRORS = {
    "error.company.name.missing": {"en": "Enter the name of your company or organisation",
                                   "fr": "Indiquez le nom de votre entreprise ou organisme",
                                   "de": "Geben Sie den Namen Ihres Unternehmens oder Ihrer Einrichtung an"},
    "error.company.country.missing": {"en": "Choose the country of your organisation",
                                      "fr": "Choisissez le pays de votre organisation",
                                      "de": "Wählen Sie das Land Ihrer Organisation"},
    "error.company.country.string_pattern_mismatch": {"en": "Choose a country from the list",
                                                      "fr": "Choisissez un pays dans la liste",
                                                      "de": "Wählen Sie ein Land aus der Liste"},
    "error.company.size.missing": {"en": "Choose the type of your organisation",
                                   "fr": "Choisissez le type de votre organisation",
                                   "de": "Wählen Sie die Art Ihrer Organisation"},
    "error.contact.name.missing": {"en": "Enter your full name", "fr": "Indiquez vos prénom et nom",
                                   "de": "Geben Sie Ihren vollständigen Namen an"},
    "error.contact.email.missing": {"en": "Enter your email address", "fr": "Indiquez votre adresse e-mail",
                                    "de": "Geben Sie Ihre E-Mail-Adresse an"},
    "error.contact.email.too_many": {
        "en": "Too many applications were sent for this email address or its domain: we take at most {per_day} in "
              "24 hours. Please try again tomorrow.",
        "fr": "Trop de candidatures ont été envoyées pour cette adresse e-mail ou son domaine : nous en acceptons "
              "au plus {per_day} en 24 heures. Veuillez réessayer demain.",
        "de": "Für diese E-Mail-Adresse oder ihre Domain wurden zu viele Bewerbungen gesendet: Wir nehmen höchstens "
              "{per_day} in 24 Stunden an. Bitte versuchen Sie es morgen erneut."},
    "error.contact.email.string_pattern_mismatch": {
        "en": "Enter an email address in the form name@example.com",
        "fr": "Saisissez une adresse e-mail de la forme nom@exemple.lu",
        "de": "Geben Sie eine E-Mail-Adresse in der Form name@beispiel.lu an"},
    "error.contact.language.missing": {"en": "Choose the language of our emails",
                                       "fr": "Choisissez la langue de nos e-mails",
                                       "de": "Wählen Sie die Sprache unserer E-Mails"},
    "error.project.title.missing": {"en": "Enter a title for your project", "fr": "Indiquez un titre pour votre projet",
                                    "de": "Geben Sie einen Titel für Ihr Projekt an"},
    "error.project.summary.missing": {"en": "Describe your project", "fr": "Décrivez votre projet",
                                      "de": "Beschreiben Sie Ihr Projekt"},
    "error.project.summary.string_too_short": {"en": "Describe your project in at least {min_length} characters",
                                               "fr": "Décrivez votre projet en {min_length} caractères au moins",
                                               "de": "Beschreiben Sie Ihr Projekt in mindestens {min_length} Zeichen"},
    "error.project.declared_sectors.too_long": {"en": "Choose at most {max_length} sectors",
                                                "fr": "Choisissez {max_length} secteurs au plus",
                                                "de": "Wählen Sie höchstens {max_length} Branchen"},
    "error.project.declared_sectors.value_error": {"en": "Choose sectors from the list",
                                                   "fr": "Choisissez les secteurs dans la liste",
                                                   "de": "Wählen Sie Branchen aus der Liste"},
    "error.project.data_readiness.missing": {"en": "Say how far your data is",
                                             "fr": "Indiquez où en sont vos données",
                                             "de": "Geben Sie an, wie weit Ihre Daten sind"},
    "error.project.stage.missing": {"en": "Say how far your project is", "fr": "Indiquez où en est votre projet",
                                    "de": "Geben Sie an, wie weit Ihr Projekt ist"},
    "error.missing": {"en": "“{field}” is required", "fr": "« {field} » est obligatoire",
                      "de": "„{field}“ ist ein Pflichtfeld"},
    "error.string_too_short": {"en": "“{field}” must be at least {min_length} characters long",
                               "fr": "« {field} » doit compter au moins {min_length} caractères",
                               "de": "„{field}“ muss mindestens {min_length} Zeichen lang sein"},
    "error.string_too_long": {"en": "“{field}” must be {max_length} characters or fewer",
                              "fr": "« {field} » ne doit pas dépasser {max_length} caractères",
                              "de": "„{field}“ darf höchstens {max_length} Zeichen lang sein"},
    "error.string_pattern_mismatch": {"en": "“{field}” must be one line of ordinary text",
                                      "fr": "« {field} » doit tenir sur une ligne de texte ordinaire",
                                      "de": "„{field}“ muss eine Zeile gewöhnlichen Textes sein"},
    "error.literal_error": {"en": "Choose one of the options for “{field}”",
                            "fr": "Choisissez l'une des options de « {field} »",
                            "de": "Wählen Sie eine der Optionen für „{field}“"},
    "error.too_long": {"en": "Choose at most {max_length} for “{field}”",
                       "fr": "Choisissez-en {max_length} au plus pour « {field} »",
                       "de": "Wählen Sie bei „{field}“ höchstens {max_length} aus"},
    "error.generic": {"en": "Check “{field}”", "fr": "Vérifiez « {field} »",
                      "de": "Überprüfen Sie „{field}“"},
}

# Short names of the sector vocabulary (contracts/data/ai_factories.yaml); a sector added there without a name
# here shows the description the data gives it.
SECTORS = {
    "sector.health": {"en": "Health", "fr": "Santé", "de": "Gesundheit"},
    "sector.life-sciences": {"en": "Life sciences", "fr": "Sciences de la vie", "de": "Biowissenschaften"},
    "sector.finance": {"en": "Finance and banking", "fr": "Finance et banque", "de": "Finanzen und Banken"},
    "sector.insurance": {"en": "Insurance and reinsurance", "fr": "Assurance et réassurance",
                         "de": "Versicherung und Rückversicherung"},
    "sector.cybersecurity": {"en": "Cybersecurity", "fr": "Cybersécurité", "de": "Cybersicherheit"},
    "sector.space": {"en": "Space", "fr": "Spatial", "de": "Raumfahrt"},
    "sector.earth-observation": {"en": "Earth observation", "fr": "Observation de la Terre", "de": "Erdbeobachtung"},
    "sector.aerospace": {"en": "Aeronautics and aviation", "fr": "Aéronautique", "de": "Luftfahrt"},
    "sector.energy": {"en": "Energy", "fr": "Énergie", "de": "Energie"},
    "sector.climate": {"en": "Climate and weather", "fr": "Climat et météo", "de": "Klima und Wetter"},
    "sector.environment": {"en": "Environment and circular economy", "fr": "Environnement et économie circulaire",
                           "de": "Umwelt und Kreislaufwirtschaft"},
    "sector.mobility": {"en": "Mobility, transport and logistics", "fr": "Mobilité, transport et logistique",
                        "de": "Mobilität, Verkehr und Logistik"},
    "sector.manufacturing": {"en": "Manufacturing and industry", "fr": "Industrie manufacturière",
                             "de": "Industrie und Fertigung"},
    "sector.engineering": {"en": "Engineering", "fr": "Ingénierie", "de": "Ingenieurwesen"},
    "sector.agrifood": {"en": "Agriculture and food", "fr": "Agriculture et alimentation",
                        "de": "Landwirtschaft und Ernährung"},
    "sector.public-sector": {"en": "Public sector", "fr": "Secteur public", "de": "Öffentlicher Sektor"},
    "sector.education": {"en": "Education", "fr": "Éducation", "de": "Bildung"},
    "sector.language": {"en": "Language technologies", "fr": "Technologies de la langue", "de": "Sprachtechnologien"},
    "sector.culture-creative": {"en": "Culture and creative industries", "fr": "Culture et industries créatives",
                                "de": "Kultur- und Kreativwirtschaft"},
    "sector.gaming": {"en": "Video games", "fr": "Jeux vidéo", "de": "Videospiele"},
    "sector.media": {"en": "Media and publishing", "fr": "Médias et édition", "de": "Medien und Verlagswesen"},
    "sector.legal": {"en": "Legal services", "fr": "Services juridiques", "de": "Rechtsdienstleistungen"},
    "sector.humanities": {"en": "Social sciences and humanities", "fr": "Sciences humaines et sociales",
                          "de": "Geistes- und Sozialwissenschaften"},
    "sector.robotics": {"en": "Robotics", "fr": "Robotique", "de": "Robotik"},
    "sector.autonomous-systems": {"en": "Autonomous systems and drones", "fr": "Systèmes autonomes et drones",
                                  "de": "Autonome Systeme und Drohnen"},
    "sector.materials": {"en": "Materials and chemistry", "fr": "Matériaux et chimie", "de": "Werkstoffe und Chemie"},
    "sector.quantum": {"en": "Quantum technologies", "fr": "Technologies quantiques", "de": "Quantentechnologien"},
    "sector.consumer-goods": {"en": "Retail and consumer goods", "fr": "Commerce et biens de consommation",
                              "de": "Handel und Konsumgüter"},
    "sector.semiconductors": {"en": "Semiconductors and chip design", "fr": "Semi-conducteurs et conception de puces",
                              "de": "Halbleiter und Chipdesign"},
    "sector.science": {"en": "Scientific research", "fr": "Recherche scientifique",
                       "de": "Wissenschaftliche Forschung"},
    "sector.defence": {"en": "Defence", "fr": "Défense", "de": "Verteidigung"},
    "sector.cross-sector": {"en": "Cross-sector", "fr": "Intersectoriel", "de": "Branchenübergreifend"},
}

RECEIVED = {
    "received.title": {"en": "Application received", "fr": "Candidature reçue", "de": "Bewerbung eingegangen"},
    "received.reference": {"en": "Your reference", "fr": "Votre référence", "de": "Ihre Referenz"},
    "received.keep_title": {"en": "Keep this link", "fr": "Conservez ce lien", "de": "Bewahren Sie diesen Link auf"},
    "received.keep": {
        "en": "Follow your application with this link. Keep it somewhere safe: it is the only way to see your "
              "application online, we do not send it by email, and anyone who has it can see your application.",
        "fr": "Suivez votre candidature avec ce lien. Conservez-le en lieu sûr : c'est le seul moyen de voir votre "
              "candidature en ligne, nous ne l'envoyons pas par e-mail, et toute personne qui l'a peut la voir.",
        "de": "Mit diesem Link verfolgen Sie Ihre Bewerbung. Bewahren Sie ihn sicher auf: Nur mit ihm sehen Sie "
              "Ihre Bewerbung online, wir senden ihn nicht per E-Mail, und wer ihn hat, kann Ihre Bewerbung sehen.",
    },
    "received.email": {
        "en": "We will write to {email} as soon as we have decided, usually within a few minutes.",
        "fr": "Nous écrirons à {email} dès que nous aurons décidé, en général en quelques minutes.",
        "de": "Wir schreiben an {email}, sobald wir entschieden haben, meist innerhalb weniger Minuten.",
    },
    "received.next_title": {"en": "What happens next", "fr": "Et ensuite ?", "de": "Wie es weitergeht"},
    "received.next.read": {"en": "We read your project and find its sectors.",
                           "fr": "Nous lisons votre projet et en déduisons les secteurs.",
                           "de": "Wir lesen Ihr Projekt und bestimmen seine Branchen."},
    "received.next.score": {
        "en": "We weigh it against $of_country priorities and the strengths of the other AI Factories.",
        "fr": "Nous le comparons aux priorités $of_country et aux points forts des autres AI Factories.",
        "de": "Wir gleichen es mit den Schwerpunkten $of_country und den Stärken der anderen AI Factories ab."},
    "received.next.decide": {
        "en": "We decide: our experts take it on, we point you to an AI Factory that fits it better, or one of "
              "our staff looks at it in person.",
        "fr": "Nous décidons : nos experts le prennent en charge, nous vous orientons vers une AI Factory qui lui "
              "convient mieux, ou un membre de notre équipe l'examine personnellement.",
        "de": "Wir entscheiden: Unsere Fachleute übernehmen es, wir verweisen Sie an eine besser passende AI "
              "Factory, oder jemand aus unserem Team sieht es sich persönlich an."},
    "received.follow": {"en": "Follow my application", "fr": "Suivre ma candidature",
                        "de": "Meine Bewerbung verfolgen"},
}

STATUS = {
    "status.title": {"en": "Your application", "fr": "Votre candidature", "de": "Ihre Bewerbung"},
    "status.project": {"en": "Project", "fr": "Projet", "de": "Projekt"},
    "status.organisation": {"en": "Organisation", "fr": "Organisation", "de": "Organisation"},
    "status.sent": {"en": "Sent", "fr": "Envoyée le", "de": "Gesendet am"},
    "status.progress": {"en": "Where it stands", "fr": "Où en est-elle ?", "de": "Wo sie steht"},
    "stage.received": {"en": "Received", "fr": "Reçue", "de": "Eingegangen"},
    "stage.assessing": {"en": "Being assessed", "fr": "En cours d'évaluation", "de": "Wird bewertet"},
    "stage.decided": {"en": "Decided", "fr": "Décidée", "de": "Entschieden"},
    "stage.done": {"en": "(done)", "fr": "(terminé)", "de": "(erledigt)"},
    "status.assessing": {
        "en": "We are reading and weighing your project. This usually takes a few minutes; this page updates by "
              "itself, and we will also write to you.",
        "fr": "Nous lisons et évaluons votre projet. Cela prend en général quelques minutes ; cette page se met "
              "à jour d'elle-même, et nous vous écrirons aussi.",
        "de": "Wir lesen und bewerten Ihr Projekt. Das dauert meist einige Minuten; diese Seite aktualisiert "
              "sich von selbst, und wir schreiben Ihnen auch.",
    },
    "status.refresh": {"en": "Check again", "fr": "Actualiser", "de": "Erneut prüfen"},
    "status.decision": {"en": "Our decision", "fr": "Notre décision", "de": "Unsere Entscheidung"},
    "status.reasons": {"en": "Why", "fr": "Pourquoi (détail de l'évaluation, en anglais)",
                       "de": "Begründung (Einzelheiten der Bewertung, auf Englisch)"},
    "status.next": {"en": "Next steps", "fr": "Prochaines étapes", "de": "Nächste Schritte"},
    "status.timeline": {"en": "History", "fr": "Historique", "de": "Verlauf"},
    "status.export": {"en": "Download everything we hold about this application (JSON)",
                      "fr": "Télécharger tout ce que nous détenons sur cette candidature (JSON)",
                      "de": "Alles herunterladen, was wir zu dieser Bewerbung speichern (JSON)"},
    "time.format": {"en": "%d/%m/%Y %H:%M UTC", "fr": "%d/%m/%Y à %H:%M UTC", "de": "%d.%m.%Y, %H:%M UTC"},
    "event.lu.aif.intake.application-submitted": {"en": "Application received", "fr": "Candidature reçue",
                                                  "de": "Bewerbung eingegangen"},
    "event.lu.aif.triage.application-scored": {"en": "Project assessed", "fr": "Projet évalué",
                                               "de": "Projekt bewertet"},
    "event.lu.aif.routing.decision-made": {"en": "Decision made", "fr": "Décision prise",
                                           "de": "Entscheidung getroffen"},
    "event.lu.aif.notify.email-sent": {"en": "Email sent to you", "fr": "E-mail envoyé", "de": "E-Mail gesendet"},
    "event.lu.aif.routing.referral-updated": {"en": "Passing your application on",
                                              "fr": "Transmission de la candidature",
                                              "de": "Weitergabe der Bewerbung"},
    "event.other": {"en": "Update", "fr": "Mise à jour", "de": "Aktualisierung"},
}

DECISIONS = {
    "decision.accept_local": {"en": "Accepted by the $name",
                              "fr": "Acceptée par la $name",
                              "de": "Von der $name angenommen"},
    "decision.accept_local.expert": {
        "en": "{expert} will be your expert at the $short_name and will contact you to start with training and an "
              "assessment.",
        "fr": "{expert} sera votre expert·e à la $short_name et vous contactera pour commencer par une formation et une "
              "évaluation.",
        "de": "{expert} wird Ihre Ansprechperson bei der $short_name sein und meldet sich, um mit Schulung und Bewertung "
              "zu beginnen.",
    },
    "decision.accept_local.waiting": {
        "en": "All our experts for your field are fully booked at the moment: your project waits in our queue, "
              "and we will write to you as soon as an expert takes it on.",
        "fr": "Tous nos experts de votre domaine sont pris pour le moment : votre projet attend dans notre file, "
              "et nous vous écrirons dès qu'un expert le prendra en charge.",
        "de": "Alle unsere Fachleute für Ihr Gebiet sind derzeit ausgelastet: Ihr Projekt wartet in unserer "
              "Warteschlange, und wir schreiben Ihnen, sobald es jemand übernimmt.",
    },
    "decision.forward": {"en": "{factory} is the right AI Factory for your project",
                         "fr": "{factory} est l'AI Factory qui convient à votre projet",
                         "de": "{factory} ist die passende AI Factory für Ihr Projekt"},
    "decision.forward.fit": {"en": "Your project fits {factory} better than $the_priorities.",
                             "fr": "Votre projet correspond mieux à {factory} qu'$the_priorities.",
                             "de": "Ihr Projekt passt besser zu {factory} als $the_priorities."},
    "decision.forward.shared": {
        "en": "With your consent, we offer your application to {factory}; they will contact you.",
        "fr": "Avec votre accord, nous proposons votre candidature à {factory}, qui vous contactera.",
        "de": "Mit Ihrer Zustimmung bieten wir Ihre Bewerbung {factory} an; man wird sich bei Ihnen melden.",
    },
    "decision.forward.not_shared": {
        "en": "You did not agree to share your data with other AI Factories, so we sent nothing. Please apply to "
              "{factory} directly.",
        "fr": "Vous n'avez pas accepté le partage de vos données avec d'autres AI Factories ; nous n'avons donc "
              "rien transmis. Veuillez postuler directement auprès de {factory}.",
        "de": "Sie haben der Weitergabe Ihrer Daten an andere AI Factories nicht zugestimmt; wir haben daher "
              "nichts weitergegeben. Bitte bewerben Sie sich direkt bei {factory}.",
    },
    "decision.forward.contact": {"en": "How to reach {factory}:", "fr": "Pour joindre {factory} :",
                                 "de": "So erreichen Sie {factory}:"},
    "decision.forward.through_host": {"en": "through its host, {host}",
                                      "fr": "par l'intermédiaire de son hôte, {host}",
                                      "de": "über den Betreiber {host}"},
    "decision.decline": {"en": "Outside the scope of the AI Factories", "fr": "Hors du champ des AI Factories",
                         "de": "Außerhalb des Auftrags der AI Factories"},
    "decision.decline.text": {
        "en": "We are sorry: the EuroHPC AI Factories serve civilian applications only, so we cannot take your "
              "project on.",
        "fr": "Nous sommes désolés : les AI Factories EuroHPC servent uniquement des applications civiles ; nous "
              "ne pouvons donc pas prendre votre projet en charge.",
        "de": "Leider dienen die EuroHPC AI Factories nur zivilen Anwendungen; daher können wir Ihr Projekt nicht "
              "übernehmen.",
    },
    "decision.review": {"en": "With our intake staff", "fr": "Entre les mains de notre équipe",
                        "de": "Bei unserem Team"},
    "decision.review.text": {
        "en": "Our intake staff will look at your application in person and come back to you by email.",
        "fr": "Notre équipe examinera votre candidature personnellement et reviendra vers vous par e-mail.",
        "de": "Unser Team prüft Ihre Bewerbung persönlich und meldet sich per E-Mail bei Ihnen.",
    },
    "next.accept_local": {"en": "With your expert, your project goes through these steps:",
                          "fr": "Avec votre expert·e, votre projet passe par ces étapes :",
                          "de": "Mit Ihrer Ansprechperson durchläuft Ihr Projekt diese Schritte:"},
    "journey.training": {"en": "Training", "fr": "Formation", "de": "Schulung"},
    "journey.assessment": {"en": "Assessment of your project", "fr": "Évaluation de votre projet",
                           "de": "Bewertung Ihres Projekts"},
    "journey.matching": {"en": "Matching with solution providers",
                         "fr": "Mise en relation avec des fournisseurs de solutions",
                         "de": "Vermittlung von Lösungsanbietern"},
    "journey.funding": {"en": "Funding", "fr": "Financement", "de": "Finanzierung"},
    "journey.poc": {"en": "Proof of concept or sandbox on the supercomputer",
                    "fr": "Preuve de concept ou bac à sable sur le supercalculateur",
                    "de": "Machbarkeitsnachweis oder Sandbox auf dem Supercomputer"},
    "journey.production": {"en": "Production", "fr": "Mise en production", "de": "Produktivbetrieb"},
    "next.forward.shared": {
        "en": "Wait for {factory} to contact you. If they cannot take your project on, we offer it to the next AI "
              "Factory that fits or our staff take it up, and we tell you by email.",
        "fr": "Attendez que {factory} vous contacte. Si elle ne peut pas prendre votre projet en charge, nous le "
              "proposons à l'AI Factory suivante qui convient ou notre équipe s'en occupe, et nous vous en "
              "informons par e-mail.",
        "de": "Warten Sie, bis sich {factory} bei Ihnen meldet. Kann sie Ihr Projekt nicht übernehmen, bieten wir "
              "es der nächsten passenden AI Factory an oder unser Team kümmert sich darum, und wir informieren Sie "
              "per E-Mail.",
    },
    "next.forward.not_shared": {
        "en": "Apply to {factory} directly, with the contact above. You can say that the $name "
              "sent you.",
        "fr": "Postulez directement auprès de {factory}, avec le contact ci-dessus. Vous pouvez indiquer que la "
              "$name vous envoie.",
        "de": "Bewerben Sie sich direkt bei {factory} über den obigen Kontakt. Sie können angeben, dass die "
              "$name Sie schickt.",
    },
    "next.decline": {
        "en": "There is nothing more to do. If we misread your project and it serves a civilian purpose, reply "
              "to our email and tell us.",
        "fr": "Vous n'avez rien d'autre à faire. Si nous avons mal compris votre projet et qu'il sert un but "
              "civil, répondez à notre e-mail pour nous le dire.",
        "de": "Sie müssen nichts weiter tun. Haben wir Ihr Projekt falsch verstanden und dient es einem zivilen "
              "Zweck, antworten Sie auf unsere E-Mail und sagen Sie es uns.",
    },
    "next.review": {"en": "There is nothing you need to do now: we will write to you.",
                    "fr": "Vous n'avez rien à faire pour l'instant : nous vous écrirons.",
                    "de": "Sie müssen jetzt nichts tun: Wir schreiben Ihnen."},
}

PROBLEMS = {
    "not_found.title": {"en": "We cannot find this application", "fr": "Candidature introuvable",
                        "de": "Bewerbung nicht gefunden"},
    "not_found.text": {
        "en": "The link is incomplete or not right. Use the whole link from your confirmation page, as you saved "
              "it.",
        "fr": "Le lien est incomplet ou inexact. Utilisez le lien entier de votre page de confirmation, tel que "
              "vous l'avez conservé.",
        "de": "Der Link ist unvollständig oder nicht richtig. Verwenden Sie den ganzen Link Ihrer "
              "Bestätigungsseite, so wie Sie ihn aufbewahrt haben.",
    },
    "not_found.apply": {"en": "Apply with a new project", "fr": "Présenter un nouveau projet",
                        "de": "Mit einem neuen Projekt bewerben"},
    "refused.rate_limited": {"en": "Too many applications", "fr": "Trop de candidatures",
                             "de": "Zu viele Bewerbungen"},
    "refused.rate_limited.text": {
        "en": "We take at most {per_minute} applications a minute from one address. Please send yours again in "
              "{retry_after} seconds.",
        "fr": "Nous acceptons au plus {per_minute} candidatures par minute depuis une même adresse. Veuillez "
              "renvoyer la vôtre dans {retry_after} secondes.",
        "de": "Wir nehmen höchstens {per_minute} Bewerbungen pro Minute von einer Adresse an. Bitte senden Sie "
              "Ihre in {retry_after} Sekunden erneut.",
    },
    "refused.payload_too_large": {"en": "Your application is too long", "fr": "Votre candidature est trop longue",
                                  "de": "Ihre Bewerbung ist zu lang"},
    "refused.payload_too_large.text": {
        "en": "It is larger than the {kib} KiB we take. Please shorten the summary and send it again.",
        "fr": "Elle dépasse les {kib} Kio que nous acceptons. Veuillez raccourcir le résumé et la renvoyer.",
        "de": "Sie ist größer als die {kib} KiB, die wir annehmen. Bitte kürzen Sie die Beschreibung und senden "
              "Sie sie erneut.",
    },
    "refused.already_sent": {"en": "This form was sent already", "fr": "Ce formulaire a déjà été envoyé",
                             "de": "Dieses Formular wurde bereits gesendet"},
    "refused.already_sent.text": {
        "en": "We received the application sent with this form, as it was then. To send a different application, "
              "open the form anew.",
        "fr": "Nous avons reçu la candidature envoyée avec ce formulaire, telle qu'elle était alors. Pour envoyer "
              "une autre candidature, ouvrez de nouveau le formulaire.",
        "de": "Wir haben die mit diesem Formular gesendete Bewerbung so erhalten, wie sie damals war. Um eine "
              "andere Bewerbung zu senden, öffnen Sie das Formular neu.",
    },
    "refused.back": {
        "en": "Use your browser's Back button to return to your application: what you typed is usually still there.",
        "fr": "Revenez à votre candidature avec le bouton Retour de votre navigateur : ce que vous avez saisi y "
              "est en général encore.",
        "de": "Kehren Sie mit der Zurück-Taste Ihres Browsers zu Ihrer Bewerbung zurück: Ihre Eingaben sind dort "
              "meist noch vorhanden.",
    },
}

# The words naming the factory (`$name`, ...) are the factory profile's (contracts/profile.py).
MESSAGES: dict[str, dict[str, str]] = profile.selected().worded({
    **SITE, **FORM, **FIELDS, **CONSENT, **ERRORS, **SECTORS, **RECEIVED, **STATUS, **DECISIONS, **PROBLEMS})


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry["en"]

    return t

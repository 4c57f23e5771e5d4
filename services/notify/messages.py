"""The words of every email, in English, French and German. The words naming the factory (`$name`, ...) are the
factory profile's, filled in here (contracts/profile.py); the `{placeholders}` are filled by `render`.

No subject or opening quotes the project's title: it is the sender's own words, and the first email to an address
must carry none of them but the name (PROJECT, below, adds the title for an address emailed before)."""

from __future__ import annotations

from contracts import profile

worded = profile.selected().worded

SUBJECTS = worded({
    "accept_local": {
        "en": "Your AI project is accepted by the $name",
        "fr": "Votre projet d'IA est accepté par la $name",
        "de": "Ihr KI-Projekt wurde von der $name angenommen",
    },
    "forward": {
        "en": "Your AI project: {factory} is the right AI Factory for it",
        "fr": "Votre projet d'IA : {factory} est l'AI Factory qui lui convient",
        "de": "Ihr KI-Projekt: {factory} ist die passende AI Factory",
    },
    "decline": {
        "en": "Your AI project is outside the scope of the AI Factories",
        "fr": "Votre projet d'IA sort du champ des AI Factories",
        "de": "Ihr KI-Projekt liegt außerhalb des Auftrags der AI Factories",
    },
    # A staff member's decline, for any reason (the automatic one is always the civilian scope).
    "decline_by_staff": {
        "en": "Your AI project: our decision",
        "fr": "Votre projet d'IA : notre décision",
        "de": "Ihr KI-Projekt: unsere Entscheidung",
    },
    # A waiting project that an expert took on when their place came free.
    "expert_assigned": {
        "en": "{expert} has taken on your AI project",
        "fr": "{expert} prend en charge votre projet d'IA",
        "de": "{expert} übernimmt Ihr KI-Projekt",
    },
    "review": {
        "en": "Your AI project is with our intake experts",
        "fr": "Votre projet d'IA est entre les mains de nos experts",
        "de": "Ihr KI-Projekt liegt unseren Fachleuten vor",
    },
})

OPENINGS = worded({
    "accept_local": {
        "en": "Good news: the $name ($short_name) will take on your project. One of our experts will "
              "contact you to start with training and an assessment.",
        "fr": "Bonne nouvelle : la $name ($short_name) prend en charge votre projet. L'un de nos experts "
              "vous contactera pour commencer par une formation et une évaluation.",
        "de": "Gute Nachricht: Die $name ($short_name) übernimmt Ihr Projekt. Eine oder einer unserer "
              "Fachleute meldet sich, um mit Schulung und Bewertung zu beginnen.",
    },
    "forward": {
        "en": "Your project fits {factory} better than $the_priorities.",
        "fr": "Votre projet correspond mieux à {factory} qu'$the_priorities.",
        "de": "Ihr Projekt passt besser zu {factory} als $the_priorities.",
    },
    "decline": {
        "en": "Thank you for your application. We are sorry: the EuroHPC AI Factories serve civilian applications "
              "only, and your project describes a military or weapons purpose, so we cannot take it on.",
        "fr": "Merci de votre candidature. Nous sommes désolés : les AI Factories EuroHPC servent uniquement des "
              "applications civiles ; votre projet décrit un usage militaire ou d'armement, nous ne pouvons donc pas "
              "le prendre en charge.",
        "de": "Vielen Dank für Ihre Bewerbung. Leider dienen die EuroHPC AI Factories nur zivilen Anwendungen; Ihr "
              "Projekt beschreibt einen militärischen oder Waffenzweck, daher können wir es nicht übernehmen.",
    },
    "decline_by_staff": {
        "en": "Thank you for your application. Our intake team has looked at it closely and we are sorry: we "
              "cannot take your project on. The reasons are below.",
        "fr": "Merci de votre candidature. Notre équipe l'a examinée attentivement et nous sommes désolés : nous ne "
              "pouvons pas prendre votre projet en charge. Les raisons figurent ci-dessous.",
        "de": "Vielen Dank für Ihre Bewerbung. Unser Team hat sie sorgfältig geprüft, und es tut uns leid: Wir "
              "können Ihr Projekt nicht übernehmen. Die Gründe finden Sie unten.",
    },
    "expert_assigned": {
        "en": "Good news: {expert} has taken on your project at the $name ($short_name) and "
              "will contact you to start with training and an assessment.",
        "fr": "Bonne nouvelle : {expert} prend en charge votre projet à la $name "
              "($short_name) et vous contactera pour commencer par une formation et une évaluation.",
        "de": "Gute Nachricht: {expert} übernimmt Ihr Projekt bei der $name ($short_name) und "
              "meldet sich bei Ihnen, um mit Schulung und Bewertung zu beginnen.",
    },
    "review": {
        "en": "Our intake experts will look at your application in person and come back to you.",
        "fr": "Nos experts examineront votre candidature personnellement et reviendront vers vous.",
        "de": "Unsere Fachleute prüfen Ihre Bewerbung persönlich und melden sich bei Ihnen.",
    },
})

FORWARD_NEXT = {
    True: {
        "en": "With your consent, we pass your application on to {factory}; they will contact you.",
        "fr": "Avec votre accord, nous transmettons votre candidature à {factory}, qui vous contactera.",
        "de": "Mit Ihrer Zustimmung leiten wir Ihre Bewerbung an {factory} weiter; man wird sich bei Ihnen melden.",
    },
    False: {
        "en": "You did not agree to share your data with other AI Factories, so we sent nothing. Please apply to "
              "{factory} directly: {contact}.",
        "fr": "Vous n'avez pas accepté le partage de vos données avec d'autres AI Factories ; nous n'avons donc rien "
              "transmis. Veuillez postuler directement auprès de {factory} : {contact}.",
        "de": "Sie haben der Weitergabe Ihrer Daten an andere AI Factories nicht zugestimmt; wir haben daher nichts "
              "weitergegeben. Bitte bewerben Sie sich direkt bei {factory}: {contact}.",
    },
}

EXPERT = worded({
    "en": "{expert} will be your expert at the $short_name.",
    "fr": "{expert} sera votre expert·e à la $short_name.",
    "de": "{expert} wird Ihre Ansprechperson bei der $short_name sein.",
})

WAITING = {
    "en": "All our experts for your field are fully booked at the moment: your project waits in our queue, and "
          "we will write to you again as soon as an expert takes it on.",
    "fr": "Tous nos experts de votre domaine sont pris pour le moment : votre projet attend dans notre file, et "
          "nous vous écrirons dès qu'un expert le prendra en charge.",
    "de": "Alle unsere Fachleute für Ihr Gebiet sind derzeit ausgelastet: Ihr Projekt wartet in unserer "
          "Warteschlange, und wir schreiben Ihnen wieder, sobald es jemand übernimmt.",
}

REFERRAL_ACCEPTED_SUBJECT = {
    "en": "{factory} has taken on your AI project",
    "fr": "{factory} prend en charge votre projet d'IA",
    "de": "{factory} übernimmt Ihr KI-Projekt",
}

REFERRAL_ACCEPTED = {
    "en": "Good news: {factory} accepted our referral of your project and will contact you directly.",
    "fr": "Bonne nouvelle : {factory} a accepté notre recommandation de votre projet et vous contactera directement.",
    "de": "Gute Nachricht: {factory} hat unsere Empfehlung Ihres Projekts angenommen und meldet sich direkt bei Ihnen.",
}

# The milestones of the journey of an accepted project that the applicant hears of.
MILESTONE_SUBJECTS = worded({
    "training": {
        "en": "Your AI project is accepted into training",
        "fr": "Votre projet d'IA est admis à la formation",
        "de": "Ihr KI-Projekt wurde in die Schulung aufgenommen",
    },
    "poc": {
        "en": "Your AI project: the proof of concept has started on the supercomputer",
        "fr": "Votre projet d'IA : la preuve de concept a démarré sur le supercalculateur",
        "de": "Ihr KI-Projekt: Der Machbarkeitsnachweis auf dem Supercomputer hat begonnen",
    },
    "completed": {
        "en": "Your AI project has completed its journey with the $name",
        "fr": "Votre projet d'IA a terminé son parcours avec la $name",
        "de": "Ihr KI-Projekt hat seinen Weg mit der $name abgeschlossen",
    },
})

MILESTONE_TEXTS = worded({
    "training": {
        "en": "Your project is accepted into the training of the $name ($short_name). Your expert will run "
              "the training with your team and tell you its dates.",
        "fr": "Votre projet est admis à la formation de la $name ($short_name). Votre expert·e animera la "
              "formation avec votre équipe et vous en communiquera les dates.",
        "de": "Ihr Projekt wurde in die Schulung der $name ($short_name) aufgenommen. Ihre Ansprechperson "
              "führt die Schulung mit Ihrem Team durch und teilt Ihnen die Termine mit.",
    },
    "poc": {
        "en": "The proof of concept of your project has started on the supercomputer. Your expert follows it with you "
              "and will go through the results with you.",
        "fr": "La preuve de concept de votre projet a démarré sur le supercalculateur. Votre expert·e la suit avec "
              "vous et en examinera les résultats avec vous.",
        "de": "Der Machbarkeitsnachweis Ihres Projekts auf dem Supercomputer hat begonnen. Ihre Ansprechperson "
              "begleitet ihn und bespricht die Ergebnisse mit Ihnen.",
    },
    "completed": {
        "en": "Your project has completed its journey with the $name ($short_name). Thank you for working "
              "with us: we wish you every success, and you are welcome to apply again with your next AI project.",
        "fr": "Votre projet a terminé son parcours avec la $name ($short_name). Merci d'avoir travaillé "
              "avec nous : nous vous souhaitons plein succès, et vous pouvez nous soumettre votre prochain projet "
              "d'IA.",
        "de": "Ihr Projekt hat seinen Weg mit der $name ($short_name) abgeschlossen. Vielen Dank für die "
              "Zusammenarbeit: Wir wünschen Ihnen viel Erfolg und freuen uns auf Ihr nächstes KI-Projekt.",
    },
})

GREETING = {"en": "Dear {name},", "fr": "Bonjour {name},", "de": "Guten Tag {name},"}
# The reasons come from the scoring and routing rules, which speak English for now.
REASONS = {"en": "Why:", "fr": "Pourquoi (détail de l'évaluation, en anglais) :",
           "de": "Begründung (Einzelheiten der Bewertung, auf Englisch):"}
THROUGH_HOST = {"en": "through its host, {host}", "fr": "par l'intermédiaire de son hôte, {host}",
                "de": "über den Betreiber {host}"}
SIGNATURE = worded({
    "en": "Kind regards,\nThe $name one-stop shop",
    "fr": "Cordialement,\nLe guichet unique de la $name",
    "de": "Mit freundlichen Grüßen\nDer One-Stop-Shop der $name",
})

# The project's title, chosen by whoever filled in the form: written only to an address we have emailed before
# (the first email to an address carries no words of the sender's but the name; see services/notify/README.md).
PROJECT = {"en": "Your project: {title}", "fr": "Votre projet : {title}", "de": "Ihr Projekt: {title}"}
# At the foot of every email: the link that stops every further email to the address.
STOP = {
    "en": "If you did not apply, or want no more emails from us: {url}",
    "fr": "Si vous n'avez pas postulé, ou ne souhaitez plus recevoir nos courriels : {url}",
    "de": "Falls Sie sich nicht beworben haben oder keine E-Mails mehr von uns wünschen: {url}",
}
# The page behind that link.
STOP_PAGE = worded({
    "en": ("No more emails", "Stop every email from the $name one-stop shop to this address?",
           "Stop the emails", "Done: this address will receive no more emails from us."),
    "fr": ("Plus de courriels", "Ne plus envoyer aucun courriel du guichet unique de la $name à "
           "cette adresse ?", "Arrêter les courriels",
           "C'est fait : cette adresse ne recevra plus de courriels de notre part."),
    "de": ("Keine E-Mails mehr", "Keine E-Mails des One-Stop-Shops der $name mehr an diese Adresse "
           "senden?", "E-Mails stoppen", "Erledigt: Diese Adresse erhält keine E-Mails mehr von uns."),
})

"""The words of every email, in English, French and German. Placeholders are filled by `render`."""

from __future__ import annotations

SUBJECTS = {
    "accept_local": {
        "en": "Your AI project '{title}' is accepted by the Luxembourg AI Factory",
        "fr": "Votre projet d'IA « {title} » est accepté par la Luxembourg AI Factory",
        "de": "Ihr KI-Projekt „{title}“ wurde von der Luxembourg AI Factory angenommen",
    },
    "forward": {
        "en": "Your AI project '{title}': {factory} is the right AI Factory for it",
        "fr": "Votre projet d'IA « {title} » : {factory} est l'AI Factory qui lui convient",
        "de": "Ihr KI-Projekt „{title}“: {factory} ist die passende AI Factory",
    },
    "decline": {
        "en": "Your AI project '{title}' is outside the scope of the AI Factories",
        "fr": "Votre projet d'IA « {title} » sort du champ des AI Factories",
        "de": "Ihr KI-Projekt „{title}“ liegt außerhalb des Auftrags der AI Factories",
    },
    # A staff member's decline, for any reason (the automatic one is always the civilian scope).
    "decline_by_staff": {
        "en": "Your AI project '{title}': our decision",
        "fr": "Votre projet d'IA « {title} » : notre décision",
        "de": "Ihr KI-Projekt „{title}“: unsere Entscheidung",
    },
    # A waiting project that an expert took on when their place came free.
    "expert_assigned": {
        "en": "{expert} has taken on your AI project '{title}'",
        "fr": "{expert} prend en charge votre projet d'IA « {title} »",
        "de": "{expert} übernimmt Ihr KI-Projekt „{title}“",
    },
    "review": {
        "en": "Your AI project '{title}' is with our intake experts",
        "fr": "Votre projet d'IA « {title} » est entre les mains de nos experts",
        "de": "Ihr KI-Projekt „{title}“ liegt unseren Fachleuten vor",
    },
}

OPENINGS = {
    "accept_local": {
        "en": "Good news: the Luxembourg AI Factory (L-AIF) will take on your project. One of our eight experts will "
              "contact you to start with training and an assessment.",
        "fr": "Bonne nouvelle : la Luxembourg AI Factory (L-AIF) prend en charge votre projet. L'un de nos huit "
              "experts vous contactera pour commencer par une formation et une évaluation.",
        "de": "Gute Nachricht: Die Luxembourg AI Factory (L-AIF) übernimmt Ihr Projekt. Eine oder einer unserer acht "
              "Fachleute meldet sich, um mit Schulung und Bewertung zu beginnen.",
    },
    "forward": {
        "en": "Your project fits {factory} better than the Luxembourg priorities.",
        "fr": "Votre projet correspond mieux à {factory} qu'aux priorités luxembourgeoises.",
        "de": "Ihr Projekt passt besser zu {factory} als zu den luxemburgischen Schwerpunkten.",
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
        "en": "Good news: {expert} has taken on your project '{title}' at the Luxembourg AI Factory (L-AIF) and "
              "will contact you to start with training and an assessment.",
        "fr": "Bonne nouvelle : {expert} prend en charge votre projet « {title} » à la Luxembourg AI Factory "
              "(L-AIF) et vous contactera pour commencer par une formation et une évaluation.",
        "de": "Gute Nachricht: {expert} übernimmt Ihr Projekt „{title}“ bei der Luxembourg AI Factory (L-AIF) und "
              "meldet sich bei Ihnen, um mit Schulung und Bewertung zu beginnen.",
    },
    "review": {
        "en": "Our intake experts will look at your application in person and come back to you.",
        "fr": "Nos experts examineront votre candidature personnellement et reviendront vers vous.",
        "de": "Unsere Fachleute prüfen Ihre Bewerbung persönlich und melden sich bei Ihnen.",
    },
}

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

EXPERT = {
    "en": "{expert} will be your expert at the L-AIF.",
    "fr": "{expert} sera votre expert·e à la L-AIF.",
    "de": "{expert} wird Ihre Ansprechperson bei der L-AIF sein.",
}

WAITING = {
    "en": "All our experts for your field are fully booked at the moment: your project waits in our queue, and "
          "we will write to you again as soon as an expert takes it on.",
    "fr": "Tous nos experts de votre domaine sont pris pour le moment : votre projet attend dans notre file, et "
          "nous vous écrirons dès qu'un expert le prendra en charge.",
    "de": "Alle unsere Fachleute für Ihr Gebiet sind derzeit ausgelastet: Ihr Projekt wartet in unserer "
          "Warteschlange, und wir schreiben Ihnen wieder, sobald es jemand übernimmt.",
}

REFERRAL_ACCEPTED_SUBJECT = {
    "en": "{factory} has taken on your AI project '{title}'",
    "fr": "{factory} prend en charge votre projet d'IA « {title} »",
    "de": "{factory} übernimmt Ihr KI-Projekt „{title}“",
}

REFERRAL_ACCEPTED = {
    "en": "Good news: {factory} accepted our referral of your project and will contact you directly.",
    "fr": "Bonne nouvelle : {factory} a accepté notre recommandation de votre projet et vous contactera directement.",
    "de": "Gute Nachricht: {factory} hat unsere Empfehlung Ihres Projekts angenommen und meldet sich direkt bei Ihnen.",
}

# The milestones of the journey of an accepted project that the applicant hears of.
MILESTONE_SUBJECTS = {
    "training": {
        "en": "Your AI project '{title}' is accepted into training",
        "fr": "Votre projet d'IA « {title} » est admis à la formation",
        "de": "Ihr KI-Projekt „{title}“ wurde in die Schulung aufgenommen",
    },
    "poc": {
        "en": "Your AI project '{title}': the proof of concept has started on the supercomputer",
        "fr": "Votre projet d'IA « {title} » : la preuve de concept a démarré sur le supercalculateur",
        "de": "Ihr KI-Projekt „{title}“: Der Machbarkeitsnachweis auf dem Supercomputer hat begonnen",
    },
    "completed": {
        "en": "Your AI project '{title}' has completed its journey with the Luxembourg AI Factory",
        "fr": "Votre projet d'IA « {title} » a terminé son parcours avec la Luxembourg AI Factory",
        "de": "Ihr KI-Projekt „{title}“ hat seinen Weg mit der Luxembourg AI Factory abgeschlossen",
    },
}

MILESTONE_TEXTS = {
    "training": {
        "en": "Your project is accepted into the training of the Luxembourg AI Factory (L-AIF). Your expert will run "
              "the training with your team and tell you its dates.",
        "fr": "Votre projet est admis à la formation de la Luxembourg AI Factory (L-AIF). Votre expert·e animera la "
              "formation avec votre équipe et vous en communiquera les dates.",
        "de": "Ihr Projekt wurde in die Schulung der Luxembourg AI Factory (L-AIF) aufgenommen. Ihre Ansprechperson "
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
        "en": "Your project has completed its journey with the Luxembourg AI Factory (L-AIF). Thank you for working "
              "with us: we wish you every success, and you are welcome to apply again with your next AI project.",
        "fr": "Votre projet a terminé son parcours avec la Luxembourg AI Factory (L-AIF). Merci d'avoir travaillé "
              "avec nous : nous vous souhaitons plein succès, et vous pouvez nous soumettre votre prochain projet "
              "d'IA.",
        "de": "Ihr Projekt hat seinen Weg mit der Luxembourg AI Factory (L-AIF) abgeschlossen. Vielen Dank für die "
              "Zusammenarbeit: Wir wünschen Ihnen viel Erfolg und freuen uns auf Ihr nächstes KI-Projekt.",
    },
}

GREETING = {"en": "Dear {name},", "fr": "Bonjour {name},", "de": "Guten Tag {name},"}
# The reasons come from the scoring and routing rules, which speak English for now.
REASONS = {"en": "Why:", "fr": "Pourquoi (détail de l'évaluation, en anglais) :",
           "de": "Begründung (Einzelheiten der Bewertung, auf Englisch):"}
THROUGH_HOST = {"en": "through its host, {host}", "fr": "par l'intermédiaire de son hôte, {host}",
                "de": "über den Betreiber {host}"}
SIGNATURE = {
    "en": "Kind regards,\nThe Luxembourg AI Factory one-stop shop",
    "fr": "Cordialement,\nLe guichet unique de la Luxembourg AI Factory",
    "de": "Mit freundlichen Grüßen\nDer One-Stop-Shop der Luxembourg AI Factory",
}

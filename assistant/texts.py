"""Every text the reader sees that the assistant writes itself (not the model): short answers for
abstentions and refusals, row texts, and the "why this answer" explanations, in French and English."""

from __future__ import annotations

from typing import Any

from assistant.reasons import Rejection

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "unknown": "{name} is not in the corpus: no documents from this vendor are available, so I cannot "
        "answer about its terms.",
        "not_specified": "{who} do not specify this.",
        "who_vendor": "{names}'s documents",
        "who_all": "The documents in the corpus",
        "closest": "The closest clause is quoted below [{n}].",
        "refused": "I can only answer questions about the vendors' contract terms in the corpus, with "
        "citations; I cannot help with that request.",
        "empty": "The document store is empty: run `python -m ingest` first.",
        "row_missing": "not specified in its documents.",
        "ask_silent": "The documents do not say: {ask}",
        "quote_intro": "The clause says:",
        "yes": "Yes.",
        "no": "No.",
        "unsettled": "Not settled, read the clause:",
        "selection_yes": "By their documents: {names}.",
        "selection_none": "No clause found shows a vendor meeting the condition; each vendor's closest clause "
        "follows.",
        "and": "and",
        # explanations ("Why this answer"), for a lawyer or a buyer
        "why_generated": "The assistant ranked the sentences of the retrieved clauses, the language model "
        "confirmed that the cited sentence answers the question (confidence {conf}), and "
        "the wording above was checked against it: every figure in it appears in the "
        "quoted clause.",
        "why_cell": "The cited table row was judged to answer the question (confidence {conf}). The answer is "
        "its cells as the table writes them, each named by its column; in a table whose first column names its "
        "rows, only the cell the question asks for when two readings agree on its column (the header closest in "
        "meaning to the question, and the cell the language model most believes answers it).",
        "why_verdict": "The cited sentence was judged to answer the question (confidence {conf}), and its yes "
        "or no is settled: two readings of it agree (the count of its negations against the question's, and "
        "the language model asked whether, by this sentence, the answer is yes or no), or, when the question "
        "bounds a figure (within 48 hours, at least 99.5 %) or asks only where data are, its own figures fall "
        "within or outside the bound, or the places it names are or are not the one asked. The sentence is "
        "quoted as written after it.",
        "why_quoted": "The cited sentence was judged to answer the question (confidence {conf}), but no "
        "wording of it passed the checks ({reason}), so the clause is quoted as written; the "
        "key words are in bold.",
        "why_quoted_nomodel": "The language model was unavailable ({reason}), so the best-ranked sentence "
        "is quoted as written, unchecked.",
        "why_abstained_check": "The closest sentences found were judged not to answer the question "
        "(best confidence {conf}, under the {thr} threshold), so the assistant does "
        "not answer rather than guess.",
        "why_abstained_figure": "The question asks for {what}, and none of the closest sentences found states "
        "one, so the assistant does not answer rather than guess.",
        "asked_duration": "a length of time",
        "asked_percent": "a percentage",
        "asked_money": "a price",
        "why_abstained_unworded": "The closest sentence was a weak match (confidence {conf}) and the model, "
        "asked to state the answer from it, stated none ({reason}), so the assistant does not answer "
        "rather than guess.",
        "why_abstained_relevance": "Nothing in {who} is close enough to the question to be its answer.",
        "why_abstained_unanswerable": "The closest sentence found matches the question too weakly for "
        "the documents to answer it (estimated chance that they do not: {p}, from the check and the "
        "ranking), so the assistant does not answer rather than guess.",
        "why_unknown": "No document of {name} was loaded into the assistant.",
        "why_refused": "The question is not about the vendors' contract terms.",
        "why_empty": "No document has been ingested yet.",
        "why_rows": "Each vendor's row was found, checked and cited on its own, from that vendor's "
        "documents only.",
        "why_selection": "Each vendor's row was found, checked and cited on its own, from that vendor's "
        "documents only. The question's condition is a bound on a figure or a place, so each row's sentence is "
        "read for it: yes when it states a figure within the bound or places the data where asked, no when its "
        "figures are outside the bound or it places the data elsewhere. Otherwise (no such figure or place, a "
        "figure that may or may not be within, a negated or conditional sentence) the clause is quoted for you "
        "to judge.",
        "conf_uncalibrated": "{conf} (a yes/no reply: this model gives no probabilities)",
        "why_list": "The question asks for several items: the checked sentence (confidence {conf}) belongs to "
        "a list in the document, quoted whole, each of its items cited ({n}).",
        "why_list_referred": "The question asks for several items: the checked sentence (confidence {conf}) "
        "refers back to the list right before it, quoted whole, each of its items cited ({n}).",
        "why_enumeration": "The question asks for several items: the checked sentence (confidence {conf}) is "
        "followed by the sentence that enumerates them; both are quoted and cited.",
        "why_list_ranked": "The question asks for several items: the checked sentence belongs to no list, but "
        "several of the best-ranked sentences belong to a list of the document (or to lists of one document), "
        "accepted by the check (confidence {conf}); quoted whole, each item cited ({n}).",
        "why_table_ranked": "The question asks for several items: the checked sentence belongs to no list, but "
        "several of the best-ranked sentences are rows of one table of the document; each of its rows was "
        "checked against the question on its own (confidence {conf}), and the {n} rows judged to answer it "
        "are quoted, each cited.",
        "why_table": "The question asks for several items: the checked row (confidence {conf}) belongs to a "
        "table in the document; each of its rows was checked against the question on its own, and the {n} "
        "rows judged to answer it are quoted, each cited.",
    },
    "fr": {
        "unknown": "{name} ne fait pas partie du corpus : aucun document de ce fournisseur n'est disponible, "
        "je ne peux donc pas répondre sur ses conditions.",
        "not_specified": "{who} ne précisent pas ce point.",
        "who_vendor": "Les documents de {names}",
        "who_all": "Les documents du corpus",
        "closest": "La clause la plus proche est citée ci-dessous [{n}].",
        "refused": "Je ne peux répondre qu'aux questions sur les conditions contractuelles des fournisseurs "
        "du corpus, avec citations ; je ne peux pas traiter cette demande.",
        "empty": "La base documentaire est vide : lancez d'abord `python -m ingest`.",
        "row_missing": "non précisé dans ses documents.",
        "ask_silent": "Les documents ne le précisent pas : {ask}",
        "quote_intro": "La clause dit :",
        "yes": "Oui.",
        "no": "Non.",
        "unsettled": "Non tranché, lire la clause :",
        "selection_yes": "D'après leurs documents : {names}.",
        "selection_none": "Aucune clause trouvée ne montre un fournisseur qui remplit la condition ; la clause "
        "la plus proche de chacun suit.",
        "and": "et",
        "why_generated": "L'assistant a classé les phrases des clauses retrouvées, le modèle de langue a "
        "confirmé que la phrase citée répond à la question (confiance {conf}), et la "
        "formulation ci-dessus a été vérifiée : chaque chiffre figure dans la clause citée.",
        "why_cell": "La ligne de tableau citée a été jugée répondre à la question (confiance {conf}). La réponse "
        "est ses cellules telles que le tableau les écrit, chacune nommée par sa colonne ; dans un tableau dont la "
        "première colonne nomme les lignes, seulement la cellule que la question demande quand deux lectures "
        "s'accordent sur sa colonne (l'en-tête le plus proche du sens de la question, et la cellule dont le "
        "modèle de langue estime le plus qu'elle y répond).",
        "why_verdict": "La phrase citée a été jugée répondre à la question (confiance {conf}), et son oui ou son "
        "non est établi : deux lectures s'accordent (le nombre de ses négations comparé à celui de la question, "
        "et le modèle de langue interrogé sur ce que la phrase répond, oui ou non) ou, quand la question fixe "
        "une borne chiffrée (sous 48 heures, au moins 99,5 %) ou demande seulement où sont les données, ses "
        "propres chiffres sont dans la borne ou hors de la borne, ou les lieux qu'elle nomme sont ou ne sont pas "
        "celui demandé. La phrase est citée telle quelle à la suite.",
        "why_quoted": "La phrase citée a été jugée répondre à la question (confiance {conf}), mais aucune "
        "reformulation n'a passé les contrôles ({reason}) : la clause est donc citée telle "
        "quelle, les mots clés en gras.",
        "why_quoted_nomodel": "Le modèle de langue était indisponible ({reason}) : la phrase la mieux classée "
        "est citée telle quelle, sans vérification.",
        "why_abstained_figure": "La question demande {what}, et aucune des phrases les plus proches n'en "
        "indique : l'assistant préfère ne pas répondre plutôt que deviner.",
        "asked_duration": "une durée",
        "asked_percent": "un pourcentage",
        "asked_money": "un prix",
        "why_abstained_check": "Les phrases les plus proches ont été jugées ne pas répondre à la question "
        "(meilleure confiance {conf}, sous le seuil de {thr}) : l'assistant préfère "
        "ne pas répondre plutôt que deviner.",
        "why_abstained_unworded": "La phrase la plus proche correspondait mal (confiance {conf}) et le "
        "modèle, invité à en tirer la réponse, n'en a formulé aucune ({reason}) : l'assistant préfère ne "
        "pas répondre plutôt que deviner.",
        "why_abstained_relevance": "Rien dans {who} n'est assez proche de la question pour y répondre.",
        "why_abstained_unanswerable": "La phrase la plus proche correspond trop mal à la question pour que "
        "les documents y répondent (probabilité estimée qu'ils n'y répondent pas : {p}, d'après la "
        "vérification et le classement) : l'assistant préfère ne pas répondre plutôt que deviner.",
        "why_unknown": "Aucun document de {name} n'a été chargé dans l'assistant.",
        "why_refused": "La question ne porte pas sur les conditions contractuelles des fournisseurs.",
        "why_empty": "Aucun document n'a encore été ingéré.",
        "why_rows": "Chaque ligne a été trouvée, vérifiée et citée séparément, à partir des seuls documents "
        "du fournisseur.",
        "why_selection": "Chaque ligne a été trouvée, vérifiée et citée séparément, à partir des seuls "
        "documents du fournisseur. La condition de la question est une borne chiffrée ou un lieu : la phrase de "
        "chaque ligne est lue pour elle, oui si elle donne un chiffre dans la borne ou place les données là où "
        "la question le demande, non si ses chiffres sont hors de la borne ou si elle place les données "
        "ailleurs. Sinon (aucun chiffre ni lieu de ce type, un chiffre qui peut être dans la borne ou non, une "
        "phrase négative ou conditionnelle), la clause est citée pour que vous en jugiez.",
        "conf_uncalibrated": "{conf} (réponse oui/non : ce modèle ne donne pas de probabilités)",
        "why_list": "La question demande plusieurs éléments : la phrase vérifiée (confiance {conf}) appartient "
        "à une liste du document, citée en entier, chacun de ses éléments cité ({n}).",
        "why_list_referred": "La question demande plusieurs éléments : la phrase vérifiée (confiance {conf}) "
        "renvoie à la liste qui la précède, citée en entier, chacun de ses éléments cité ({n}).",
        "why_enumeration": "La question demande plusieurs éléments : la phrase vérifiée (confiance {conf}) est "
        "suivie de la phrase qui les énumère ; les deux sont citées.",
        "why_list_ranked": "La question demande plusieurs éléments : la phrase vérifiée n'appartient à aucune "
        "liste, mais plusieurs des phrases les mieux classées appartiennent à une liste du document (ou à des "
        "listes d'un même document), acceptée par la vérification (confiance {conf}) ; citée en entier, chaque "
        "élément cité ({n}).",
        "why_table_ranked": "La question demande plusieurs éléments : la phrase vérifiée n'appartient à aucune "
        "liste, mais plusieurs des phrases les mieux classées sont des lignes d'un même tableau du document ; "
        "chacune de ses lignes a été vérifiée séparément (confiance {conf}), et les {n} lignes jugées y "
        "répondre sont citées, chacune avec sa référence.",
        "why_table": "La question demande plusieurs éléments : la ligne vérifiée (confiance {conf}) appartient "
        "à un tableau du document ; chacune de ses lignes a été vérifiée séparément, et les {n} lignes jugées "
        "y répondre sont citées, chacune avec sa référence.",
    },
}
LANGUAGE_NAMES = {"fr": "French", "en": "English"}

# A rejected wording's reason in words for the reader (the technical note stays in the warnings).
REASONS: dict[str, dict[Rejection, str]] = {
    "en": {
        Rejection.FIGURES: "a figure in the rewording did not match the clause",
        Rejection.MARKUP: "the rewording carried markup or an instruction",
        Rejection.INSTRUCTION: "the rewording carried markup or an instruction",
        Rejection.REPEATS_QUESTION: "the rewording only repeated the question",
        Rejection.POLARITY: "the rewording's yes or no contradicted the clause",
        Rejection.UNSETTLED: "the rewording's yes or no was not confirmed by a second reading of the clause",
        Rejection.MISSING_KEY_FACT: "the rewording left out the clause's key fact",
        Rejection.MISSING_CASE: "the rewording left out the case the clause is limited to",
        Rejection.MISSING_ITEMS: "the rewording left out items the clause enumerates",
        Rejection.UNSUPPORTED: "the rewording did not say what the clause says",
        Rejection.UNFINISHED: "the rewording was unfinished",
        Rejection.TRUNCATED: "the rewording was cut off before its end",
        Rejection.NOT_FOUND: "the model found no answer in the sentence",
        Rejection.SAYS_NOT_ANSWERED: "the model found no answer in the sentence",
        Rejection.NO_CITATION: "the rewording did not cite the clause",
        Rejection.UNKNOWN_CITATION: "the rewording did not cite the clause",
        Rejection.MODEL_UNAVAILABLE: "the language model stopped answering",
    },
    "fr": {
        Rejection.FIGURES: "un chiffre de la reformulation ne correspondait pas à la clause",
        Rejection.MARKUP: "la reformulation contenait du balisage ou une consigne",
        Rejection.INSTRUCTION: "la reformulation contenait du balisage ou une consigne",
        Rejection.REPEATS_QUESTION: "la reformulation ne faisait que répéter la question",
        Rejection.POLARITY: "le oui ou le non de la reformulation contredisait la clause",
        Rejection.UNSETTLED: "le oui ou le non de la reformulation n'était pas confirmé par une seconde "
        "lecture de la clause",
        Rejection.MISSING_KEY_FACT: "la reformulation omettait le fait clé de la clause",
        Rejection.MISSING_CASE: "la reformulation omettait le cas auquel la clause se limite",
        Rejection.MISSING_ITEMS: "la reformulation omettait des éléments que la clause énumère",
        Rejection.UNSUPPORTED: "la reformulation ne disait pas ce que dit la clause",
        Rejection.UNFINISHED: "la reformulation était inachevée",
        Rejection.TRUNCATED: "la reformulation était coupée avant sa fin",
        Rejection.NOT_FOUND: "le modèle n'a trouvé aucune réponse dans la phrase",
        Rejection.SAYS_NOT_ANSWERED: "le modèle n'a trouvé aucune réponse dans la phrase",
        Rejection.NO_CITATION: "la reformulation ne citait pas la clause",
        Rejection.UNKNOWN_CITATION: "la reformulation ne citait pas la clause",
        Rejection.MODEL_UNAVAILABLE: "le modèle de langue a cessé de répondre",
    },
}
UNVERIFIED = {
    "en": "the rewording could not be verified",
    "fr": "la reformulation n'a pas pu être vérifiée",
}


def t(lang: str, key: str, **kw: Any) -> str:
    """The text `key` in `lang` (English when the language has none), formatted."""
    return TEXTS.get(lang, TEXTS["en"])[key].format(**kw)


def reason_text(reason: Rejection | None, lang: str) -> str:
    """Why no wording was shown, in words for the reader."""
    lang = lang if lang in REASONS else "en"
    return REASONS[lang].get(reason, UNVERIFIED[lang]) if reason is not None else UNVERIFIED[lang]

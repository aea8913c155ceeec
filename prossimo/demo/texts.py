"""The Italian texts of the demo's programmes history: what social workers, coordinators and
volunteers write. Invented, and about no one in particular."""

from __future__ import annotations

import datetime as dt

from prossimo.listening.models import Alert
from prossimo.programmes.models import Enrolment

_T = dt.time

REASONS = (
    "Vive sola dopo la morte del marito; i figli abitano lontano e chiamano di rado.",
    "Anziano solo, rientrato a casa dopo un ricovero per frattura del femore.",
    "Si prende cura della moglie con demenza: a rischio di sovraccarico, esce pochissimo.",
    "Esce poco di casa; ha perso i contatti con il centro anziani negli ultimi mesi.",
    "Segnalata dal medico di base per isolamento e calo dell'umore.",
    "Abita al terzo piano senza ascensore e non esce da mesi.",
    "Recente lutto (il fratello); nessuna rete familiare in zona.",
    "Persona sola con patologie cardiache; nessuno la sente per giorni interi.",
    "Dimessa da poco dall'ospedale; la figlia lavora e passa solo la sera.",
    "Vive con il figlio che è spesso fuori per lavoro; passa le giornate da sola.",
    "Ha rinunciato alle attività in parrocchia dopo una caduta; si sente inutile.",
    "Vedovo da un anno, mangia poco e trascura la casa secondo i vicini.",
    "Conosciuta allo sportello per una pratica: ha chiesto qualcuno con cui parlare.",
    "Problemi di vista in peggioramento; fatica a leggere e a usare il telefono.",
    "Da quando ha smesso di guidare non riesce più a vedere le amiche.",
    "Segnalato dal custode del condominio: non lo si vede da giorni.",
    "Ha una badante solo al mattino; il pomeriggio resta sola.",
    "Nipote di riferimento trasferito all'estero; chiede un contatto regolare.",
)
FRAGILITY_NOTES = (
    "Ipoacusia: parlare lentamente e a voce alta.",
    "Lieve deterioramento cognitivo: a volte dimentica gli appuntamenti.",
    "Diabetica in terapia insulinica; figlia di riferimento residente a Milano.",
    "Usa il deambulatore; due cadute in casa negli ultimi mesi.",
    "Parla volentieri di giardinaggio e della sua vecchia sartoria.",
    "Ansia quando il telefono squilla a lungo: lasciare squillare al massimo 6 volte.",
    "Segue una terapia per la depressione; riferire al coordinatore segnali di chiusura.",
    "Non vede bene: non riesce a leggere i promemoria scritti.",
    "Rifiuta l'aiuto dei vicini, accetta volentieri la telefonata.",
    "Portatore di pacemaker; controlli trimestrali in cardiologia.",
    "",
    "",
    "",
)
#: Preferred times as the social worker writes them, and the call window they give.
PREFERRED_TIMES = (
    ("Mattina, dopo le 9:30", (_T(9, 30), _T(12, 0))),
    ("Pomeriggio, dalle 15 alle 17", (_T(15, 0), _T(17, 0))),
    ("Non durante il pranzo: meglio in mattinata", (_T(9, 0), _T(11, 30))),
    ("Dopo le 16: al mattino va a fare la spesa", (_T(16, 0), _T(18, 0))),
    ("Qualsiasi orario, meglio la mattina", (_T(10, 0), _T(12, 30))),
    ("Primo pomeriggio, prima del riposo delle 15", (_T(13, 30), _T(15, 0))),
    ("Tarda mattinata, dopo la visita della badante", (_T(10, 30), _T(12, 30))),
    ("Pomeriggio, non il giovedì (mercato)", (_T(14, 30), _T(17, 30))),
)
FIRST_CONTACT_FAILED = (
    "Primo contatto: non risponde al fisso, riprovare nel pomeriggio.",
    "Telefono occupato a lungo; lasciato messaggio alla figlia.",
    "Nessuna risposta in due tentativi; il numero è corretto secondo l'assistente sociale.",
)
TAKEN_IN_CHARGE = (
    "Colloquio telefonico di aggancio: accetta volentieri le chiamate.",
    "Primo contatto cordiale; concordati giorni e orari delle chiamate.",
    "Presentato il servizio anche alla figlia, presente alla telefonata.",
    "Accetta dopo qualche esitazione: preferisce parlare sempre con la stessa volontaria.",
)
SUSPENSIONS = (
    "Ricovero programmato per protesi d'anca; riprendere al rientro a casa.",
    "Trascorre due settimane dalla figlia a Bergamo.",
    "Ricoverata in RSA di sollievo per tre settimane.",
)
CLOSINGS = (
    (
        Enrolment.CloseReason.REFUSED,
        "Non desidera essere chiamata: ha già il sostegno della parrocchia.",
    ),
    (Enrolment.CloseReason.MOVED, "Si è trasferita dalla figlia a Bergamo."),
    (Enrolment.CloseReason.DECEASED, "Deceduto; comunicato dal servizio sociale del Comune."),
    (
        Enrolment.CloseReason.GOALS_MET,
        "Ha ripreso a frequentare il centro diurno: le chiamate non servono più.",
    ),
    (
        Enrolment.CloseReason.UNREACHABLE,
        "Non è stato possibile contattarla in dieci giorni; informata l'assistente sociale.",
    ),
    (
        Enrolment.CloseReason.TRANSFERRED,
        "Presa in carico dal servizio di assistenza domiciliare (SAD).",
    ),
)
ANSWERED_NOTES = (
    "Sta bene, ha fatto una passeggiata con la vicina.",
    "Un po' giù di morale, le manca la figlia. Parlato a lungo dei nipoti.",
    "Ricorda la visita dal medico giovedì; chiede informazioni sul trasporto.",
    "Lamenta dolore al ginocchio, ha già sentito il medico.",
    "Contenta della telefonata; domenica ha giocato a tombola al centro anziani.",
    "Chiede come avere la spesa a domicilio: dati i riferimenti dell'emporio solidale.",
    "Tutto bene, la badante è tornata dalle ferie.",
    "Poco loquace oggi, dice di essere stanca. Richiamare come previsto.",
    "Ha ricevuto la visita del nipote, di buon umore.",
    "Dorme poco ultimamente; ne parlerà con il medico.",
    "Racconta del suo lavoro in filanda; chiede di essere richiamata dalla stessa volontaria.",
    "Preoccupata per una bolletta: consigliato di portarla allo sportello.",
    "Ha finito le medicine, la farmacia le porta a casa domani.",
    "Bene. Ha ripreso a fare le parole crociate.",
    "",
)
FAILED_NOTES = ("", "", "Squilla a vuoto.", "Segreteria, nessun messaggio lasciato.")
REFUSED_NOTES = ("Non se la sente di parlare oggi; richiamare la prossima volta.",)
PROSSIMITA_REASONS = (
    "Serve una valutazione a domicilio: fatica a gestire la casa dopo la dimissione.",
    "Chiede un accompagnamento alle visite mediche: non guida più.",
    "Aiuto nella pratica per l'invalidità civile.",
    "Vive solo in un'abitazione con barriere architettoniche: monitoraggio a domicilio.",
    "Proposta di attività di socializzazione al centro anziani del quartiere.",
    "Supporto per la spesa e il ritiro dei farmaci.",
)
RESOLUTIONS: dict[str, tuple[str, ...]] = {
    Alert.Kind.SCREENING_THRESHOLD: (
        "Sentita la persona: situazione già nota, chiamate confermate due volte a settimana.",
        "Concordato con l'assistente sociale un colloquio di approfondimento.",
        "Con il consenso della persona, informato il medico di base.",
        "Proposta la partecipazione al gruppo di cammino del quartiere.",
    ),
    Alert.Kind.SCREENING_WORSENED: (
        "Richiamata dal coordinatore: periodo difficile dopo un lutto; chiamate più frequenti.",
        "Parlato con la figlia: organizzate visite più frequenti nel fine settimana.",
    ),
    Alert.Kind.FAILED_ATTEMPTS: ("Raggiunta tramite la vicina: stava bene, telefono guasto.",),
    Alert.Kind.RED_FLAG: ("Situazione verificata dal coordinatore.",),
}

"""The studies the norms and thresholds come from, one :class:`Source` record each.

:mod:`glutesense.clinical.norms` cites these records next to every number; the report prints
them ("how this was measured") so a reader can check each threshold against its study.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """A reference a number comes from.

    Attributes
    ----------
    key : str
        Short name used in the report (``"Lewis & Sahrmann 2009"``).
    citation : str
        Full citation.
    checked : str
        How the numbers were checked against the source (empty if not checked).
    """

    key: str
    citation: str
    checked: str = ""


LEWIS_SAHRMANN_2009 = Source(
    "Lewis & Sahrmann 2009",
    "Lewis CL, Sahrmann SA. Muscle activation and movement patterns during prone hip extension "
    "exercise in women. J Athl Train. 2009;44(3):238-248.",
    "means and SDs checked against the published abstract",
)
SAKAMOTO_2009 = Source(
    "Sakamoto et al. 2009",
    "Sakamoto ACL, Teixeira-Salmela LF, de Paula-Goulart FR, et al. Muscular activation patterns "
    "during active prone hip extension exercises. J Electromyogr Kinesiol. 2009;19:105-112.",
    "activation order checked against the published abstract",
)
SUEHIRO_2015 = Source(
    "Suehiro et al. 2015",
    "Suehiro T, Mizutani M, Ishida H, et al. Effect of hip joint position on muscle onset time "
    "during prone hip extension with knee flexion. J Phys Ther Sci. 2015;27(1):289 (PMID 25642093).",
    "table of onsets relative to the hamstrings checked against the published article",
)
ROBINSON_1987 = Source(
    "Robinson et al. 1987",
    "Robinson RO, Herzog W, Nigg BM. Use of force platform variables to quantify the effects of "
    "chiropractic manipulation on gait symmetry. J Manipulative Physiol Ther. 1987;10(4):172-176.",
    "",
)
WEIR_2005 = Source(
    "Weir 2005",
    "Weir JP. Quantifying test-retest reliability using the intraclass correlation coefficient "
    "and the SEM. J Strength Cond Res. 2005;19(1):231-240.",
    "",
)
HODGES_BUI_1996 = Source(
    "Hodges & Bui 1996",
    "Hodges PW, Bui BH. A comparison of computer-based methods for the determination of onset of "
    "muscle contraction using electromyography. Electroencephalogr Clin Neurophysiol. "
    "1996;101(6):511-519.",
    "",
)
SENIAM = Source(
    "SENIAM",
    "Hermens HJ, Freriks B, Disselhorst-Klug C, Rau G. Development of recommendations for SEMG "
    "sensors and sensor placement procedures. J Electromyogr Kinesiol. 2000;10(5):361-374; "
    "sensor locations at seniam.org.",
    "electrode size and distance, reference electrode and the semitendinosus location checked "
    "against seniam.org pages; the other locations as SENIAM gives them, to be checked on the site",
)
JUDGEMENT = Source(
    "judgement",
    "A judgement by the glutesense authors, not a published threshold; change it in "
    "glutesense/clinical/norms.py.",
)

PERRY_BURNFIELD_2010 = Source(
    "Perry & Burnfield 2010",
    "Perry J, Burnfield JM. Gait Analysis: Normal and Pathological Function. 2nd ed. Thorofare, NJ: "
    "SLACK; 2010.",
    "the phases in which each muscle is active (hamstrings from mid/terminal swing into the loading "
    "response, gluteus maximus from terminal swing through the loading response, gluteus medius from "
    "terminal swing to mid-stance) as the book describes them; the % ranges are read from them (judgement)",
)
WINTER_2009 = Source(
    "Winter 2009",
    "Winter DA. Biomechanics and Motor Control of Human Movement. 4th ed. Hoboken, NJ: Wiley; 2009.",
    "ensemble EMG profiles of walking (hamstrings peak at the end of swing, gluteus maximus in early "
    "stance); the % ranges are read from them (judgement)",
)
WINTER_YACK_1987 = Source(
    "Winter & Yack 1987",
    "Winter DA, Yack HJ. EMG profiles during normal human walking: stride-to-stride and inter-subject "
    "variability. Electroencephalogr Clin Neurophysiol. 1987;67(5):402-411.",
    "",
)
NOVACHECK_1998 = Source(
    "Novacheck 1998",
    "Novacheck TF. The biomechanics of running. Gait Posture. 1998;7(1):77-95.",
    "hamstrings and gluteus maximus active from the second half of swing into early stance; the % "
    "ranges are read from the description (judgement)",
)
CAPPELLINI_2006 = Source(
    "Cappellini et al. 2006",
    "Cappellini G, Ivanenko YP, Poppele RE, Lacquaniti F. Motor patterns in human walking and running. "
    "J Neurophysiol. 2006;95(6):3426-3437.",
    "",
)

SOURCES: tuple[Source, ...] = (
    LEWIS_SAHRMANN_2009,
    SAKAMOTO_2009,
    SUEHIRO_2015,
    ROBINSON_1987,
    WEIR_2005,
    HODGES_BUI_1996,
    SENIAM,
    PERRY_BURNFIELD_2010,
    WINTER_2009,
    WINTER_YACK_1987,
    NOVACHECK_1998,
    CAPPELLINI_2006,
)

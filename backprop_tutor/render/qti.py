"""A question bank as a QTI 1.2 package for Canvas: a zip with `imsmanifest.xml`, one
assessment whose question group draws one version per student, and each version's network
picture under web_resources/ (referenced as Canvas's `$IMS-CC-FILEBASE$`), its Given table in
the question's text.

Canvas's numerical questions hold one answer each, so a version is one "fill in multiple
blanks" question, a blank per quantity. Canvas compares a blank's text, so each blank accepts
the answer as written to the required decimals, rounded or truncated, and one unit either side
of it (the tolerance the other formats give), with and without trailing zeros, and always the
value exactly as the tables print it (a student copies it from there). A zero is never written
'-0': the tables print -2.8e-17 as 0.0, so a blank holding only '-0.0000' refused it.
"""

from __future__ import annotations

import io
import math
import zipfile
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from html import escape

from backprop_tutor.core.regularizers import displayed
from backprop_tutor.render.bank_out import given_html
from backprop_tutor.render.escape import template_html, template_text
from backprop_tutor.render.network_svg import network_svg
from backprop_tutor.render.quiz import questions
from backprop_tutor.teach.bank import Bank, Version

QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
MANIFEST_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"


def qti_zip(bank: Bank) -> bytes:
    """The package's bytes: the manifest and the assessment, the same for the same bank."""
    ident = f"backprop_tutor_{bank.seed}"
    files = {
        "imsmanifest.xml": _manifest(ident, bank),
        f"{ident}/{ident}.xml": _assessment(ident, bank),
        **{f"web_resources/{_picture(v)}": network_svg(v.trace) for v in bank.versions},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))  # repeatable bytes
            archive.writestr(info, text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _manifest(ident: str, bank: Bank) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest identifier="{ident}_manifest" xmlns="{MANIFEST_NS}">\n'
        "  <metadata><schema>IMS Content</schema><schemaversion>1.1.3</schemaversion>"
        "</metadata>\n"
        "  <organizations/>\n"
        "  <resources>\n"
        f'    <resource identifier="{ident}" type="imsqti_xmlv1p2">\n'
        f'      <file href="{ident}/{ident}.xml"/>\n'
        "    </resource>\n"
        + "".join(  # each version's picture, as Canvas packs a question's image
            f'    <resource identifier="{ident}_picture_{v.number}" type="webcontent" '
            f'href="web_resources/{_picture(v)}">\n'
            f'      <file href="web_resources/{_picture(v)}"/>\n'
            "    </resource>\n"
            for v in bank.versions
        )
        + "  </resources>\n"
        "</manifest>\n"
    )


def _assessment(ident: str, bank: Bank) -> str:
    items = "\n".join(_item(v, bank) for v in bank.versions)
    points = len(_asked(bank.versions[0]))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<questestinterop xmlns="{QTI}">\n'
        f'  <assessment ident="{ident}" title="{escape(bank.title)}">\n'
        '    <section ident="root_section">\n'
        f'      <section ident="{ident}_versions" title="versions (one per student)">\n'
        "        <selection_ordering><selection><selection_number>1</selection_number>"
        f"<selection_extension><points_per_item>{points}</points_per_item>"
        "</selection_extension></selection></selection_ordering>\n"
        f"{items}\n"
        "      </section>\n"
        "    </section>\n"
        "  </assessment>\n"
        "</questestinterop>\n"
    )


def _picture(v: Version) -> str:
    """A version's network picture, by its path under web_resources/ (Canvas's file base)."""
    return f"backprop-tutor/network-{v.number}.svg"


def _asked(v: Version):
    return [q for q in questions(v.trace) if math.isfinite(q.value)]


def _item(v: Version, bank: Bank) -> str:
    asked = _asked(v)
    blanks = [f"b{k}" for k in range(len(asked))]
    text = (
        f"<p>{template_text(bank.title)}, version {v.number} (seed {v.seed}): one step of "
        f"backpropagation. Give each value to {bank.digits} decimals.</p>"
        f'<p><img src="$IMS-CC-FILEBASE$/{_picture(v)}" alt="the network with its givens"></p>'
        f"{template_html(given_html(v))}<ol>"
        + "".join(
            f"<li>{template_text(q.prompt)} = [{b}]</li>"
            for q, b in zip(asked, blanks, strict=True)
        )
        + "</ol>"
    )
    responses, conditions = [], []
    share = 100 / len(asked)
    n = v.trace.header.display.format
    for q, b in zip(asked, blanks, strict=True):  # and the value as the tables print it
        texts = accepted_texts(q.value, bank.digits, displayed(q.id, q.value, n))
        labels = "".join(
            f'<response_label ident="{b}_{k}"><material><mattext texttype="text/plain">'
            f"{answer}</mattext></material></response_label>"
            for k, answer in enumerate(texts)
        )
        responses.append(
            f'<response_lid ident="response_{b}"><material><mattext>{b}</mattext></material>'
            f"<render_choice>{labels}</render_choice></response_lid>"
        )
        right = "".join(
            f'<varequal respident="response_{b}">{b}_{k}</varequal>' for k in range(len(texts))
        )
        conditions.append(
            f"<respcondition><conditionvar><or>{right}</or></conditionvar>"
            f'<setvar varname="SCORE" action="Add">{share:.4f}</setvar></respcondition>'
        )
    meta = (
        "<itemmetadata><qtimetadata>"
        "<qtimetadatafield><fieldlabel>question_type</fieldlabel>"
        "<fieldentry>fill_in_multiple_blanks_question</fieldentry></qtimetadatafield>"
        "<qtimetadatafield><fieldlabel>points_possible</fieldlabel>"
        f"<fieldentry>{len(asked)}</fieldentry></qtimetadatafield>"
        "</qtimetadata></itemmetadata>"
    )
    return (
        f'        <item ident="{v.seed}" title="Version {v.number} (seed {v.seed})">{meta}'
        f'<presentation><material><mattext texttype="text/html">{escape(text)}</mattext>'
        f"</material>{''.join(responses)}</presentation>"
        '<resprocessing><outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" '
        f'vartype="Decimal"/></outcomes>{"".join(conditions)}</resprocessing></item>'
    )


def accepted_texts(value: float, digits: int, shown: str | None = None) -> list[str]:
    """The blank's accepted answers: the value to `digits` decimals rounded and truncated,
    one unit either side, each in full, short to one decimal (the tables' 1.0) and bare (1),
    then `shown`, the tables' own text, if not among them. Canvas matches text, so a form a
    student may copy from the tables must be listed; a zero is written unsigned."""
    unit = Decimal(1).scaleb(-digits)
    exact = Decimal(repr(value))
    found: list[str] = []
    for mode in (ROUND_HALF_UP, ROUND_DOWN):
        rounded = exact.quantize(unit, rounding=mode)
        for number in (rounded - unit, rounded, rounded + unit):
            number = number.copy_abs() if number.is_zero() else number  # -0.0000 is 0.0000
            for written in (f"{number:f}", _short(number, 1), _short(number, 0)):
                if written not in found:
                    found.append(written)
    if shown is not None and shown not in found:
        found.append(shown)
    return found


def _short(number: Decimal, places: int) -> str:
    """`number` without trailing zeros, keeping at least `places` decimals: 1.0000 is 1.0
    (places 1, as the tables print a whole number) or 1 (places 0)."""
    text = f"{number:f}"
    if "." not in text:
        return text if not places else f"{text}.{'0' * places}"
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(places, "0")
    return f"{whole}.{decimals}" if decimals else whole

"""Asset kits: a zip of chosen assets for an affiliate or a campaign, texts personalised, a manifest, and a record.

Text assets are written as .txt files with `{coupon}` (the affiliate's first coupon code), `{link}` (their referral
link: the program's referral link template with their code) and `{name}` (their first name) filled in; any other
braces stay as written. A campaign kit with no affiliate keeps readable blanks ("[your coupon code]") for the partner
to fill in, and so does `{link}` while the program has no referral link template: a made-up link would send the
affiliate's audience nowhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from desktop.db import Database
from desktop.models import Affiliate, CouponCode, KitItem, KitSent, Onboarding
from desktop.services.asset_library import KIND_LABELS, AssetInfo, assets_by_id, human_size
from desktop.services.errors import BadInput, RefusedByState
from desktop.services.guideline_rows import accepted, latest_terms
from desktop.services.guidelines import program_now
from desktop.services.program_settings import CODE_FIELD, get_program
from desktop.services.safe_files import atomic_path

FIELD_RE = re.compile(r"\{(coupon|link|name|code)\}")
BLANKS = {"coupon": "[your coupon code]", "link": "[your referral link]", "name": "[your name]", "code": "[your code]"}
LINK_NOT_SET = (
    f"The shop's referral link is not set yet: the texts say {BLANKS['link']} instead. "
    "Set it on the Program page (Referral link)."
)
KIT_STATUSES = ("active", "paused")
# Reserved device names on Windows, with or without an extension: a kit unzipped there must not trip over them.
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10))})
_ALREADY_COMPRESSED = frozenset({"jpg", "png", "gif", "webp", "mp4", "mov", "webm"})


@dataclass(frozen=True)
class KitRecipient:
    id: int
    code: str
    name: str
    status: str
    coupon: str | None


@dataclass(frozen=True)
class KitFile:
    name: str  # inside the zip
    asset_id: int
    title: str
    kind: str
    size_bytes: int
    sha256: str  # of the bytes in the zip (the personalised text for text assets)
    expires_on: date | None
    personalised: bool


@dataclass(frozen=True)
class KitResult:
    kit_id: int
    path: Path
    files: tuple[KitFile, ...]
    warnings: tuple[str, ...]
    for_whom: str
    onboarding_ticked: bool


@dataclass(frozen=True)
class KitRecord:
    id: int
    created_at: datetime
    affiliate_id: int | None
    affiliate_name: str | None
    campaign: str | None
    file_name: str
    asset_ids: tuple[int, ...]


def referral_link(template: str, code: str) -> str:
    """The program's template with the affiliate's code in place of {code} (escaped for a URL)."""
    return template.replace(CODE_FIELD, quote(code, safe=""))


def personalise(text: str, values: Mapping[str, str]) -> str:
    """Fill {coupon}, {link}, {name} and {code}; never str.format, so other braces in the copy are harmless."""
    return FIELD_RE.sub(lambda m: values.get(m.group(1), BLANKS[m.group(1)]), text)


def safe_file_name(title: str, ext: str, used: set[str]) -> str:
    """A portable, unique name from a title: ASCII slug, no reserved device names, "-2" on repeats."""
    ascii_title = unicodedata.normalize("NFKD", title.replace("×", "x")).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-") or "asset"
    if slug in _RESERVED:
        slug += "-file"
    name, number = f"{slug}.{ext}", 2
    while name in used:
        name, number = f"{slug}-{number}.{ext}", number + 1
    used.add(name)
    return name


def kit_recipients(db: Database) -> tuple[KitRecipient, ...]:
    """Active and paused affiliates with their first coupon code, by name."""
    with db.read() as session:
        first_coupon: dict[int, str] = {}
        coupons = select(CouponCode.affiliate_id, CouponCode.code).order_by(CouponCode.id)
        for affiliate_id, code in session.execute(coupons):
            first_coupon.setdefault(affiliate_id, code)
        stmt = select(Affiliate.id, Affiliate.code, Affiliate.name, Affiliate.status).where(
            Affiliate.status.in_(KIT_STATUSES)
        )
        rows = session.execute(stmt.order_by(Affiliate.name, Affiliate.code))
        return tuple(KitRecipient(i, code, name, status, first_coupon.get(i)) for i, code, name, status in rows)


def recipient_label(recipient: KitRecipient) -> str:
    """ "Jane Hiker (JANE) · coupon JANE10", as the Make-a-kit dialog lists and searches them."""
    coupon = f" · coupon {recipient.coupon}" if recipient.coupon else " · no coupon code"
    paused = " · paused" if recipient.status == "paused" else ""
    return f"{recipient.name} ({recipient.code}){coupon}{paused}"


def _folded(text: str) -> str:
    """For matching what a person typed: no case, no accents, single spaces ("müller " fits "Muller")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.split()).casefold()


def find_recipient(recipients: Sequence[KitRecipient], typed: str) -> KitRecipient:
    """The one affiliate a typed text names: their code, name or label, else the only one whose label contains it.

    A text that fits nobody, or several, is refused with a message saying so: guessing would build and log the kit
    for the wrong partner.
    """
    wanted = _folded(typed)
    if not wanted:
        raise BadInput("Choose the affiliate the kit is for: type part of their name or their code.")
    exact_tests = (
        lambda r: _folded(r.code) == wanted,
        lambda r: _folded(recipient_label(r)) == wanted,
        lambda r: _folded(f"{r.name} ({r.code})") == wanted,
        lambda r: _folded(r.name) == wanted,
    )
    for test in exact_tests:
        exact = [r for r in recipients if test(r)]
        if len(exact) == 1:
            return exact[0]
    fits = [r for r in recipients if wanted in _folded(recipient_label(r))]
    if len(fits) == 1:
        return fits[0]
    shown = typed.strip()
    if not fits:
        raise BadInput(f"No active or paused affiliate fits “{shown}”: type part of their name or their code.")
    names = ", ".join(f"{r.name} ({r.code})" for r in fits[:3]) + (", …" if len(fits) > 3 else "")
    raise BadInput(f"“{shown}” fits {len(fits)} affiliates ({names}): type more of the name, or the code.")


def suggested_file_name(
    recipient: KitRecipient | None, campaign: str | None, today: date, folder: Path | None = None
) -> str:
    """kit-<code>-<campaign>-<date>.zip; with a folder, one not taken there yet ("-2" for a second kit that day)."""
    parts = ["kit", recipient.code if recipient else "", campaign or "", today.isoformat()]
    taken: set[str] = set()
    if folder is not None and folder.is_dir():
        taken = {p.name for p in folder.glob("kit-*.zip")}
    return safe_file_name("-".join(p for p in parts if p), "zip", taken)


def _recipient(db: Database, affiliate_id: int) -> KitRecipient:
    found = next((r for r in kit_recipients(db) if r.id == affiliate_id), None)
    if found is not None:
        return found
    with db.read() as session:
        row = session.execute(select(Affiliate.name, Affiliate.status).where(Affiliate.id == affiliate_id)).first()
    if row is None:
        raise BadInput(f"There is no affiliate with id {affiliate_id}; they may have been deleted.")
    raise RefusedByState(f"{row.name} is {row.status}: kits go to active or paused affiliates.")


def _choose(
    assets: Sequence[AssetInfo], today: date, include_expired: bool
) -> tuple[list[AssetInfo], list[dict[str, str]], list[str]]:
    chosen: list[AssetInfo] = []
    left_out: list[dict[str, str]] = []
    warnings: list[str] = []
    for asset in assets:
        reason = None
        if asset.is_expired(today) and not include_expired:
            reason = f"expired on {asset.expires_on:%d %b %Y}"
        elif asset.file_path is not None and not asset.file_path.is_file():
            reason = "its file is missing from the library folder"
        if reason is None:
            chosen.append(asset)
        else:
            left_out.append({"title": asset.title, "reason": reason})
            warnings.append(f"Left out {asset.title}: {reason}.")
    return chosen, left_out, warnings


def build_kit(
    db: Database,
    *,
    affiliate_id: int | None = None,
    campaign: str | None = None,
    asset_ids: Sequence[int],
    out_path: Path | str,
    include_expired: bool = False,
    sent_at: datetime | None = None,
) -> KitResult:
    """Write the kit (atomically), log it with its items and tick the affiliate's "asset kit sent"."""
    campaign = (campaign or "").strip() or None
    if affiliate_id is None and campaign is None:
        raise BadInput("Choose the affiliate or the campaign the kit is for.")
    if not asset_ids:
        raise BadInput("Choose at least one asset for the kit.")
    recipient = _recipient(db, affiliate_id) if affiliate_id is not None else None
    assets = assets_by_id(db, list(dict.fromkeys(asset_ids)))
    if len(assets) < len(set(asset_ids)):
        raise BadInput("Some of the chosen assets no longer exist; refresh the library and choose again.")
    program = get_program(db)
    with db.read() as session:
        now = sent_at or program_now(session)
    chosen, left_out, warnings = _choose(assets, now.date(), include_expired)
    if not chosen:
        raise BadInput("Nothing to put in the kit. " + " ".join(warnings))
    values: dict[str, str] = {}
    if recipient is not None:
        values = {"code": recipient.code, "name": recipient.name.split()[0]}
        if program.referral_link_template:
            values["link"] = referral_link(program.referral_link_template, recipient.code)
        elif any(a.is_text and "{link}" in (a.body or "") for a in chosen):
            warnings.append(LINK_NOT_SET)
        if recipient.coupon:
            values["coupon"] = recipient.coupon
        elif any(a.is_text and "{coupon}" in (a.body or "") for a in chosen):
            warnings.append(f"{recipient.name} has no coupon code: the texts say {BLANKS['coupon']} instead.")
    for_whom = f"{recipient.name} ({recipient.code})" if recipient else f"campaign {campaign}"
    if recipient is not None and campaign:
        for_whom += f", campaign {campaign}"
    out_path = Path(out_path)
    with atomic_path(out_path) as temporary:
        files = _write_zip(temporary, chosen, values, now)
        manifest = _manifest(program.name, now, recipient, campaign, values, files, left_out)
        with zipfile.ZipFile(temporary, "a", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_entry("manifest.json", now), json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
            text = _manifest_text(program.name, now, for_whom, values, files, left_out)
            archive.writestr(_entry("MANIFEST.txt", now), text)
        # logged last, inside the temporary file's lifetime: a failed commit leaves no kit file behind
        kit_id, ticked = _log(db, recipient, campaign, out_path, now, manifest, [f.asset_id for f in files])
    return KitResult(kit_id, out_path, tuple(files), tuple(warnings), for_whom, ticked)


def _entry(name: str, now: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_zip(path: Path, assets: Sequence[AssetInfo], values: Mapping[str, str], now: datetime) -> list[KitFile]:
    used = {"manifest.json", "MANIFEST.txt"}
    files: list[KitFile] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for asset in assets:
            if asset.file_path is None:
                text = personalise(asset.body or "", values).rstrip("\n") + "\n"
                data = text.encode("utf-8")
                name = safe_file_name(asset.title, "txt", used)
                archive.writestr(_entry(name, now), data)
                digest, size, personalised = hashlib.sha256(data).hexdigest(), len(data), bool(values)
            else:
                ext = asset.file_path.suffix.lstrip(".")
                name = safe_file_name(asset.title, ext, used)
                info = _entry(name, now)
                if ext in _ALREADY_COMPRESSED:
                    info.compress_type = zipfile.ZIP_STORED
                with asset.file_path.open("rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1024 * 1024)
                digest, size, personalised = asset.sha256 or "", asset.size_bytes, False
            files.append(KitFile(name, asset.id, asset.title, asset.kind, size, digest, asset.expires_on, personalised))
    return files


def _manifest(
    program: str,
    now: datetime,
    recipient: KitRecipient | None,
    campaign: str | None,
    values: Mapping[str, str],
    files: Sequence[KitFile],
    left_out: Sequence[Mapping[str, str]],
) -> dict[str, object]:
    return {
        "program": program,
        "created_at": now.isoformat(timespec="seconds"),
        "personalised_for": {"code": recipient.code, "name": recipient.name} if recipient else None,
        "campaign": campaign,
        "coupon": values.get("coupon"),
        "referral_link": values.get("link"),
        "files": [
            {
                "file": f.name,
                "title": f.title,
                "kind": f.kind,
                "size_bytes": f.size_bytes,
                "sha256": f.sha256,
                "expires_on": f.expires_on.isoformat() if f.expires_on else None,
                "personalised": f.personalised,
                "asset_id": f.asset_id,
            }
            for f in files
        ],
        "left_out": list(left_out),
    }


def _manifest_text(
    program: str,
    now: datetime,
    for_whom: str,
    values: Mapping[str, str],
    files: Sequence[KitFile],
    left_out: Sequence[Mapping[str, str]],
) -> str:
    lines = [f"Asset kit from {program}", f"For: {for_whom}", f"Made: {now:%d %B %Y, %H:%M}", ""]
    if values:
        lines += [
            f"Your coupon code: {values.get('coupon', BLANKS['coupon'])}",
            f"Your referral link: {values.get('link', BLANKS['link'])}",
        ]
        if "link" in values:
            lines += ["The texts (.txt) are already filled in with your code and link.", ""]
        else:
            lines += [
                f"The texts (.txt) are filled in with your code; put your link where they say {BLANKS['link']}.",
                "",
            ]
    width = max(len(f.name) for f in files)
    for f in files:
        expiry = f"use until {f.expires_on:%d %b %Y}" if f.expires_on else "no expiry"
        kind = KIND_LABELS.get(f.kind, f.kind)
        lines.append(f"{f.name:<{width}}  {kind:<11}  {human_size(f.size_bytes):>9}  {expiry}")
        lines.append(f"{'':<{width}}  {f.title} · SHA-256 {f.sha256}")
    if left_out:
        lines += ["", "Left out:", *(f"- {item['title']}: {item['reason']}" for item in left_out)]
    lines += ["", "Please follow our brand guidelines, and take material down when it expires.", ""]
    return "\n".join(lines)


def _log(
    db: Database,
    recipient: KitRecipient | None,
    campaign: str | None,
    out_path: Path,
    now: datetime,
    manifest: Mapping[str, object],
    asset_ids: Sequence[int],
) -> tuple[int, bool]:
    """The KitSent and KitItem rows, and the onboarding tick (a new onboarding row only for an active affiliate)."""
    ticked = False
    with db.write() as session:
        name = str(out_path) if len(str(out_path)) <= 500 else out_path.name[-500:]
        kit = KitSent(
            affiliate_id=recipient.id if recipient else None,
            campaign=campaign,
            file_name=name,
            created_at=now,
            manifest_json=json.dumps(manifest, ensure_ascii=False),
        )
        session.add(kit)
        session.flush()
        session.add_all(KitItem(kit_id=kit.id, asset_id=asset_id) for asset_id in asset_ids)
        if recipient is not None:
            row = session.scalars(select(Onboarding).where(Onboarding.affiliate_id == recipient.id)).first()
            if row is None and recipient.status == "active":
                terms = latest_terms(session)  # accepted already: that step is done (recruiting.update_onboarding)
                done = terms is not None and accepted(session, recipient.id, terms)
                row = Onboarding(affiliate_id=recipient.id, started_at=now, terms_accepted=done)
                session.add(row)
            if row is not None and not row.asset_kit_sent:
                row.asset_kit_sent = ticked = True
                if row.goals_communicated and row.terms_accepted:
                    row.completed_at = row.completed_at or now
        return kit.id, ticked


def list_kits(db: Database, *, affiliate_id: int | None = None, asset_id: int | None = None) -> tuple[KitRecord, ...]:
    """Kits sent, newest first; for one affiliate, or those that contained one asset."""
    stmt = (
        select(KitSent, Affiliate.name)
        .outerjoin(Affiliate, Affiliate.id == KitSent.affiliate_id)
        .order_by(KitSent.created_at.desc(), KitSent.id.desc())
    )
    if affiliate_id is not None:
        stmt = stmt.where(KitSent.affiliate_id == affiliate_id)
    if asset_id is not None:
        stmt = stmt.where(KitSent.id.in_(select(KitItem.kit_id).where(KitItem.asset_id == asset_id)))
    with db.read() as session:
        kits = list(session.execute(stmt))
        items: dict[int, list[int]] = {kit.id: [] for kit, _ in kits}
        ids = [kit.id for kit, _ in kits]
        for kit_id, item_asset in session.execute(
            select(KitItem.kit_id, KitItem.asset_id).where(KitItem.kit_id.in_(ids)).order_by(KitItem.id)
        ):
            items[kit_id].append(item_asset)
        return tuple(
            KitRecord(kit.id, kit.created_at, kit.affiliate_id, name, kit.campaign, kit.file_name, tuple(items[kit.id]))
            for kit, name in kits
        )

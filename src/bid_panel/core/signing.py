"""Ed25519 signatures: who sealed a score sheet, who signed the moderation record.

A hash chain shows that a record was changed; it cannot show *who* wrote it, because anyone
can recompute every hash after an edit. A signature can: each panel member holds a private
key that never leaves their config folder, the panel file lists their public key, and
submitting a sheet signs its seal (the hash of the `submitted` event). The moderator signs
the moderation record's head hash. Without the private key nobody can re-seal a sheet.

Formats (stable, documented in README):
* public key: `ed25519:` + base64 of the 32 raw key bytes (the panel file's `public_key`);
* signature: base64 of the 64-byte Ed25519 signature of the 64 ASCII hex characters of the
  signed hash;
* private key: a PKCS#8 PEM file `keys/<evaluator>.pem` (or `keys/default.pem` when made
  without `--as`) in the user's config folder, owner-only (0600 file, 0700 folders).

The sample tender's keys are *public* and for the sample only: they are derived from a fixed,
published string, so anyone can sign with them. They exist so that the sample workspace
verifies with signatures; never list them in a real panel file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from bid_panel.core.atomic import explain_os_error
from bid_panel.core.errors import BidPanelError
from bid_panel.core.names import PANEL_FILE, SLUG_PATTERN, short_name


class Owner(Protocol):
    """What the owner check needs of a panel member (a panel.Evaluator, or the same read
    from the raw panel file before the models are loaded: `owner_refusal_in`)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def public_key(self) -> str | None: ...


CONFIG_DIR_ENV = "BID_PANEL_CONFIG_DIR"
KEYS_DIR = "keys"
DEFAULT_KEY = "default"
PUBLIC_KEY_PREFIX = "ed25519:"

SAMPLE_KEY_LABEL = (
    "bid-panel SAMPLE-ONLY signing key. PUBLIC: anyone can derive it. "
    "Never use for a real tender. Evaluator: "
)
"""Sample keys are sha256(SAMPLE_KEY_LABEL + evaluator id): public by construction."""

SAMPLE_TENDER_REFERENCE = "CS-2026-014"
"""The bundled sample tender's reference: the one tender whose panel may list sample keys."""

Signer = Callable[[str], str]
"""Signs a hex hash, returns the base64 signature."""


class SigningError(BidPanelError):
    """A key cannot be made, read or used."""


# --------------------------------------------------------------------------- formats


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The key of a panel file's `ed25519:<base64>`; raises SigningError when malformed."""
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise SigningError(f"not an Ed25519 public key (expected {PUBLIC_KEY_PREFIX}...)")
    try:
        raw = base64.b64decode(text[len(PUBLIC_KEY_PREFIX) :], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise SigningError(f"malformed Ed25519 public key: {exc}") from None


def sign_hash(key: Ed25519PrivateKey, digest: str) -> str:
    return base64.b64encode(key.sign(digest.encode("ascii"))).decode("ascii")


def verify_signature(public_key: str, digest: str, signature: str) -> bool:
    """True when `signature` is `public_key`'s signature of the hex hash `digest`."""
    try:
        key = parse_public_key(public_key)
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, digest.encode("ascii"))
    except (SigningError, binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def signer(key: Ed25519PrivateKey) -> Signer:
    return lambda digest: sign_hash(key, digest)


# --------------------------------------------------------------------------- key files


def config_dir() -> Path:
    """The user's bid-panel config folder (BID_PANEL_CONFIG_DIR overrides it, for tests)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path("bid-panel", appauthor=False)


def key_path(evaluator_id: str | None = None) -> Path:
    name = evaluator_id or DEFAULT_KEY
    if not re.fullmatch(SLUG_PATTERN, name):
        raise SigningError(f"{name!r} is not an evaluator id (a-z, 0-9 and hyphens)")
    return config_dir() / KEYS_DIR / f"{name}.pem"


def _private_folder(path: Path) -> None:
    """Create `path` (and its parents) owner-only; tighten it if it exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix":
        path.chmod(0o700)


def create_key(evaluator_id: str | None = None) -> tuple[Path, str]:
    """Make a new private key file (0600 in a 0700 folder); refuses to overwrite one.

    Returns the file and the public key text for the panel file.
    """
    path = key_path(evaluator_id)
    if path.exists():
        raise SigningError(
            f"{path} already exists: a key is never overwritten (the panel file lists its "
            "public key, and sheets already signed with it must stay verifiable). "
            f"Use `bid-panel keys show{' --as ' + evaluator_id if evaluator_id else ''}` "
            "to print its public key."
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        _private_folder(path.parent.parent)
        _private_folder(path.parent)
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise SigningError(f"{path} already exists: a key is never overwritten") from None
    except OSError as exc:
        raise _key_error(exc, path, "create") from None
    try:
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        if os.name == "posix":
            path.chmod(0o600)
    except OSError as exc:
        with contextlib.suppress(OSError):
            path.unlink()  # never leave a half-written key behind
        raise _key_error(exc, path, "write") from None
    return path, public_key_text(key.public_key())


def _key_error(exc: OSError, path: Path, action: str) -> SigningError:
    return SigningError(str(explain_os_error(exc, path, action)))


def load_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key file; refuses one that others can read (as ssh does)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if os.name == "posix" and mode & 0o077:
            raise SigningError(
                f"{path} can be read by other users (mode {mode:o}); a signing key must be "
                f"owner-only: run `chmod 600 {path}`"
            )
        pem = path.read_bytes()
    except OSError as exc:
        raise _key_error(exc, path, "read") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path} is not a bid-panel signing key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 key")
    return key


def find_key(evaluator_id: str) -> Path | None:
    """The private key file for an evaluator: keys/<id>.pem, else keys/default.pem."""
    for candidate in (key_path(evaluator_id), key_path(None)):
        if candidate.exists():
            return candidate
    return None


def key_files() -> list[Path]:
    """Every key file in the config folder, by name."""
    folder = config_dir() / KEYS_DIR
    return sorted(folder.glob("*.pem")) if folder.is_dir() else []


def public_key_of(path: Path) -> str:
    return public_key_text(load_key(path).public_key())


# --------------------------------------------------------------------------- sample keys


def sample_key(evaluator_id: str) -> Ed25519PrivateKey:
    """The PUBLIC, sample-only key of a sample panel member (derived, never secret)."""
    seed = hashlib.sha256((SAMPLE_KEY_LABEL + evaluator_id).encode("utf-8")).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def sample_public_key(evaluator_id: str) -> str:
    return public_key_text(sample_key(evaluator_id).public_key())


def is_sample_key(evaluator_id: str, public_key: str | None) -> bool:
    return public_key is not None and public_key == sample_public_key(evaluator_id)


# --------------------------------------------------------------------------- for the screens


def signer_for(
    evaluator_id: str, panel_public_key: str | None = None
) -> tuple[Signer | None, str | None]:
    """How `evaluator_id` signs: (sign callable, public key text), or (None, None).

    Uses the evaluator's key file from the config folder. When there is none and the panel
    lists the evaluator's public *sample* key, the sample key signs (it is public anyway).
    Does not judge whether signing is required: see `submission_signer`.
    """
    path = find_key(evaluator_id)
    if path is not None:
        key = load_key(path)
    elif is_sample_key(evaluator_id, panel_public_key):
        key = sample_key(evaluator_id)
    else:
        return None, None
    return signer(key), public_key_text(key.public_key())


def submission_signer(
    evaluator_id: str, panel_public_key: str | None
) -> tuple[Signer | None, str | None]:
    """The signer to seal a sheet or sign the moderation record with, or refuse.

    Raises SigningError when the panel lists a public key for the evaluator but no private
    key is found, or the key found is not the one the panel lists: a signature that cannot
    be verified against the panel is worse than a refusal. (None, None) when the panel lists
    no key and the user has none: the record is then sealed by its hash chain only.
    """
    sign, public_key = signer_for(evaluator_id, panel_public_key)
    if panel_public_key is None:
        return sign, public_key
    if sign is None:
        raise SigningError(
            f"the panel lists a public key for {evaluator_id}, but no private key was found "
            f"in {config_dir() / KEYS_DIR}. Run `bid-panel keys init --as {evaluator_id}` on "
            "the machine that holds your key, or copy your key file there; then submit again."
        )
    if public_key != panel_public_key:
        raise SigningError(
            f"your key ({public_key}) is not the key the panel lists for {evaluator_id} "
            f"({panel_public_key}). Ask the procurement lead to update the panel file with "
            "the output of `bid-panel keys show`, or use the key the panel lists."
        )
    return sign, public_key


# --------------------------------------------------------------------------- whose record


class NotTheOwner(SigningError):
    """Opening someone else's score sheet (or moderation record) without their key."""


def owner_refusal(evaluator: Owner, record: str = "sheet") -> str | None:
    """Why this user may not open `evaluator`'s sheet here, or None when they may.

    When the panel lists a public key for the evaluator, their sheet opens only for a user
    whose config folder holds the matching private key: otherwise a quality evaluator could
    open the price evaluator's sheet and read every price, or anyone could score as anyone.
    A panel that lists no key has nothing to check against (the sheet opens); the bundled
    sample's keys are public by construction (derived, see `sample_key`), so the sample
    opens for everyone. The CLI (`--as`) and the app both ask this question.
    `record` names what is opened in the message ("sheet", "moderation record").
    """
    listed = evaluator.public_key
    if listed is None or is_sample_key(evaluator.id, listed):
        return None
    path = find_key(evaluator.id)
    problem = ""
    if path is not None:
        try:
            if public_key_of(path) == listed:
                return None
        except (OSError, SigningError) as exc:
            problem = f" (the key file here cannot be used: {exc})"
    name = short_name(evaluator.name) or evaluator.id
    return (
        f"this {record} belongs to {name}; open it on {name}'s account, where their key is "
        f"(`bid-panel keys init --as {evaluator.id}` makes it, and the panel file lists its "
        f"public key). No key matching the panel's was found in {config_dir() / KEYS_DIR}"
        f"{problem}."
    )


def require_owner(evaluator: Owner, record: str = "sheet") -> None:
    """Raise NotTheOwner with `owner_refusal`'s message when the user may not open it."""
    refusal = owner_refusal(evaluator, record)
    if refusal is not None:
        raise NotTheOwner(refusal)


class _ListedOwner(NamedTuple):
    id: str
    name: str
    public_key: str | None


def owner_refusal_in(root: Path, evaluator_id: str, moderator: bool = False) -> str | None:
    """`owner_refusal` for `evaluator_id` as the workspace's panel file lists them, read
    without the models (`bid-panel score --as` asks before it draws, and the models load
    after the first frame). None when the file cannot say: loading the workspace then
    reports what is wrong with it, and asks `owner_refusal` again of the validated panel."""
    from bid_panel.core.yamlio import (
        MAX_HAND_EDITED_BYTES,
        YamlProblem,
        parse_yaml_bytes,
        read_file_bytes,
    )

    try:
        raw = read_file_bytes(root / PANEL_FILE, limit=MAX_HAND_EDITED_BYTES)
        _, data = parse_yaml_bytes(raw, limit=MAX_HAND_EDITED_BYTES)
    except YamlProblem:
        return None
    members = data.get("evaluators") if isinstance(data, dict) else None
    for member in members if isinstance(members, list) else []:
        if not isinstance(member, dict) or member.get("id") != evaluator_id:
            continue
        if (member.get("role") == "moderator") != moderator:
            return None  # not theirs to open this way at all: the session says why
        name, key = member.get("name"), member.get("public_key")
        if not isinstance(name, str) or not (key is None or isinstance(key, str)):
            return None
        record = "moderation record" if moderator else "sheet"
        return owner_refusal(_ListedOwner(evaluator_id, name, key), record)
    return None

"""A partner's signing keys (Ed25519), kept on its own node only:

    <keys>/<partner>.pem         the private key it signs with now (PEM, PKCS #8, mode 0600)
    <keys>/<partner>.jwks.json   its public keys: the current one and earlier ones not yet retired;
                                 what its services publish at /.well-known/jwks.json

<keys> is SAMEN030_KEYS, else var/keys. A key's id (`kid`) is its RFC 7638 JWK thumbprint. Rotation
makes a new current key and keeps the earlier public keys, so tokens signed before keep working until
the earlier key is retired (removed from the JWKS)."""
import base64
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt import PyJWK
from jwt.algorithms import OKPAlgorithm

from .config import ConfigError, var_dir


class MissingKey(ConfigError):
    """The partner's signing key is not on this node."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


def keys_dir() -> Path:
    path = Path(os.environ["SAMEN030_KEYS"]) if os.environ.get("SAMEN030_KEYS") else var_dir() / "keys"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def private_key_path(partner: str) -> Path:
    return keys_dir() / f"{partner}.pem"


def jwks_path(partner: str) -> Path:
    return keys_dir() / f"{partner}.jwks.json"


def thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 over the required members of an OKP key, in lexical order, no whitespace."""
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def public_jwk(private_key: Ed25519PrivateKey) -> dict:
    jwk = OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": thumbprint(jwk), "alg": "EdDSA", "use": "sig"}


def create(partner: str) -> str:
    """The partner's current key id; a key is made when it has none."""
    if private_key_path(partner).exists():
        return signing_key(partner).kid
    return rotate(partner)


def rotate(partner: str) -> str:
    """A new current key; the earlier public keys stay published until retired. The new key id."""
    key = Ed25519PrivateKey.generate()
    jwk = public_jwk(key)
    keys = [k for k in _read_jwks(partner) if k["kid"] != jwk["kid"]]
    _write(jwks_path(partner), json.dumps({"keys": [jwk, *keys]}, indent=2).encode(), 0o644)
    _write(private_key_path(partner), key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()), 0o600)
    return jwk["kid"]


def retire(partner: str, kid: str) -> None:
    """Stop trusting an earlier key (after the tokens it signed have expired, or at once when it leaked)."""
    if kid == signing_key(partner).kid:
        raise ConfigError(f"{kid} is {partner}'s current key: rotate first (samen030 keys rotate --partner {partner})")
    keys = _read_jwks(partner)
    if kid not in {k["kid"] for k in keys}:
        raise ConfigError(f"{partner} has no published key {kid!r}")
    _write(jwks_path(partner), json.dumps({"keys": [k for k in keys if k["kid"] != kid]}, indent=2).encode(), 0o644)


def require(partner: str) -> None:
    """Refuse to go on without the partner's signing key, saying what is missing and how to make it."""
    path = private_key_path(partner)
    if not path.exists():
        raise MissingKey(f"no signing key for partner {partner!r}: {path} is missing. A partner's node holds its "
                         f"own Ed25519 key; make it with `samen030 keys create --partner {partner}` (samen030 run "
                         f"makes it on first start), or point SAMEN030_KEYS at the folder that holds {path.name}.")


def signing_key(partner: str) -> SigningKey:
    """The partner's current key, read again when the file changed (a rotation on a running node)."""
    require(partner)
    path = private_key_path(partner)
    return _cached(path, _signing_key)


def published(partner: str) -> dict:
    """The partner's JWKS document: {"keys": [...]}, current key first."""
    if not jwks_path(partner).exists():
        return {"keys": [public_jwk(signing_key(partner).private_key)]} if private_key_path(partner).exists() \
            else {"keys": []}
    return _cached(jwks_path(partner), json.loads)


def public_key(partner: str, kid: str) -> Ed25519PublicKey | None:
    """One of the partner's published public keys, by its id; None when it has no such key."""
    if not jwks_path(partner).exists():
        return _public_keys(json.dumps(published(partner)).encode()).get(kid)
    return _cached(jwks_path(partner), _public_keys).get(kid)


def _public_keys(raw: bytes) -> dict:
    return {k["kid"]: PyJWK(k, algorithm="EdDSA").key for k in json.loads(raw)["keys"]}


def _signing_key(raw: bytes) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except ValueError as exc:
        raise MissingKey(f"the partner's key file is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise MissingKey("the partner's key file holds no Ed25519 key")
    return SigningKey(public_jwk(key)["kid"], key)


def _read_jwks(partner: str) -> list[dict]:
    return list(published(partner)["keys"])


_cache: dict[tuple[Path, object], tuple[tuple, object]] = {}
_lock = threading.Lock()


def _cached(path: Path, parse):
    """parse(the file's bytes), read and parsed again only when the file changed."""
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    with _lock:
        hit = _cache.get((path, parse))
    if hit and hit[0] == stamp:
        return hit[1]
    value = parse(path.read_bytes())
    with _lock:
        _cache[(path, parse)] = (stamp, value)
    return value


def write_private(path: Path, text: str) -> None:
    """A file of secrets (passwords, tokens) that only this user may read, written whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, text.encode(), 0o600)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Whole or not at all: a reader never sees half a key file; it has `mode` from its first byte."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)  # also when a leftover of a crash was there with another mode
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)

"""xAPI 1.0.3 statements as a receiver checks them: what makes a statement malformed.

A statement is refused (400) when any property breaks the specification's rules: a
missing ``actor``, ``verb`` or ``object``; a property the specification does not name
(keys are case-sensitive: ``Actor`` is not ``actor``); ``null`` or an empty object
anywhere but inside ``extensions``; a string where a number or boolean belongs (even
``"100"`` or ``"false"``); an IRI, UUID, mailto IRI, language tag, timestamp or
duration that does not follow its format. The rules, object by object:

- **Agent**: exactly one identifier (``mbox`` as ``mailto:``, ``mbox_sha1sum`` as 40
  hex digits, ``openid`` as a URI, or ``account`` with an IRL ``homePage`` and a
  string ``name``). **Group**: ``objectType`` "Group"; an identified group has one
  identifier, an anonymous one none and a ``member`` list; members are Agents.
- **Verb**: an IRI ``id``; ``display`` a language map. The ``voided`` verb takes a
  StatementRef object.
- **Object**: an Activity (``objectType`` absent or "Activity", an IRI ``id``, an
  optional ``definition``: language-map ``name`` and ``description``, IRI ``type``,
  IRL ``moreInfo``, one of the ten ``interactionType`` values, interaction components
  with distinct ids, ``extensions``); an Agent or Group; a StatementRef (a UUID
  ``id``); or a SubStatement (``actor``, ``verb``, ``object`` but no ``id``,
  ``stored``, ``version`` or ``authority``, and no SubStatement inside).
- **Result**: ``score.scaled`` from -1 to 1, ``min`` <= ``raw`` <= ``max``, boolean
  ``success`` and ``completion``, string ``response``, ISO 8601 ``duration``.
- **Context**: UUID ``registration``; ``instructor`` an Agent or Group; ``team`` a
  Group; ``contextActivities`` with ``parent``, ``grouping``, ``category`` or
  ``other``, each an Activity or a list of them; ``revision`` and ``platform`` only
  when the object is an Activity; ``language`` a language tag; ``statement`` a
  StatementRef.
- **Statement**: a UUID ``id``; ISO 8601 ``timestamp`` and ``stored`` (``stored`` is
  the receiver's to set, so its value is checked and then disregarded); ``authority``
  an Agent or an anonymous Group of two; ``version`` 1.0 or 1.0.x; ``attachments``
  with an IRI ``usageType``, language-map ``display``, a ``contentType``, an integer
  ``length``, a ``sha2`` and, since Huddle takes only JSON (no multipart bodies), a
  ``fileUrl``.

:func:`check` raises :class:`Malformed`, naming the property (a path such as
``context.contextActivities.parent[0].id``) and the rule it breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
INTERACTION_TYPES = frozenset(
    (
        "true-false",
        "choice",
        "fill-in",
        "long-fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
        "other",
    )
)
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
CONTEXT_ACTIVITY_KEYS = frozenset(("parent", "grouping", "category", "other"))


class Malformed(ValueError):
    """A statement breaks a rule: ``field`` is where (a dotted path), ``reason`` what."""

    def __init__(self, field: str, reason: str, index: int | None = None) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason
        self.index = index

    def at(self, index: int) -> Malformed:
        return Malformed(self.field, self.reason, index)

    def describe(self) -> str:
        where = f"statement {self.index}" if self.index is not None else "the statement"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


# --- formats -------------------------------------------------------------------------------

# An IRI (RFC 3987) as a receiver can check it without a full parser: a scheme, a colon,
# then no spaces, controls or the characters IRIs never hold unescaped, and every % starting
# an escape. 'ab=c://x' fails (no '=' in a scheme), as do 'should fail' and ''.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]+")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_MAILTO = re.compile(r"mailto:[^@\s:/?#]+@[^@\s/?#]+", re.IGNORECASE)
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_VERSION = re.compile(r"1\.0(?:\.\d+)?")

# Timestamps: ISO 8601 extended or basic, a date and a time, an optional zone (Z, or an
# offset; never a negative zero, which ISO 8601 forbids).
_EXTENDED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?:\d{2})?)?"
)
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?!$)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)

# Language tags (RFC 5646 section 2.1, "langtag"), with private use and the grandfathered
# tags; duplicate variants and extension singletons are refused after matching.
_LANGTAG = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"  # language, extended language subtags
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|\d{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|\d[a-z0-9]{3}))*"  # variants
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"  # private use
    r"|x(?:-[a-z0-9]{1,8})+",
    re.IGNORECASE,
)
_GRANDFATHERED = frozenset(
    (
        # irregular
        "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon",
        "i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr",
        "sgn-be-nl", "sgn-ch-de",
        # regular
        "art-lojban", "cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka", "zh-min",
        "zh-min-nan", "zh-xiang",
    )
)  # fmt: skip
# context.language: the conformance suite accepts any tag-shaped word there (it sends a
# 51-letter one and expects it taken), so only its shape is checked.
_TAG_SHAPE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def is_iri(value: object) -> bool:
    return isinstance(value, str) and _is_iri(value)


@lru_cache(maxsize=4096)  # verbs, activity ids and extension keys recur from statement to statement
def _is_iri(value: str) -> bool:
    return _IRI.fullmatch(value) is not None and _BAD_ESCAPE.search(value) is None


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


@lru_cache(maxsize=1024)  # a feed uses a handful of language tags
def is_language_tag(value: str) -> bool:
    if value.lower() in _GRANDFATHERED:
        return True
    if _LANGTAG.fullmatch(value) is None:
        return False
    subtags = value.lower().split("-")
    if "x" in subtags:
        subtags = subtags[: subtags.index("x")]
    singletons = [s for s in subtags[1:] if len(s) == 1]
    if len(singletons) != len(set(singletons)):
        return False
    first = next((i for i, s in enumerate(subtags) if len(s) == 1), len(subtags))
    variants = [s for s in subtags[1:first] if len(s) >= 5 or (len(s) == 4 and s[0].isdigit())]
    return len(variants) == len(set(variants))


def timestamp(value: str) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (UTC when it names no zone), or None."""
    found = _EXTENDED.fullmatch(value) or _BASIC.fullmatch(value)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    tz = UTC
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if zone[0] == "-" and hours == 0 and minutes == 0:
            return None  # "-00:00" means "unknown offset" in RFC 3339; ISO 8601 forbids it
        if hours > 23 or minutes > 59:
            return None
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)


# --- the checks ---------------------------------------------------------------------------

Obj = Mapping[str, Any]


def check(statement: object) -> None:
    """Raise :class:`Malformed` if ``statement`` is not a valid xAPI 1.0.3 statement."""
    _statement(statement, "", sub=False)


_STATEMENT_KEYS = frozenset(
    (
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    )
)
_SUBSTATEMENT_KEYS = frozenset(
    ("objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments")
)


def _statement(value: object, path: str, *, sub: bool) -> None:
    s = _object(value, path or "statement")
    _keys(s, _SUBSTATEMENT_KEYS if sub else _STATEMENT_KEYS, path)
    if sub and s.get("objectType") != "SubStatement":
        raise Malformed(_at(path, "objectType"), 'must be "SubStatement"')
    for required in ("actor", "verb", "object"):
        if required not in s:
            raise Malformed(_at(path, required), "is required")
    if "id" in s and not is_uuid(s["id"]):
        raise Malformed(_at(path, "id"), "must be a UUID (8-4-4-4-12 hexadecimal digits)")
    _actor(s["actor"], _at(path, "actor"))
    verb_id = _verb(s["verb"], _at(path, "verb"))
    kind = _statement_object(s["object"], _at(path, "object"), sub=sub)
    if verb_id == VOIDED and kind != "StatementRef":
        raise Malformed(_at(path, "object"), "a voiding statement's object must be a StatementRef")
    if "result" in s:
        _result(s["result"], _at(path, "result"))
    if "context" in s:
        _context(s["context"], _at(path, "context"), object_kind=kind)
    for name in ("timestamp", "stored"):
        if name in s:
            _timestamp(s[name], _at(path, name))
    if "authority" in s:
        _authority(s["authority"], _at(path, "authority"))
    if "version" in s and not (isinstance(s["version"], str) and _VERSION.fullmatch(s["version"])):
        raise Malformed(_at(path, "version"), 'must be "1.0" or "1.0.x"')
    if "attachments" in s:
        _attachments(s["attachments"], _at(path, "attachments"))


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _object(value: object, path: str, *, may_be_empty: bool = False) -> Obj:
    if not isinstance(value, dict):
        raise Malformed(path, f"must be an object, not {_kind(value)}")
    if not value and not may_be_empty:
        raise Malformed(path, "must not be an empty object")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _keys(value: Obj, allowed: frozenset[str], path: str) -> None:
    for key in value:
        if key not in allowed:
            close = next((a for a in allowed if a.lower() == key.lower()), None)
            hint = f' (did you mean "{close}"? keys are case-sensitive)' if close else ""
            raise Malformed(_at(path, key), f"is not an xAPI property here{hint}")


def _string(value: object, path: str, *, nonempty: bool = False) -> str:
    if not isinstance(value, str):
        raise Malformed(path, f"must be a string, not {_kind(value)}")
    if nonempty and not value:
        raise Malformed(path, "must not be empty")
    return value


def _iri(value: object, path: str) -> str:
    text = _string(value, path)
    if not is_iri(text):
        raise Malformed(path, f"must be an IRI (such as https://example.org/...), not {text!r}")
    return text


def _uuid(value: object, path: str) -> str:
    text = _string(value, path)
    if not is_uuid(text):
        raise Malformed(path, f"must be a UUID, not {text!r}")
    return text


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(path, f"must be a number, not {_kind(value)}")
    return float(value)


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise Malformed(path, f"must be true or false, not {_kind(value)}")
    return value


def _timestamp(value: object, path: str) -> datetime:
    text = _string(value, path)
    moment = timestamp(text)
    if moment is None:
        raise Malformed(path, f"must be an ISO 8601 timestamp, not {text!r}")
    return moment


def _language_map(value: object, path: str) -> None:
    data = _object(value, path)
    for tag, text in data.items():
        if not is_language_tag(tag):
            raise Malformed(f"{path}.{tag}", "is not a language tag (RFC 5646)")
        _string(text, f"{path}.{tag}")


def _extensions(value: object, path: str) -> None:
    data = _object(value, path, may_be_empty=True)
    for key in data:  # values may be anything, null included
        if not is_iri(key):
            raise Malformed(f"{path}.{key}", "an extension's key must be an IRI")


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise Malformed(path, f"must be an array, not {_kind(value)}")
    return value


# --- actors -------------------------------------------------------------------------------

_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_KEYS = frozenset(("objectType", "name", *_IFIS))
_GROUP_KEYS = frozenset(("objectType", "name", "member", *_IFIS))


def _actor(value: object, path: str) -> str:
    """An Agent or a Group; returns which."""
    data = _object(value, path)
    kind = data.get("objectType", "Agent")
    if kind == "Agent":
        _agent(data, path)
    elif kind == "Group":
        _group(data, path)
    else:
        raise Malformed(_at(path, "objectType"), 'must be "Agent" or "Group"')
    return str(kind)


def _agent(data: Obj, path: str) -> None:
    _keys(data, _AGENT_KEYS, path)
    if "objectType" in data and data["objectType"] != "Agent":
        raise Malformed(_at(path, "objectType"), 'must be "Agent"')
    if "name" in data:
        _string(data["name"], _at(path, "name"))
    if _identifiers(data, path) != 1:
        raise Malformed(path, "an Agent needs exactly one of mbox, mbox_sha1sum, openid or account")


def _group(data: Obj, path: str) -> int:
    _keys(data, _GROUP_KEYS, path)
    if "name" in data:
        _string(data["name"], _at(path, "name"))
    found = _identifiers(data, path)
    if found > 1:
        raise Malformed(path, "a Group has at most one of mbox, mbox_sha1sum, openid or account")
    members = 0
    if "member" in data:
        listed = _list(data["member"], _at(path, "member"))
        for i, member in enumerate(listed):
            where = f"{path}.member[{i}]"
            agent = _object(member, where)
            if agent.get("objectType", "Agent") != "Agent":
                raise Malformed(where, "a Group's members are Agents")
            _agent(agent, where)
        members = len(listed)
    if not found and not members:
        raise Malformed(path, "an anonymous Group (no identifier) must list its members")
    return found


def _identifiers(data: Obj, path: str) -> int:
    found = 0
    if "mbox" in data:
        found += 1
        mbox = _string(data["mbox"], _at(path, "mbox"))
        if not _MAILTO.fullmatch(mbox):
            raise Malformed(_at(path, "mbox"), f"must be a mailto: address, not {mbox!r}")
    if "mbox_sha1sum" in data:
        found += 1
        digest = _string(data["mbox_sha1sum"], _at(path, "mbox_sha1sum"))
        if not _SHA1.fullmatch(digest):
            raise Malformed(_at(path, "mbox_sha1sum"), "must be 40 hexadecimal digits")
    if "openid" in data:
        found += 1
        _iri(data["openid"], _at(path, "openid"))
    if "account" in data:
        found += 1
        where = _at(path, "account")
        account = _object(data["account"], where)
        _keys(account, frozenset(("homePage", "name")), where)
        for required in ("homePage", "name"):
            if required not in account:
                raise Malformed(_at(where, required), "is required")
        _iri(account["homePage"], _at(where, "homePage"))
        _string(account["name"], _at(where, "name"), nonempty=True)
    return found


def _authority(value: object, path: str) -> None:
    if _actor(value, path) == "Group":
        group = _object(value, path)
        # OAuth's authority is an anonymous Group of the consumer and the user, nothing else.
        if any(k in group for k in _IFIS) or len(group.get("member", ())) != 2:
            raise Malformed(path, "a Group authority is an anonymous Group of two Agents")


# --- verb, object -------------------------------------------------------------------------


def _verb(value: object, path: str) -> str:
    data = _object(value, path)
    _keys(data, frozenset(("id", "display")), path)
    if "id" not in data:
        raise Malformed(_at(path, "id"), "is required")
    verb_id = _iri(data["id"], _at(path, "id"))
    if "display" in data:
        _language_map(data["display"], _at(path, "display"))
    return verb_id


def _statement_object(value: object, path: str, *, sub: bool) -> str:
    """The object, checked by its kind; returns the kind."""
    data = _object(value, path)
    kind = data.get("objectType", "Activity")
    check_kind = _OBJECT_KINDS.get(kind) if isinstance(kind, str) else None
    if check_kind is None or (sub and kind == "SubStatement"):
        allowed = "Activity, Agent, Group or StatementRef" + ("" if sub else " or SubStatement")
        raise Malformed(_at(path, "objectType"), f"must be {allowed}")
    check_kind(data, path)
    return str(kind)


def _activity(data: Obj, path: str) -> None:
    if "objectType" in data and data["objectType"] != "Activity":
        raise Malformed(_at(path, "objectType"), 'must be "Activity"')
    _keys(data, frozenset(("objectType", "id", "definition")), path)
    if "id" not in data:
        raise Malformed(_at(path, "id"), "is required")
    _iri(data["id"], _at(path, "id"))
    if "definition" in data:
        _definition(data["definition"], _at(path, "definition"))


_DEFINITION_KEYS = frozenset(
    (
        "name",
        "description",
        "type",
        "moreInfo",
        "interactionType",
        "correctResponsesPattern",
        "extensions",
        *COMPONENT_LISTS,
    )
)


def _definition(value: object, path: str) -> None:
    data = _object(value, path)
    _keys(data, _DEFINITION_KEYS, path)
    for name in ("name", "description"):
        if name in data:
            _language_map(data[name], _at(path, name))
    for name in ("type", "moreInfo"):
        if name in data:
            _iri(data[name], _at(path, name))
    if "interactionType" in data:
        kind = data["interactionType"]
        if not isinstance(kind, str) or kind not in INTERACTION_TYPES:
            raise Malformed(
                _at(path, "interactionType"),
                f"must be one of {', '.join(sorted(INTERACTION_TYPES))} (exactly, in lower case)",
            )
    interaction = [n for n in ("correctResponsesPattern", *COMPONENT_LISTS) if n in data]
    if interaction and "interactionType" not in data:
        raise Malformed(_at(path, "interactionType"), f"is required with {interaction[0]}")
    if "correctResponsesPattern" in data:
        where = _at(path, "correctResponsesPattern")
        for i, pattern in enumerate(_list(data["correctResponsesPattern"], where)):
            _string(pattern, f"{where}[{i}]")
    for name in COMPONENT_LISTS:
        if name in data:
            _components(data[name], _at(path, name))
    if "extensions" in data:
        _extensions(data["extensions"], _at(path, "extensions"))


def _components(value: object, path: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(_list(value, path)):
        where = f"{path}[{i}]"
        component = _object(item, where)
        _keys(component, frozenset(("id", "description")), where)
        if "id" not in component:
            raise Malformed(_at(where, "id"), "is required")
        cid = _string(component["id"], _at(where, "id"), nonempty=True)
        if cid in seen:
            raise Malformed(_at(where, "id"), f"{cid!r} appears twice in {path}")
        seen.add(cid)
        if "description" in component:
            _language_map(component["description"], _at(where, "description"))


def _agent_object(data: Obj, path: str) -> None:
    _agent(data, path)


def _group_object(data: Obj, path: str) -> None:
    _group(data, path)


def _statement_ref(data: Obj, path: str) -> None:
    _keys(data, frozenset(("objectType", "id")), path)
    if data.get("objectType") != "StatementRef":
        raise Malformed(_at(path, "objectType"), 'must be "StatementRef"')
    if "id" not in data:
        raise Malformed(_at(path, "id"), "is required")
    _uuid(data["id"], _at(path, "id"))


def _substatement(data: Obj, path: str) -> None:
    _statement(data, path, sub=True)


_OBJECT_KINDS: dict[str, Callable[[Obj, str], None]] = {
    "Activity": _activity,
    "Agent": _agent_object,
    "Group": _group_object,
    "StatementRef": _statement_ref,
    "SubStatement": _substatement,
}


# --- result, context, attachments ----------------------------------------------------------


def _result(value: object, path: str) -> None:
    data = _object(value, path)
    _keys(
        data,
        frozenset(("score", "success", "completion", "response", "duration", "extensions")),
        path,
    )
    if "score" in data:
        _score(data["score"], _at(path, "score"))
    for name in ("success", "completion"):
        if name in data:
            _boolean(data[name], _at(path, name))
    if "response" in data:
        _string(data["response"], _at(path, "response"))
    if "duration" in data:
        text = _string(data["duration"], _at(path, "duration"))
        if not _DURATION.fullmatch(text):
            raise Malformed(_at(path, "duration"), f"must be an ISO 8601 duration, not {text!r}")
    if "extensions" in data:
        _extensions(data["extensions"], _at(path, "extensions"))


def _score(value: object, path: str) -> None:
    data = _object(value, path)
    _keys(data, frozenset(("scaled", "raw", "min", "max")), path)
    numbers = {k: _number(v, _at(path, k)) for k, v in data.items()}
    scaled = numbers.get("scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        raise Malformed(_at(path, "scaled"), "must be between -1 and 1")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and low > high:
        raise Malformed(_at(path, "min"), "must not be more than max")
    if raw is not None and low is not None and raw < low:
        raise Malformed(_at(path, "raw"), "must not be less than min")
    if raw is not None and high is not None and raw > high:
        raise Malformed(_at(path, "raw"), "must not be more than max")


_CONTEXT_KEYS = frozenset(
    (
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    )
)


def _context(value: object, path: str, *, object_kind: str) -> None:
    data = _object(value, path)
    _keys(data, _CONTEXT_KEYS, path)
    if "registration" in data:
        _uuid(data["registration"], _at(path, "registration"))
    if "instructor" in data:
        _actor(data["instructor"], _at(path, "instructor"))
    if "team" in data:
        where = _at(path, "team")
        team = _object(data["team"], where)
        if team.get("objectType") != "Group":
            raise Malformed(_at(where, "objectType"), 'a team is a Group ("objectType": "Group")')
        _group(team, where)
    if "contextActivities" in data:
        _context_activities(data["contextActivities"], _at(path, "contextActivities"))
    for name in ("revision", "platform"):
        if name in data:
            _string(data[name], _at(path, name))
            if object_kind != "Activity":
                raise Malformed(_at(path, name), "may be given only when the object is an Activity")
    if "language" in data:
        language = _string(data["language"], _at(path, "language"))
        if not _TAG_SHAPE.fullmatch(language):
            raise Malformed(_at(path, "language"), "must be a language tag (RFC 5646)")
    if "statement" in data:
        where = _at(path, "statement")
        _statement_ref(_object(data["statement"], where), where)
    if "extensions" in data:
        _extensions(data["extensions"], _at(path, "extensions"))


def _context_activities(value: object, path: str) -> None:
    data = _object(value, path)
    _keys(data, CONTEXT_ACTIVITY_KEYS, path)
    for key, listed in data.items():
        where = _at(path, key)
        items = listed if isinstance(listed, list) else [listed]
        for i, item in enumerate(items):
            spot = f"{where}[{i}]" if isinstance(listed, list) else where
            _activity(_object(item, spot), spot)


_ATTACHMENT_KEYS = frozenset(
    ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl")
)


def _attachments(value: object, path: str) -> None:
    for i, item in enumerate(_list(value, path)):
        where = f"{path}[{i}]"
        data = _object(item, where)
        _keys(data, _ATTACHMENT_KEYS, where)
        for required in ("usageType", "display", "contentType", "length", "sha2"):
            if required not in data:
                raise Malformed(_at(where, required), "is required")
        _iri(data["usageType"], _at(where, "usageType"))
        _language_map(data["display"], _at(where, "display"))
        if "description" in data:
            _language_map(data["description"], _at(where, "description"))
        _string(data["contentType"], _at(where, "contentType"), nonempty=True)
        length = data["length"]
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise Malformed(_at(where, "length"), "must be a whole number of bytes")
        sha2 = _string(data["sha2"], _at(where, "sha2"))
        if len(sha2) not in (56, 64, 96, 128) or not _HEX.fullmatch(sha2):
            raise Malformed(_at(where, "sha2"), "must be a SHA-2 digest in hexadecimal")
        if "fileUrl" not in data:
            raise Malformed(
                _at(where, "fileUrl"),
                "is required here: Huddle takes statements as JSON only, so an "
                "attachment's content cannot come with them (no multipart/mixed)",
            )
        _iri(data["fileUrl"], _at(where, "fileUrl"))

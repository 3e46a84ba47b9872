"""
A public contact as a vCard (RFC 6350, version 4.0), for "Add to contacts".

Text values escape backslash, comma, semicolon and line breaks (section 3.4);
lines end in CRLF and are folded at 75 octets without splitting a UTF-8
character (section 3.2), so a name like Novák or Chișinău arrives whole.
"""
from .text import normalise_text

CRLF = "\r\n"
FOLD_AT = 75


def escape(value):
    value = normalise_text(value, multiline=True).replace("\\", "\\\\")
    for char in ",;":
        value = value.replace(char, "\\" + char)
    return value.replace("\r\n", "\\n").replace("\n", "\\n")


def fold(line):
    """The line cut into pieces of at most 75 octets, each continuation starting with a space."""
    pieces, piece, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > FOLD_AT:
            pieces.append(piece)
            piece, size = " ", 1
        piece += char
        size += width
    pieces.append(piece)
    return CRLF.join(pieces)


def build_vcard(contact, source_url=None):
    """``contact`` must be public: the view takes it from ``Contact.objects.public()``."""
    kind = "org" if contact.kind == contact.Kind.OFFICE else "individual"
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"KIND:{kind}", f"FN:{escape(contact.name)}"]
    if kind == "individual":
        # N is optional in 4.0; the whole name as the family name keeps every reader's sort stable.
        lines.append(f"N:{escape(contact.name)};;;;")
    lines.append(f"ORG:{escape(contact.source.name)}")
    if contact.role:
        lines.append(f"TITLE:{escape(contact.role)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=work:{escape(contact.email)}")
    if contact.phone:
        lines.append(f"TEL;VALUE=uri;TYPE=\"work,voice\":tel:{contact.phone_uri}")
    if source_url:
        lines.append(f"URL:{source_url}")
    lines.append("END:VCARD")
    return "".join(fold(line) + CRLF for line in lines)

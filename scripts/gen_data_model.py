#!/usr/bin/env python3
"""Generates the message reference section of docs/data-model.md from types/src.

Every `wire_struct!` is an array of its fields in declaration order; every serde enum is a
snake_case name (unit variants) or a one-entry map {name: content}. Run from the repository
root: `python3 scripts/gen_data_model.py` rewrites the section between the markers;
`--check` exits non-zero if the file is out of date.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "data-model.md"
BEGIN = "<!-- BEGIN GENERATED: scripts/gen_data_model.py -->"
END = "<!-- END GENERATED -->"

CBOR = {
    "String": "text", "u64": "uint", "u32": "uint", "u16": "uint", "i64": "int", "i32": "int", "i16": "int",
    "bool": "bool", "Hash32": "bytes(32)", "PublicKey": "bytes(32)", "Signature": "bytes(64)", "Bytes": "bytes",
    "OrgId": "text", "ShipmentId": "text", "Country": "text", "HsCode": "text", "Locode": "text",
    "Currency": "text", "Epc": "text", "TimeMs": "uint (Unix ms)", "EventId": "bytes(32)",
}


def cbor_type(t: str) -> str:
    t = t.strip()
    m = re.fullmatch(r"Option<(.+)>", t)
    if m:
        return cbor_type(m.group(1)) + " or null"
    m = re.fullmatch(r"Vec<(.+)>", t)
    if m:
        return "array of " + cbor_type(m.group(1))
    m = re.fullmatch(r"Box<(.+)>", t)
    if m:
        return cbor_type(m.group(1))
    return CBOR.get(t, f"[{t}](#{t.lower()})")


def docs_before(lines, i):
    out = []
    j = i - 1
    while j >= 0 and (lines[j].strip().startswith("///") or lines[j].strip().startswith("#[")):
        if lines[j].strip().startswith("///"):
            out.append(lines[j].strip()[3:].strip())
        j -= 1
    return " ".join(reversed(out))


def parse(path):
    lines = path.read_text().splitlines()
    items = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*pub struct (\w+) \{", line)
        if m and any("wire_struct!" in l for l in lines[max(0, i - 12):i]):
            name = m.group(1)
            doc = docs_before(lines, i)
            fields = []
            i += 1
            fdoc = []
            while not lines[i].strip().startswith("}"):
                s = lines[i].strip()
                if s.startswith("///"):
                    fdoc.append(s[3:].strip())
                fm = re.match(r"pub (\w+): (.+),$", s)
                if fm:
                    fields.append((fm.group(1), fm.group(2), " ".join(fdoc)))
                    fdoc = []
                elif not s.startswith("///") and not s.startswith("#["):
                    fdoc = []
                i += 1
            items.append(("struct", name, doc, fields))
            continue
        m = re.match(r"pub enum (\w+) \{", line)
        if m and any("Deserialize" in l for l in lines[max(0, i - 4):i]):
            name = m.group(1)
            doc = docs_before(lines, i)
            rename = "snake_case"
            for l in lines[max(0, i - 4):i]:
                r = re.search(r'rename_all = "(\w+)"', l)
                if r:
                    rename = r.group(1)
            if not any("rename_all" in l for l in lines[max(0, i - 4):i]):
                rename = "as written"
            variants = []
            i += 1
            vdoc = []
            while not lines[i].strip().startswith("}"):
                s = lines[i].strip()
                if s.startswith("///"):
                    vdoc.append(s[3:].strip())
                vm = re.match(r"(\w+)(\((.+)\))?,$", s)
                if vm:
                    variants.append((wire_name(vm.group(1), rename), vm.group(3), " ".join(vdoc)))
                    vdoc = []
                i += 1
            items.append(("enum", name, doc, variants))
            continue
        i += 1
    return items


def wire_name(v, rename):
    if rename == "snake_case":
        return re.sub(r"(?<!^)(?=[A-Z])", "_", v).lower()
    if rename == "UPPERCASE":
        return v.upper()
    return v


def render():
    out = []
    files = sorted((ROOT / "types" / "src").rglob("*.rs"))
    for f in files:
        items = parse(f)
        if not items:
            continue
        out.append(f"### `{f.relative_to(ROOT)}`\n")
        for kind, name, doc, rows in items:
            out.append(f"#### {name}\n")
            if doc:
                out.append(doc + "\n")
            if kind == "struct":
                out.append(f"CBOR: array of {len(rows)} items.\n")
                out.append("| # | field | CBOR | meaning |")
                out.append("|---|---|---|---|")
                for n, (fname, ftype, fdoc) in enumerate(rows):
                    out.append(f"| {n} | `{fname}` | {cbor_type(ftype)} | {fdoc} |")
            else:
                out.append("| wire name | content | meaning |")
                out.append("|---|---|---|")
                for vname, content, vdoc in rows:
                    c = f"map {{\"{vname}\": {cbor_type(content)}}}" if content else f'text "{vname}"'
                    out.append(f"| `{vname}` | {c} | {vdoc} |")
            out.append("")
    return "\n".join(out)


def main():
    text = DOC.read_text()
    a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:a] + "\n\n" + render() + "\n" + text[b:]
    if "--check" in sys.argv:
        if new != text:
            print("docs/data-model.md is out of date: run python3 scripts/gen_data_model.py", file=sys.stderr)
            sys.exit(1)
        return
    DOC.write_text(new)


if __name__ == "__main__":
    main()

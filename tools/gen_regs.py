#!/usr/bin/env python3
"""Generate the register header, the C++ register table and docs/registers.md from
models/ctrl/regmap.yaml (the one source of truth of the register map).

Python 3 standard library only. The YAML reader below handles the subset regmap.yaml
uses, and nothing more:
  * block mappings (`key: value`, `key:` + indented block) and block sequences (`- ...`,
    including `- key: value` starting a mapping),
  * one-line flow mappings `{a: 1, b: [x, y]}` and flow sequences `[...]`,
  * scalars: decimal or 0x hex integers (with optional `_`), true/false, "double quoted"
    strings (with \\" and \\\\ escapes), bare strings,
  * anchors `&name` on a value and aliases `*name`,
  * `#` comments outside quotes.
Anything else is an error with the line number.

Usage:
  gen_regs.py MAP --out-dir DIR   write DIR/sw/include/dtq_regs.h, DIR/models/ctrl/regs_gen.h,
                                  DIR/docs/registers.md
  gen_regs.py MAP --check ROOT    regenerate and diff against the files in ROOT (with --out-dir
                                  too: also write them there); exit 1 (printing a unified diff)
                                  when one is stale
"""
import argparse
import difflib
import os
import sys

OUTPUTS = ("sw/include/dtq_regs.h", "models/ctrl/regs_gen.h", "docs/registers.md")


# ---------------------------------------------------------------------------------------
# YAML subset reader
class YamlError(Exception):
    pass


def _strip_comment(line):
    out, quote = [], False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            quote = not quote
        if ch == "#" and not quote and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


def _scalar(text, lineno):
    t = text.strip()
    if t in ("true", "false"):
        return t == "true"
    if t in ("null", "~", ""):
        return None
    try:
        if t.lower().startswith("0x"):
            return int(t.replace("_", ""), 16)
        if t.lstrip("-").replace("_", "").isdigit():
            return int(t.replace("_", ""))
    except ValueError as e:
        raise YamlError(f"line {lineno}: bad number {t!r}") from e
    return t


class _Flow:
    """Parser for one-line flow values: {..}, [..], "..", *alias, &anchor, scalars."""

    def __init__(self, text, lineno, anchors):
        self.s, self.i, self.lineno, self.anchors = text, 0, lineno, anchors

    def err(self, msg):
        raise YamlError(f"line {self.lineno}: {msg} in {self.s!r}")

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def value(self, stops):
        self.ws()
        if self.i >= len(self.s):
            return None
        ch = self.s[self.i]
        if ch == "&":
            j = self.i + 1
            while j < len(self.s) and self.s[j] not in " \t,]}":
                j += 1
            name = self.s[self.i + 1:j]
            self.i = j
            v = self.value(stops)
            self.anchors[name] = v
            return v
        if ch == "*":
            j = self.i + 1
            while j < len(self.s) and self.s[j] not in " \t,]}":
                j += 1
            name = self.s[self.i + 1:j]
            self.i = j
            if name not in self.anchors:
                self.err(f"unknown alias *{name}")
            return self.anchors[name]
        if ch == "{":
            self.i += 1
            out = {}
            while True:
                self.ws()
                if self.i < len(self.s) and self.s[self.i] == "}":
                    self.i += 1
                    return out
                j = self.s.find(":", self.i)
                if j < 0:
                    self.err("expected 'key:'")
                key = self.s[self.i:j].strip()
                self.i = j + 1
                if key in out:
                    self.err(f"duplicate key {key!r}")
                out[key] = self.value(",}")
                self.ws()
                if self.i < len(self.s) and self.s[self.i] == ",":
                    self.i += 1
                elif self.i >= len(self.s) or self.s[self.i] != "}":
                    self.err("expected ',' or '}'")
        if ch == "[":
            self.i += 1
            out = []
            while True:
                self.ws()
                if self.i < len(self.s) and self.s[self.i] == "]":
                    self.i += 1
                    return out
                out.append(self.value(",]"))
                self.ws()
                if self.i < len(self.s) and self.s[self.i] == ",":
                    self.i += 1
                elif self.i >= len(self.s) or self.s[self.i] != "]":
                    self.err("expected ',' or ']'")
        if ch == '"':
            j, buf = self.i + 1, []
            while j < len(self.s) and self.s[j] != '"':
                if self.s[j] == "\\" and j + 1 < len(self.s):
                    j += 1
                buf.append(self.s[j])
                j += 1
            if j >= len(self.s):
                self.err("unterminated string")
            self.i = j + 1
            return "".join(buf)
        j = self.i
        while j < len(self.s) and self.s[j] not in stops:
            j += 1
        text = self.s[self.i:j]
        self.i = j
        return _scalar(text, self.lineno)


def parse_yaml(text):
    lines = []  # (lineno, indent, content)
    for n, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise YamlError(f"line {n}: tab in indentation")
        s = _strip_comment(raw)
        if s.strip():
            lines.append([n, len(s) - len(s.lstrip()), s.strip()])
    anchors = {}

    def flow(content, n):
        p = _Flow(content, n, anchors)
        v = p.value("")
        p.ws()
        if p.i != len(content):
            p.err("trailing text")
        return v

    def block(i, indent):
        if lines[i][2].startswith("- ") or lines[i][2] == "-":
            out = []
            while i < len(lines) and lines[i][1] == indent and (lines[i][2].startswith("- ") or lines[i][2] == "-"):
                n, _, content = lines[i]
                rest = content[1:].strip()
                if not rest:
                    v, i = block(i + 1, lines[i + 1][1])
                elif rest[0] not in "{[\"*&" and ":" in rest and (rest.split(":", 1)[1][:1] in ("", " ")):
                    lines[i] = [n, indent + 2, rest]  # "- key: v" opens a mapping
                    v, i = block(i, indent + 2)
                else:
                    v, i = flow(rest, n), i + 1
                out.append(v)
            return out, i
        out = {}
        while i < len(lines) and lines[i][1] == indent and not lines[i][2].startswith("- "):
            n, _, content = lines[i]
            if ":" not in content:
                raise YamlError(f"line {n}: expected 'key: value'")
            key, rest = content.split(":", 1)
            key, rest = key.strip(), rest.strip()
            if key in out:
                raise YamlError(f"line {n}: duplicate key {key!r}")
            anchor = None
            if rest.startswith("&") and " " not in rest:
                anchor, rest = rest[1:], ""
            if rest:
                out[key], i = flow(rest, n), i + 1
            else:
                i += 1
                if i < len(lines) and (lines[i][1] > indent or (lines[i][1] == indent and lines[i][2].startswith("- "))):
                    out[key], i = block(i, lines[i][1])
                else:
                    out[key] = None
            if anchor:
                anchors[anchor] = out[key]
        return out, i

    if not lines:
        return {}
    v, i = block(0, lines[0][1])
    if i != len(lines):
        raise YamlError(f"line {lines[i][0]}: unexpected indentation")
    return v


# ---------------------------------------------------------------------------------------
# model of the map, with checks
ACCESS = ("rw", "ro", "w1c", "wo")
TYPES = {"addr": 8, "u32": 4, "u16": 2, "u8": 1}
KINDS = ("ctrl", "local", "linebuf", "dram", "alias")


def fail(msg):
    raise SystemExit(f"gen_regs.py: {msg}")


def load(path):
    with open(path, encoding="utf-8") as f:
        m = parse_yaml(f.read())
    for r in m["address_map"]:
        r.setdefault("kind", "ctrl")
        if r["kind"] not in KINDS:
            fail(f"region {r['name']}: kind {r['kind']}")
    offsets = set()
    for r in m["registers"]:
        if r["access"] not in ACCESS:
            fail(f"register {r['name']}: access {r['access']}")
        if r["offset"] % 4 or r["offset"] in offsets:
            fail(f"register {r['name']}: offset {r['offset']:#x} misaligned or duplicate")
        offsets.add(r["offset"])
        r.setdefault("fields", [])
        r.setdefault("perf", False)
        used = 0
        read_mask = write_mask = 0
        for f in r["fields"]:
            acc = f.get("access", r["access"])
            mask = ((1 << f["width"]) - 1) << f["lsb"]
            if mask & used or f["lsb"] + f["width"] > 32:
                fail(f"register {r['name']}: field {f['name']} overlaps or exceeds 32 bits")
            used |= mask
            if acc != "wo":
                read_mask |= mask
            if acc in ("rw", "w1c"):
                write_mask |= mask
        if not r["fields"]:
            read_mask = 0 if r["access"] == "wo" else 0xFFFFFFFF
            write_mask = 0xFFFFFFFF if r["access"] in ("rw", "w1c") else 0
        r["read_mask"], r["write_mask"] = read_mask, write_mask
        if r["reset"] & ~read_mask & 0xFFFFFFFF:
            fail(f"register {r['name']}: reset value has bits outside its readable fields")
    size = m["descriptor"]["size"]
    codes = set()
    for op in m["opcodes"]:
        if op["code"] in codes:
            fail(f"opcode {op['name']}: duplicate code")
        codes.add(op["code"])
        covered = 8
        for f in op["fields"]:
            n = TYPES[f["type"]]
            if f["offset"] % n or f["offset"] + n > size or f["offset"] < 8:
                fail(f"opcode {op['name']}: field {f['name']} misplaced")
            f["size"] = n
            f.setdefault("optional", False)
            f.setdefault("align", 1)
            if f["type"] == "addr":
                regs = f.get("regions", "any")
                if isinstance(regs, str):  # shared (aliased) field lists are seen more than once
                    f["regions"] = ["local", "linebuf", "dram"] if regs == "any" else regs.split()
            covered = max(covered, f["offset"] + n)
    return m


# ---------------------------------------------------------------------------------------
# writers
HEADER_NOTE = "Generated by tools/gen_regs.py from models/ctrl/regmap.yaml. Do not edit: edit the YAML and run `ninja regs_update`."


def field_mask(f):
    return ((1 << f["width"]) - 1) << f["lsb"]


def ctype(t):
    return {"addr": "uint64_t", "u32": "uint32_t", "u16": "uint16_t", "u8": "uint8_t"}[t]


def gen_c(m):
    o = []
    w = o.append
    w(f"/* {HEADER_NOTE} */")
    w("/* DTQAtten register map, command descriptors and system address map (docs/registers.md). */")
    w("#ifndef DTQ_REGS_H")
    w("#define DTQ_REGS_H")
    w("")
    w("#include <stddef.h>")
    w("#include <stdint.h>")
    w("")
    w("/* ---- system address map ---- */")
    for r in m["address_map"]:
        w(f"#define DTQ_{r['name']}_BASE UINT64_C({r['base']:#x}) /* {r['doc']} */")
        w(f"#define DTQ_{r['name']}_SIZE UINT64_C({r['size']:#x})")
    w("")
    d = m["device"]
    w("/* ---- device ---- */")
    w(f"#define DTQ_DEVICE_ID {d['id']:#010x}u")
    w(f"#define DTQ_DEVICE_VERSION_MAJOR {d['version_major']}u")
    w(f"#define DTQ_DEVICE_VERSION_MINOR {d['version_minor']}u")
    w("")
    w("/* ---- registers: DTQ_<REG> is the bus address, DTQ_<REG>_OFFSET the offset in the window ---- */")
    for r in m["registers"]:
        w(f"/* {r['name']} ({r['access']}): {r['doc']} */")
        w(f"#define DTQ_{r['name']}_OFFSET {r['offset']:#05x}u")
        w(f"#define DTQ_{r['name']} (DTQ_CTRL_BASE + DTQ_{r['name']}_OFFSET)")
        w(f"#define DTQ_{r['name']}_RESET {r['reset']:#x}u")
        for f in r["fields"]:
            p = f"DTQ_{r['name']}_{f['name']}"
            w(f"#define {p}_SHIFT {f['lsb']}u")
            w(f"#define {p}_WIDTH {f['width']}u")
            w(f"#define {p}_MASK {field_mask(f):#x}u")
    w("")
    w("/* ---- interrupt bits (IRQ_ENABLE, IRQ_STATUS) ---- */")
    for f in next(r for r in m["registers"] if r["name"] == "IRQ_STATUS")["fields"]:
        w(f"#define DTQ_IRQ_{f['name']} {field_mask(f):#x}u /* {f['doc']} */")
    w("")
    w("/* ---- error codes (ERR_CODE) ---- */")
    for e in m["errors"]:
        w(f"#define DTQ_ERR_{e['name']} {e['code']}u /* {e['doc']} */")
    w(f"#define DTQ_ERR_COUNT {len(m['errors'])}u")
    w("/* Initializers for name/description tables indexed by code: static const char *t[] = DTQ_ERR_NAMES; */")
    w("#define DTQ_ERR_NAMES { " + ", ".join(cstr(e["name"]) for e in m["errors"]) + " }")
    w("#define DTQ_ERR_DOCS { \\")
    for e in m["errors"]:
        w(f"    {cstr(e['doc'])}, \\")
    w("}")
    w("")
    w("/* ---- performance units (order of PERF_*_BUSY) ---- */")
    for i, u in enumerate(m["units"]):
        w(f"#define DTQ_UNIT_{u} {i}u")
    w(f"#define DTQ_UNIT_COUNT {len(m['units'])}u")
    w("")
    w("/* ---- opcodes ---- */")
    for op in m["opcodes"]:
        w(f"#define DTQ_OP_{op['name']} {op['code']:#04x}u /* {op['doc']} */")
    w("")
    desc = m["descriptor"]
    w("/* ---- command descriptor ---- */")
    w(f"#define DTQ_DESC_SIZE {desc['size']}u")
    for f in desc["flags"]:
        w(f"#define DTQ_DESC_FLAG_{f['name']} {1 << f['bit']:#x}u")
    for h in desc["header"]:
        w(f"#define DTQ_DESC_{h['name'].upper()}_OFFSET {h['offset']:#04x}u")
    for lim in desc["limits"]:
        w(f"#define DTQ_{lim['name']} {lim['value']}u /* {lim['doc']} */")
    w("#define DTQ_PREC_PRUNED 0u")
    w("#define DTQ_PREC_INT4 4u")
    w("#define DTQ_PREC_INT8 8u")
    for op in m["opcodes"]:
        for f in op["fields"]:
            w(f"#define DTQ_DESC_{op['name']}_{f['name'].upper()}_OFFSET {f['offset']:#04x}u")
    w("")
    w("/* Per-opcode argument layouts (bytes 0x08..0x3F of a descriptor). */")
    seen = {}
    for op in m["opcodes"]:
        if not op["fields"]:
            continue
        key = id(op["fields"])
        sname = f"dtq_args_{op['name'].lower()}"
        if key in seen:
            w(f"typedef {seen[key]} {sname};")
            continue
        seen[key] = sname
        w(f"typedef struct {sname} {{")
        pos, pad = 8, 0
        for f in sorted(op["fields"], key=lambda x: x["offset"]):
            if f["offset"] > pos:
                w(f"    uint8_t reserved{pad}[{f['offset'] - pos}];")
                pad += 1
            w(f"    {ctype(f['type'])} {f['name']}; /* {f['doc']} */")
            pos = f["offset"] + f["size"]
        if pos < desc["size"]:
            w(f"    uint8_t reserved{pad}[{desc['size'] - pos}];")
        w(f"}} {sname};")
    w("")
    w("typedef struct dtq_cmd {")
    w("    uint8_t opcode;     /* DTQ_OP_* */")
    w("    uint8_t flags;      /* DTQ_DESC_FLAG_* */")
    w("    uint16_t reserved0; /* must be 0 */")
    w("    uint32_t tag;       /* free for firmware */")
    w("    union {")
    for op in m["opcodes"]:
        if op["fields"]:
            w(f"        dtq_args_{op['name'].lower()} {op['name'].lower()};")
    w(f"        uint8_t raw[{desc['size'] - 8}];")
    w("    } u;")
    w("} dtq_cmd;")
    w("")
    w("/* Layout checks (C99: a negative array size fails the build). */")
    w("typedef char dtq_cmd_size_check[(sizeof(dtq_cmd) == DTQ_DESC_SIZE) ? 1 : -1];")
    for op in m["opcodes"]:
        for f in op["fields"]:
            n = op["name"]
            w(f"typedef char dtq_check_{n.lower()}_{f['name']}[(offsetof(dtq_cmd, u.{n.lower()}.{f['name']}) == "
              f"DTQ_DESC_{n}_{f['name'].upper()}_OFFSET) ? 1 : -1];")
    w("")
    w("#endif /* DTQ_REGS_H */")
    return "\n".join(o) + "\n"


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def gen_cpp(m):
    o = []
    w = o.append
    w(f"// {HEADER_NOTE}")
    w("// C++ register table, descriptor layout and address map of the DTQAtten controller.")
    w("#pragma once")
    w("#include <cstddef>")
    w("#include <cstdint>")
    w("")
    w("namespace dtq::regs {")
    w("")
    w("enum class access : uint8_t { rw, ro, w1c, wo };")
    w("enum class region_kind : uint8_t { ctrl, local, linebuf, dram, alias };")
    w("")
    w("struct region_info {")
    w("    const char* name;")
    w("    uint64_t base;")
    w("    uint64_t size;  // decode window")
    w("    region_kind kind;")
    w("};")
    w("")
    w("// ---- system address map")
    for r in m["address_map"]:
        w(f"inline constexpr uint64_t {r['name']}_BASE = {r['base']:#x}ull;  // {r['doc']}")
        w(f"inline constexpr uint64_t {r['name']}_SIZE = {r['size']:#x}ull;")
    w("inline constexpr region_info ADDRESS_MAP[] = {")
    for r in m["address_map"]:
        w(f"    {{\"{r['name']}\", {r['name']}_BASE, {r['name']}_SIZE, region_kind::{r['kind']}}},")
    w("};")
    w("")
    d = m["device"]
    w(f"inline constexpr uint32_t DEVICE_ID = {d['id']:#010x};")
    w(f"inline constexpr uint32_t DEVICE_VERSION_MAJOR = {d['version_major']};")
    w(f"inline constexpr uint32_t DEVICE_VERSION_MINOR = {d['version_minor']};")
    w("")
    w("// ---- registers: offsets in the CTRL window, field masks and shifts")
    for r in m["registers"]:
        w(f"inline constexpr uint32_t {r['name']} = {r['offset']:#05x};")
        for f in r["fields"]:
            w(f"inline constexpr uint32_t {r['name']}_{f['name']}_MASK = {field_mask(f):#x};")
            w(f"inline constexpr uint32_t {r['name']}_{f['name']}_SHIFT = {f['lsb']};")
    w("")
    w("struct reg_info {")
    w("    const char* name;")
    w("    uint32_t offset;")
    w("    uint32_t reset;")
    w("    access acc;")
    w("    uint32_t read_mask;   // bits a read returns (others read 0)")
    w("    uint32_t write_mask;  // bits a write stores (rw) or clears (w1c)")
    w("    bool perf;            // performance counter")
    w("    const char* doc;")
    w("};")
    w("inline constexpr reg_info TABLE[] = {")
    for r in m["registers"]:
        w(f"    {{\"{r['name']}\", {r['offset']:#05x}, {r['reset']:#x}, access::{r['access']}, {r['read_mask']:#x}, "
          f"{r['write_mask']:#x}, {'true' if r['perf'] else 'false'}, {cstr(r['doc'])}}},")
    w("};")
    w(f"inline constexpr std::size_t REG_COUNT = {len(m['registers'])};")
    w("")
    w("// ---- interrupt bits")
    for f in next(r for r in m["registers"] if r["name"] == "IRQ_STATUS")["fields"]:
        w(f"inline constexpr uint32_t IRQ_{f['name']} = {field_mask(f):#x};")
    w("")
    w("// ---- error codes")
    w("namespace err {")
    for e in m["errors"]:
        w(f"inline constexpr uint32_t {e['name']} = {e['code']};  // {e['doc']}")
    w("}  // namespace err")
    w("inline const char* error_name(uint32_t code) {")
    w("    switch (code) {")
    for e in m["errors"]:
        w(f"        case err::{e['name']}: return \"{e['name']}\";")
    w("    }")
    w("    return \"UNKNOWN\";")
    w("}")
    w("")
    w("// ---- performance units (order of PERF_*_BUSY)")
    w("enum unit : unsigned {")
    for i, u in enumerate(m["units"]):
        w(f"    UNIT_{u} = {i},")
    w(f"    UNIT_COUNT = {len(m['units'])}")
    w("};")
    w("inline constexpr const char* UNIT_NAMES[] = {" + ", ".join(f'"{u.lower()}"' for u in m["units"]) + "};")
    w("")
    w("// ---- opcodes and descriptors")
    w("namespace op {")
    for op in m["opcodes"]:
        w(f"inline constexpr uint8_t {op['name']} = {op['code']:#04x};")
    w("}  // namespace op")
    desc = m["descriptor"]
    w("namespace desc {")
    w(f"inline constexpr uint32_t SIZE = {desc['size']};")
    for h in desc["header"]:
        w(f"inline constexpr uint32_t {h['name'].upper()} = {h['offset']:#04x};")
    for f in desc["flags"]:
        w(f"inline constexpr uint8_t FLAG_{f['name']} = {1 << f['bit']:#x};")
    for lim in desc["limits"]:
        w(f"inline constexpr uint32_t {lim['name']} = {lim['value']};  // {lim['doc']}")
    for op in m["opcodes"]:
        if op["fields"]:
            w(f"namespace {op['name'].lower()} {{")
            for f in op["fields"]:
                w(f"inline constexpr uint32_t {f['name'].upper()} = {f['offset']:#04x};")
            w(f"}}  // namespace {op['name'].lower()}")
    w("}  // namespace desc")
    w("")
    w("struct desc_field {")
    w("    const char* name;")
    w("    uint32_t offset;")
    w("    uint8_t size;       // bytes")
    w("    bool is_addr;")
    w("    uint32_t regions;   // addr: bit mask of (1 << region_kind) it may lie in")
    w("    uint32_t align;     // addr: required alignment in bytes")
    w("    bool optional;      // addr: 0 means 'absent'")
    w("};")
    w("struct opcode_info {")
    w("    const char* name;")
    w("    uint8_t code;")
    w("    const desc_field* fields;")
    w("    std::size_t field_count;")
    w("    const char* placeholder_cost;  // timing when platform/ registered no handler")
    w("    const char* doc;")
    w("};")
    for op in m["opcodes"]:
        if not op["fields"]:
            continue
        w(f"inline constexpr desc_field {op['name']}_FIELDS[] = {{")
        for f in op["fields"]:
            mask = " | ".join(f"(1u << unsigned(region_kind::{k}))" for k in f.get("regions", [])) or "0"
            w(f"    {{\"{f['name']}\", {f['offset']:#04x}, {f['size']}, {'true' if f['type'] == 'addr' else 'false'}, "
              f"{mask}, {f['align']}, {'true' if f['optional'] else 'false'}}},")
        w("};")
    w("inline constexpr opcode_info OPCODES[] = {")
    for op in m["opcodes"]:
        fl = f"{op['name']}_FIELDS, {len(op['fields'])}" if op["fields"] else "nullptr, 0"
        w(f"    {{\"{op['name']}\", op::{op['name']}, {fl}, {cstr(op['cost'])}, {cstr(op['doc'])}}},")
    w("};")
    w("inline const opcode_info* find_opcode(uint8_t code) {")
    w("    for (const auto& o : OPCODES)")
    w("        if (o.code == code) return &o;")
    w("    return nullptr;")
    w("}")
    w("")
    w("// ---- controller timing (cycles)")
    for t in m["timing"]:
        w(f"inline constexpr uint64_t {t['name']} = {t['value']};  // {t['doc']}")
    w("")
    w("}  // namespace dtq::regs")
    return "\n".join(o) + "\n"


def hexs(v, width=8):
    return f"0x{v:0{width}X}"


def md_escape(s):
    return str(s).replace("|", "\\|")


def gen_md(m):
    o = []
    w = o.append
    d = m["device"]
    w("# DTQAtten register map")
    w("")
    w(f"<!-- {HEADER_NOTE} -->")
    w("")
    w(f"Device ID `{hexs(d['id'])}`, register map version {d['version_major']}.{d['version_minor']}. "
      "Firmware uses the generated header `sw/include/dtq_regs.h` (`DTQ_<REG>` is the bus address of a "
      "register, `DTQ_<REG>_<FIELD>_MASK`/`_SHIFT` its fields); the controller model uses "
      "`models/ctrl/regs_gen.h`. How to program the device: [firmware.md](firmware.md).")
    w("")
    w("## Address map")
    w("")
    w("| region | base | size | description |")
    w("|---|---|---|---|")
    for r in m["address_map"]:
        w(f"| {r['name']} | `{hexs(r['base'], 9)}` | `{hexs(r['size'], 9)}` | {md_escape(r['doc'])} |")
    w("")
    w("## Registers")
    w("")
    w("All registers are 32 bits wide at word-aligned offsets from `CTRL_BASE`, and must be accessed as whole "
      "32-bit words. `rw` read/write, `ro` read-only, `w1c` write 1 to clear, `wo` write-only. "
      "A write to an `ro` register, a read of a `wo` register, an access to an unlisted offset, a misaligned "
      "or non-32-bit access is answered with a TLM error response and latches `ERR_CODE = REG_ACCESS` "
      "(`ERR_ADDR` = the register address, `ERR_CMD_INDEX` = 0xFFFFFFFF) and the error interrupt.")
    w("")
    w("| offset | name | access | reset | description |")
    w("|---|---|---|---|---|")
    for r in m["registers"]:
        w(f"| `{r['offset']:#05x}` | [{r['name']}](#{r['name'].lower()}) | {r['access']} | `{hexs(r['reset'])}` | "
          f"{md_escape(r['doc'])} |")
    w("")
    for r in m["registers"]:
        w(f"### {r['name']}")
        w("")
        w(f"Offset `{r['offset']:#05x}`, {r['access']}, reset `{hexs(r['reset'])}`. {r['doc']}.")
        w("")
        if r["fields"]:
            w("| bits | field | access | description |")
            w("|---|---|---|---|")
            for f in r["fields"]:
                hi = f["lsb"] + f["width"] - 1
                bits = f"{hi}:{f['lsb']}" if f["width"] > 1 else f"{f['lsb']}"
                w(f"| {bits} | {f['name']} | {f.get('access', r['access'])} | {md_escape(f.get('doc', ''))} |")
            w("")
    w("## Error codes")
    w("")
    w("The first error since the last `CTRL.ERR_CLEAR` (or reset) is latched in `ERR_CODE`, `ERR_ADDR_HI:LO` and "
      "`ERR_CMD_INDEX`; `STATUS.ERROR` and `IRQ_STATUS.ERROR` are set and the command queue stops at the failed "
      "command (`CMD_HEAD` = its index). Later errors do not overwrite the latched one.")
    w("")
    w("| code | name | meaning |")
    w("|---|---|---|")
    for e in m["errors"]:
        w(f"| {e['code']} | {e['name']} | {md_escape(e['doc'])} |")
    w("")
    desc = m["descriptor"]
    w("## Command descriptors")
    w("")
    w(f"Commands are {desc['size']}-byte little-endian descriptors in a ring in DRAM (`CMD_BASE`, `CMD_SIZE` "
      "entries). Firmware writes descriptors at `CMD_TAIL`, advances `CMD_TAIL` (modulo `CMD_SIZE`) and writes "
      "`DOORBELL`; the controller executes them in order from `CMD_HEAD`, advancing `CMD_HEAD` after each one. "
      "The ring is full when `(CMD_TAIL + 1) % CMD_SIZE == CMD_HEAD`. Every field is validated before a command "
      "runs: opcode, reserved bytes (must be 0), address alignment, the region each address lies in, "
      "whether the operand fits in that region, shapes against the limits below.")
    w("")
    w("| offset | size | field | description |")
    w("|---|---|---|---|")
    for h in desc["header"]:
        w(f"| `{h['offset']:#04x}` | {h['size']} | {h['name']} | {md_escape(h['doc'])} |")
    w("")
    w("| limit | value | meaning |")
    w("|---|---|---|")
    for lim in desc["limits"]:
        w(f"| {lim['name']} | {lim['value']} | {md_escape(lim['doc'])} |")
    w("")
    w("Precision lists hold one byte per token: 0 = pruned, 4 = 4-bit, 8 = 8-bit; the unit reading a list "
      "reports any other value as UNIT_ERROR (the controller does not read lists).")
    w("")
    w("## Opcodes")
    w("")
    w("| code | opcode | description | placeholder cost (no handler registered) |")
    w("|---|---|---|---|")
    for op in m["opcodes"]:
        w(f"| `{op['code']:#04x}` | [{op['name']}](#{op['name'].lower()}) | {md_escape(op['doc'])} | {op['cost']} |")
    w("")
    for op in m["opcodes"]:
        w(f"### {op['name']}")
        w("")
        w(f"Opcode `{op['code']:#04x}`. {op['doc']}.")
        w("")
        if op["fields"]:
            w("| offset | type | field | regions | align | description |")
            w("|---|---|---|---|---|---|")
            for f in op["fields"]:
                regs = " ".join(f.get("regions", [])) if f["type"] == "addr" else ""
                if f["optional"]:
                    regs += " (0 = absent)"
                al = str(f["align"]) if f["type"] == "addr" else ""
                w(f"| `{f['offset']:#04x}` | {f['type']} | {f['name']} | {regs} | {al} | {md_escape(f['doc'])} |")
            w("")
    w("## Performance units")
    w("")
    w("Handlers report busy cycles per unit; the controller sums them in `PERF_<UNIT>_BUSY`: "
      + ", ".join(m["units"]) + ".")
    w("")
    w("## Controller timing")
    w("")
    w("| constant | cycles | meaning |")
    w("|---|---|---|")
    for t in m["timing"]:
        w(f"| {t['name']} | {t['value']} | {md_escape(t['doc'])} |")
    w("")
    return "\n".join(o)


def generate(m):
    return dict(zip(OUTPUTS, (gen_c(m), gen_cpp(m), gen_md(m))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("map")
    ap.add_argument("--out-dir", help="write the generated files under this directory")
    ap.add_argument("--check", metavar="ROOT", help="diff the generated files against ROOT's")
    a = ap.parse_args()
    if not a.out_dir and not a.check:
        ap.error("give --out-dir and/or --check")
    try:
        files = generate(load(a.map))
    except YamlError as e:
        fail(f"{a.map}: {e}")
    if a.out_dir:
        for rel, text in files.items():
            path = os.path.join(a.out_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            old = None
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    old = f.read()
            if old != text:  # keep timestamps of unchanged files (no needless rebuilds)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
        if not a.check:
            return 0
    stale = 0
    for rel, text in files.items():
        path = os.path.join(a.check, rel)
        try:
            with open(path, encoding="utf-8") as f:
                old = f.read()
        except FileNotFoundError:
            old = ""
        if old != text:
            stale += 1
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                       f"checked-in/{rel}", f"generated/{rel}"))
    if stale:
        print(f"gen_regs.py: {stale} generated file(s) are stale; run `ninja regs_update` and commit them")
        return 1
    print("gen_regs.py: generated files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

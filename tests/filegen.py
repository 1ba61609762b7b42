"""Small fixture files generated in memory, one (or more) per supported type, plus hostile ones.

Every ``make_*`` returns ``bytes``; ``save(directory, name, data)`` writes one to disk. Documents
carry a distinctive phrase (the constants below) so tests can check extraction and search find
it at the right location. Media files are valid enough for content sniffing; the ones marked
"header only" are not decodable (nothing in Ignacio decodes media).

Hostile files: ``make_corrupt_pdf``, ``make_zip_bomb_docx`` (about 1 MB on disk, 1 GiB
inflated, built without materialising the inflated bytes), ``make_elf`` / ``make_exe``
(renamed-executable tests), ``make_encrypted_office`` (a password-protected DOCX/XLSX/PPTX is an
OLE file), and ``make_zip`` (a plain archive, an unlisted type).
"""

from __future__ import annotations

import io
import math
import struct
import wave
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

# Phrases and values the fixtures carry, for extraction/search/citation assertions.
PDF_PHRASE = "The lighthouse cooperative expects 4200 members by March"
PDF_PHRASE_PAGE = 3
DOCX_PHRASE = "Our mentors meet every second Thursday in Valparaiso"
DOCX_TABLE = (("Quarter", "Revenue"), ("Q1", "4000"), ("Q2", "5500"))
PPTX_PHRASE = "Go-to-market: pilot with three rural clinics"
PPTX_PHRASE_SLIDE = 4
PPTX_NOTES = "Mention the clinic waiting list"
XLSX_SHEET = "Budget"
XLSX_CELL = "B7"
XLSX_VALUE = 12500
XLSX_LABEL = "Office rent"
TXT_PHRASE = "Customer interviews showed that farmers prefer weekly deliveries"
RTF_PHRASE = "The seed round closes after the demo day in Bilbao"


def save(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``directory/name`` and return the path."""
    path = Path(directory) / name
    path.write_bytes(data)
    return path


# --- documents --------------------------------------------------------------------------------


def make_pdf(pages: int = 3, phrase_on_page: Mapping[int, str] | None = None) -> bytes:
    """A text PDF: every page says "Page N of the test plan."; ``phrase_on_page`` adds text
    (default: ``PDF_PHRASE`` on page 3)."""
    from fpdf import FPDF

    extra = {PDF_PHRASE_PAGE: PDF_PHRASE} if phrase_on_page is None else dict(phrase_on_page)
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {number} of the test plan.", new_x="LMARGIN", new_y="NEXT")
        if number in extra:
            pdf.multi_cell(0, 6, extra[number], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_corrupt_pdf() -> bytes:
    """A PDF header followed by bytes that are not a PDF (no objects, xref or trailer)."""
    junk = bytes((i * 73 + 41) % 251 for i in range(4096))
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + junk


def make_docx(
    paragraphs: Sequence[str] | None = None,
    table: Sequence[Sequence[str]] | None = DOCX_TABLE,
) -> bytes:
    """A Word document: a heading, ``paragraphs`` (default: three, the 2nd is ``DOCX_PHRASE``)
    and a table after them."""
    import docx

    document = docx.Document()
    document.add_heading("Project plan", level=1)
    for text in paragraphs if paragraphs is not None else (
        "This plan describes the first year.", DOCX_PHRASE, "Funding comes from two grants."
    ):
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    return _saved(document)


def make_pptx(
    slides: int = 4,
    text_on_slide: Mapping[int, str] | None = None,
    notes_on_slide: Mapping[int, str] | None = None,
) -> bytes:
    """A deck of ``slides`` titled "Slide N"; ``text_on_slide`` adds a text box (default:
    ``PPTX_PHRASE`` on slide 4) and ``notes_on_slide`` speaker notes (default: ``PPTX_NOTES``
    on slide 4)."""
    import pptx
    from pptx.util import Inches

    texts = {PPTX_PHRASE_SLIDE: PPTX_PHRASE} if text_on_slide is None else dict(text_on_slide)
    notes = {PPTX_PHRASE_SLIDE: PPTX_NOTES} if notes_on_slide is None else dict(notes_on_slide)
    deck = pptx.Presentation()
    layout = deck.slide_layouts[5]  # "Title Only"
    for number in range(1, slides + 1):
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = f"Slide {number}"
        if number in texts:
            box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(8), Inches(2))
            box.text_frame.text = texts[number]
        if number in notes:
            slide.notes_slide.notes_text_frame.text = notes[number]
    return _saved(deck)


def _default_sheets() -> dict[str, dict[str, object]]:
    return {
        XLSX_SHEET: {
            "A1": "Item", "B1": "Amount (EUR)", "C1": "Notes",
            "A3": "Laptops", "B3": 3200, "C3": "two units",
            "A5": "Travel", "B5": 1800.5,
            XLSX_CELL.replace("B", "A"): XLSX_LABEL, XLSX_CELL: XLSX_VALUE,
            "A9": "Total", "B9": 17500.5,
        },
        "Notes": {"A1": "Budget approved by the program committee"},
    }


def make_xlsx(sheets: Mapping[str, Mapping[str, object]] | None = None) -> bytes:
    """A workbook from ``{sheet: {cell: value}}``; by default a "Budget" sheet with
    ``XLSX_VALUE`` in B7 (labelled in A7) among other rows, and a "Notes" sheet."""
    import openpyxl

    if sheets is None:
        sheets = _default_sheets()
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, cells in sheets.items():
        sheet = workbook.create_sheet(name)
        for ref, value in cells.items():
            sheet[ref] = value
    return _saved(workbook)


def make_txt(text: str = TXT_PHRASE, encoding: str = "utf-8") -> bytes:
    """A text file: a title, ``text`` as the second paragraph, a closing line."""
    return f"Interview notes\n\n{text}.\n\nNext step: a pilot.\n".encode(encoding)


def make_rtf(text: str = RTF_PHRASE) -> bytes:
    """A minimal RTF document with two paragraphs, the second being ``text``."""
    def escape(value: str) -> str:
        out = value.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
        return "".join(ch if ord(ch) < 128 else f"\\u{ord(ch)}?" for ch in out)

    return (
        "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
        f"\\f0\\fs24 Pitch summary\\par\n{escape(text)}.\\par\n}}\n"
    ).encode("ascii")


# --- images -----------------------------------------------------------------------------------


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A valid grey PNG, written by hand (signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))  # filter 0, grey pixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def make_gif() -> bytes:
    """A valid 1x1 transparent GIF."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
        b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def make_jpeg() -> bytes:
    """A JPEG header only: SOI, a JFIF APP0 segment, EOI."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def make_webp() -> bytes:
    """A WEBP header only: a RIFF/WEBP container with an empty VP8L chunk."""
    body = b"WEBP" + b"VP8L" + struct.pack("<I", 0)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- audio and video --------------------------------------------------------------------------


def make_wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    """A valid mono 16-bit WAV of silence (stdlib ``wave``)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def make_mp3(frames: int = 4, id3: bool = True) -> bytes:
    """MPEG-1 layer III frames of silence (128 kbit/s, 44.1 kHz), after an empty ID3v2 tag
    unless ``id3`` is False (then only the frame sync identifies it)."""
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413  # 417 bytes per frame at this rate
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x00" if id3 else b""
    return tag + frame * frames


def make_ogg() -> bytes:
    """One valid Ogg page (correct CRC) carrying an Opus identification header."""
    payload = b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
    header = (b"OggS\x00\x02" + b"\x00" * 8 + struct.pack("<II", 1, 0) + b"\x00\x00\x00\x00"
              + bytes([1, len(payload)]))
    page = header + payload
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def make_m4a() -> bytes:
    """An MP4 audio header only: an ``ftyp`` box with the "M4A " brand, an empty ``mdat``."""
    return _iso_media(b"M4A ")


def make_mp4() -> bytes:
    """An MP4 video header only: an ``ftyp`` box with the "isom" brand, an empty ``mdat``."""
    return _iso_media(b"isom")


def make_mov() -> bytes:
    """A QuickTime header only: an ``ftyp`` box with the "qt  " brand, an empty ``mdat``."""
    return _iso_media(b"qt  ")


def make_avi() -> bytes:
    """An AVI header only: a RIFF/AVI container with an empty ``hdrl`` list."""
    body = b"AVI " + b"LIST" + struct.pack("<I", 4) + b"hdrl"
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- legacy Office (OLE2 compound files) ------------------------------------------------------


def make_ole(streams: Mapping[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors) holding ``streams`` at the
    root. Streams are zero-padded to at least 4096 bytes (whole sectors) so they live in regular
    sectors and no mini stream is needed."""
    sector = 512
    end, free, fat_mark = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the directory's name order
    datas = [streams[n].ljust(max(4096, len(streams[n])), b"\x00") for n in names]
    datas = [d.ljust(math.ceil(len(d) / sector) * sector, b"\x00") for d in datas]
    dir_sectors = math.ceil((len(names) + 1) / 4)
    data_sectors = sum(len(d) // sector for d in datas)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + data_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("streams too large for a header-only DIFAT")

    fat: list[int] = [fat_mark] * fat_sectors
    chain_start = len(fat)
    fat += [*range(chain_start + 1, chain_start + dir_sectors), end]
    starts = []
    for data in datas:
        first, count = len(fat), len(data) // sector
        starts.append(first)
        fat += [*range(first + 1, first + count), end]
    fat += [free] * (fat_sectors * 128 - len(fat))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIII", encoded, len(encoded), kind, 1 if name else 0, free, right,
            child,
            b"\x00" * 16, 0, 0, 0, start, size, 0,
        )

    directory = entry("Root Entry", 5, free, 1 if names else free, end, 0)
    for i, (name, start, data) in enumerate(zip(names, starts, datas, strict=True), start=1):
        right = i + 1 if i < len(names) else free  # a right-leaning chain, sorted: a valid tree
        directory += entry(name, 2, right, free, start, len(data))
    for _ in range(dir_sectors * 4 - len(names) - 1):  # unused entries: empty, no links
        directory += entry("", 0, free, free, 0, 0)

    difat = list(range(fat_sectors)) + [free] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x00" * 16,
        0x3E, 3, 0xFFFE, 9, 6, b"\x00" * 6, 0, fat_sectors, chain_start, 0, 4096, end, 0,
        end, 0,
    ) + struct.pack("<109I", *difat)
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + b"".join(datas)


def make_doc() -> bytes:
    """A Word 97-2003 file as far as sniffing goes: an OLE file with a WordDocument stream."""
    return make_ole({"WordDocument": b"\xec\xa5" + b"\x00" * 510, "1Table": b"\x00" * 512})


def make_ppt() -> bytes:
    """A PowerPoint 97-2003 file as far as sniffing goes ("PowerPoint Document" stream)."""
    return make_ole({"PowerPoint Document": b"\x00" * 512, "Current User": b"\x00" * 64})


def make_xls(sheets: Mapping[str, Mapping[str, str | float]] | None = None) -> bytes:
    """An Excel 97-2003 workbook (BIFF8 records in an OLE file), written by hand: text and
    number cells only, one cell format. Same default content as ``make_xlsx``."""
    def record(kind: int, data: bytes) -> bytes:
        return struct.pack("<HH", kind, len(data)) + data

    def bof(substream: int) -> bytes:
        return record(0x0809, struct.pack("<HHHHII", 0x0600, substream, 0x0DBB, 0x07CC, 0, 6))

    sheets = _default_sheets() if sheets is None else sheets  # type: ignore[assignment]
    bodies = []
    for cells in sheets.values():
        body = bof(0x0010)  # worksheet
        for ref, value in sorted(cells.items(), key=lambda item: _cell_index(item[0])):
            row, col = _cell_index(ref)
            if isinstance(value, str):
                text = value.encode("latin-1")
                body += record(0x0204, struct.pack("<HHHHB", row, col, 0, len(text), 0) + text)
            else:
                body += record(0x0203, struct.pack("<HHHd", row, col, 0, float(value)))
        bodies.append(body + record(0x000A, b""))

    def workbook_globals(offsets: list[int]) -> bytes:
        out = bof(0x0005) + record(0x0042, struct.pack("<H", 1200))  # codepage: UTF-16
        out += record(0x00E0, struct.pack("<HHHBBBBIiH", 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0x20C0))
        for name, offset in zip(sheets, offsets, strict=True):
            encoded = name.encode("latin-1")
            out += record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(encoded), 0) + encoded)
        return out + record(0x000A, b"")

    at = len(workbook_globals([0] * len(bodies)))
    offsets = []
    for body in bodies:
        offsets.append(at)
        at += len(body)
    return make_ole({"Workbook": workbook_globals(offsets) + b"".join(bodies)})


def make_encrypted_office() -> bytes:
    """A password-protected DOCX/XLSX/PPTX: an OLE file with EncryptionInfo/EncryptedPackage."""
    return make_ole({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 60,
                     "EncryptedPackage": b"\x00" * 1024})


# --- hostile and unlisted ---------------------------------------------------------------------


def make_elf() -> bytes:
    """The start of a 64-bit Linux executable (ELF header and padding)."""
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1)
    return header.ljust(4096, b"\x00")


def make_exe() -> bytes:
    """The start of a Windows executable: DOS 'MZ' header pointing at a 'PE' signature."""
    dos = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 60)
    struct.pack_into("<I", dos, 0x3C, 0x80)
    stub = bytes(dos).ljust(0x80, b"\x00")
    return (stub + b"PE\x00\x00" + struct.pack("<HH", 0x8664, 1)).ljust(4096, b"\x00")


def make_zip() -> bytes:
    """A plain ZIP archive with one text file (not an Office document)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "just an archive\n")
    return buffer.getvalue()


@lru_cache(maxsize=4)
def make_zip_bomb_docx(inflated_bytes: int = 1 << 30, declared_bytes: int | None = None) -> bytes:
    """A "DOCX" whose word/document.xml inflates to ``inflated_bytes`` of spaces (~1 MB on disk
    for 1 GiB, a ratio of ~1000:1). ``declared_bytes`` makes the zip directory lie about the
    size (a bomb that hopes to slip past size checks); by default the sizes are honest.

    Built without materialising the inflated data: one MiB of input is deflated once with a
    full flush, which makes a self-contained block sequence that can simply be repeated.
    """
    block_in = b" " * (1 << 20)
    if inflated_bytes % len(block_in):
        raise ValueError("inflated_bytes must be a multiple of 1 MiB")
    repeats = inflated_bytes // len(block_in)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(block_in) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    data = block * repeats + tail
    crc = 0
    if declared_bytes is None:
        for _ in range(repeats):
            crc = zlib.crc32(block_in, crc)
    size = inflated_bytes if declared_bytes is None else declared_bytes

    content_types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="'
        b'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        b'relationships+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
        b'formats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"'
        b"/></Relationships>"
    )
    members = [
        ("[Content_Types].xml", 0, content_types, zlib.crc32(content_types), len(content_types)),
        ("_rels/.rels", 0, rels, zlib.crc32(rels), len(rels)),
        ("word/document.xml", 8, data, crc, size),
    ]
    out = io.BytesIO()
    central = b""
    for name, method, payload, member_crc, member_size in members:
        offset = out.tell()
        encoded = name.encode()
        fields = (20, 0, method, 0, 0x21, member_crc, len(payload), member_size, len(encoded), 0)
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + encoded + payload)
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, *fields[:-1], 0, 0, 0, 0, 0, offset
        ) + encoded
    cd_offset = out.tell()
    out.write(central)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                          len(central), cd_offset, 0))
    return out.getvalue()


# --- helpers ----------------------------------------------------------------------------------


def _cell_index(ref: str) -> tuple[int, int]:
    """'B7' -> (6, 1): zero-based row and column."""
    letters = ref.rstrip("0123456789")
    col = 0
    for letter in letters.upper():
        col = col * 26 + ord(letter) - 64
    return int(ref[len(letters):]) - 1, col - 1


def _saved(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def _iso_media(brand: bytes) -> bytes:
    ftyp = brand + struct.pack(">I", 0) + brand + b"isom"
    return struct.pack(">I", 8 + len(ftyp)) + b"ftyp" + ftyp + struct.pack(">I", 8) + b"mdat"


def _ogg_crc(data: bytes) -> int:
    """CRC-32 as Ogg defines it (polynomial 0x04C11DB7, no reflection, no final xor)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc

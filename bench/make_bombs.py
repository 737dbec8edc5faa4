"""Writes hostile export PDFs whose streams inflate far beyond Trailproof's decode limits
(issue #21): the peak memory of reading them is what bench/bombs.sh measures.

  payload-bomb.pdf   the embedded audit-export.json is 1 GiB of zeros deflated (~1 MiB)
  content-bomb.pdf   page 1's content stream is 1 GiB of spaces deflated (~1 MiB)

Run: python3 bench/make_bombs.py OUT_DIR   (stdlib only)
"""
import os
import sys
import zlib

GIB = 1 << 30


def deflated(byte, size):
    z = zlib.compressobj(9)
    chunk = byte * (1 << 24)
    out = []
    for _ in range(size // len(chunk)):
        out.append(z.compress(chunk))
    out.append(z.flush())
    return b"".join(out)


def pdf(objects):
    """A classic-xref PDF of `objects` (bytes bodies, numbered from 1; 1 is the catalog)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data, extra=b""):
    return b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    small_content = zlib.compress(b"BT /F1 10 Tf 30 800 Td (Tenant: acme) Tj ET")
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    # 1 catalog, 2 pages, 3 page, 4 content, 5 font, 6 names tree, 7 filespec, 8 embedded file
    def objects(content, payload):
        return [
            b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 6 0 R >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream(content),
            font,
            b"<< /Names [(audit-export.json) 7 0 R] >>",
            b"<< /Type /Filespec /F (audit-export.json) /UF (audit-export.json) /EF << /F 8 0 R >> >>",
            stream(payload, b"/Type /EmbeddedFile "),
        ]
    payload = zlib.compress(b'{"format": "audit-export/1", "records": []}')
    with open(os.path.join(out, "payload-bomb.pdf"), "wb") as f:
        f.write(pdf(objects(small_content, deflated(b"\0", GIB))))
    with open(os.path.join(out, "content-bomb.pdf"), "wb") as f:
        f.write(pdf(objects(deflated(b" ", GIB), payload)))


if __name__ == "__main__":
    main()

"""A tiny vector canvas: charts are lists of shapes, written as SVG text or drawn as PNG with Pillow.

The report's charts (bars, lines, bands, a grid of coloured cells, text) need a handful of shapes,
so they are described once on a :class:`Canvas` and written in the format each output needs: SVG
for the HTML report and the chart files (a string template per shape: milliseconds, not the
fraction of a second a plotting library spends per chart), PNG only on request (slides), drawn
with Pillow from the same shapes. Output is deterministic: same shapes, same bytes. Text is
escaped for XML, so a place name such as ``<script>`` is only characters.

Example:
    >>> c = Canvas(120, 40)
    >>> c.rect(0, 0, 60, 20, fill="#1f77b4")
    >>> c.text(62, 15, "A & B", size=11)
    >>> c.svg()[:4]
    b'<svg'
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from ..i18n import LRM

__all__ = ["Canvas", "text_width", "wrap", "FONT_FAMILY"]

FONT_FAMILY = "DejaVu Sans, Segoe UI, Arial, Noto Sans Arabic, sans-serif"
"""Fonts named in the SVG (the browser picks the first it has)."""

_AVG_ADVANCE = 0.57
"""Average advance width of a character, in ems (DejaVu Sans, mixed-case text)."""


def text_width(text: str, size: float) -> float:
    """Approximate width in pixels of ``text`` at font ``size`` (for layout, not for clipping)."""
    return len(str(text)) * size * _AVG_ADVANCE


def wrap(text: str, width: float, size: float, max_lines: int = 3) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide; an over-long last line ends in '…'."""
    limit = max(int(width / (size * _AVG_ADVANCE)), 4)
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = lines[: max_lines - 1] + [rest[: limit - 1].rstrip() + "…"]
    return [line if len(line) <= limit else line[: limit - 1] + "…" for line in lines] or [""]


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass
class Canvas:
    """Shapes on a ``width`` x ``height`` pixel area (origin top left); ``rtl`` sets the text direction
    (each text stays where it is placed: its anchor is mirrored in the SVG)."""

    width: float
    height: float
    title: str = ""
    rtl: bool = False
    shapes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str, opacity: float = 1.0) -> None:
        self.shapes.append(("rect", dict(x=x, y=y, w=max(w, 0.0), h=max(h, 0.0), fill=fill, opacity=opacity)))

    def line(self, x1: float, y1: float, x2: float, y2: float, *, stroke: str = "#000000",
             width: float = 1.0, dash: bool = False) -> None:  # fmt: skip
        self.shapes.append(("line", dict(x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, width=width, dash=dash)))

    def polyline(self, points: list[tuple[float, float]], *, stroke: str, width: float = 1.5,
                 dash: bool = False) -> None:  # fmt: skip
        if len(points) >= 2:
            self.shapes.append(("polyline", dict(points=points, stroke=stroke, width=width, dash=dash)))

    def polygon(self, points: list[tuple[float, float]], *, fill: str, opacity: float = 1.0) -> None:
        if len(points) >= 3:
            self.shapes.append(("polygon", dict(points=points, fill=fill, opacity=opacity)))

    def circle(self, cx: float, cy: float, r: float, *, fill: str) -> None:
        self.shapes.append(("circle", dict(cx=cx, cy=cy, r=r, fill=fill)))

    def text(self, x: float, y: float, text: str, *, size: float = 11, anchor: str = "start",
             fill: str = "#222222", bold: bool = False, rotate: float = 0.0) -> None:  # fmt: skip
        """Text with its baseline at ``y``; ``anchor`` start/middle/end; ``rotate`` degrees about (x, y)."""
        self.shapes.append(("text", dict(x=x, y=y, text=str(text), size=size, anchor=anchor, fill=fill,
                                         bold=bold, rotate=rotate)))  # fmt: skip

    # ------------------------------------------------------------------------------------------ SVG

    def svg(self) -> bytes:
        """The canvas as a standalone SVG document (UTF-8)."""
        w, h = _num(self.width), _num(self.height)
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
                f'font-family="{FONT_FAMILY}"' + (' direction="rtl"' if self.rtl else "") + ' role="img">')  # fmt: skip
        parts = [head]
        if self.title:
            parts.append(f"<title>{escape(self.title)}</title>")
        parts.append(f'<rect width="{w}" height="{h}" fill="#ffffff"/>')
        parts += [_SVG[kind](**(_mirrored_anchor(args) if self.rtl and kind == "text" else args))
                  for kind, args in self.shapes]
        parts.append("</svg>\n")
        return "".join(parts).encode("utf-8")

    # ------------------------------------------------------------------------------------------ PNG

    def png(self, scale: float = 2.0) -> bytes:
        """The canvas drawn with Pillow at ``scale`` pixels per unit (deterministic PNG bytes)."""
        from PIL import Image, ImageDraw

        img = Image.new("RGB", (round(self.width * scale), round(self.height * scale)), "#ffffff")
        draw = ImageDraw.Draw(img)
        for kind, args in self.shapes:
            _PNG[kind](img, draw, scale, **args)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=False)
        return buf.getvalue()


def _dash(dash: bool) -> str:
    return ' stroke-dasharray="4 3"' if dash else ""


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def _opacity(opacity: float, attr: str = "fill-opacity") -> str:
    return f' {attr}="{opacity:.2f}"' if opacity < 1 else ""


_ANCHOR_SVG = {"start": "start", "middle": "middle", "end": "end"}


def _mirrored_anchor(args: dict[str, Any]) -> dict[str, Any]:
    """A text's anchor for an SVG whose text runs right to left (``direction="rtl"``): there ``start`` is
    the text's right end, so start and end swap to keep the text where the chart placed it. A text in a
    left-to-right script is held together (:func:`_ltr_held`)."""
    swap = {"start": "end", "end": "start", "middle": "middle"}
    return {**args, "anchor": swap[args["anchor"]], "text": _ltr_held(args["text"])}


def _ltr_held(text: str) -> str:
    """A text whose first letter is of a left-to-right script (a label in English, a place name), between two
    left-to-right marks, for a right-to-left chart: its punctuation at either end then stays where it is
    written. Without them, in a right-to-left line, a closing bracket or question mark at the end (a wrapped
    label's last line: ``computation)``) is drawn at the start, turned: ``(computation``."""
    first = next((d for d in map(unicodedata.bidirectional, text) if d in ("L", "R", "AL")), "")
    return f"{LRM}{text}{LRM}" if first == "L" else text

_SVG = {
    "rect": lambda x, y, w, h, fill, opacity: (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" fill="{fill}"{_opacity(opacity)}/>'
    ),
    "line": lambda x1, y1, x2, y2, stroke, width, dash: (
        f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" stroke="{stroke}" '
        f'stroke-width="{width}"{_dash(dash)}/>'
    ),
    "polyline": lambda points, stroke, width, dash: (
        f'<polyline points="{_points(points)}" fill="none" stroke="{stroke}" stroke-width="{width}" '
        f'stroke-linejoin="round"{_dash(dash)}/>'
    ),
    "polygon": lambda points, fill, opacity: f'<polygon points="{_points(points)}" fill="{fill}"{_opacity(opacity)}/>',
    "circle": lambda cx, cy, r, fill: f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" fill="{fill}"/>',
    "text": lambda x, y, text, size, anchor, fill, bold, rotate: (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{_ANCHOR_SVG[anchor]}" '
        f'fill="{fill}"' + (' font-weight="bold"' if bold else "")
        + (f' transform="rotate({_num(rotate)} {_num(x)} {_num(y)})"' if rotate else "")
        + f">{escape(text)}</text>"
    ),
}


# ---------------------------------------------------------------------------------------------- PNG


def _rgb(colour: str, opacity: float = 1.0) -> tuple[int, int, int]:
    """``#rrggbb`` blended onto white by ``opacity`` (charts have a white background)."""
    c = colour.lstrip("#")
    r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    return tuple(round(255 - (255 - v) * opacity) for v in (r, g, b))  # type: ignore[return-value]


@lru_cache(maxsize=32)
def _font(size: int, bold: bool) -> Any:
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        try:
            import matplotlib

            return ImageFont.truetype(f"{matplotlib.get_data_path()}/fonts/ttf/{name}", size)
        except (ImportError, OSError):
            return ImageFont.load_default(size)


def _png_text(img: Any, draw: Any, s: float, x, y, text, size, anchor, fill, bold, rotate) -> None:
    from PIL import Image, ImageDraw

    font = _font(max(round(size * s), 6), bold)
    code = {"start": "ls", "middle": "ms", "end": "rs"}[anchor]
    if not rotate:
        draw.text((x * s, y * s), text, font=font, fill=_rgb(fill), anchor=code)
        return
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    tile = Image.new("L", (int(right - left) + 4, int(bottom - top) + 4), 0)
    ImageDraw.Draw(tile).text((2 - left, 2 - top), text, font=font, fill=255, anchor="ls")
    turned = tile.rotate(-rotate, expand=True, resample=Image.BICUBIC)
    # turned counter-clockwise: the start of the baseline is at the bottom left of the tile
    img.paste(Image.new("RGB", turned.size, _rgb(fill)), (round(x * s), round(y * s - turned.height)), turned)


_PNG = {
    "rect": lambda img, d, s, x, y, w, h, fill, opacity: d.rectangle(
        [x * s, y * s, (x + w) * s - 1, (y + h) * s - 1], fill=_rgb(fill, opacity)
    ),
    "line": lambda img, d, s, x1, y1, x2, y2, stroke, width, dash: d.line(
        [x1 * s, y1 * s, x2 * s, y2 * s], fill=_rgb(stroke), width=max(round(width * s), 1)
    ),
    "polyline": lambda img, d, s, points, stroke, width, dash: d.line(
        [(x * s, y * s) for x, y in points], fill=_rgb(stroke), width=max(round(width * s), 1), joint="curve"
    ),
    "polygon": lambda img, d, s, points, fill, opacity: d.polygon(
        [(x * s, y * s) for x, y in points], fill=_rgb(fill, opacity)
    ),
    "circle": lambda img, d, s, cx, cy, r, fill: d.ellipse(
        [(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s], fill=_rgb(fill)
    ),
    "text": _png_text,
}


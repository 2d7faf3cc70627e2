#!/usr/bin/env python3
"""Render a terminal capture with ANSI colours (`tmux capture-pane -p -e`) as an SVG.

    python3 scripts/ansi2svg.py capture.ansi > capture.svg
"""
import html
import re
import sys

PALETTE = ["#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
           "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]


def xterm256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        c = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (c[n // 36], c[(n // 6) % 6], c[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def main():
    text = open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")
    cw, lh = 8.4, 17
    width = int(max(len(re.sub(r"\x1b\[[0-9;]*m", "", l)) for l in text) * cw + 20)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{len(text) * lh + 20}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">',
           f'<rect width="100%" height="100%" fill="{PALETTE[0]}"/>']
    for y, line in enumerate(text):
        fg, bg, bold, x = PALETTE[7], None, False, 0
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            m = re.match(r"\x1b\[([0-9;]*)m", part)
            if m:
                codes = [int(c) for c in m.group(1).split(";") if c != ""] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold = PALETTE[7], None, False
                    elif c == 1:
                        bold = True
                    elif 30 <= c <= 37:
                        fg = PALETTE[c - 30]
                    elif 90 <= c <= 97:
                        fg = PALETTE[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = PALETTE[c - 40]
                    elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                        col = xterm256(codes[i + 2])
                        if c == 38:
                            fg = col
                        else:
                            bg = col
                        i += 2
                    elif c == 39:
                        fg = PALETTE[7]
                    elif c == 49:
                        bg = None
                    i += 1
                continue
            if not part:
                continue
            px, py = 10 + x * cw, 10 + y * lh
            if bg:
                out.append(f'<rect x="{px:.1f}" y="{py}" width="{len(part) * cw:.1f}" height="{lh}" fill="{bg}"/>')
            weight = ' font-weight="bold"' if bold else ""
            out.append(f'<text x="{px:.1f}" y="{py + 13}" fill="{fg}"{weight} xml:space="preserve">'
                       f'{html.escape(part)}</text>')
            x += len(part)
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes Pillow's own Image.alpha_composite results for random pixel pairs: the
fixture the Pillow style's integer compositing is tested against."""
import json
import random
import sys

from PIL import Image

random.seed(6)
n = 2000
dst = [tuple(random.randrange(256) for _ in range(4)) for _ in range(n)]
src = [tuple(random.randrange(256) for _ in range(4)) for _ in range(n)]
# Include the cases the overlay produces: opaque frame under 0, 170 and 255 alpha.
for a in (0, 170, 255):
    dst.append((12, 200, 99, 255))
    src.append((255, 255, 255, a))
a, b = Image.new("RGBA", (len(dst), 1)), Image.new("RGBA", (len(src), 1))
a.putdata(dst)
b.putdata(src)
out = list(Image.alpha_composite(a, b).getdata())
json.dump({"pillow": Image.__version__, "dst": dst, "src": src, "out": out}, sys.stdout)

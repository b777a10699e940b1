"""``convcli demo``: the classic worked example as pages, one screen each. Pure.

Page 1 shows the 5x5 input, the 3x3 kernel, padding 'valid' and the result;
then the kernel as given and as applied; then one page per output cell; then
what is computed (element-wise products, the sum over depth, the flip).
"""

from __future__ import annotations

import numpy as np

from . import engine
from . import trace as tr
from .trace_blocks import Grids, Heading, Paragraph, trace_sections

CLASSIC_INPUT = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
CLASSIC_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def demo_pages() -> list[list]:
    """The demo's pages, each a list of trace blocks (see ``trace_text``)."""
    from .compare import compare

    x, kernel = np.array(CLASSIC_INPUT), np.array(CLASSIC_KERNEL)
    result = engine.conv2d(x, kernel)
    intro = [
        Heading("The classic example: a 5x5 input convolved with a 3x3 kernel, padding 'valid'"),
        Grids((tr.matrix_grid(x, "input (5x5)"), tr.matrix_grid(kernel, "kernel (3x3)"))),
        Paragraph("Padding 'valid' adds no padding: the 3x3 kernel fits in 3x3 places, so the output is 3x3."),
        Grids((tr.matrix_grid(result, "result: conv2d(input, kernel, padding='valid')"),)),
        Paragraph("The next pages work it out: the kernel's flip, then one output cell per page, then what the "
                  "operation is (element-wise products, not a matrix product)."),
    ]
    sections = trace_sections(tr.trace_conv("conv2d", x, kernel))
    answer = [Heading("What is computed")] + list(compare(x, kernel).answer)
    answer.append(Paragraph("Try: convcli compare INPUT KERNEL, or any operation with --trace "
                            "(--at ROW,COL for one cell, --trace-format markdown or latex for notes)."))
    return [intro] + sections + [answer]

"""--emit-code numpy (the other libraries are in emit.py and emit_frameworks.py).

Pure: returns program text, with the recipe of emit.py. A single row becomes
``np.convolve`` or ``np.correlate`` (whose own 'same' alignment differs from
scipy's, which a comment points out); anything else is a sliding-window
view summed with ``np.einsum``, or X_col and W_row for im2col-matmul.
"""

from __future__ import annotations

from .conventions import BOUNDARY_TRANSLATION, numpy_pads
from .emit import Problem, bias_lines, np_input_lines, np_pad_lines, py_array, py_number


def _numpy_row(p: Problem) -> bool:
    return p.two_d and p.x.shape[0] == 1 and p.kernel2d.shape[0] == 1 and p.pads[:2] == (0, 0)


def numpy_program(p: Problem) -> str:
    """The numpy program: np.convolve/np.correlate for one row, else sliding windows and einsum (or im2col)."""
    if _numpy_row(p):
        return _numpy_1d(p)
    lines = ["import numpy as np", "from numpy.lib.stride_tricks import sliding_window_view", ""] + np_input_lines(p)
    single = p.two_d or p.depthwise
    lines += np_pad_lines(p)
    name = "kernel" if single else "weight"
    if p.flip:
        lines.append(f"{name} = {name}[..., ::-1, ::-1]  # convolution flips the kernel in both axes")
    eh, ew = p.reach
    taps = "" if p.dilation == (1, 1) else f", ::{p.dilation[0]}, ::{p.dilation[1]}"
    strides = f"::{p.stride[0]}, ::{p.stride[1]}"
    if p.two_d:
        view = f"sliding_window_view(padded, ({eh}, {ew}))"
        index = "" if p.stride == (1, 1) and not taps else f"[{strides}{taps}]"
        shape_note = "(H', W', kh, kw)"
    else:
        view = f"sliding_window_view(padded, ({eh}, {ew}), axis=(1, 2))"
        index = "" if p.stride == (1, 1) and not taps else f"[:, {strides}{taps}]"
        shape_note = "(C, H', W', kh, kw)"
    dilation_note = "" if not taps else f", every {p.dilation[0]},{p.dilation[1]}-th tap of a {eh}x{ew} window"
    lines.append(f"windows = {view}{index}  # {shape_note}: the window under each output cell{dilation_note}")
    im2col = p.operation == "im2col_matmul" and p.plan.groups == 1 and not p.depthwise
    if im2col:
        lines += _numpy_im2col(p)
    elif p.two_d:
        lines.append('result = np.einsum("ijkl,kl->ij", windows, kernel)  # sum of element-wise products')
    elif p.depthwise:
        lines.append('result = np.einsum("chwij,ij->chw", windows, kernel)  # the same kernel on every channel')
    elif p.plan.groups == 1:
        lines.append('result = np.einsum("chwij,kcij->khw", windows, weight)  # sum over channels and taps')
    else:
        groups = p.plan.groups
        lines += [
            f"# groups={groups}: filter k reads only the input channels of its group",
            f"windows = windows.reshape({groups}, -1, *windows.shape[1:])",
            f"weight = weight.reshape({groups}, -1, *weight.shape[1:])",
            'result = np.einsum("gchwij,gkcij->gkhw", windows, weight).reshape(-1, *windows.shape[2:4])',
        ]
    if p.bias is not None:
        lines.append("result = result + bias" + ("" if p.two_d else "[:, None, None]"))
    lines.append("print(result.tolist())")
    return "\n".join(lines)


def _numpy_im2col(p: Problem) -> list[str]:
    out_h, out_w = p.plan.output_hw
    if p.two_d:
        return [
            f"x_col = windows.reshape({out_h * out_w}, -1).T  # (kh*kw, H'*W'): one column per receptive field",
            "w_row = kernel.reshape(1, -1)",
            f"result = (w_row @ x_col).reshape({out_h}, {out_w})",
        ]
    return [
        f"x_col = windows.transpose(0, 3, 4, 1, 2).reshape(-1, {out_h * out_w})  # (C*kh*kw, H'*W')",
        "w_row = weight.reshape(len(weight), -1)  # (K, C*kh*kw)",
        f"result = (w_row @ x_col).reshape(-1, {out_h}, {out_w})",
    ]


def _numpy_1d(p: Problem) -> str:
    dtype = "np.float32" if p.float32 else None
    lines = ["import numpy as np", "",
             py_array("x", p.x[0], "np.array", dtype), py_array("kernel", p.kernel2d[0], "np.array", dtype)]
    lines += bias_lines(p, "np.array", dtype) + [""]
    if p.dilation[1] > 1:
        d = p.dilation[1]
        lines += [f"# dilation {d}: spread the taps out with zeros between them",
                  f"dilated = np.zeros({p.reach[1]}, dtype=kernel.dtype)", f"dilated[::{d}] = kernel",
                  "kernel = dilated"]
    if p.padded:
        mode = BOUNDARY_TRANSLATION[p.boundary]["numpy"]
        extra = f", constant_values={py_number(p.fill)}" if mode == "constant" else ""
        lines += [p.pads_comment("#"), f'padded = np.pad(x, ({p.pads[2]}, {p.pads[3]}), mode="{mode}"{extra})']
    else:
        lines.append("padded = x")
    step = "" if p.stride[1] == 1 else f"[::{p.stride[1]}]"
    if p.flip:
        lines.append(f'result = np.convolve(padded, kernel, mode="valid"){step}'
                     "  # np.convolve flips the kernel; np.correlate would not")
    else:
        lines.append(f'result = np.correlate(padded, kernel, mode="valid"){step}  # no flip')
    if p.bias is not None:
        lines.append("result = result + bias")
    if (p.word and p.boundary == "fill" and p.fill == 0 and p.stride == (1, 1) and p.dilation == (1, 1)
            and p.operation != "im2col_matmul"):
        own = numpy_pads(p.word, p.flip, p.x.shape[1], p.kernel2d.shape[1])
        function = "np.convolve" if p.flip else "np.correlate"
        if own == tuple(p.pads[2:]):
            lines.append(f'# the same as {function}(x, kernel, mode="{p.word}"){p.plus_bias}')
        else:
            lines.append(f"# numpy's own {function} mode={p.word!r} would pad {own[0]} before, {own[1]} after; "
                         "add --like numpy for that")
    lines.append("print(result.tolist())")
    return "\n".join(lines)

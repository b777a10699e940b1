"""--emit-code for torch, TensorFlow and MATLAB (scipy is in emit.py, numpy in emit_numpy.py).

Pure: returns program text. The same recipe as emit.py: inputs embedded,
explicit padding, explicit flips, then the library's valid correlation.
torch and TensorFlow compute in float64 (their CPU kernels' widest type), so
integer problems whose sums could pass 2**53 are refused rather than rounded.
"""

from __future__ import annotations

import math

import numpy as np

from .conventions import axis_pads, check_pad_limits, check_tf_atrous, resolve_pads
from .emit import Problem, exact_in_float64, own_mode_note, py_array, py_nested, py_number
from .errors import UsageError

# ---------------------------------------------------------------- torch

TORCH_MODES = {"fill": "constant", "wrap": "circular", "reflect": "reflect", "replicate": "replicate"}


def _torch(p: Problem) -> str:
    if p.padded and p.boundary not in TORCH_MODES:
        raise UsageError("--emit-code torch: torch has no 'symmetric' padding (F.pad modes: constant, reflect, "
                         "replicate, circular)")
    check_pad_limits("torch", p.boundary, p.pads, p.plan.x.shape[1:], "--emit-code torch")
    exact_in_float64(p, "torch")
    dtype = "torch.float32" if p.float32 else "torch.float64"
    lines = ["import torch", "import torch.nn.functional as F", ""]
    groups = p.plan.groups
    if p.two_d:
        lines += [py_array("x", p.x, "torch.tensor", dtype), py_array("kernel", p.kernel2d, "torch.tensor", dtype),
                  "x, weight = x[None, None], kernel[None, None]  # (batch, channels, H, W) and (K, C, kh, kw)"]
    elif p.depthwise:
        lines += [py_array("x", p.x, "torch.tensor", dtype, "(C, H, W)"),
                  py_array("kernel", p.kernel2d, "torch.tensor", dtype),
                  f"x, weight = x[None], kernel.expand({p.plan.x.shape[0]}, 1, *kernel.shape)"
                  "  # the same kernel on each channel: groups=C"]
    else:
        lines += [py_array("x", p.x, "torch.tensor", dtype, "(C, H, W)"),
                  py_array("weight", p.weight, "torch.tensor", dtype, "(K, C/groups, kh, kw)"),
                  "x = x[None]  # a batch of one"]
    if p.bias is not None:
        values = p.bias.tolist()
        lines.append(f"bias = torch.tensor({py_nested(values)}, dtype={dtype})")
    lines.append("")
    if p.flip:
        lines.append("weight = torch.flip(weight, dims=(-2, -1))  # F.conv2d correlates; convolution flips the kernel")
    if p.padded:
        top, bottom, left, right = p.pads
        mode = TORCH_MODES[p.boundary]
        value = f", value={py_number(float(p.fill))}" if mode == "constant" else ""
        lines += [p.pads_comment("#"), f'padded = F.pad(x, ({left}, {right}, {top}, {bottom}), mode="{mode}"{value})'
                  "  # (left, right, top, bottom)"]
    else:
        lines.append("padded = x")
    bias = "bias" if p.bias is not None else "None"
    index = "[0, 0]" if p.two_d else "[0]"
    if p.operation == "im2col_matmul" and groups == 1 and not p.depthwise:
        out_h, out_w = p.plan.output_hw
        kh, kw = p.plan.weight.shape[2:]
        lines += [
            f"x_col = F.unfold(padded, kernel_size=({kh}, {kw}), dilation={p.dilation}, stride={p.stride})[0]"
            "  # (C*kh*kw, H'*W')",
            "w_row = weight.reshape(len(weight), -1)  # (K, C*kh*kw)",
            f"result = (w_row @ x_col).reshape(-1, {out_h}, {out_w})",
        ]
        if p.bias is not None:
            lines.append("result = result + bias[:, None, None]")
        if p.two_d:
            lines.append("result = result[0]")
    else:
        group_text = f", groups={p.plan.x.shape[0] if p.depthwise else groups}" if (p.depthwise or groups > 1) else ""
        lines.append(f"result = F.conv2d(padded, weight, {bias}, stride={p.stride}, dilation={p.dilation}"
                     f"{group_text}){index}")
    lines += _torch_note(p)
    lines.append("print(result.to(torch.int64).tolist())" if p.integer else "print(result.tolist())")
    return "\n".join(lines)


def _torch_note(p: Problem) -> list[str]:
    if p.operation == "im2col_matmul":
        return []
    if not p.padded:
        return []
    top, bottom, left, right = p.pads
    if p.boundary == "fill" and p.fill == 0:
        if p.word == "same" and p.stride == (1, 1):
            own = resolve_pads("torch", p.operation, "same", p.plan.x.shape[1:], p.plan.weight.shape[2:],
                               p.stride, p.dilation)
            if own == tuple(p.pads):
                return ['# the same as F.conv2d(x, weight, padding="same", ...) on the unpadded x']
        if top == bottom and left == right:
            return [f"# the same as F.conv2d(x, weight, padding=({top}, {left}), ...) on the unpadded x"]
    return own_mode_note(p, "torch", "") if p.word == "same" and p.stride == (1, 1) else []


# ---------------------------------------------------------------- tf

TF_MODES = {"fill": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}


def _tf(p: Problem) -> str:
    if p.padded and p.boundary not in TF_MODES:
        raise UsageError(f"--emit-code tf: tf.pad has no {p.boundary!r} mode (its modes: CONSTANT, REFLECT, SYMMETRIC)")
    if p.plan.groups > 1 and not p.depthwise:
        raise UsageError(f"--emit-code tf: grouped convolution (groups={p.plan.groups}) is not emitted for tf; "
                         "use --emit-code torch")
    check_tf_atrous("tf", p.stride, p.dilation, option="--emit-code")
    check_pad_limits("tf", p.boundary, p.pads, p.plan.x.shape[1:], "--emit-code tf")
    exact_in_float64(p, "tf")
    dtype = "tf.float32" if p.float32 else "tf.float64"
    top, bottom, left, right = p.pads
    lines = ["import tensorflow as tf", ""]
    if p.two_d or p.depthwise:
        lines += [py_array("x", p.x, "tf.constant", dtype, "(C, H, W)" if p.depthwise else "(H, W)"),
                  py_array("kernel", p.kernel2d, "tf.constant", dtype)]
        name = "kernel"
    else:
        lines += [py_array("x", p.x, "tf.constant", dtype, "(C, H, W)"),
                  py_array("weight", p.weight, "tf.constant", dtype, "(K, C, kh, kw)")]
        name = "weight"
    if p.bias is not None:
        lines.append(f"bias = tf.constant({py_nested(p.bias.tolist())}, dtype={dtype})")
    lines.append("")
    if p.flip:
        axes = "[0, 1]" if name == "kernel" else "[2, 3]"
        lines.append(f"{name} = tf.reverse({name}, axis={axes})  # tf correlates; convolution flips the kernel")
    if p.padded:
        widths = f"[[{top}, {bottom}], [{left}, {right}]]" if p.two_d else f"[[0, 0], [{top}, {bottom}], [{left}, {right}]]"
        mode = TF_MODES[p.boundary]
        value = f", constant_values={py_number(float(p.fill))}" if mode == "CONSTANT" else ""
        lines += [p.pads_comment("#"), f'padded = tf.pad(x, {widths}, mode="{mode}"{value})']
    else:
        lines.append("padded = x")
    options = f'strides={p.stride}, padding="VALID", dilations={p.dilation}'
    if p.operation == "im2col_matmul":
        lines.append("# im2col-matmul gives exactly this correlation, computed as one matrix product")
    if p.two_d:
        lines.append(f"result = tf.nn.convolution(padded[None, :, :, None], kernel[:, :, None, None], {options})"
                     "[0, :, :, 0]  # NHWC and HWIO")
    elif p.depthwise:
        channels = p.plan.x.shape[0]
        lines += [
            "nhwc = tf.transpose(padded, [1, 2, 0])[None]",
            f"filters = tf.tile(kernel[:, :, None, None], [1, 1, {channels}, 1])  # the same kernel on each channel",
        ]
        if p.stride[0] == p.stride[1]:
            lines.append(f"result = tf.nn.depthwise_conv2d(nhwc, filters, strides=[1, {p.stride[0]}, {p.stride[1]}, 1], "
                         f'padding="VALID", dilations={p.dilation})[0]')
        else:  # TF's depthwise kernels refuse unequal strides
            lines += [f"# depthwise_conv2d takes only equal strides: stride 1, then rows ::{p.stride[0]} "
                      f"and columns ::{p.stride[1]}",
                      f'result = tf.nn.depthwise_conv2d(nhwc, filters, strides=[1, 1, 1, 1], padding="VALID", '
                      f"dilations={p.dilation})[0, ::{p.stride[0]}, ::{p.stride[1]}]"]
    else:
        lines += [
            "nhwc = tf.transpose(padded, [1, 2, 0])[None]",
            "hwio = tf.transpose(weight, [2, 3, 1, 0])",
            f"result = tf.nn.convolution(nhwc, hwio, {options})[0]",
        ]
    if p.bias is not None:
        lines.append("result = result + bias")
    if not p.two_d:
        lines.append("result = tf.transpose(result, [2, 0, 1])  # back to (K, H', W')")
    if p.word == "same" and p.boundary == "fill" and p.fill == 0 and p.operation != "im2col_matmul":
        own = resolve_pads("tf", p.operation, "same", p.plan.x.shape[1:], p.plan.weight.shape[2:], p.stride, p.dilation)
        if own == tuple(p.pads):
            lines.append('# the same as padding="SAME" on the unpadded x')
        else:
            lines += own_mode_note(p, "tf", "")
    lines.append("print(tf.cast(result, tf.int64).numpy().tolist())" if p.integer
                 else "print(result.numpy().tolist())")
    return "\n".join(lines)


# ---------------------------------------------------------------- matlab

MATLAB_MODES = {"wrap": "circular", "symmetric": "symmetric", "replicate": "replicate"}


def _m_number(value) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _m_matrix(array: np.ndarray) -> str:
    rows = [" ".join(_m_number(v) for v in row) for row in array.tolist()]
    inline = "[" + "; ".join(rows) + "]"
    if len(inline) <= 80:
        return inline
    return "[\n" + "".join(f"    {row}\n" for row in rows) + "]"


def _m_stack(arrays, axis: int) -> str:
    parts = [_m_matrix(a) if a.ndim == 2 else _m_stack(list(a), 3) for a in arrays]
    return parts[0] if len(parts) == 1 else f"cat({axis}, {', '.join(parts)})"


def _matlab_pad(p: Problem, source: str) -> list[str]:
    top, bottom, left, right = p.pads
    if not p.padded:
        return [f"P = {source};"]
    channels = "" if p.two_d else f", {p.plan.x.shape[0]}"
    height, width = p.plan.x.shape[1:]
    if p.boundary == "fill":
        size = f"{height + top + bottom}, {width + left + right}{channels}"
        fill = f"zeros({size})" if p.fill == 0 else f"repmat({_m_number(p.fill)}, {size})"
        every = "" if p.two_d else ", :"
        return [p.pads_comment("%"), f"P = {fill};",
                f"P({top + 1}:{top + height}, {left + 1}:{left + width}{every}) = {source};"]
    mode = MATLAB_MODES[p.boundary]
    zero = "" if p.two_d else " 0"
    lines = [p.pads_comment("%") + " (padarray: Image Processing Toolbox; Octave: pkg load image)"]
    rows, cols = max(top, bottom), max(left, right)
    lines.append(f"P = padarray({source}, [{rows} {cols}{zero}], '{mode}');  % both sides alike")
    if (top, left) != (bottom, right):
        # padding one side at a time would wrap or mirror the other side's padding too
        def span(most, before, after):
            end = "end" if most == after else f"end-{most - after}"
            return ":" if (before, after) == (most, most) else f"{1 + most - before}:{end}"
        every = "" if p.two_d else ", :"
        lines.append(f"P = P({span(rows, top, bottom)}, {span(cols, left, right)}{every});  % keep the pads asked for")
    return lines


def _matlab_dilate(p: Problem, name: str) -> list[str]:
    if p.dilation == (1, 1):
        return []
    dh, dw = p.dilation
    eh, ew = p.reach
    rest = "" if name == "B" else ", size(W, 3), size(W, 4)"
    every = "" if name == "B" else ", :, :"
    return [f"% dilation {dh},{dw}: spread the taps out with zeros between them",
            f"D = zeros({eh}, {ew}{rest});", f"D(1:{dh}:end, 1:{dw}:end{every}) = {name};", f"{name} = D;"]


def _matlab(p: Problem) -> str:
    if p.padded and p.boundary == "reflect":
        raise UsageError("--emit-code matlab: MATLAB's padarray has no 'reflect' (edge not repeated); "
                         "its rules are symmetric, replicate, circular and a number")
    exact_in_float64(p, "matlab")
    if not p.two_d:
        return _matlab_channels(p)
    lines = [f"% convcli {p.operation.replace('_', '-')}, computed in MATLAB", f"A = {_m_matrix(p.x)};",
             f"B = {_m_matrix(p.kernel2d)};"]
    if p.bias is not None:
        lines.append(f"bias = {_m_number(p.bias.tolist()[0])};")
    lines += _matlab_dilate(p, "B") + _matlab_pad(p, "A")
    if p.flip:
        lines.append("C = conv2(P, B, 'valid');  % conv2 flips B in both directions")
    else:
        lines.append("C = filter2(B, P, 'valid');  % filter2 correlates: B is used as given")
    if p.stride != (1, 1):
        lines.append(f"C = C(1:{p.stride[0]}:end, 1:{p.stride[1]}:end);  % stride {p.stride[0]},{p.stride[1]}")
    if p.bias is not None:
        lines.append("C = C + bias;")
    if (p.word and p.boundary == "fill" and p.fill == 0 and p.stride == (1, 1) and p.dilation == (1, 1)
            and p.operation != "im2col_matmul"):
        own = tuple(v for a in range(2) for v in axis_pads("matlab", p.operation, p.word, p.x.shape[a],
                                                           p.kernel2d.shape[a]))
        call = f"conv2(A, B, '{p.word}')" if p.flip else f"filter2(B, A, '{p.word}')"
        if own == tuple(p.pads):
            lines.append(f"% the same as {call}{p.plus_bias}")
        else:
            lines.append(f"% MATLAB's own {call} would pad {own[0]} above, {own[1]} below, {own[2]} left, "
                         f"{own[3]} right; add --like matlab for that")
    lines.append("disp(C)")
    return "\n".join(lines)


def _matlab_channels(p: Problem) -> str:
    """Channels along MATLAB's third dimension: A is H x W x C, W is kh x kw x C/groups x K, C is H' x W' x K."""
    channels = p.plan.x.shape[0]
    filters, per_group = p.plan.weight.shape[:2]
    out_h, out_w = p.plan.output_hw
    lines = [f"% convcli {p.operation.replace('_', '-')}, computed in MATLAB; channels run along the third dimension",
             f"A = {_m_stack(list(p.x), 3)};  % H x W x C"]
    if p.depthwise:
        lines.append(f"W = repmat({_m_matrix(p.kernel2d)}, 1, 1, 1, {channels});  % the same kernel on each channel")
    else:
        lines.append(f"W = {_m_stack(list(p.weight), 4)};  % kh x kw x C/groups x K")
    if p.bias is not None:
        lines.append(f"bias = [{' '.join(_m_number(v) for v in p.bias.tolist())}];")
    lines += _matlab_dilate(p, "W") + _matlab_pad(p, "A")
    step = "" if p.stride == (1, 1) else f"(1:{p.stride[0]}:end, 1:{p.stride[1]}:end)"
    call = "conv2(P(:, :, channel), W(:, :, c, k), 'valid')" if p.flip else \
        "filter2(W(:, :, c, k), P(:, :, channel), 'valid')"
    groups = channels // per_group
    first_channel = "" if groups == 1 else f"floor((k - 1) / {filters // groups}) * {per_group} + "
    lines += [
        f"C = zeros({out_h}, {out_w}, {filters});  % C(:, :, k) is output channel k",
        f"for k = 1:{filters}",
        f"    for c = 1:{per_group}",
        f"        channel = {first_channel}c;" + ("  % filter k reads its group's channels" if groups > 1 else ""),
        f"        R = {call};  % " + ("conv2 flips the kernel" if p.flip else "filter2 correlates, no flip"),
        f"        C(:, :, k) = C(:, :, k) + R{step};",
        "    end",
    ]
    if p.bias is not None:
        lines.append("    C(:, :, k) = C(:, :, k) + bias(k);")
    lines += ["end", "disp(C)"]
    return "\n".join(lines)


FRAMEWORK_EMITTERS = {"torch": _torch, "tf": _tf, "matlab": _matlab}

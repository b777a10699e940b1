"""The seed question's classic example and the samples folder, shared by the test files."""

import os

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "samples")

CLASSIC_ROWS = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
CLASSIC_KERNEL_ROWS = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
CLASSIC_INPUT_TEXT = "1 1 1 0 0; 0 1 1 1 0; 0 0 1 1 1; 0 0 1 1 0; 0 1 1 0 0"
CLASSIC_KERNEL_TEXT = "1 0 1; 0 1 0; 1 0 1"
CLASSIC_CSV = "4,3,4\n2,4,3\n2,3,4\n"  # the answer, [[4, 3, 4], [2, 4, 3], [2, 3, 4]], as the CLI prints it


def sample(name: str) -> str:
    return os.path.join(SAMPLES, name)

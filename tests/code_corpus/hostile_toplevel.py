"""Hostile: loops for ever while the file loads."""
import numpy as np

while True:
    pass


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.tanh(x @ Wx + prev_h @ Wh + b), None

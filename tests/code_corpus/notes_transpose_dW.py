"""Course notes with dW transposed: rnn_cell_backward / rnn_backward (keys U, W, V, ba, by; states s)."""
import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=0))
    return e / e.sum(axis=0)


def rnn_cell_forward(xt, s_prev, parameters):
    U, W, V = parameters["U"], parameters["W"], parameters["V"]
    s_next = np.tanh(U @ xt + W @ s_prev + parameters["ba"])
    yt_pred = softmax(V @ s_next + parameters["by"])
    return s_next, yt_pred, (s_next, s_prev, xt, parameters)


def rnn_forward(x, s0, parameters):
    n, (m, B, T) = s0.shape[0], x.shape
    s = np.zeros((n, B, T))
    y = np.zeros((parameters["V"].shape[0], B, T))
    caches = []
    s_prev = s0
    for t in range(T):
        s_prev, y[:, :, t], cache = rnn_cell_forward(x[:, :, t], s_prev, parameters)
        s[:, :, t] = s_prev
        caches.append(cache)
    return s, y, (caches, x)


def rnn_cell_backward(ds_next, cache):
    s_next, s_prev, xt, parameters = cache
    dtanh = (1 - s_next**2) * ds_next
    return {
        "dxt": parameters["U"].T @ dtanh,
        "ds_prev": parameters["W"].T @ dtanh,
        "dU": dtanh @ xt.T,
        "dW": s_prev @ dtanh.T,
        "dba": dtanh.sum(axis=1, keepdims=True),
    }


def rnn_backward(ds, caches):
    caches, x = caches
    n, B, T = ds.shape
    dx = np.zeros((x.shape[0], B, T))
    dU = np.zeros((n, x.shape[0]))
    dW = np.zeros((n, n))
    dba = np.zeros((n, 1))
    ds_prev = np.zeros((n, B))
    for t in reversed(range(T)):
        g = rnn_cell_backward(ds[:, :, t] + ds_prev, caches[t])
        dx[:, :, t] = g["dxt"]
        ds_prev = g["ds_prev"]
        dU += g["dU"]
        dW += g["dW"]
        dba += g["dba"]
    return {"dx": dx, "ds0": ds_prev, "dU": dU, "dW": dW, "dba": dba}

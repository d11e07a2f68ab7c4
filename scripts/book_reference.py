#!/usr/bin/python3
"""Reference figures for the Boston experiment, from the chapter's NumPy code.

Reproduces, in plain NumPy and scikit-learn, the chapter's experiment on
data/boston_housing.csv:

  * all 13 feature columns of all 506 rows standardised with StandardScaler
    (the target, medv, is not scaled), then
    train_test_split(X, y, test_size=0.3, random_state=80718): 354/152 rows;
  * the closed form: sklearn LinearRegression fitted on the 354 training rows;
  * the regression trained by the chapter's train() loop: np.random.seed(180708),
    W (13x1) then B (1x1) from randn, batches of 23, 1000 iterations,
    lr 0.001, dLdP = -2 (y - P), gradients summed over the batch;
  * the network (13 -> 13 sigmoid -> 1): np.random.seed(180807), W1, B1, W2, B2
    from randn in that order, 10000 iterations, lr 0.001, dLdP = -(y - P).

For each model it prints the test MAE and RMSE (152 rows), as repr() and
float.hex(), plus intermediate values for debugging an independent
implementation (split, scaler, initial and final weights, batch rows, batch
losses). It also checks NumPy's legacy generator against known test vectors.

With --published it also prints the three models' test errors as the chapter's
NumPy code actually produced its printed figures, which differ from the above
in two ways: its data came from scikit-learn < 0.20, where crim of row 445
(0-based) is 0.6718, a typo for 10.6718 fixed in 0.20; and its network's
gradient for B1 is summed over the batch and then again over the 13 hidden
units (`dLdB1.sum(axis=0)` twice), so all of B1 takes one and the same step.

Run from the repository root:

    /usr/bin/python3 scripts/book_reference.py [--published]

It needs NumPy and scikit-learn (Debian: python3-numpy python3-sklearn); the
test suite does not need it. The figures recorded in the tests were produced
with NumPy 1.24.2 and scikit-learn 1.2.1.
"""
import contextlib
import csv
import io
import os
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "..", "data", "boston_housing.csv")


def f(x):
    """A float as repr() and hex()."""
    x = float(x)
    return "%r (%s)" % (x, x.hex())


def hexes(a, n=5):
    return " ".join(float(v).hex() for v in np.ravel(a)[:n])


def ints(a, n=10):
    return " ".join(str(int(v)) for v in a[:n])


def check_generator():
    """NumPy's legacy MT19937 against the test vectors; True if all match."""
    ok = list(np.random.RandomState(180708).randint(0, 2**32, 5, dtype=np.uint64)
              ) == [1950597821, 3329546519, 3862905246, 1307278100, 1985810504]
    ok &= [v.hex() for v in np.random.RandomState(180708).randn(5)] == [
        "0x1.db184a47f01bdp-1", "-0x1.b43a7858726c0p-4", "0x1.c32b121bafc56p+0",
        "-0x1.3259e33fcb602p-2", "0x1.939bc3841c883p-1"]
    ok &= np.random.RandomState(0).randn() == 1.764052345967664
    r = np.random.RandomState(180708)
    r.randn(13, 1)
    ok &= r.randn(1, 1)[0, 0] == -0.2154910986992005
    ok &= list(r.permutation(354)[:10]) == [4, 13, 204, 22, 125, 18, 40, 335, 235, 196]
    p = np.random.RandomState(80718).permutation(506)
    ok &= list(p[:10]) == [203, 379, 451, 438, 11, 45, 443, 77, 299, 214]
    ok &= list(p[152:162]) == [4, 410, 380, 378, 10, 457, 251, 300, 194, 199]
    return bool(ok)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def linreg_step(w, X, y):
    P = X @ w["W"] + w["B"]
    dLdP = -2.0 * (y - P)
    return P, {"W": X.T @ dLdP, "B": np.sum(dLdP, axis=0, keepdims=True)}


def nn_step(w, X, y):
    O1 = sigmoid(X @ w["W1"] + w["B1"])
    P = O1 @ w["W2"] + w["B2"]
    dLdP = -(y - P)
    dLdN1 = (dLdP @ w["W2"].T) * O1 * (1.0 - O1)
    return P, {"W2": O1.T @ dLdP, "B2": np.sum(dLdP, axis=0, keepdims=True),
               "W1": X.T @ dLdN1, "B1": np.sum(dLdN1, axis=0, keepdims=True)}


def nn_step_published(w, X, y):
    """nn_step with B1's gradient collapsed to one scalar, as published."""
    P, grads = nn_step(w, X, y)
    grads["B1"] = np.sum(grads["B1"])
    return P, grads


def train(name, shapes, step, X, y, n_iter, seed, lr=0.001, bs=23):
    """The chapter's train() loop; prints its intermediate values."""
    np.random.seed(seed)
    w = {k: np.random.randn(*s) for k, s in shapes}
    for k, _ in shapes:
        print("%s initial %s: %s" % (name, k, hexes(w[k])))
    n = X.shape[0]
    order = np.arange(n)            # rows of the training set, in split order
    q = np.random.permutation(n)
    X, y, order = X[q], y[q], order[q]
    start, epoch, batch_in_epoch = 0, 0, 0
    for it in range(n_iter):
        if start >= n:
            q = np.random.permutation(n)
            X, y, order = X[q], y[q], order[q]
            start, epoch, batch_in_epoch = 0, epoch + 1, 0
        Xb, yb = X[start:start + bs], y[start:start + bs]
        if (epoch, batch_in_epoch) in ((0, 0), (0, 1), (1, 0)):
            print("%s epoch %d batch %d rows: %s" % (
                name, epoch, batch_in_epoch, ints(order[start:start + bs], bs)))
        start += bs
        batch_in_epoch += 1
        P, grads = step(w, Xb, yb)
        if it in (0, 1, n_iter - 1):
            print("%s loss at iteration %d: %s" % (name, it, f(np.mean((yb - P) ** 2))))
        for k in w:
            w[k] -= lr * grads[k]
    for k, _ in shapes:
        print("%s final %s: %s" % (name, k, hexes(w[k])))
    return w


def report(name, y, P):
    print("%s test MAE:  %s" % (name, f(np.mean(np.abs(y - P)))))
    print("%s test RMSE: %s" % (name, f(np.sqrt(np.mean((y - P) ** 2)))))


def load():
    with open(DATA, newline="") as fh:
        header = next(csv.reader(fh))
    data = np.loadtxt(DATA, delimiter=",", skiprows=1, dtype=np.float64)
    t = header.index("medv")
    X = np.delete(data, t, axis=1)
    y = data[:, t:t + 1]
    assert X.shape == (506, 13) and y.shape == (506, 1)
    return X, y


def experiment(X, y, step=nn_step):
    scaler = StandardScaler()
    X = scaler.fit_transform(X)
    print("scaler mean[0:3]:", " ".join(f(v) for v in scaler.mean_[:3]))
    print("scaler sd[0:3]:  ", " ".join(f(v) for v in scaler.scale_[:3]))

    Xtr, Xte, ytr, yte, itr, ite = train_test_split(
        X, y, np.arange(506), test_size=0.3, random_state=80718)
    print("test rows (%d) start:     %s" % (len(ite), ints(ite)))
    print("training rows (%d) start: %s" % (len(itr), ints(itr)))
    print("mean of test targets: %s" % f(np.mean(yte)))

    ols = LinearRegression().fit(Xtr, ytr)
    report("ols", yte, ols.predict(Xte))

    w = train("linreg", [("W", (13, 1)), ("B", (1, 1))], linreg_step,
              Xtr, ytr, 1000, 180708)
    report("linreg", yte, Xte @ w["W"] + w["B"])

    w = train("nn", [("W1", (13, 13)), ("B1", (1, 13)), ("W2", (13, 1)), ("B2", (1, 1))],
              step, Xtr, ytr, 10000, 180807)
    report("nn", yte, sigmoid(Xte @ w["W1"] + w["B1"]) @ w["W2"] + w["B2"])


def main():
    print("numpy %s, scikit-learn %s" % (np.__version__, sklearn.__version__))
    print("generator test vectors match:", "yes" if check_generator() else "NO")
    X, y = load()
    experiment(X, y)
    if "--published" in sys.argv[1:]:
        print("as published (crim[445] = 0.6718, B1 one scalar step):")
        assert X[445, 0] == 10.6718
        X[445, 0] = 0.6718
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            experiment(X, y, nn_step_published)
        for line in out.getvalue().splitlines():
            if " test " in line:
                print("  " + line)


if __name__ == "__main__":
    main()

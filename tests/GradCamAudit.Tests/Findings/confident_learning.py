#!/usr/bin/python3
"""Confident learning (Northcutt, Jiang, Chuang: "Confident Learning: Estimating Uncertainty in Dataset Labels",
JAIR 70, 2021; cleanlab's count.py and filter.py), computed independently of the C# code with numpy only, over the
probabilities an audit committed.

Input CSV (one row per audited sample): sample_id, given, pred, p_pred, p_given, on_object (1, 0 or empty).
The results keep the probability of the predicted and of the given class, not the whole softmax vector, so the
confident joint counts a sample labelled i under j = argmax of the classes above their threshold among those two:
the predicted class when p_pred >= t_pred (it has the largest probability of all), else the given class when
p_given >= t_given, else nowhere. With the whole vector it could also land under a third class above its threshold.

Output JSON on stdout:
  thresholds            t_j = mean p_given over all samples labelled j (the paper's eq. 2)
  confident_learning    sample ids off the diagonal of the confident joint (filter_by="confident_learning")
  prune_by_noise_rate   for each (i, j), the round(Q[i][j] * n) samples labelled i with the largest margin
                        p_j - p_i (cleanlab's default, filter_by="prune_by_noise_rate")
  tool_thresholds       the C# findings' class statistics recomputed here (on-object rows only: mean, and the
                        Hampel cut exp(median - m * 1.4826 * MAD) of log max(p, 1e-30)), to check them
"""
import csv
import json
import sys

import numpy as np


def main(path, classes, mads):
    rows = list(csv.DictReader(open(path, newline="")))
    given = np.array([int(r["given"]) for r in rows])
    pred = np.array([int(r["pred"]) for r in rows])
    # The results hold float32 probabilities, written in their shortest round-trip form: read them back as float32.
    p_pred = np.array([r["p_pred"] for r in rows], dtype=np.float32).astype(np.float64)
    p_given = np.array([r["p_given"] for r in rows], dtype=np.float32).astype(np.float64)
    on = np.array([r["on_object"] == "1" for r in rows])
    ids = [r["sample_id"] for r in rows]
    k = classes

    t = np.array([p_given[given == j].mean() if (given == j).any() else np.nan for j in range(k)])
    counted_as = np.full(len(rows), -1)
    above_pred = p_pred >= t[pred]
    counted_as[above_pred] = pred[above_pred]
    above_given = (~above_pred) & (p_given >= t[given])
    counted_as[above_given] = given[above_given]
    joint = np.zeros((k, k))
    for i, j in zip(given, counted_as):
        if j >= 0:
            joint[i, j] += 1
    off = (counted_as >= 0) & (counted_as != given)
    cl = [ids[n] for n in np.flatnonzero(off)]

    # Calibrate the joint to the label counts (eq. 3), normalise to Q, prune per off-diagonal cell by the margin.
    label_counts = np.bincount(given, minlength=k).astype(float)
    row_sums = joint.sum(axis=1)
    calibrated = np.divide(joint.T, row_sums, out=np.zeros_like(joint.T), where=row_sums > 0).T * label_counts[:, None]
    q = calibrated / calibrated.sum()
    n_total = len(rows)
    pruned = []
    for i in range(k):
        for j in range(k):
            if i == j:
                continue
            n_ij = int(round(q[i, j] * n_total))
            if n_ij == 0:
                continue
            cand = np.flatnonzero((given == i) & (pred == j))  # p_j is known only where j is the prediction
            margin = p_pred[cand] - p_given[cand]
            order = cand[np.argsort(-margin, kind="stable")]
            pruned += [ids[n] for n in order[:n_ij]]

    tool = []
    for j in range(k):
        v = np.sort(p_given[(given == j) & on])
        if len(v) == 0:
            tool.append({"threshold": None, "outlierCut": None, "support": 0})
            continue
        logs = np.log(np.maximum(v.astype(np.float64), 1e-30))
        med = np.median(logs)
        mad = 1.4826 * np.median(np.abs(logs - med))
        tool.append({"threshold": float(v.astype(np.float64).mean()), "outlierCut": float(np.exp(med - mads * mad)), "support": int(len(v))})

    json.dump({
        "thresholds": [None if np.isnan(x) else float(x) for x in t],
        "confident_joint": joint.astype(int).tolist(),
        "confident_learning": cl,
        "prune_by_noise_rate": sorted(set(pruned)),
        "tool_thresholds": tool,
    }, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 3.0)

namespace GradCamAudit.Findings.Strategies;

/// <summary>
/// Eigenvalues and eigenvectors of a real symmetric matrix: Householder reduction to tridiagonal form, then the
/// implicit QL algorithm with shifts (Bowdler, Martin, Reinsch and Wilkinson, Numer. Math. 1968, the EISPACK routines
/// tred2 and tql2, in the form of the public-domain JAMA library). O(n^3), about 0.1 s at n = 300 here; deterministic
/// (no random start), so the same matrix gives the same vectors bit for bit.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>
    /// Decomposes the symmetric matrix <paramref name="a"/> (row-major n x n; only read): eigenvalues ascending, and the
    /// matching orthonormal eigenvectors as the columns of <c>Vectors</c> (row-major n x n).
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(double[] a, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (a.Length != n * n)
        {
            throw new ArgumentException($"expected {n * n} values, got {a.Length}", nameof(a));
        }
        if (a.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("the matrix holds a non-finite value", nameof(a));
        }
        var v = (double[])a.Clone();
        var d = new double[n];
        var e = new double[n];
        Tridiagonalise(v, d, e, n);
        Ql(v, d, e, n);
        return (d, v);
    }

    /// <summary>Householder reduction to tridiagonal form: <paramref name="d"/> the diagonal, <paramref name="e"/> the sub-diagonal, <paramref name="v"/> the accumulated transformations.</summary>
    private static void Tridiagonalise(double[] v, double[] d, double[] e, int n)
    {
        for (int j = 0; j < n; j++)
        {
            d[j] = v[((n - 1) * n) + j];
        }
        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0.0, h = 0.0;
            for (int k = 0; k < i; k++)
            {
                scale += Math.Abs(d[k]);
            }
            if (scale == 0.0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[((i - 1) * n) + j];
                    v[(i * n) + j] = 0.0;
                    v[(j * n) + i] = 0.0;
                }
            }
            else
            {
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.Sqrt(h);
                if (f > 0)
                {
                    g = -g;
                }
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++)
                {
                    e[j] = 0.0;
                }
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[(j * n) + i] = f;
                    g = e[j] + (v[(j * n) + j] * f);
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[(k * n) + j] * d[k];
                        e[k] += v[(k * n) + j] * f;
                    }
                    e[j] = g;
                }
                f = 0.0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++)
                {
                    e[j] -= hh * d[j];
                }
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++)
                    {
                        v[(k * n) + j] -= (f * e[k]) + (g * d[k]);
                    }
                    d[j] = v[((i - 1) * n) + j];
                    v[(i * n) + j] = 0.0;
                }
            }
            d[i] = h;
        }
        for (int i = 0; i < n - 1; i++)
        {
            v[((n - 1) * n) + i] = v[(i * n) + i];
            v[(i * n) + i] = 1.0;
            double h = d[i + 1];
            if (h != 0.0)
            {
                for (int k = 0; k <= i; k++)
                {
                    d[k] = v[(k * n) + i + 1] / h;
                }
                for (int j = 0; j <= i; j++)
                {
                    double g = 0.0;
                    for (int k = 0; k <= i; k++)
                    {
                        g += v[(k * n) + i + 1] * v[(k * n) + j];
                    }
                    for (int k = 0; k <= i; k++)
                    {
                        v[(k * n) + j] -= g * d[k];
                    }
                }
            }
            for (int k = 0; k <= i; k++)
            {
                v[(k * n) + i + 1] = 0.0;
            }
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = v[((n - 1) * n) + j];
            v[((n - 1) * n) + j] = 0.0;
        }
        v[((n - 1) * n) + n - 1] = 1.0;
        e[0] = 0.0;
    }

    /// <summary>The implicit QL iteration on the tridiagonal form, then eigenvalues sorted ascending with their vectors.</summary>
    private static void Ql(double[] v, double[] d, double[] e, int n)
    {
        for (int i = 1; i < n; i++)
        {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0.0;
        double f = 0.0, tst1 = 0.0;
        double eps = Math.Pow(2.0, -52.0);
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.Abs(e[m]) > eps * tst1)
            {
                m++;
            }
            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > 100)
                    {
                        throw new InvalidOperationException("the QL iteration did not converge");
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = Hypot(p, 1.0);
                    if (p < 0)
                    {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++)
                    {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1.0, c2 = c, c3 = c;
                    double el1 = e[l + 1];
                    double s = 0.0, s2 = 0.0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = (c * d[i]) - (s * g);
                        d[i + 1] = h + (s * ((c * g) + (s * d[i])));
                        for (int k = 0; k < n; k++)
                        {
                            h = v[(k * n) + i + 1];
                            v[(k * n) + i + 1] = (s * v[(k * n) + i]) + (c * h);
                            v[(k * n) + i] = (c * v[(k * n) + i]) - (s * h);
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0.0;
        }
        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            double p = d[i];
            for (int j = i + 1; j < n; j++)
            {
                if (d[j] < p)
                {
                    k = j;
                    p = d[j];
                }
            }
            if (k != i)
            {
                d[k] = d[i];
                d[i] = p;
                for (int j = 0; j < n; j++)
                {
                    (v[(j * n) + i], v[(j * n) + k]) = (v[(j * n) + k], v[(j * n) + i]);
                }
            }
        }
    }

    private static double Hypot(double a, double b)
    {
        (a, b) = (Math.Abs(a), Math.Abs(b));
        if (a > b)
        {
            double r = b / a;
            return a * Math.Sqrt(1 + (r * r));
        }
        if (b == 0)
        {
            return 0;
        }
        double q = a / b;
        return b * Math.Sqrt(1 + (q * q));
    }
}

/* pyad_special.h: special functions the op table's forwards call (csrc/op_table.py):
 * erfinv, digamma and polygamma, with torch's values at poles and outside the domain.
 * Computed in double for both dtypes. */
#ifndef PYAD_SPECIAL_H
#define PYAD_SPECIAL_H
#include <math.h>

#define PYAD_PI 3.14159265358979323846

/* Giles' approximation (2010) refined by two Newton steps on erf: full double precision */
static inline double pyad_erfinv(double x)
{
    double w, p;
    int i;
    if (x != x || x < -1.0 || x > 1.0) return NAN;
    if (x == 1.0) return INFINITY;
    if (x == -1.0) return -INFINITY;
    w = -log((1.0 - x) * (1.0 + x));
    if (w < 5.0) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w;
        p = -3.5233877e-06 + p * w;
        p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w;
        p = -0.00125372503 + p * w;
        p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w;
        p = 1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3.0;
        p = -0.000200214257;
        p = 0.000100950558 + p * w;
        p = 0.00134934322 + p * w;
        p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w;
        p = -0.0076224613 + p * w;
        p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w;
        p = 2.83297682 + p * w;
    }
    p *= x;
    for (i = 0; i < 2; i++) {
        double e = erf(p) - x, d = 1.1283791670955126 * exp(-p * p);
        if (d == 0.0 || !isfinite(e / d)) break;
        p -= e / d;
    }
    return p;
}

/* Hurwitz zeta(s, q), Cephes' Euler-Maclaurin summation */
static inline double pyad_zeta(double s, double q)
{
    static const double A[12] = {
        12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
        7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
        -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18};
    const double eps = 1.11022302462515654042e-16;
    double a, b, k, t, w, sum;
    int i;
    if (s == 1.0) return INFINITY;
    if (s < 1.0) return NAN;
    if (q <= 0.0) {
        if (q == floor(q)) return INFINITY;
        if (s != floor(s)) return NAN;
    }
    sum = pow(q, -s);
    a = q;
    i = 0;
    b = 0.0;
    while (i < 9 || a <= 9.0) {
        i += 1;
        a += 1.0;
        b = pow(a, -s);
        sum += b;
        if (fabs(b / sum) < eps) return sum;
    }
    w = a;
    sum += b * w / (s - 1.0);
    sum -= 0.5 * b;
    a = 1.0;
    k = 0.0;
    for (i = 0; i < 12; i++) {
        a *= s + k;
        b /= w;
        t = a * b / A[i];
        sum += t;
        if (fabs(t / sum) < eps) return sum;
        k += 1.0;
        a *= s + k;
        b /= w;
        k += 1.0;
    }
    return sum;
}

static inline double pyad_digamma(double x)
{
    /* B_2k / 2k: 1/12, -1/120, 1/252, -1/240, 1/132, -691/32760, 1/12 (powers of 1/x^2) */
    static const double B[7] = {8.33333333333333333333e-2, -8.33333333333333333333e-3,
                                3.96825396825396825397e-3, -4.16666666666666666667e-3,
                                7.57575757575757575758e-3, -2.10927960927960927961e-2,
                                8.33333333333333333333e-2};
    double result = 0.0, z, poly;
    int i;
    if (x == 0.0) return copysign(INFINITY, -x);   /* torch: -inf at +0 */
    if (x < 0.0) {
        if (x == trunc(x)) return NAN;
        /* reflection: psi(1 - x) - pi / tan(pi x), with pi x reduced first (tan's accuracy) */
        {
            double r = fmod(x, 1.0);
            return pyad_digamma(1.0 - x) - PYAD_PI / tan(PYAD_PI * r);
        }
    }
    if (x != x || x == INFINITY) return x;
    while (x < 10.0) {
        result -= 1.0 / x;
        x += 1.0;
    }
    if (x == 10.0) return result + 2.25175258906672110764;
    z = 1.0 / (x * x);
    poly = 0.0;
    for (i = 6; i >= 0; i--) poly = poly * z + B[i];
    poly *= z;
    return result + log(x) - 0.5 / x - poly;
}

/* polygamma(n, x): digamma for n = 0, else (-1)^(n+1) n! zeta(n + 1, x) */
static inline double pyad_polygamma(double n, double x)
{
    double fact;
    if (n == 0.0) return pyad_digamma(x);
    if (x != x) return x;
    if (n == 1.0) {  /* trigamma: torch's series, with reflection below 1/2 */
        double sign = 1.0, result = 0.0, ixx;
        int i;
        if (x < 0.5) {
            double s = sin(PYAD_PI * x);
            sign = -1.0;
            result -= PYAD_PI * PYAD_PI / (s * s);
            x = 1.0 - x;
        }
        for (i = 0; i < 6; i++) {
            result += 1.0 / (x * x);
            x += 1.0;
        }
        ixx = 1.0 / (x * x);
        result += (1.0 + 1.0 / (2.0 * x) +
                   ixx * (1.0 / 6.0 - ixx * (1.0 / 30.0 - ixx * (1.0 / 42.0)))) / x;
        return sign * result;
    }
    fact = exp(lgamma(n + 1.0));
    return (fmod(n, 2.0) == 1.0 ? 1.0 : -1.0) * fact * pyad_zeta(n + 1.0, x);
}
#endif

/*
 * pyad_nploops.h: numpy's own compiled inner loops, borrowed once at import.
 *
 * numpy ships SIMD transcendental loops (exp, log, tanh, ... dispatched at run time to
 * AVX512/AVX2/NEON for the CPU it runs on) and a matmul loop that calls its BLAS. A ufunc
 * object keeps its loops in a public table (PyUFuncObject.functions/.data/.types, the leading
 * fields of the struct, unchanged in numpy's ABI since 1.0). pyad reads the float32/float64
 * entries at import and calls them directly on its buffers: no ndarray is created, no Python
 * call is made, and a portable wheel gets the CPU-specific SIMD of the numpy it runs with.
 * A loop that is not found leaves pyad's own C loop in place.
 */
#ifndef PYAD_NPLOOPS_H
#define PYAD_NPLOOPS_H

#include <Python.h>
#include "pyad_kernels.h"

typedef void (*pyad_np_loop)(char **args, const Py_ssize_t *dims, const Py_ssize_t *steps,
                             void *data);

typedef struct {
    PyObject_HEAD
    int nin, nout, nargs;
    int identity;
    pyad_np_loop *functions;
    void **data;
    int ntypes;
    int reserved1;
    const char *name;
    const char *types;
} pyad_ufunc_head;

enum { PYAD_NP_EXP, PYAD_NP_LOG, PYAD_NP_TANH, PYAD_NP_SIN, PYAD_NP_COS, PYAD_NP_EXPM1,
       PYAD_NP_LOG1P, PYAD_NP_MATMUL, PYAD_NP_N };

static pyad_np_loop pyad_np_fn[PYAD_NP_N][2];
static void *pyad_np_data[PYAD_NP_N][2];

/* Record ufunc's loop whose every operand is float32 (col 0) / float64 (col 1). Returns a
 * bit mask of the columns found. typenums: NPY_FLOAT = 11, NPY_DOUBLE = 12 (numpy ABI). */
static int pyad_np_take(PyObject *ufunc, int which)
{
    pyad_ufunc_head *u = (pyad_ufunc_head *)ufunc;
    int i, j, col, found = 0;
    if (strcmp(Py_TYPE(ufunc)->tp_name, "numpy.ufunc") != 0 || u->types == NULL ||
        u->functions == NULL || u->nargs < 2 || u->nargs > 3)
        return 0;
    for (i = 0; i < u->ntypes; i++) {
        for (col = 0; col < 2; col++) {
            int ok = 1;
            for (j = 0; j < u->nargs; j++)
                if (u->types[i * u->nargs + j] != 11 + col) ok = 0;
            if (ok && !(found & (1 << col)) && u->functions[i] != NULL) {
                pyad_np_fn[which][col] = u->functions[i];
                pyad_np_data[which][col] = u->data ? u->data[i] : NULL;
                found |= 1 << col;
            }
        }
    }
    return found;
}

#define PYAD_NP_WRAP(NAME, IDX, COL)                                                          \
    static void NAME(char **args, const pyad_ssize_t *steps, pyad_ssize_t n, const double *c) \
    {                                                                                         \
        Py_ssize_t dims[1];                                                                   \
        (void)c;                                                                              \
        dims[0] = n;                                                                          \
        pyad_np_fn[IDX][COL](args, dims, (const Py_ssize_t *)steps, pyad_np_data[IDX][COL]);  \
    }
PYAD_NP_WRAP(loop_np_exp_f32, PYAD_NP_EXP, 0)
PYAD_NP_WRAP(loop_np_exp_f64, PYAD_NP_EXP, 1)
PYAD_NP_WRAP(loop_np_log_f32, PYAD_NP_LOG, 0)
PYAD_NP_WRAP(loop_np_log_f64, PYAD_NP_LOG, 1)
PYAD_NP_WRAP(loop_np_tanh_f32, PYAD_NP_TANH, 0)
PYAD_NP_WRAP(loop_np_tanh_f64, PYAD_NP_TANH, 1)
PYAD_NP_WRAP(loop_np_sin_f32, PYAD_NP_SIN, 0)
PYAD_NP_WRAP(loop_np_cos_f32, PYAD_NP_COS, 0)
PYAD_NP_WRAP(loop_np_expm1_f32, PYAD_NP_EXPM1, 0)
PYAD_NP_WRAP(loop_np_expm1_f64, PYAD_NP_EXPM1, 1)
PYAD_NP_WRAP(loop_np_log1p_f32, PYAD_NP_LOG1P, 0)
PYAD_NP_WRAP(loop_np_log1p_f64, PYAD_NP_LOG1P, 1)

/* C[b] = A[b] @ B[b] through numpy's matmul loop (its BLAS for blasable strides); element
 * strides sa, sb as in pyad_bmm; C is contiguous (nb, M, N). */
static int pyad_np_bmm(const char *A, const char *B, char *C, int col, Py_ssize_t nb,
                       Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const Py_ssize_t *sa,
                       const Py_ssize_t *sb)
{
    Py_ssize_t isz = col ? 8 : 4;
    Py_ssize_t dims[4], steps[9];
    char *args[3];
    if (pyad_np_fn[PYAD_NP_MATMUL][col] == NULL) return 0;
    dims[0] = nb; dims[1] = M; dims[2] = K; dims[3] = N;
    steps[0] = sa[0] * isz; steps[1] = sb[0] * isz; steps[2] = M * N * isz;
    steps[3] = sa[1] * isz; steps[4] = sa[2] * isz;
    steps[5] = sb[1] * isz; steps[6] = sb[2] * isz;
    steps[7] = N * isz; steps[8] = isz;
    args[0] = (char *)A; args[1] = (char *)B; args[2] = C;
    pyad_np_fn[PYAD_NP_MATMUL][col](args, dims, steps, pyad_np_data[PYAD_NP_MATMUL][col]);
    return 1;
}

#endif

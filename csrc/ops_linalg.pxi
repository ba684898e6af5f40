# ops_linalg.pxi: linear algebra: mv, bmm, outer, einsum, tensordot, trace, diag, diagonal, tril, triu, solve, inv, det, slogdet, cholesky.
# Each op: forward, numeric backward and recorded backward side by side; registered with
# register_op/register_name; public functions appended to __all__.

# ops_reduce.pxi: reductions: prod, amax/amin, max/min, argmax/argmin, var/std, norm, logsumexp, cumsum, cumprod, all, any.
# Each op: forward, numeric backward and recorded backward side by side; registered with
# register_op/register_name; public functions appended to __all__.

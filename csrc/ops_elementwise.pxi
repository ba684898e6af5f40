# ops_elementwise.pxi: elementwise unary and binary ops, comparisons, logical ops, where, clamp, nan_to_num.
# Each op: forward, numeric backward and recorded backward side by side; registered with
# register_op/register_name; public functions appended to __all__.

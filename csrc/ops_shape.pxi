# ops_shape.pxi: shape and movement: flatten, unflatten, swapaxes, repeat, tile, flip, roll, narrow, cat, stack, split, chunk, unbind, clone.
# Each op: forward, numeric backward and recorded backward side by side; registered with
# register_op/register_name; public functions appended to __all__.

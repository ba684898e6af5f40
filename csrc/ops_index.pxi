# ops_index.pxi: indexing: advanced indexing, index_select, gather, scatter_add, masked_fill, masked_select, take_along_dim.
# Each op: forward, numeric backward and recorded backward side by side; registered with
# register_op/register_name; public functions appended to __all__.

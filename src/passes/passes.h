// Every transform's spec, one function per pass file (file name = pass name
// = registry name = the name in a transform string). Listed in order in
// src/transform/registry.cc.
#pragma once

#include "tfprod/pattern.h"
#include "tfprod/rewrite.h"
#include "tfprod/transform.h"

namespace tfprod::passes {

PassSpec fold_constants();
PassSpec strip_unused_nodes();
PassSpec sort_by_execution_order();
PassSpec placeholders_to_const();
PassSpec fold_batch_norms();
PassSpec fold_old_batch_norms();
PassSpec flatten_atrous_conv();
PassSpec fuse_pad_and_conv();
PassSpec fuse_resize_and_conv();
PassSpec fuse_resize_pad_and_conv();
PassSpec backport_concatv2();
PassSpec remove_nodes();
PassSpec remove_attribute();
PassSpec rename_attribute();
PassSpec rename_op();
PassSpec rename_node();
PassSpec remove_device();
PassSpec set_device();
PassSpec remove_control_dependencies();
PassSpec merge_duplicate_nodes();
PassSpec obfuscate_names();
PassSpec quantize_weights();
PassSpec round_weights();
PassSpec add_default_attributes();
PassSpec inline_partitionedcall();
PassSpec remove_dropout();
PassSpec resolve_switches();
PassSpec remove_training_nodes();
PassSpec batch_norm_inference();
PassSpec cut_input_pipeline();
PassSpec opencv_float_weights();
PassSpec opencv_const_weights();
PassSpec opencv_fold_shapes();
PassSpec opencv_strip_attrs();
PassSpec opencv_reshape_layout();
PassSpec opencv_resolve_select();
PassSpec opencv_drop_control_inputs();
PassSpec opencv_div_to_realdiv();
PassSpec opencv_unary_ops();
PassSpec opencv_explicit_broadcast();
PassSpec opencv_tile_to_concat();
PassSpec opencv_reduce_axes();
PassSpec opencv_unpack_to_split();
PassSpec opencv_pattern_order();
PassSpec opencv_expand_splats();

// A Const that lists fewer values than its shape holds (TF's splat), which
// OpenCV 4.6's importer fails to read (opencv_expand_splats, the pre-flight).
bool opencv_reads_partially(const Node& n);
// How many element values `proto` spells out: every one when they are in
// tensor_content, else the length of its typed *_val list (TF fills the rest
// of the shape by repeating the last value, or with zeros when the list is
// empty). -1 for a dtype without such a list.
int64_t stored_values(const tfprod::tf::TensorProto& proto);


}  // namespace tfprod::passes

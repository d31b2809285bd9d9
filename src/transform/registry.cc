// The one list of transforms (no static self-registration).
#include "passes/passes.h"

namespace tfprod {

const std::vector<PassSpec>& pass_registry() {
  static const std::vector<PassSpec> registry = [] {
    std::vector<PassSpec> r;
    r.push_back(passes::strip_unused_nodes());
    r.push_back(passes::fold_constants());
    r.push_back(passes::fold_batch_norms());
    r.push_back(passes::fold_old_batch_norms());
    r.push_back(passes::sort_by_execution_order());
    r.push_back(passes::remove_nodes());
    r.push_back(passes::remove_attribute());
    r.push_back(passes::rename_attribute());
    r.push_back(passes::rename_op());
    r.push_back(passes::rename_node());
    r.push_back(passes::remove_device());
    r.push_back(passes::set_device());
    r.push_back(passes::remove_control_dependencies());
    r.push_back(passes::merge_duplicate_nodes());
    r.push_back(passes::backport_concatv2());
    r.push_back(passes::flatten_atrous_conv());
    r.push_back(passes::fuse_pad_and_conv());
    r.push_back(passes::fuse_resize_and_conv());
    r.push_back(passes::fuse_resize_pad_and_conv());
    r.push_back(passes::obfuscate_names());
    r.push_back(passes::quantize_weights());
    r.push_back(passes::round_weights());
    r.push_back(passes::add_default_attributes());
    r.push_back(passes::inline_partitionedcall());
    r.push_back(passes::placeholders_to_const());
    r.push_back(passes::remove_dropout());
    r.push_back(passes::resolve_switches());
    r.push_back(passes::remove_training_nodes());
    r.push_back(passes::batch_norm_inference());
    r.push_back(passes::cut_input_pipeline());
    r.push_back(passes::opencv_float_weights());
    r.push_back(passes::opencv_const_weights());
    r.push_back(passes::opencv_fold_shapes());
    r.push_back(passes::opencv_strip_attrs());
    r.push_back(passes::opencv_reshape_layout());
    r.push_back(passes::opencv_resolve_select());
    r.push_back(passes::opencv_drop_control_inputs());
    r.push_back(passes::opencv_div_to_realdiv());
    r.push_back(passes::opencv_unary_ops());
    r.push_back(passes::opencv_explicit_broadcast());
    r.push_back(passes::opencv_tile_to_concat());
    r.push_back(passes::opencv_reduce_axes());
    r.push_back(passes::opencv_unpack_to_split());
    r.push_back(passes::opencv_pattern_order());
    r.push_back(passes::opencv_expand_splats());
    return r;
  }();
  return registry;
}

}  // namespace tfprod

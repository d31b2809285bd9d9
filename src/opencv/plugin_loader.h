// Finds and loads libtfprod_opencv.so (see opencv_plugin.h) on first use.
#pragma once

#include "opencv/opencv_plugin.h"

namespace tfprod::opencv_plugin {

// The plugin's functions; loads it on the first call (thread-safe). Looks in
// $TFPROD_OPENCV_PLUGIN (a file), next to the running executable, in the
// install's plugin folder relative to the executable and then as configured,
// and in the build tree. Throws Error listing the places tried and dlerror().
const Api& api();

}  // namespace tfprod::opencv_plugin

# Installing tfprod: the tools, the OpenCV plugin, and the library as a CMake
# package (find_package(tfprod) gives tfprod::core, tfprod::opencv,
# tfprod::onnx, tfprod::export, tfprod::inspect and tfprod::proto), then CPack's .deb.
include(CMakePackageConfigHelpers)

set(TFPROD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tfprod)

install(TARGETS tfprod freeze_graph transform_graph summarize_graph optimize_for_inference tf2onnx
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tfprod_opencv_plugin LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/tfprod)

foreach(component proto core opencv onnx export inspect)
  set_target_properties(tfprod_${component} PROPERTIES EXPORT_NAME ${component})
endforeach()
install(TARGETS tfprod_proto tfprod_core tfprod_opencv tfprod_onnx tfprod_export tfprod_inspect
        EXPORT tfprodTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tfprod DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
# Generated: tfprod/version.h and the protobuf headers the public headers include.
install(DIRECTORY ${PROTO_OUT}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

install(EXPORT tfprodTargets NAMESPACE tfprod:: DESTINATION ${TFPROD_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tfprodConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/tfprodConfig.cmake INSTALL_DESTINATION ${TFPROD_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tfprodConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tfprodConfig.cmake ${PROJECT_BINARY_DIR}/tfprodConfigVersion.cmake
        DESTINATION ${TFPROD_CMAKE_DIR})

# --- `cpack -G DEB` in the build folder (not when embedded in another project)
if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()
set(CPACK_PACKAGE_NAME tfprod)
set(CPACK_PACKAGE_VENDOR "tfprod")
set(CPACK_PACKAGE_CONTACT "tfprod maintainers <tfprod@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "TensorFlow training output to OpenCV DNN models, without TensorFlow")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Runtime dependencies from the binaries' and the plugin's NEEDED entries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What building against the CMake package needs (find_dependency in tfprodConfig.cmake).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libprotobuf-dev, libonnx-dev, libfmt-dev, libleveldb-dev, libjpeg-dev, libpng-dev, cmake, g++")
include(CPack)

# ctest -P script: installs the build into WORK/prefix, configures and builds
# SOURCE_DIR/examples/consumer against it, runs it, and checks its output.
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/consumer -B ${WORK}/build -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${WORK}/prefix)
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${WORK}/build/tfprod_consumer ${WORK}/example)
message(STATUS "consumer printed:\n${out}")
foreach(expected "tfprod [0-9]+\\.[0-9]+\\.[0-9]+ \\(headers [0-9]+\\.[0-9]+\\.[0-9]+\\)"
                 "frozen [1-9][0-9]* variables: [0-9]+ nodes -> [0-9]+"
                 "softmax_tensor: \\[1,10\\], 10 classes, sum 1\\.0000, top class [0-9]")
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "consumer output lacks /${expected}/")
  endif()
endforeach()
if(NOT EXISTS ${WORK}/example/model.ckpt-1000.index)
  message(FATAL_ERROR "consumer did not write the example checkpoint")
endif()

# TFPROD_FUZZ=ON (clang only): every target, the library and the command-line
# tools included, is built with AddressSanitizer + UndefinedBehaviorSanitizer
# (any report aborts) and libFuzzer's coverage instrumentation; fuzz/ adds the
# libFuzzer targets. scripts/fuzz.sh and scripts/asan_corpus.sh use this build.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "TFPROD_FUZZ=ON needs clang (e.g. -DCMAKE_CXX_COMPILER=clang++-14)")
endif()
set(TFPROD_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options(${TFPROD_SANITIZE_FLAGS} -fsanitize=fuzzer-no-link)
add_link_options(-fsanitize=address,undefined)

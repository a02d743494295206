# One INTERFACE target carries the warning flags (and sanitizers); every Muster target links it.
add_library(muster_warnings INTERFACE)
add_library(muster::warnings ALIAS muster_warnings)
target_compile_options(muster_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                       -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
if(MUSTER_WERROR)
  target_compile_options(muster_warnings INTERFACE -Werror)
endif()
if(MUSTER_SANITIZE)
  target_compile_options(muster_warnings INTERFACE -fsanitize=address,undefined
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(muster_warnings INTERFACE -fsanitize=address,undefined)
  # Under ASan a process whose LD_PRELOAD names another library first (faketime's libfaketime,
  # the crash tests' fault shim) refuses to start: tests that preload something into the
  # programs put this runtime ahead of it.
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE MUSTER_ASAN_RUNTIME OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${MUSTER_ASAN_RUNTIME}" OR NOT EXISTS "${MUSTER_ASAN_RUNTIME}")
    message(FATAL_ERROR "MUSTER_SANITIZE: ${CMAKE_CXX_COMPILER} does not name its libasan.so "
                        "(got '${MUSTER_ASAN_RUNTIME}'); install libasan for this compiler")
  endif()
endif()

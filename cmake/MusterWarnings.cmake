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
endif()

# DESCRIPTION: Warning flags and test helpers shared by every folder.
include_guard(GLOBAL)

# Per-target warnings (never applied to generated or third-party sources).
add_library(mpsim_warnings INTERFACE)
# C++ only: nvcc forwards host flags, and its generated code trips -Wpedantic.
target_compile_options(mpsim_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow>)
if(MPSIM_WERROR)
  target_compile_options(mpsim_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
endif()

# Bit-exactness: a fused multiply-add rounds once where the reference rounds twice.
add_library(mpsim_exact_fp INTERFACE)
target_compile_options(mpsim_exact_fp INTERFACE -ffp-contract=off -fno-fast-math)

if(MPSIM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# mpsim_add_test(<name> SOURCES ... LIBS ... [LABELS ...])
function(mpsim_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} mpsim_warnings GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# mpsim_add_sc_test(<name> SOURCES ... LIBS ...): SystemC tests link GTest::gtest (not gtest_main:
# libsystemc defines main() and calls sc_main) and run one test per process.
function(mpsim_add_sc_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/sc/sc_gtest_main.cpp)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} mpsim::systemc mpsim_warnings GTest::gtest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS systemc ENVIRONMENT SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1)
endfunction()
